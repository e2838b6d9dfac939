"""Errors a user can cause. The CLI turns each into one line on stderr and exit code 2."""

from __future__ import annotations


class UsageError(Exception):
    """Bad spec, bad flag, bad size, unreadable or foreign input file, unwritable output: exit 2."""


class ImplementationLoadError(UsageError):
    """An ``--impl`` spec that cannot be imported, constructed or called with the torch.nn contract."""
