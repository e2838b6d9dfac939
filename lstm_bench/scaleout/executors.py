"""Where jobs run: a local process pool by default, a Dask cluster when a scheduler address is given.

``make_executor(workers, scheduler)`` returns a ``concurrent.futures.Executor``:

* :class:`LocalPool`: ``workers`` spawned processes (default: the CPUs this process may use).
  ``spawn``, not ``fork``: forking a process whose torch already started OpenMP threads can
  deadlock. Each worker ignores SIGINT (Ctrl-C is the parent's business: on an interrupt the
  pool's context manager terminates the workers, so none keeps training) and starts with
  ``OMP_NUM_THREADS = max(1, cpus // workers)`` so the workers do not oversubscribe the cores.
  When a worker dies the pool is replaced on the next ``submit``; the jobs that were in flight
  fail with ``BrokenProcessPool``, which ``run_jobs`` retries.
* :class:`DaskPool`: ``distributed.Client(address).get_executor()`` (the optional extra
  ``lstm-bench[dask]``, imported only here), with ``pure=False`` so that a retried job is a new
  task rather than the erred one again. The address comes from ``scheduler`` or, when that is
  None and ``workers`` is not given, from ``$LSTM_BENCH_SCHEDULER``.

Benchmarks must never share a machine with other work (timings interfere); ``exclusive_slots``
says where an exclusive job may run: one slot per host of a Dask cluster, and no slot at all
for a local pool, where ``run_jobs`` runs exclusive jobs one by one in this process.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ParamSpec, TypeVar

from lstm_bench.errors import UsageError

__all__ = [
    "BENCHMARK_RESOURCE",
    "SCHEDULER_ENV",
    "DaskPool",
    "LocalPool",
    "Slot",
    "available_cpus",
    "exclusive_slots",
    "executor_capacity",
    "make_executor",
    "scheduler_address",
]

SCHEDULER_ENV = "LSTM_BENCH_SCHEDULER"
#: Worker resource an operator may give one worker per host (``dask worker --resources benchmark=1``).
BENCHMARK_RESOURCE = "benchmark"

P = ParamSpec("P")
R = TypeVar("R")


def available_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


def scheduler_address(scheduler: str | None, workers: int | None) -> str | None:
    """The Dask scheduler to use: ``scheduler``, else ``$LSTM_BENCH_SCHEDULER`` unless ``workers`` asks for a local pool."""
    if scheduler is not None and workers is not None:
        raise UsageError(
            "--workers sizes the local process pool and --scheduler sends jobs to a Dask cluster: give one of them"
        )
    if scheduler is not None:
        address = scheduler.strip()
        if not address:
            raise UsageError("--scheduler needs an address such as tcp://HOST:8786")
        return address
    if workers is not None:
        return None
    return os.environ.get(SCHEDULER_ENV, "").strip() or None


def make_executor(
    workers: int | None = None, scheduler: str | None = None, connect_timeout: float = 10.0
) -> Executor:
    """A local process pool of ``workers`` (default: all CPUs), or a Dask cluster's executor (see the module docstring)."""
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    address = scheduler_address(scheduler, workers)
    if address is not None:
        source = "--scheduler" if scheduler is not None else f"${SCHEDULER_ENV}"
        return DaskPool.connect(address, connect_timeout, source)
    return LocalPool(workers if workers is not None else available_cpus())


def executor_capacity(executor: Executor) -> int | None:
    """How many jobs the executor runs at once, when it is a local pool; None when it schedules for itself."""
    if isinstance(executor, LocalPool):
        return executor.workers
    if isinstance(executor, ProcessPoolExecutor):
        return int(executor._max_workers)  # type: ignore[attr-defined]  # private in the stdlib
    return None


@dataclass(frozen=True)
class Slot:
    """A place where one exclusive job may run: a ``host`` and the keyword arguments that pin a task there."""

    host: str
    submit_kwargs: dict[str, Any] = field(default_factory=dict)


def exclusive_slots(executor: Executor) -> list[Slot] | None:
    """One slot per host of a Dask cluster; None for any other executor (run exclusive jobs in this process)."""
    if isinstance(executor, DaskPool):
        return executor.exclusive_slots()
    return None


# --------------------------------------------------------------------------------------------
# Local process pool


