"""run_grid: a benchmark grid dealt into one exclusive share per host and merged back in grid order."""

from __future__ import annotations

import pytest
from test_scaleout import FakeClient

from lstm_bench.bench.registry import resolve_backends
from lstm_bench.bench.runner import run_benchmarks
from lstm_bench.bench.timer import TimerSettings
from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.kinds import Kind
from lstm_bench.scaleout import grid as grid_module
from lstm_bench.scaleout.executors import DaskPool
from lstm_bench.scaleout.grid import GridShare, run_grid

FAST = TimerSettings(min_time_s=0.005, min_rounds=2, round_time_s=0.001, warmup_s=0.0, min_warmup_calls=1)
CASES = [
    Case(Kind.LSTM, Workload.FORWARD, 8, 8, 2, 3),
    Case(Kind.GRU, Workload.FORWARD, 8, 8, 2, 3),
    Case(Kind.RNN_TANH, Workload.FORWARD_BACKWARD, 8, 8, 2, 3),
]


def test_shares_go_one_per_host_and_come_back_in_grid_order() -> None:
    backends = resolve_backends(["torch-native", "torch-ref"], [])
    client = FakeClient()
    pool = DaskPool(client, owns_client=False)
    result = run_grid(CASES, backends, pool, settings=FAST, measure_peak=False)
    client.pool.shutdown()
    here = run_benchmarks(CASES, backends, settings=FAST, measure_peak=False)
    assert [r.name for r in result.records] == [r.name for r in here.records]
    assert all(r.status == "ok" for r in result.records)
    assert len(result.host_runs) == 2 and all(h.run is not None for h in result.host_runs)
    assert client.peak == {"10.0.0.1": 1, "10.0.0.2": 1}
    shares = {len(h.run.records) for h in result.host_runs if h.run is not None}
    assert shares == {2, 4}, "three cases dealt round-robin to two hosts: 2 cases and 1 case, 2 backends each"
    section = result.sections()
    assert [b["host"] for b in section["benchmarks"]] == list(result.hosts)
    assert len(section["benchmark_run"]["hosts"]) == 2
    assert section["benchmark_run"]["executor"] == "Dask scheduler tcp://10.0.0.9:8786, 3 workers on 2 hosts"


def test_a_share_that_keeps_failing_gives_error_records(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[GridShare] = []

    def broken(share: GridShare) -> None:
        attempts.append(share)
        raise ImportError("no module named 'mypkg' on this worker")

    monkeypatch.setattr(grid_module, "run_share", broken)
    backends = resolve_backends(["torch-native"], [])
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        result = run_grid(CASES[:2], backends, pool, settings=FAST, measure_peak=False)
    assert len(attempts) == 2, "retried once"
    assert [r.status for r in result.records] == ["error", "error"]
    assert all("ImportError: no module named 'mypkg'" in (r.reason or "") for r in result.records)
    assert result.host_runs[0].run is None and result.host_runs[0].error is not None
