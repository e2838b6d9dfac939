"""Adapters under test: a user's adapter for a module with its own weight layout, and planted bugs."""
