"""Run independent jobs on any ``concurrent.futures.Executor``: retries, worker deaths, Ctrl-C and progress.

``run_jobs(fn, jobs, executor)`` calls ``fn(job)`` for every job on the executor and returns one
:class:`JobOutcome` per job, in job order, whatever the order in which they finished.

Failures. An attempt fails when ``fn`` raises, when its worker dies, or when ``failure(value)``
names a reason (for functions that report errors in their result instead of raising). A failed
attempt is retried up to ``retries`` times; then the job is recorded as failed, with one line per
failed attempt, and the run goes on: no other job is lost.

Worker deaths. A local pool whose worker dies fails *every* job in flight (``BrokenProcessPool``)
and cannot say which one killed it; Dask, once its own retries are spent (``allowed-failures``),
may fail the innocent tasks queued on the dead worker too (``KilledWorker``). So a job whose
worker died while other jobs were in flight is not charged: it is queued again to run *alone*,
and only a death while running alone counts as the job's failed attempt. An innocent job caught
in a crash therefore costs one extra run, never its result.

Exclusive jobs (benchmarks: timings on a shared machine are worthless) run at most one per host:
pinned to a host of a Dask cluster (``executors.exclusive_slots``), or, with any other executor,
one after another in this process.

Skipping. ``skip(job)`` is asked before each job is submitted and, after each outcome, for the
jobs in flight (cancelled where the executor still can): a sweep that already knows a job's
answer (say, its model failed a shorter horizon) spends no time on it. Skipped jobs get the
status 'skipped'.

Ctrl-C (or any exception in a callback) cancels every outstanding future and propagates. Progress
is reported over all jobs through ``on_progress(progress.RunProgress)``: done/total, running, retried,
failed, elapsed and ETA = elapsed / done × (total − done).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, BrokenExecutor, CancelledError, Executor, Future, wait
from dataclasses import dataclass
from typing import Any, Generic, Literal, ParamSpec, TypeVar

from lstm_bench.progress import RunProgress
from lstm_bench.scaleout.executors import Slot, exclusive_slots, executor_capacity, worker_identity

__all__ = ["Attempt", "JobOutcome", "RunProgress", "is_worker_death", "run_jobs"]

J = TypeVar("J")
R = TypeVar("R")
P = ParamSpec("P")
OutcomeStatus = Literal["ok", "failed", "skipped"]

_POLL_S = 1.0  # the longest wait before checking again (keeps Ctrl-C prompt on every platform)


@dataclass(frozen=True)
class Attempt(Generic[R]):
    """What one run of a job returned, and where and how long it ran."""

    value: R
    host: str
    worker: str
    seconds: float


class _Call(Generic[J, R]):
    """The picklable callable sent to workers: ``fn(job)`` plus the worker's identity and the wall time."""

    def __init__(self, fn: Callable[[J], R]) -> None:
        self.fn = fn

    def __call__(self, job: J) -> Attempt[R]:
        host, worker = worker_identity()
        started = time.perf_counter()
        value = self.fn(job)
        return Attempt(value, host, worker, time.perf_counter() - started)


@dataclass(frozen=True)
class JobOutcome(Generic[J, R]):
    """The fate of one job: 'ok' (with its value), 'failed' (perhaps with a failed value) or 'skipped'.

    ``errors`` holds one line per failed attempt, including a worker death that was not charged to
    the job (it had company); ``attempts`` counts every run started.
    """

    index: int
    job: J
    status: OutcomeStatus
    value: R | None
    attempts: int
    errors: tuple[str, ...] = ()
    host: str | None = None
    worker: str | None = None
    seconds: float | None = None

    @property
    def ok(self) -> bool:
        """True when the job's last attempt succeeded."""
        return self.status == "ok"

    @property
    def error(self) -> str | None:
        """Why the job failed (its last attempt's error), or None."""
        return self.errors[-1] if self.status == "failed" and self.errors else None

    def to_dict(self) -> dict[str, Any]:
        """The run's record of the job (not the job or its value, which their owners serialise)."""
        return {
            "index": self.index,
            "status": self.status,
            "attempts": self.attempts,
            "errors": list(self.errors),
            "host": self.host,
            "worker": self.worker,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], job: J, value: R | None) -> JobOutcome[J, R]:
        """Inverse of ``to_dict``, given the job and its value."""
        status: OutcomeStatus = data["status"]
        seconds = data.get("seconds")
        return cls(
            int(data["index"]),
            job,
            status,
            value,
            int(data["attempts"]),
            tuple(str(e) for e in data.get("errors", ())),
            data.get("host"),
            data.get("worker"),
            None if seconds is None else float(seconds),
        )


