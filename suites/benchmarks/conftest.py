"""The installed pytest-benchmark suite's hooks (``lstm_bench/suites/benchmarks/conftest.py``), for ``pytest suites/benchmarks``."""

from lstm_bench.suites.benchmarks.conftest import pytest_collect_file, pytest_generate_tests, run_case

__all__ = ["pytest_collect_file", "pytest_generate_tests", "run_case"]