def _init_worker(threads: int) -> None:
    """Runs first in every worker: leave Ctrl-C to the parent, and cap the threads of torch (not yet imported)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ["OMP_NUM_THREADS"] = str(threads)


@contextmanager
def _sigint_ignored() -> Iterator[None]:
    """Ignore SIGINT while workers are spawned, so they inherit the ignored signal from their first instruction."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class LocalPool(Executor):
    """``workers`` spawned processes that replace themselves after a worker died (see the module docstring)."""

    def __init__(self, workers: int, threads: int | None = None) -> None:
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        self.workers = workers
        self.threads = threads if threads is not None else max(available_cpus() // workers, 1)
        self.restarts = 0  # pools replaced after a worker died
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        import multiprocessing

        return ProcessPoolExecutor(
            self.workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(self.threads,),
        )

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        """Submit to the pool, replacing it first if a worker died since the last submit."""
        with _sigint_ignored():  # the pool spawns its workers lazily, inside submit
            try:
                return self._pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
                self.restarts += 1
                return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Stop accepting jobs; with ``wait`` let running jobs finish, else leave them (see ``terminate``)."""
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def terminate(self) -> None:
        """Cancel queued jobs and stop the workers now (Ctrl-C): running jobs are abandoned."""
        # The stdlib has no public way to stop running workers before Python 3.14.
        processes = list(self._pool._processes.values()) if self._pool._processes else []
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=5)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        if exc_type is None:
            self.shutdown(wait=True)
        else:
            self.terminate()
        return None

    def describe(self) -> str:
        """One line for logs: 'local process pool, 2 workers x 1 thread'."""
        plural = "s" if self.workers != 1 else ""
        return f"local process pool, {self.workers} worker{plural} x {self.threads} thread{'s' if self.threads != 1 else ''}"


# --------------------------------------------------------------------------------------------
# Dask distributed


class DaskPool(Executor):
    """The executor of a ``distributed.Client``; shutting it down closes the client it owns."""

    def __init__(self, client: Any, owns_client: bool = True) -> None:
        self.client = client
        self._owns_client = owns_client
        self._executor: Executor = client.get_executor(pure=False)

    @classmethod
    def connect(cls, address: str, timeout: float = 10.0, source: str = "--scheduler") -> DaskPool:
        """Connect to the scheduler at ``address`` (named by ``source``); unreachable or malformed: a UsageError."""
        try:
            from distributed import Client
        except ImportError:
            raise UsageError(
                f"{source} {address}: Dask is not installed; install the extra with: pip install 'lstm-bench[dask]'"
            ) from None
        try:
            client = Client(address, timeout=timeout, set_as_default=False)  # type: ignore[no-untyped-call]
        except Exception as exc:  # OSError (unreachable), ValueError/TypeError (malformed address)
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            fix = (
                f"unset {SCHEDULER_ENV} to run here"
                if source != "--scheduler"
                else "is `dask scheduler` running there?"
            )
            raise UsageError(f"{source} {address}: no Dask scheduler answered ({reason}); {fix}") from None
        return cls(client)

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        """Submit ``fn(*args)`` as a Dask task; ``kwargs`` are Dask's (``workers``, ``resources``, ...)."""
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Wait for (or cancel) this executor's tasks, then close the client if this pool opened it."""
        try:
            self._executor.shutdown(wait=wait and not cancel_futures)
        finally:
            if self._owns_client:
                self.client.close()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        self.shutdown(wait=exc_type is None, cancel_futures=exc_type is not None)
        return None

    def workers(self) -> dict[str, dict[str, Any]]:
        """The scheduler's view of its workers: address -> {"host", "nthreads", "resources", ...}."""
        return dict(self.client.scheduler_info(n_workers=-1)["workers"])

    def exclusive_slots(self) -> list[Slot]:
        """One slot per host (waiting for a first worker if there is none yet).

        A task pinned to a host (``workers=[host]``, no other workers allowed) runs on one of
        that host's workers; ``run_jobs`` keeps at most one exclusive job in flight per slot, so
        no two benchmarks share a machine even when a host runs several workers. Where a
        host's workers advertise the ``benchmark`` resource the task also asks for it, so the
        workers' own accounting keeps other clients' benchmarks off them too.
        """
        workers = self.workers()
        if not workers:
            self.client.wait_for_workers(1)
            workers = self.workers()
        hosts: dict[str, bool] = {}
        for info in workers.values():
            host = str(info["host"])
            hosts[host] = hosts.get(host, False) or BENCHMARK_RESOURCE in (info.get("resources") or {})
        slots = []
        for host, has_resource in sorted(hosts.items()):
            kwargs: dict[str, Any] = {"workers": [host], "allow_other_workers": False}
            if has_resource:
                kwargs["resources"] = {BENCHMARK_RESOURCE: 1}
            slots.append(Slot(host, kwargs))
        return slots

    def describe(self) -> str:
        """One line for logs: 'Dask scheduler tcp://...:8786, 4 workers on 2 hosts'."""
        info = self.client.scheduler_info(n_workers=-1)
        hosts = {worker["host"] for worker in info["workers"].values()}
        workers = len(info["workers"])
        return (
            f"Dask scheduler {info.get('address', '?')}, {workers} worker{'s' if workers != 1 else ''} "
            f"on {len(hosts)} host{'s' if len(hosts) != 1 else ''}"
        )


def worker_identity() -> tuple[str, str]:
    """(host name, worker) of the process running now: a Dask worker's address, else 'pid N'."""
    host = socket.gethostname()
    if "distributed" in sys.modules:  # only a Dask worker has it loaded; never import it here
        try:
            from distributed import get_worker

            return host, str(get_worker().address)
        except ValueError:  # distributed is loaded, but this is not a worker
            pass
    return host, f"pid {os.getpid()}"
