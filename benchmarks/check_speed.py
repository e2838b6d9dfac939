"""Wall time of ``lstm-bench check`` per implementation and profile, against the targets.

Targets (issue 3): quick <= 15 s and default <= 60 s for one implementation on this 2-core CPU.
Each run is the console command as a user types it (Python start-up and imports included).

Usage: python benchmarks/check_speed.py [--profile quick --profile default] [--impl SPEC ...]
Run it alone on the machine (flock /tmp/lstm-bench-measure.lock ...).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

TARGETS = {"quick": 15.0, "default": 60.0, "thorough": float("inf")}
DEFAULT_IMPLS = (
    ("torch.nn:LSTM", None),
    ("torch.nn:GRU", None),
    ("torch.nn:RNN", "rnn-relu"),
    ("lstm_bench.reference:LSTM", None),
    ("broken.handwritten:HandWrittenLSTM", "lstm"),  # a custom autograd.Function: the slowest kind of impl
)
IMPLS_DIR = Path(__file__).parent.parent / "tests" / "impls"


def run_check(spec: str, kind: str | None, profile: str) -> tuple[float, int]:
    """Seconds and exit code of one ``lstm-bench check`` run."""
    argv = [sys.executable, "-m", "lstm_bench", "check", "--impl", spec, "--profile", profile]
    if kind:
        argv += ["--kind", kind]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(IMPLS_DIR), os.environ.get("PYTHONPATH", "")])}
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - start, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--profile", action="append", choices=tuple(TARGETS), help="default: quick and default"
    )
    parser.add_argument("--impl", action="append", help="spec to time (default: five representative ones)")
    args = parser.parse_args()
    profiles = args.profile or ["quick", "default"]
    impls = [(spec, None) for spec in args.impl] if args.impl else list(DEFAULT_IMPLS)
    print(f"{'implementation':<40} {'profile':<8} {'seconds':>8}  {'target':>7}  exit")
    for spec, kind in impls:
        for profile in profiles:
            seconds, code = run_check(spec, kind, profile)
            label = spec + (f" ({kind})" if kind else "")
            verdict = "ok" if seconds <= TARGETS[profile] else "SLOW"
            print(
                f"{label:<40} {profile:<8} {seconds:8.1f}  {TARGETS[profile]:>6.0f}s  {code}  {verdict}",
                flush=True,
            )


if __name__ == "__main__":
    main()
