"""The installed conformance suite's hooks (``lstm_bench/suites/conformance/conftest.py``), for ``pytest suites/conformance``."""

from lstm_bench.suites.conformance.conftest import conformance_profile, pytest_generate_tests

__all__ = ["conformance_profile", "pytest_generate_tests"]
