"""Acceptance check: torch-ref (eager) forward+backward against torch-native on CPU.

Targets (float32): within 1.5x of torch.nn at I=H=256, B=32, T=100, and within 3x at I=32, H=64,
B=16, T=50. Both backends come from lstm-bench's registry and are timed by its Timer, alternating
native, ref, native, ref ...; each alternation gives one ratio of medians taken side by side, and
the figure is the median of those ratios, which cancels the machine's drift between alternations
(the ratio of the pooled medians is printed beside it).

    flock /tmp/lstm-bench-measure.lock python benchmarks/ref_vs_native.py

Exit status 0 when every target is met, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from typing import Any

import torch

from lstm_bench.bench.load import machine_load
from lstm_bench.bench.registry import get_backend
from lstm_bench.bench.timer import Timer, TimerSettings
from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.kinds import Kind

TARGETS = (
    (Case(Kind.LSTM, Workload.FORWARD_BACKWARD, 256, 256, 32, 100), 1.5),
    (Case(Kind.LSTM, Workload.FORWARD_BACKWARD, 32, 64, 16, 50), 3.0),
)


def compare(case: Case, target: float, alternations: int, min_time_s: float) -> dict[str, Any]:
    native = get_backend("torch-native").prepare(case, "cpu", seed=0).step
    ref = get_backend("torch-ref").prepare(case, "cpu", seed=0).step
    timer = Timer(TimerSettings(min_time_s=min_time_s))
    pooled: dict[str, list[float]] = {"native": [], "ref": []}
    pairs = []
    for _ in range(alternations):
        n = timer.measure(native).samples_s
        r = timer.measure(ref).samples_s
        pooled["native"] += n
        pooled["ref"] += r
        pairs.append(statistics.median(r) / statistics.median(n))
    ratio = statistics.median(pairs)
    return {
        "case": case.key,
        "native_median_s": statistics.median(pooled["native"]),
        "ref_median_s": statistics.median(pooled["ref"]),
        "ratio": ratio,
        "pair_ratios": pairs,
        "pooled_ratio": statistics.median(pooled["ref"]) / statistics.median(pooled["native"]),
        "target": target,
        "ok": ratio <= target,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--alternations", type=int, default=7)
    parser.add_argument("--min-time", type=float, default=0.5, help="seconds per measurement (default 0.5)")
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load = machine_load()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; load {load.to_dict()}")
    if load.warning():
        print(f"warning: {load.warning()}")
    results = []
    for case, target in TARGETS:
        res = compare(case, target, args.alternations, args.min_time)
        results.append(res)
        print(
            f"{case.sizes} fwd+bwd float32: ref/native {res['ratio']:.2f}x (median of "
            f"{len(res['pair_ratios'])} side-by-side ratios; target <= {target}x) {'OK' if res['ok'] else 'FAIL'}; "
            f"pooled medians native {1e3 * res['native_median_s']:.2f} ms, ref {1e3 * res['ref_median_s']:.2f} ms "
            f"({res['pooled_ratio']:.2f}x)",
            flush=True,
        )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump({"load": load.to_dict(), "results": results}, handle, indent=2)
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
