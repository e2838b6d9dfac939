"""Wall time of a stability sweep on a local process pool of 1 vs 2 workers (issue 8: expect near 2x on 2 cores).

The sweep is ``stability.sweep.run_sweep`` on the built-in models, first-symbol recall,
horizons 10, 20, 40 and 2 seeds, with a *step* budget (``--steps``) and a wall budget far out of
reach: every job then does the same work whatever the load, so the wall time measures
throughput, and the two runs must give identical results (checked: training curves, losses,
accuracies; wall times excluded). The wall time includes starting the workers (spawn, import
torch): a real sweep pays it too. Each worker runs 1 torch thread.

Usage: python benchmarks/scaleout_speedup.py [--workers 1,2] [--steps 600]
Run it alone on the machine: flock /tmp/lstm-bench-measure.lock python benchmarks/scaleout_speedup.py
"""

from __future__ import annotations

import argparse
import os
import time

from lstm_bench.scaleout import LocalPool
from lstm_bench.scaleout.runner import without_run_details as comparable
from lstm_bench.stability.result import StabilityReport
from lstm_bench.stability.sweep import SweepPlan, SweepSize, builtin_models


def plan(steps: int) -> SweepPlan:
    profile = SweepSize(
        "speedup", (10, 20, 40), seeds=2, max_seconds=3600.0, max_steps=steps, diagnostic_horizons=(10, 40)
    )
    return SweepPlan.create(builtin_models(), ["recall"], profile, threads=1)


def timed_sweep(workers: int, steps: int) -> tuple[float, StabilityReport]:
    """Seconds of one sweep on a fresh pool of ``workers`` (worker start-up included)."""
    from lstm_bench.stability.sweep import run_sweep

    started = time.perf_counter()
    with LocalPool(workers, threads=1) as pool:
        report = run_sweep(plan(steps), pool)
    return time.perf_counter() - started, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    parser.add_argument("--steps", type=int, default=600, help="training steps per job (default 600)")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs", flush=True)
    walls: dict[int, float] = {}
    reports: dict[int, StabilityReport] = {}
    for workers in counts:
        walls[workers], reports[workers] = timed_sweep(workers, args.steps)
        report = reports[workers]
        train_s = sum(j.wall_seconds for j in report.jobs)
        print(
            f"{workers} worker{'s' if workers > 1 else ' '}: {walls[workers]:6.1f} s wall, "
            f"{len(report.jobs)} train jobs ({train_s:.1f} s of job time), {len(report.diagnostics)} diagnostics, "
            f"load average now {os.getloadavg()[0]:.2f}",
            flush=True,
        )
    base = counts[0]
    for workers in counts[1:]:
        same = comparable(reports[workers].to_dict()["jobs"]) == comparable(reports[base].to_dict()["jobs"])
        print(
            f"speed-up {base} -> {workers} workers: {walls[base] / walls[workers]:.2f}x; "
            f"results identical: {'yes' if same else 'NO'}"
        )


if __name__ == "__main__":
    main()
