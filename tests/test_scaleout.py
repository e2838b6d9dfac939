"""run_jobs and make_executor: retries, worker deaths, Ctrl-C, exclusive placement, progress (no Dask needed)."""

from __future__ import annotations

import argparse
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
from scaleout_helpers import FlakyJob, attempts_so_far, flaky, pid_of

from lstm_bench.errors import UsageError
from lstm_bench.scaleout import executors as executors_module
from lstm_bench.scaleout import options as options_module
from lstm_bench.scaleout.executors import (
    SCHEDULER_ENV,
    DaskPool,
    LocalPool,
    available_cpus,
    exclusive_slots,
    make_executor,
)
from lstm_bench.scaleout.options import add_scaleout_arguments, executor_from_args
from lstm_bench.scaleout.runner import RunProgress, is_worker_death, run_jobs


def square(n: int) -> int:
    return n * n


def ctrl_c() -> None:
    """What pressing Ctrl-C does to this process: SIGINT, handled by the main thread."""
    signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)


def jobs(tmp_path: Path, n: int, **special: Any) -> list[FlakyJob]:
    """``n`` flaky jobs; ``special`` maps 'job<k>' to the mode of job k."""
    return [FlakyJob(k, str(tmp_path), special.get(f"job{k}", "ok")) for k in range(n)]


# --------------------------------------------------------------------------------------------
# Plain runs, retries and failures (threads: fast, same process)


def test_results_come_back_in_job_order_with_where_they_ran() -> None:
    progress: list[RunProgress] = []
    with ThreadPoolExecutor(3) as pool:
        outcomes = run_jobs(square, [5, 1, 4, 2], pool, on_progress=progress.append)
    assert [o.value for o in outcomes] == [25, 1, 16, 4]
    assert [o.index for o in outcomes] == [0, 1, 2, 3]
    assert all(o.ok and o.attempts == 1 and o.errors == () for o in outcomes)
    assert all(o.host and o.worker == f"pid {os.getpid()}" and o.seconds is not None for o in outcomes)
    assert [p.done for p in progress] == sorted(p.done for p in progress)
    assert progress[0].done == 0 and progress[-1].done == progress[-1].total == 4
    assert progress[-1].running == 0


def test_a_job_that_fails_once_is_retried_and_succeeds(tmp_path: Path) -> None:
    with ThreadPoolExecutor(2) as pool:
        outcomes = run_jobs(flaky, jobs(tmp_path, 4, job2="raise-once"), pool)
    assert [o.value for o in outcomes] == [0, 1, 4, 9]
    assert outcomes[2].attempts == 2 and outcomes[2].ok
    assert outcomes[2].errors == ("RuntimeError: job 2 failed on attempt 1",)
    assert all(o.attempts == 1 for k, o in enumerate(outcomes) if k != 2)


def test_a_job_that_keeps_failing_is_reported_failed_and_the_rest_complete(tmp_path: Path) -> None:
    progress: list[RunProgress] = []
    with ThreadPoolExecutor(2) as pool:
        outcomes = run_jobs(flaky, jobs(tmp_path, 4, job1="raise-always"), pool, on_progress=progress.append)
    failed = outcomes[1]
    assert failed.status == "failed" and failed.value is None and failed.attempts == 2
    assert failed.error == "RuntimeError: job 1 failed on attempt 2"
    assert [o.value for k, o in enumerate(outcomes) if k != 1] == [0, 4, 9]
    assert progress[-1].failed == 1 and progress[-1].retried == 1 and progress[-1].done == 4


@pytest.mark.parametrize("retries", [0, 2])
def test_retries_bound_the_attempts(tmp_path: Path, retries: int) -> None:
    with ThreadPoolExecutor(2) as pool:
        (outcome,) = run_jobs(flaky, jobs(tmp_path, 1, job0="raise-always"), pool, retries=retries)
    assert outcome.status == "failed" and outcome.attempts == retries + 1 == attempts_so_far(outcome.job)


