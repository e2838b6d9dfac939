"""The installed stability suite (``lstm_bench.suites.stability``), run from a clone of lstm-bench."""

from lstm_bench.suites.stability.test_stability_suite import *  # noqa: F403 (every test of the suite)
