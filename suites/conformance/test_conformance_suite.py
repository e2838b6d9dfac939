"""Every conformance check on every selected implementation, one test each (see conftest.py)."""

from __future__ import annotations

import pytest

from lstm_bench.conformance import run_check
from lstm_bench.conformance.render import failure_block
from lstm_bench.loader import LoadedImpl


def test_check(impl: LoadedImpl, check_name: str, conformance_profile: str) -> None:
    result = run_check(impl, check_name, profile=conformance_profile)
    if result.status == "skip":
        pytest.skip(result.reason)
    if result.status == "unsupported":  # an optional feature the implementation lacks: not a failure
        pytest.skip(f"unsupported: {result.reason}")
    __tracebackhide__ = True
    assert result.status == "pass", failure_block(result)