def test_a_failure_reported_in_the_value_is_retried_and_the_value_kept() -> None:
    calls: list[int] = []

    def odd_fails(n: int) -> int:
        calls.append(n)
        return n

    with ThreadPoolExecutor(1) as pool:
        outcomes = run_jobs(odd_fails, [1, 2], pool, failure=lambda v: "odd" if v % 2 else None)
    assert sorted(calls) == [1, 1, 2]
    assert outcomes[0].status == "failed" and outcomes[0].value == 1 and outcomes[0].errors == ("odd", "odd")
    assert outcomes[1].ok and outcomes[1].attempts == 1


def test_outcomes_stream_as_they_become_final_and_round_trip() -> None:
    seen: list[int] = []
    with ThreadPoolExecutor(2) as pool:
        outcomes = run_jobs(square, [3, 4], pool, on_outcome=lambda o: seen.append(o.index))
    assert sorted(seen) == [0, 1]
    again = type(outcomes[0]).from_dict(outcomes[0].to_dict(), 3, 9)
    assert again == outcomes[0]


def test_skipped_jobs_are_never_run_or_are_cancelled_once_ruled_out() -> None:
    ran: list[int] = []

    def slow_square(n: int) -> int:
        ran.append(n)
        time.sleep(0.05)
        return n * n

    finished: set[int] = set()
    with ThreadPoolExecutor(1) as pool:
        outcomes = run_jobs(
            slow_square,
            range(6),
            pool,
            skip=lambda n: n % 2 == 1 and 0 in finished,  # job 0's result rules the odd jobs out
            on_outcome=lambda o: finished.add(o.index),
        )
    assert [o.status for o in outcomes][2:] == ["ok", "skipped", "ok", "skipped"]
    assert 3 not in ran and 5 not in ran
    assert all(o.value is None and o.errors == () for o in outcomes if o.status == "skipped")
    with ThreadPoolExecutor(1) as pool:
        progress: list[RunProgress] = []
        outcomes = run_jobs(slow_square, [7, 8], pool, skip=lambda n: n == 7, on_progress=progress.append)
    assert [o.status for o in outcomes] == ["skipped", "ok"] and ran[-1] == 8 and 7 not in ran
    assert progress[-1].skipped == 1 and progress[-1].done == 2


def test_progress_eta_is_the_mean_pace_extrapolated() -> None:
    progress = RunProgress(total=10, done=4, running=2, retried=1, failed=0, elapsed_s=8.0)
    assert progress.eta_s == pytest.approx(12.0)
    assert progress.line() == "4/10 jobs, 2 running, 1 retried, 8 s elapsed, ETA 12 s"
    assert RunProgress(10, 0, 2, 0, 0, 3.0).eta_s is None


def test_negative_retries_are_refused() -> None:
    with ThreadPoolExecutor(1) as pool, pytest.raises(ValueError, match="retries"):
        run_jobs(square, [1], pool, retries=-1)


# --------------------------------------------------------------------------------------------
# Worker deaths, with a fake pool that fails every job in flight when one kills its worker


class CrashingPool(Executor):
    """Runs each batch of jobs submitted together on a thread; a killer job fails the whole batch.

    ``killers`` maps a job to 'once' (dies on its first run) or 'always'. A batch is what was
    submitted before the pool was idle for 30 ms, like the jobs in flight in a process pool.
    """

    def __init__(self, killers: dict[int, str]) -> None:
        self.killers, self.runs = killers, dict.fromkeys(killers, 0)
        self.queue: list[tuple[Future[Any], Callable[[int], Any], int]] = []
        self.batches: list[list[int]] = []
        self.lock = threading.Lock()
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self.lock:
            self.queue.append((future, fn, args[0]))
        return future

    def serve(self) -> None:
        seen = -1
        while not self.stop:
            time.sleep(0.03)
            with self.lock:
                if not self.queue or len(self.queue) != seen:
                    seen = len(self.queue)
                    continue
                batch, self.queue, seen = self.queue, [], -1
            self.batches.append([job for _, _, job in batch])
            if any(self.dies(job) for _, _, job in batch):
                for future, _, _ in batch:
                    future.set_exception(
                        BrokenProcessPool("A process in the process pool was terminated abruptly")
                    )
                continue
            for future, fn, job in batch:
                future.set_result(fn(job))

    def dies(self, job: int) -> bool:
        if job not in self.killers:
            return False
        self.runs[job] += 1
        return self.killers[job] == "always" or self.runs[job] == 1

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.stop = True


