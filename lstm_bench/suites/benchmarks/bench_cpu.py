"""CPU benchmarks of every registered backend on the chosen suite (parametrized in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable

from lstm_bench.bench.workloads import Case

DEVICE = "cpu"


def test_cpu(run_case: Callable[[Case | None, str, str], None], bench_case: tuple[Case | None, str]) -> None:
    case, backend = bench_case
    run_case(case, backend, DEVICE)
