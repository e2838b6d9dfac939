"""Do sweeps reproduce under load, and how long does ``lstm-bench run`` take? (issue 12, item 3)

Targets: the same seed and profile give identical accuracies and verdicts whatever the load
(training budgets are optimizer steps, one torch thread per job); ``run --profile quick`` takes
at most 90 s and ``run --profile default`` at most 5 minutes on a quiet 2-core machine; quick's
longest recall horizon separates the chrono LSTM from the tanh RNN.

What runs: ``lstm-bench run --profile P`` in a subprocess, first quietly, then beside a second
process doing GEMMs on 2 threads (``ratio_under_load.gemm_load``). Both runs' stability
sections are compared after dropping what legitimately differs (wall times, hosts:
``scaleout.runner.without_run_details``): they must be equal. Prints the wall time of the quiet
run against the profile's target, the longest horizons, and PASS / FAIL (exit 0 / 1).
Run it alone on the machine::

    flock /tmp/lstm-bench-measure.lock python benchmarks/sweep_reproducibility.py --profile quick    # ~3 min
    flock /tmp/lstm-bench-measure.lock python benchmarks/sweep_reproducibility.py --profile default  # ~12 min

``--tiny`` replaces the run by a two-model, 40-step sweep in this process (seconds; for tests).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ratio_under_load import gemm_load

from lstm_bench.bench.load import machine_load
from lstm_bench.scaleout.runner import without_run_details

TARGET_S = {"quick": 90.0, "default": 300.0}


def run_command(profile: str) -> tuple[dict[str, Any], float]:
    """``lstm-bench run --profile PROFILE`` in a subprocess: its stability section and wall seconds."""
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        command = [
            sys.executable,
            "-m",
            "lstm_bench",
            "run",
            "--profile",
            profile,
            "--device",
            "cpu",
            "--out",
            out,
        ]
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL)
        seconds = time.perf_counter() - started
        results = json.loads((Path(out) / "latest" / "results.json").read_text())
    return results["stability"], seconds


def tiny_sweep() -> tuple[dict[str, Any], float]:
    """A two-model, 40-step sweep here: the same code path as the run's phase, in seconds."""
    from lstm_bench.kinds import Kind
    from lstm_bench.stability.models import ModelSpec
    from lstm_bench.stability.sweep import SweepPlan, SweepSize, run_sweep

    models = (ModelSpec(Kind.RNN_TANH, "default", 8), ModelSpec(Kind.LSTM, "chrono", 8))
    profile = SweepSize("tiny", (4, 8), seeds=1, max_seconds=600, max_steps=40, diagnostic_horizons=(6,))
    started = time.perf_counter()
    plan = SweepPlan.create(models, ("recall",), profile, seed=1, eval_every=5, eval_batch=64, probe_batch=4)
    return run_sweep(plan).to_dict(), time.perf_counter() - started


def longest(stability: dict[str, Any]) -> dict[str, Any]:
    """Model label -> longest recall horizon (and 'timed out at' when a horizon hit the safety cap)."""
    return {
        g["model"]: g["longest_horizon"]
        if g.get("timed_out_at") is None
        else f"timed out at {g['timed_out_at']}"
        for g in stability["summary"]
        if g["task"] == "recall"
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="sweep reproducibility under load, and run's wall time")
    parser.add_argument("--profile", default="quick", choices=("quick", "default", "full"))
    parser.add_argument("--tiny", action="store_true", help="a tiny sweep in this process instead of run")
    parser.add_argument("--load-threads", type=int, default=2)
    args = parser.parse_args(argv)
    measure = tiny_sweep if args.tiny else (lambda: run_command(args.profile))
    print(f"quiet run (load average {machine_load().load_average})", file=sys.stderr)
    quiet, quiet_s = measure()
    with gemm_load(args.load_threads, seconds=3600.0):
        print(f"run beside a {args.load_threads}-thread GEMM load", file=sys.stderr)
        loaded, loaded_s = measure()
    same = without_run_details(quiet) == without_run_details(loaded)
    print(f"wall time: quiet {quiet_s:.1f} s, beside the load {loaded_s:.1f} s")
    print(f"longest recall horizon, quiet:  {longest(quiet)}")
    print(f"longest recall horizon, loaded: {longest(loaded)}")
    print(f"stability sections identical (times and hosts aside): {same}")
    ok = same
    target = None if args.tiny else TARGET_S.get(args.profile)
    if target is not None:
        print(
            f"quiet wall time {quiet_s:.1f} s against the target {target:.0f} s: {'ok' if quiet_s <= target else 'FAIL'}"
        )
        ok = ok and quiet_s <= target
    if args.profile == "quick" and not args.tiny:
        horizons = {
            k: v if isinstance(v, int) else 0 for k, v in longest(quiet).items()
        }  # none, timed out: 0
        separated = horizons.get("LSTM (chrono)", 0) > horizons.get("tanh RNN", 0)
        print(f"chrono LSTM's longest horizon beyond the tanh RNN's: {separated}")
        ok = ok and separated
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
