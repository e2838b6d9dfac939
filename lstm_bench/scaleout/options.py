"""The command-line face of scale-out: ``--workers N`` and ``--scheduler ADDR``, shared by every command that has them."""

from __future__ import annotations

import argparse
from concurrent.futures import Executor

from lstm_bench.errors import UsageError
from lstm_bench.scaleout.executors import SCHEDULER_ENV, available_cpus, make_executor, scheduler_address

__all__ = ["add_scaleout_arguments", "executor_from_args"]


def add_scaleout_arguments(parser: argparse.ArgumentParser, workers: bool = True) -> None:
    """Add ``--scheduler`` (and ``--workers`` unless the command's jobs must run alone on a machine)."""
    if workers:
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            metavar="N",
            help="worker processes on this machine (default: one per CPU; 1 runs every job in this process)",
        )
    parser.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDR",
        help=f"run the jobs on the Dask cluster whose scheduler is at ADDR, e.g. tcp://HOST:8786 "
        f"(default ${SCHEDULER_ENV}; needs pip install 'lstm-bench[dask]')",
    )


def executor_from_args(args: argparse.Namespace, connect_timeout: float = 10.0) -> Executor | None:
    """The executor the flags ask for, or None to run every job in this process.

    Here means: ``--workers 1``, a one-CPU machine, or a command without ``--workers`` (its jobs
    must run alone on a machine) and no scheduler.
    """
    local_pool = hasattr(args, "workers")
    workers: int | None = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    if scheduler_address(args.scheduler, workers) is None and (
        not local_pool or (workers or available_cpus()) == 1
    ):
        return None
    return make_executor(workers, args.scheduler, connect_timeout)