def is_worker_death(exc: BaseException) -> bool:
    """Whether ``exc`` says the job's worker process died (a broken local pool, or Dask's KilledWorker)."""
    if isinstance(exc, BrokenExecutor):
        return True
    kind = type(exc)
    return kind.__name__ == "KilledWorker" and kind.__module__.startswith("distributed")


def _one_line(exc: BaseException) -> str:
    """'Type: first line of the message' (a remote traceback stays in the worker's log)."""
    text = (str(exc).strip().splitlines() or [""])[0][:300]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _InProcess(Executor):
    """Runs each submitted call at once, in this process: exclusive jobs where no cluster is at hand."""

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        future: Future[R] = Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future


@dataclass
class _Flight:
    """A submitted attempt: its job, its slot (exclusive runs), and whether another job was in flight beside it."""

    index: int
    slot: Slot | None
    company: bool


class _Run(Generic[J, R]):
    """Mutable state of one ``run_jobs`` call (kept apart to keep ``run_jobs`` readable)."""

    def __init__(
        self,
        fn: Callable[[J], R],
        jobs: list[J],
        executor: Executor,
        retries: int,
        on_progress: Callable[[RunProgress], None] | None,
        on_outcome: Callable[[JobOutcome[J, R]], None] | None,
        failure: Callable[[R], str | None] | None,
        skip: Callable[[J], bool] | None,
        slots: list[Slot] | None,
        clock: Callable[[], float],
    ) -> None:
        self.call, self.jobs, self.executor, self.retries = _Call(fn), jobs, executor, retries
        self.on_progress, self.on_outcome, self.failure, self.skip = on_progress, on_outcome, failure, skip
        self.slots, self.clock, self.started_at = slots, clock, clock()
        self.capacity = 1 if isinstance(executor, _InProcess) else executor_capacity(executor)
        self.pending: deque[int] = deque(range(len(jobs)))
        self.alone: set[int] = set()  # jobs to run with nothing else in flight (after a crash in company)
        self.flight: dict[Future[Attempt[R]], _Flight] = {}
        self.started = [0] * len(jobs)
        self.charged = [0] * len(jobs)
        self.errors: list[list[str]] = [[] for _ in jobs]
        self.outcomes: list[JobOutcome[J, R] | None] = [None] * len(jobs)
        self.retried = self.failed = self.skipped = self.done = 0

    # -- the loop -----------------------------------------------------------------------------

    def run(self) -> list[JobOutcome[J, R]]:
        try:
            self.submit_ready()
            self.report()
            while self.flight:
                finished, _ = wait(self.flight, timeout=_POLL_S, return_when=FIRST_COMPLETED)
                for future in sorted(finished, key=lambda f: self.flight[f].index):
                    self.settle(future)
                if finished:
                    self.cancel_skipped()
                self.submit_ready()
                if finished:
                    self.report()
        except BaseException:
            for future in self.flight:
                future.cancel()
            raise
        assert not self.pending and all(o is not None for o in self.outcomes)
        return [o for o in self.outcomes if o is not None]

    def submit_ready(self) -> None:
        """Submit pending jobs while there is room (and nothing is in flight beside a job that must run alone)."""
        while self.pending:
            if any(f.index in self.alone for f in self.flight.values()):
                return
            index = self.pending[0]
            if self.skip is not None and self.skip(self.jobs[index]):
                self.pending.popleft()
                self.finish(index, "skipped", None)
                continue
            if index in self.alone and self.flight:
                return
            slot = self.free_slot()
            if slot is False:
                return
            self.pending.popleft()
            self.submit(index, slot)

    def cancel_skipped(self) -> None:
        """Cancel the jobs in flight that ``skip`` now rules out (those the executor can still cancel)."""
        if self.skip is None:
            return
        for future, flight in list(self.flight.items()):
            if self.skip(self.jobs[flight.index]) and future.cancel():
                del self.flight[future]
                self.finish(flight.index, "skipped", None)

    def free_slot(self) -> Slot | Literal[False] | None:
        """The slot for the next job (None: any), or False when every slot / worker is busy."""
        if self.slots is None:
            full = self.capacity is not None and len(self.flight) >= self.capacity
            return False if full else None
        busy = {f.slot.host for f in self.flight.values() if f.slot is not None}
        return next((slot for slot in self.slots if slot.host not in busy), False)

    def submit(self, index: int, slot: Slot | None) -> None:
        self.started[index] += 1
        kwargs = slot.submit_kwargs if slot is not None else {}
        try:
            future = self.executor.submit(self.call, self.jobs[index], **kwargs)
        except Exception as exc:  # unpicklable job, executor shut down, ...
            self.failed_attempt(index, f"could not submit: {_one_line(exc)}", None)
            return
        for other in self.flight.values():
            other.company = True
        self.flight[future] = _Flight(index, slot, company=bool(self.flight))

    # -- outcomes -----------------------------------------------------------------------------

    def settle(self, future: Future[Attempt[R]]) -> None:
        """Record a finished attempt: success, a charged failure, or an uncharged crash in company."""
        flight = self.flight.pop(future)
        index = flight.index
        try:
            attempt = future.result()
        except CancelledError:
            self.failed_attempt(index, "cancelled by the executor", None)
            return
        except Exception as exc:
            if is_worker_death(exc):
                reason = f"worker died ({_one_line(exc)})"
                if flight.company and index not in self.alone:
                    self.errors[index].append(f"{reason}; other jobs were running, so it runs again alone")
                    self.alone.add(index)
                    self.requeue(index)
                    return
                self.failed_attempt(index, reason, None)
            else:
                self.failed_attempt(index, _one_line(exc), None)
            return
        why = self.failure(attempt.value) if self.failure is not None else None
        if why is None:
            self.finish(index, "ok", attempt)
        else:
            self.failed_attempt(index, why, attempt)

    def failed_attempt(self, index: int, reason: str, attempt: Attempt[R] | None) -> None:
        """Charge a failed attempt: retry while retries remain, else record the job as failed."""
        self.errors[index].append(reason)
        self.charged[index] += 1
        if self.charged[index] <= self.retries:
            self.requeue(index)
        else:
            self.finish(index, "failed", attempt)

    def requeue(self, index: int) -> None:
        self.pending.appendleft(index)  # retries first: the sweep's tail is not one lone retry
        self.retried += 1

    def finish(self, index: int, status: OutcomeStatus, attempt: Attempt[R] | None) -> None:
        outcome: JobOutcome[J, R] = JobOutcome(
            index,
            self.jobs[index],
            status,
            None if attempt is None else attempt.value,
            self.started[index],
            tuple(self.errors[index]),
            None if attempt is None else attempt.host,
            None if attempt is None else attempt.worker,
            None if attempt is None else attempt.seconds,
        )
        self.outcomes[index] = outcome
        self.done += 1
        self.failed += status == "failed"
        self.skipped += status == "skipped"
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def report(self) -> None:
        if self.on_progress is not None:
            self.on_progress(
                RunProgress(
                    len(self.jobs),
                    self.done,
                    len(self.flight),
                    self.retried,
                    self.failed,
                    self.clock() - self.started_at,
                    self.skipped,
                )
            )


