"""Every conformance check on every selected implementation, one test each (see conftest.py)."""

from __future__ import annotations

from lstm_bench.conformance import run_check
from lstm_bench.loader import LoadedImpl
from lstm_bench.testing.conformance import raise_for_result


def test_check(impl: LoadedImpl, check_name: str, conformance_profile: str) -> None:
    __tracebackhide__ = True
    raise_for_result(run_check(impl, check_name, profile=conformance_profile))
