"""Run independent jobs on the machine's cores, with progress events flowing back to the parent.

``run_jobs(fn, items, workers, on_event)`` calls ``fn(item, emit)`` for every item and returns the
results in item order. ``emit(event)`` sends a small picklable event (e.g. "check X finished")
to ``on_event`` in the parent, which is where the progress line lives.

With one worker everything runs in this process. With more, a ``spawn`` pool is used (fresh
interpreters: forking a process that already ran torch's OpenMP threads can deadlock), each
worker limited to ``threads`` torch threads so the workers do not oversubscribe the cores, and
ignoring SIGINT: on Ctrl-C the parent terminates the pool, so no orphan keeps running and no
worker prints a traceback.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import queue as queue_module
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["Emit", "process_executor", "run_jobs"]

T = TypeVar("T")
R = TypeVar("R")
Emit = Callable[[Any], None]

_events: Any = None  # the worker's end of the event queue (set by _init_worker)


def _init_worker(events: Any, threads: int) -> None:
    global _events
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _events = events
    import torch

    torch.set_num_threads(threads)


def _call(fn: Callable[[Any, Emit], Any], item: Any) -> Any:
    return fn(item, _events.put)


def _drain(events: Any, on_event: Callable[[Any], None] | None) -> None:
    while True:
        try:
            event = events.get_nowait()
        except queue_module.Empty:
            return
        if on_event is not None:
            on_event(event)


def run_jobs(
    fn: Callable[[T, Emit], R],
    items: Sequence[T],
    workers: int = 1,
    on_event: Callable[[Any], None] | None = None,
    threads: int = 1,
) -> list[R]:
    """``[fn(item, emit) for item in items]``, on up to ``workers`` processes; ``fn`` must be a module-level function."""
    emit: Emit = on_event if on_event is not None else (lambda event: None)
    if workers <= 1 or len(items) <= 1:
        return [fn(item, emit) for item in items]
    context = mp.get_context("spawn")
    events = context.Queue()
    # Workers inherit an ignored SIGINT across exec, so a Ctrl-C that reaches the whole process
    # group while they are still starting cannot make them print tracebacks.
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        pool = context.Pool(min(workers, len(items)), initializer=_init_worker, initargs=(events, threads))
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        pending = [pool.apply_async(_call, (fn, item)) for item in items]
        while True:
            _drain(events, on_event)
            unfinished = [job for job in pending if not job.ready()]
            if not unfinished:
                break
            unfinished[0].wait(0.1)
        results = [job.get() for job in pending]  # re-raises a worker's exception here
        pool.close()
        pool.join()  # workers exit, flushing their queued events
        _drain(events, on_event)
    except BaseException:
        pool.terminate()
        pool.join()
        raise
    return results


def _init_executor_worker(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _noop(_: int) -> None:
    return None


@contextlib.contextmanager
def process_executor(workers: int, threads: int = 1) -> Iterator[Executor]:
    """A ``spawn`` process pool for libraries that take a ``concurrent.futures.Executor``.

    Every worker is started at once, while SIGINT is ignored here, so the workers inherit an
    ignored SIGINT (a Ctrl-C reaches only this process). Leaving the block normally waits for
    the pool; leaving it by an exception (Ctrl-C included) terminates the workers at once.
    """
    context = mp.get_context("spawn")
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        executor = ProcessPoolExecutor(
            workers, mp_context=context, initializer=_init_executor_worker, initargs=(threads,)
        )
        for future in [
            executor.submit(_noop, i) for i in range(workers)
        ]:  # spawns one worker per pending task
            future.result()
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        yield executor
    except BaseException:
        processes = list(getattr(executor, "_processes", {}).values())  # no public way to stop running work
        executor.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()
        raise
    executor.shutdown(wait=True)