def run_jobs(
    fn: Callable[[J], R],
    jobs: Iterable[J],
    executor: Executor,
    retries: int = 1,
    on_progress: Callable[[RunProgress], None] | None = None,
    *,
    exclusive: bool = False,
    failure: Callable[[R], str | None] | None = None,
    skip: Callable[[J], bool] | None = None,
    on_outcome: Callable[[JobOutcome[J, R]], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> list[JobOutcome[J, R]]:
    """Run ``fn(job)`` for every job on ``executor``; one outcome per job, in job order (see the module docstring).

    ``fn`` and the jobs must be picklable (a module-level function and plain data) for process
    pools and clusters. ``failure(value)`` returns why a returned value is a failed attempt, or
    None; ``skip(job)`` True leaves a job out (see the module docstring); ``on_outcome`` sees each
    job's outcome as soon as it is final (to save partial results, or to decide what to skip).
    """
    if retries < 0:
        raise ValueError(f"retries must be >= 0, got {retries}")
    slots = exclusive_slots(executor) if exclusive else None
    if exclusive and slots is None:
        executor = _InProcess()
    return _Run(fn, list(jobs), executor, retries, on_progress, on_outcome, failure, skip, slots, clock).run()


def without_run_details(data: Any) -> Any:
    """A results dict without what legitimately differs between runs of the same jobs: wall times and hosts.

    Two runs of one sweep with the same seeds, on any executors, must be equal after this.
    """
    if isinstance(data, dict):
        return {
            k: without_run_details(v)
            for k, v in data.items()
            if "seconds" not in k and k not in ("host", "worker")
        }
    if isinstance(data, list | tuple):
        return [without_run_details(v) for v in data]
    return data
