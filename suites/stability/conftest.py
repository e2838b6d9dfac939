"""The installed stability suite's hooks (``lstm_bench/suites/stability/conftest.py``), for ``pytest suites/stability``."""

from lstm_bench.suites.stability.conftest import pytest_generate_tests

__all__ = ["pytest_generate_tests"]