def test_a_worker_death_in_company_reruns_the_jobs_alone_and_loses_nothing() -> None:
    pool = CrashingPool({3: "once"})
    try:
        outcomes = run_jobs(square, range(6), pool)
    finally:
        pool.shutdown()
    assert [o.value for o in outcomes] == [0, 1, 4, 9, 16, 25]
    assert pool.batches[0] == [0, 1, 2, 3, 4, 5]
    assert all(len(batch) == 1 for batch in pool.batches[1:]), "after the crash each suspect runs alone"
    assert all(o.ok and o.attempts == 2 and o.errors[0].startswith("worker died") for o in outcomes)


def test_a_job_that_always_kills_its_worker_is_charged_only_when_alone() -> None:
    pool = CrashingPool({3: "always"})
    try:
        outcomes = run_jobs(square, range(6), pool, retries=1)
    finally:
        pool.shutdown()
    killer = outcomes[3]
    assert killer.status == "failed" and killer.attempts == 3  # in company (not charged), then alone twice
    assert killer.error is not None and killer.error.startswith("worker died (BrokenProcessPool")
    assert [o.value for k, o in enumerate(outcomes) if k != 3] == [0, 1, 4, 16, 25]


def test_worker_deaths_are_told_from_job_errors() -> None:
    class KilledWorker(Exception):
        pass

    KilledWorker.__module__ = "distributed.scheduler"
    assert is_worker_death(BrokenProcessPool("x")) and is_worker_death(KilledWorker("x"))
    assert not is_worker_death(RuntimeError("x"))


# --------------------------------------------------------------------------------------------
# Ctrl-C


class StuckPool(Executor):
    """Futures that never finish (jobs that run for ever)."""

    def __init__(self) -> None:
        self.futures: list[Future[Any]] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        self.futures.append(Future())
        return self.futures[-1]


class InterruptedPool(StuckPool):
    """A stuck pool that presses Ctrl-C 0.1 s after the last of ``jobs`` was submitted (run_jobs is waiting).

    A watchdog finishes the futures after 20 s, so a Ctrl-C that went unnoticed fails the test
    instead of hanging the run.
    """

    def __init__(self, jobs: int) -> None:
        super().__init__()
        self.jobs, self.sent_at, self.broken = jobs, 0.0, False
        self.watchdog = threading.Timer(20.0, self.unblock)
        self.watchdog.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = super().submit(fn, *args, **kwargs)
        if self.broken:  # retries after the watchdog fail at once, so run_jobs returns
            future.set_exception(RuntimeError("Ctrl-C was not noticed"))
        elif len(self.futures) == self.jobs:
            self.sent_at = time.monotonic() + 0.1
            threading.Timer(0.1, ctrl_c).start()
        return future

    def unblock(self) -> None:
        self.broken = True
        for future in self.futures:
            if not future.done():
                future.set_exception(RuntimeError("Ctrl-C was not noticed"))


def test_ctrl_c_cancels_every_outstanding_job_and_propagates() -> None:
    pool = InterruptedPool(5)
    try:
        with pytest.raises(KeyboardInterrupt):
            run_jobs(square, range(5), pool)
        assert time.monotonic() - pool.sent_at < 0.6, "interrupted at once, not at the next poll"
        assert len(pool.futures) == 5 and all(f.cancelled() for f in pool.futures)
    finally:
        pool.watchdog.cancel()


def test_an_exception_in_a_progress_callback_also_cancels() -> None:
    pool = StuckPool()

    def explode(progress: RunProgress) -> None:
        raise RuntimeError("display broke")

    with pytest.raises(RuntimeError, match="display broke"):
        run_jobs(square, range(3), pool, on_progress=explode)
    assert all(f.cancelled() for f in pool.futures)


