"""Subcommands of ``lstm-bench``; each module here is found and registered by ``lstm_bench.cli``."""
