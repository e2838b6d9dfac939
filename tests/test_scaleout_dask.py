"""A real Dask cluster (LocalCluster, 2 worker processes): same results as the local pool, worker deaths, Ctrl-C.

The cluster's scheduler gives up on a task at its first worker death (allowed-failures 0), so
these tests exercise ``run_jobs``'s own retry of jobs whose worker died, not Dask's.
"""

from __future__ import annotations

import itertools
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip(
    "distributed", reason="Dask distributed is the optional extra lstm-bench[dask]"
)

import dask  # noqa: E402
from scaleout_helpers import FlakyJob, comparable, flaky  # noqa: E402

from lstm_bench.errors import UsageError  # noqa: E402
from lstm_bench.kinds import Kind  # noqa: E402
from lstm_bench.scaleout import DaskPool, LocalPool, make_executor, run_jobs  # noqa: E402
from lstm_bench.stability.jobs import DiagnosticJob, TrainJob, run_diagnostic_job, run_train_job  # noqa: E402
from lstm_bench.stability.models import ModelSpec  # noqa: E402
from lstm_bench.stability.trainer import TrainConfig  # noqa: E402


@pytest.fixture(scope="module")
def cluster() -> Iterator[Any]:
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None, silence_logs=50
        )
    yield cluster
    cluster.close(timeout=10)


@pytest.fixture
def pool(cluster: Any) -> Iterator[DaskPool]:
    executor = make_executor(scheduler=cluster.scheduler_address)
    assert isinstance(executor, DaskPool)
    executor.client.wait_for_workers(2, timeout=60)  # a worker killed by an earlier test is back
    with executor:
        yield executor


def tiny_sweep() -> tuple[list[TrainJob], list[DiagnosticJob]]:
    """Two models x two seeds of a few training steps, and their diagnostics."""
    config = TrainConfig(
        max_steps=30, max_seconds=60, eval_every=10, eval_batch=64, batch_size=16, profiles=True
    )
    models = [ModelSpec(Kind.LSTM, "chrono", hidden=8), ModelSpec(Kind.RNN_TANH, hidden=8)]
    train = [TrainJob(m, "recall", 6, seed, config) for m in models for seed in (0, 1)]
    diagnose = [
        DiagnosticJob(m, "recall", 12, seed, batch_size=4, jacobian_batch=2, jacobian_iterations=5)
        for m in models
        for seed in (0, 1)
    ]
    return train, diagnose


def test_a_sweep_on_the_cluster_gives_the_local_pools_results(pool: DaskPool) -> None:
    train, diagnose = tiny_sweep()
    on_cluster = run_jobs(run_train_job, train, pool), run_jobs(run_diagnostic_job, diagnose, pool)
    with LocalPool(2, threads=1) as local:
        on_machine = run_jobs(run_train_job, train, local), run_jobs(run_diagnostic_job, diagnose, local)
    workers = set(pool.workers())
    for cluster_outcomes, local_outcomes in zip(on_cluster, on_machine, strict=True):
        assert all(o.ok and o.value is not None and o.value.status == "ok" for o in cluster_outcomes)
        assert all(o.worker in workers for o in cluster_outcomes)
        assert [comparable(o.value.to_dict()) for o in cluster_outcomes if o.value is not None] == [
            comparable(o.value.to_dict()) for o in local_outcomes if o.value is not None
        ]
    assert len({o.worker for o in on_cluster[0]}) == 2, "both workers took jobs"


def test_a_worker_killed_mid_sweep_loses_no_result(pool: DaskPool, tmp_path: Path) -> None:
    work = [FlakyJob(k, str(tmp_path), "exit-once" if k == 3 else "ok", 0.3) for k in range(8)]
    outcomes = run_jobs(flaky, work, pool)
    assert [o.value for o in outcomes] == [k * k for k in range(8)]
    killed = outcomes[3]
    assert killed.ok and killed.attempts >= 2 and killed.errors[0].startswith("worker died (KilledWorker")


def test_a_job_that_always_kills_its_worker_is_reported_failed(pool: DaskPool, tmp_path: Path) -> None:
    work = [FlakyJob(k, str(tmp_path), "exit-always" if k == 1 else "ok", 0.2) for k in range(4)]
    outcomes = run_jobs(flaky, work, pool, retries=1)
    assert outcomes[1].status == "failed" and outcomes[1].error is not None
    assert outcomes[1].error.startswith("worker died (KilledWorker")
    assert [o.value for k, o in enumerate(outcomes) if k != 1] == [0, 4, 9]


def _span(seconds: float) -> tuple[float, float]:
    start = time.time()
    time.sleep(seconds)
    return start, time.time()


def test_exclusive_jobs_never_overlap_on_a_host_and_say_who_measured(pool: DaskPool) -> None:
    outcomes = run_jobs(_span, [0.2] * 4, pool, exclusive=True)
    spans = sorted(o.value for o in outcomes if o.value is not None)
    assert len(spans) == 4
    assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))
    workers = pool.workers()
    assert all(o.worker in workers and o.host for o in outcomes)


def test_ctrl_c_cancels_the_jobs_on_the_cluster(pool: DaskPool, tmp_path: Path) -> None:
    work = [FlakyJob(k, str(tmp_path), "ok", 2.0) for k in range(6)]

    def interrupt_once_running() -> None:
        while not list(tmp_path.glob("job*")):
            time.sleep(0.05)
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    threading.Thread(target=interrupt_once_running, daemon=True).start()
    with pytest.raises(KeyboardInterrupt):
        run_jobs(flaky, work, pool)
    time.sleep(3.0)  # the two running jobs end; none of the cancelled ones may start
    assert len(list(tmp_path.glob("job*"))) <= 2


def test_an_unreachable_scheduler_is_one_usage_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(UsageError) as info:
        make_executor(scheduler="tcp://127.0.0.1:9", connect_timeout=1.0)
    message = str(info.value)
    assert "\n" not in message and "tcp://127.0.0.1:9" in message and "no Dask scheduler answered" in message
    monkeypatch.setenv("LSTM_BENCH_SCHEDULER", "tcp://127.0.0.1:9")
    with pytest.raises(
        UsageError, match=r"^\$LSTM_BENCH_SCHEDULER tcp://127.0.0.1:9: .*unset LSTM_BENCH_SCHEDULER"
    ):
        make_executor(connect_timeout=1.0)


def test_a_benchmark_grid_on_the_cluster_runs_one_benchmark_at_a_time_and_names_the_host(
    pool: DaskPool,
) -> None:
    from lstm_bench.bench.registry import resolve_backends
    from lstm_bench.bench.timer import TimerSettings
    from lstm_bench.bench.workloads import Case, Workload
    from lstm_bench.scaleout.grid import run_grid

    cases = [Case(Kind.LSTM, Workload.FORWARD, 8, 8, 2, 3), Case(Kind.GRU, Workload.FORWARD, 8, 8, 2, 3)]
    fast = TimerSettings(min_time_s=0.005, min_rounds=2, round_time_s=0.001, warmup_s=0.0, min_warmup_calls=1)
    result = run_grid(cases, resolve_backends(["torch-native"], []), pool, settings=fast, measure_peak=False)
    assert [r.status for r in result.records] == ["ok", "ok"]
    assert len(result.host_runs) == 1, "LocalCluster is one host: one share"
    assert result.host_runs[0].worker in pool.workers() and all(h for h in result.hosts)
    assert result.sections()["benchmark_run"]["executor"].startswith(
        f"Dask scheduler {pool.client.scheduler.address}"
    )