# --------------------------------------------------------------------------------------------
# Exclusive jobs (benchmarks)


def test_exclusive_jobs_run_one_by_one_in_this_process_without_a_cluster() -> None:
    active, peak = [0], [0]

    def measure(n: int) -> int:
        active[0] += 1
        peak[0] = max(peak[0], active[0])
        time.sleep(0.01)
        active[0] -= 1
        return os.getpid()

    with ThreadPoolExecutor(4) as pool:
        outcomes = run_jobs(measure, range(6), pool, exclusive=True)
    assert peak[0] == 1
    assert all(o.value == os.getpid() and o.worker == f"pid {os.getpid()}" for o in outcomes)


class FakeClient:
    """Just enough of distributed.Client: two hosts, one of which runs two workers, one with the resource."""

    def __init__(self) -> None:
        self.active: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.kwargs: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(4)

    def get_executor(self, **kwargs: Any) -> Executor:
        assert kwargs == {"pure": False}
        client = self

        class Pinned(Executor):
            def submit(self, fn: Callable[..., Any], /, *args: Any, **kw: Any) -> Future[Any]:
                client.kwargs.append(kw)
                return client.pool.submit(client.run_on, kw["workers"][0], fn, *args)

        return Pinned()

    def run_on(self, host: str, fn: Callable[..., Any], *args: Any) -> Any:
        with self.lock:
            self.active[host] = self.active.get(host, 0) + 1
            self.peak[host] = max(self.peak.get(host, 0), self.active[host])
        time.sleep(0.05)
        with self.lock:
            self.active[host] -= 1
        return fn(*args)

    def scheduler_info(self, n_workers: int = 5) -> dict[str, Any]:
        return {
            "address": "tcp://10.0.0.9:8786",
            "workers": {
                "tcp://10.0.0.1:4001": {"host": "10.0.0.1", "resources": {"benchmark": 1}},
                "tcp://10.0.0.1:4002": {"host": "10.0.0.1", "resources": {}},
                "tcp://10.0.0.2:4001": {"host": "10.0.0.2"},
            },
        }


def test_on_a_cluster_exclusive_jobs_run_one_per_host_pinned_there() -> None:
    client = FakeClient()
    pool = DaskPool(client, owns_client=False)
    slots = exclusive_slots(pool)
    assert slots is not None and [s.host for s in slots] == ["10.0.0.1", "10.0.0.2"]
    assert slots[0].submit_kwargs == {
        "workers": ["10.0.0.1"],
        "allow_other_workers": False,
        "resources": {"benchmark": 1},
    }
    assert "resources" not in slots[1].submit_kwargs
    outcomes = run_jobs(square, range(8), pool, exclusive=True)
    client.pool.shutdown()
    assert [o.value for o in outcomes] == [k * k for k in range(8)]
    assert client.peak == {"10.0.0.1": 1, "10.0.0.2": 1}, "never two benchmarks on one host at once"
    assert {tuple(kw["workers"]) for kw in client.kwargs} == {("10.0.0.1",), ("10.0.0.2",)}


# --------------------------------------------------------------------------------------------
# make_executor


def test_make_executor_defaults_to_a_local_pool_sized_to_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    with make_executor() as pool:
        assert isinstance(pool, LocalPool) and pool.workers == available_cpus()
    with make_executor(workers=3) as pool:
        assert isinstance(pool, LocalPool) and pool.workers == 3 and pool.threads >= 1


@pytest.mark.parametrize(
    ("workers", "scheduler", "message"),
    [
        (0, None, "--workers must be at least 1"),
        (2, "tcp://h:8786", "give one of them"),
        (None, " ", "needs an address"),
    ],
)
def test_make_executor_refuses_contradictions_in_one_line(
    workers: int | None, scheduler: str | None, message: str
) -> None:
    with pytest.raises(UsageError, match=message) as info:
        make_executor(workers, scheduler)
    assert "\n" not in str(info.value)


