"""Picklable jobs for the scale-out tests (module-level, importable by spawned and Dask workers)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from lstm_bench.scaleout.runner import without_run_details as comparable  # noqa: F401  (re-exported for the tests)

Mode = Literal["ok", "raise-once", "raise-always", "exit-once", "exit-always"]


@dataclass(frozen=True)
class FlakyJob:
    """Returns ``value ** 2`` after ``sleep`` seconds, misbehaving as ``mode`` says.

    Attempts are counted in ``marker_dir`` (files survive the worker that wrote them), so
    "once" means "on the first attempt only" across processes and hosts.
    """

    value: int
    marker_dir: str
    mode: Mode = "ok"
    sleep: float = 0.0


def attempts_so_far(job: FlakyJob) -> int:
    """How many attempts of ``job`` have started (counted by marker files)."""
    return len(list(Path(job.marker_dir).glob(f"job{job.value}-*")))


def flaky(job: FlakyJob) -> int:
    """The job function: mark the attempt, then sleep, raise, kill the worker, or return."""
    attempt = attempts_so_far(job) + 1
    Path(job.marker_dir, f"job{job.value}-{attempt}").write_text(str(os.getpid()))
    if job.mode.startswith("exit") and (job.mode == "exit-always" or attempt == 1):
        time.sleep(job.sleep / 2)
        os._exit(17)  # the worker process dies, as if killed (no exception, no cleanup)
    time.sleep(job.sleep)
    if job.mode.startswith("raise") and (job.mode == "raise-always" or attempt == 1):
        raise RuntimeError(f"job {job.value} failed on attempt {attempt}")
    return job.value**2


def pid_of(seconds: float) -> int:
    """The worker's process id, after ``seconds`` of sleep (so that every worker gets a job)."""
    time.sleep(seconds)
    return os.getpid()
