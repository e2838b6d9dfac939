"""Wall time of ``lstm-bench check`` per implementation and profile, against the targets.

Targets (issue 13, with the whole-contract checks): quick <= 20 s and default <= 90 s for
``check --impl torch.nn:LSTM`` on this 2-core CPU (issue 3's were 15 s and 60 s before the
contract family). Each run is the console command as a user types it (Python start-up and
imports included); ``--breakdown`` also prints the seconds per check family (from ``--json``).

Usage: python benchmarks/check_speed.py [--profile quick --profile default] [--impl SPEC ...] [--breakdown]
Run it alone on the machine (flock /tmp/lstm-bench-measure.lock ...).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"quick": 20.0, "default": 90.0, "thorough": float("inf")}
DEFAULT_IMPLS = (
    ("torch.nn:LSTM", None),
    ("torch.nn:GRU", None),
    ("torch.nn:RNN", "rnn-relu"),
    ("lstm_bench.reference:LSTM", None),
    ("broken.handwritten:HandWrittenLSTM", "lstm"),  # a custom autograd.Function: the slowest kind of impl
)
IMPLS_DIR = Path(__file__).parent.parent / "tests" / "impls"


def run_check(spec: str, kind: str | None, profile: str, document: Path | None = None) -> tuple[float, int]:
    """Seconds and exit code of one ``lstm-bench check`` run (writing its results to ``document``)."""
    argv = [sys.executable, "-m", "lstm_bench", "check", "--impl", spec, "--profile", profile]
    if kind:
        argv += ["--kind", kind]
    if document is not None:
        argv += ["--json", str(document)]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(IMPLS_DIR), os.environ.get("PYTHONPATH", "")])}
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - start, proc.returncode


def family_seconds(document: Path) -> dict[str, float]:
    """Seconds per check family ('ranges', ..., 'contract') in a results document."""
    found: dict[str, float] = {}
    data = json.loads(document.read_text())
    for report in data.get("conformance", [data]):
        for check in report.get("checks", []):
            family = check["name"].split(".", 1)[0]
            found[family] = found.get(family, 0.0) + float(check.get("seconds", 0.0))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--profile", action="append", choices=tuple(TARGETS), help="default: quick and default"
    )
    parser.add_argument("--impl", action="append", help="spec to time (default: five representative ones)")
    parser.add_argument("--breakdown", action="store_true", help="also print the seconds per check family")
    args = parser.parse_args()
    profiles = args.profile or ["quick", "default"]
    impls = [(spec, None) for spec in args.impl] if args.impl else list(DEFAULT_IMPLS)
    print(f"{'implementation':<40} {'profile':<8} {'seconds':>8}  {'target':>7}  exit")
    for spec, kind in impls:
        for profile in profiles:
            with tempfile.TemporaryDirectory() as tmp:
                document = Path(tmp) / "results.json" if args.breakdown else None
                seconds, code = run_check(spec, kind, profile, document)
                families = family_seconds(document) if document is not None and document.exists() else {}
            label = spec + (f" ({kind})" if kind else "")
            verdict = "ok" if seconds <= TARGETS[profile] else "SLOW"
            print(
                f"{label:<40} {profile:<8} {seconds:8.1f}  {TARGETS[profile]:>6.0f}s  {code}  {verdict}",
                flush=True,
            )
            if families:
                print("    " + ", ".join(f"{name} {sec:.1f}s" for name, sec in families.items()), flush=True)


if __name__ == "__main__":
    main()