def test_the_environment_names_the_scheduler_unless_workers_are_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(
        executors_module.DaskPool,
        "connect",
        classmethod(lambda cls, address, timeout, source: asked.append(address)),
    )
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://cluster:8786")
    make_executor()
    assert asked == ["tcp://cluster:8786"]
    with make_executor(workers=1) as pool:
        assert isinstance(pool, LocalPool)
    make_executor(scheduler="tcp://other:8786")
    assert asked == ["tcp://cluster:8786", "tcp://other:8786"]


# --------------------------------------------------------------------------------------------
# The real local process pool (spawned workers; a few seconds)


def test_the_local_pool_uses_all_its_workers_and_survives_a_killed_worker(tmp_path: Path) -> None:
    with LocalPool(2, threads=1) as pool:
        pids = {o.value for o in run_jobs(pid_of, [0.3] * 4, pool)}
        work = [FlakyJob(k, str(tmp_path / "b"), "exit-once" if k == 2 else "ok", 0.2) for k in range(6)]
        (tmp_path / "b").mkdir()
        outcomes = run_jobs(flaky, work, pool)
    assert len(pids) == 2 and os.getpid() not in pids
    assert [o.value for o in outcomes] == [k * k for k in range(6)], "no result lost to the dead worker"
    assert outcomes[2].ok and outcomes[2].attempts == 2 and outcomes[2].errors[0].startswith("worker died")
    assert pool.restarts >= 1


def test_the_local_pool_reports_a_job_that_always_kills_its_worker(tmp_path: Path) -> None:
    work = [FlakyJob(k, str(tmp_path), "exit-always" if k == 1 else "ok") for k in range(4)]
    with LocalPool(2, threads=1) as pool:
        outcomes = run_jobs(flaky, work, pool)
    assert outcomes[1].status == "failed" and outcomes[1].error is not None
    assert outcomes[1].error.startswith("worker died")
    assert [o.value for k, o in enumerate(outcomes) if k != 1] == [0, 4, 9]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_stops_the_local_workers(tmp_path: Path) -> None:
    work = [FlakyJob(k, str(tmp_path), "ok", 60.0) for k in range(4)]

    def interrupt_once_running() -> None:
        while len(list(tmp_path.glob("job*"))) < 2:  # both workers are inside a job
            time.sleep(0.05)
        ctrl_c()

    threading.Thread(target=interrupt_once_running, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), LocalPool(2, threads=1) as pool:
        run_jobs(flaky, work, pool)
    assert time.monotonic() - started < 40
    pids = [int(p.read_text()) for p in tmp_path.glob("job*")]
    assert pids, "the jobs had started"
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids), "no worker keeps running after Ctrl-C"


# --------------------------------------------------------------------------------------------
# The command-line flags


def parse(argv: list[str], workers: bool = True) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_scaleout_arguments(parser, workers=workers)
    return parser.parse_args(argv)


def test_one_worker_means_this_process_and_more_mean_a_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(SCHEDULER_ENV, raising=False)
    assert executor_from_args(parse(["--workers", "1"])) is None
    assert executor_from_args(parse([], workers=False)) is None, "exclusive jobs without a cluster run here"
    with executor_from_args(parse(["--workers", "2"])) as pool:  # type: ignore[union-attr]
        assert isinstance(pool, LocalPool) and pool.workers == 2
    monkeypatch.setattr(options_module, "available_cpus", lambda: 1)
    assert executor_from_args(parse([])) is None, "a one-CPU machine runs jobs here by default"
    assert executor_from_args(parse([], workers=False)) is None
    with pytest.raises(UsageError, match="at least 1"):
        executor_from_args(parse(["--workers", "0"]))


def test_the_scheduler_flag_and_variable_reach_dask(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    monkeypatch.setattr(
        executors_module.DaskPool,
        "connect",
        classmethod(lambda cls, address, timeout, source: asked.append(address)),
    )
    monkeypatch.setenv(SCHEDULER_ENV, "tcp://env:8786")
    executor_from_args(parse([], workers=False))
    executor_from_args(parse(["--scheduler", "tcp://flag:8786"]))
    assert asked == ["tcp://env:8786", "tcp://flag:8786"]
