"""Scale-out: run a sweep's independent jobs on a local process pool or a Dask cluster.

Modules, one job each: ``executors`` (where jobs run: ``make_executor`` gives a spawn process
pool sized to the machine, or a ``distributed`` cluster's executor for ``--scheduler`` /
``$LSTM_BENCH_SCHEDULER``; which slots may run exclusive jobs) and ``runner`` (``run_jobs``:
submit, retry failed jobs and jobs whose worker died, cancel on Ctrl-C, aggregate progress)
and ``options`` (the ``--workers`` / ``--scheduler`` flags and the executor they ask for).
Dask is the optional extra ``lstm-bench[dask]``, imported only when a scheduler is named.
"""

from __future__ import annotations

from lstm_bench.progress import RunProgress
from lstm_bench.scaleout.executors import SCHEDULER_ENV, DaskPool, LocalPool, make_executor
from lstm_bench.scaleout.options import add_scaleout_arguments, executor_from_args
from lstm_bench.scaleout.runner import JobOutcome, run_jobs

__all__ = [
    "SCHEDULER_ENV",
    "DaskPool",
    "JobOutcome",
    "LocalPool",
    "RunProgress",
    "add_scaleout_arguments",
    "executor_from_args",
    "make_executor",
    "run_jobs",
]
