"""The installed conformance suite (``lstm_bench.suites.conformance``), run from a clone of lstm-bench."""

from lstm_bench.suites.conformance.test_conformance_suite import test_check

__all__ = ["test_check"]
