"""Calibrate the reduced-precision tolerance model on torch.nn's own CPU kernels.

The conformance checks bound the relative error e = |got - ref| / (|ref| + max|ref|) of a
bfloat16 / float16 run against the float64 reference (same rounded weights and inputs) by
SAFETY · max(c · √T, f) · u (``lstm_bench.conformance.tolerances``). This script measures e with the
checks' own code (``equivalence.initial_state`` for the forward topic "equivalence";
``equivalence.gradients`` for "gradient-equivalence", ``gradients.long_horizon`` for "long-horizon") on torch.nn's
LSTM, GRU, tanh RNN and ReLU RNN over a grid of sizes, lengths and seeds, and prints:

1. the table: dtype, topic, T, I = H, B, worst and median e in units of u (worst over kinds and
   seeds), worst / √T, and the bound the model gives with the stored constants;
2. the fitted constants, c = max(worst / √T) over T >= 8 and f = max(worst) over T < 8, beside the
   stored ones, and the smallest margin bound / worst (must stay >= 1; SAFETY is the aim);
3. the CALIBRATED entries to paste into tolerances.py.

Defaults take a few minutes on 2 cores. Errors are not times: machine load does not change them.

    python benchmarks/precision_calibration.py
    python benchmarks/precision_calibration.py --steps 1,8 --sizes 2 --batches 2 --seeds 1   # smoke

Exit status 0 when every measured error lies within the stored model's bound, 1 otherwise.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from lstm_bench.conformance import equivalence, gradients
from lstm_bench.conformance.cases import Case
from lstm_bench.conformance.checks import Context
from lstm_bench.conformance.result import Outcome
from lstm_bench.conformance.tolerances import (
    CALIBRATED,
    MEDIAN_MIN_ENTRIES,
    REDUCED,
    SAFETY,
    UNIT_ROUNDOFF,
    median_bound,
    model_bound,
)
from lstm_bench.dtypes import NAMED_DTYPES
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl

KINDS = {"lstm": "torch.nn:LSTM", "gru": "torch.nn:GRU", "rnn": "torch.nn:RNN", "rnn-relu": "torch.nn:RNN"}
FLOOR_STEPS = 8  # cases shorter than this set the floor f; longer ones the growth c

Evaluate = Callable[[Context, Case], Outcome]
PROBES: dict[str, tuple[Evaluate, ...]] = {
    "equivalence": (equivalence.initial_state,),
    "gradient-equivalence": (equivalence.gradients,),
    gradients.LONG_HORIZON_TOPIC: (gradients.long_horizon,),
}


@dataclass(frozen=True)
class Row:
    dtype: str
    topic: str
    kind: str
    steps: int
    size: int
    batch: int
    worst_u: float
    median_u: float
    tensor_median_u: float  # the largest median over tensors of MEDIAN_MIN_ENTRIES entries or more


def _ints(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v]


def measure(
    dtypes: Sequence[str],
    kinds: Sequence[str],
    steps: Sequence[int],
    sizes: Sequence[int],
    batches: Sequence[int],
    seeds: int,
) -> list[Row]:
    """One row per (dtype, topic, kind, T, size, B), worst over seeds and probes."""
    rows = []
    for dtype in dtypes:
        unit = UNIT_ROUNDOFF[dtype]
        for kind in kinds:
            ctx = Context(load_impl(KINDS[kind], Kind.parse(kind)), NAMED_DTYPES[dtype], "cpu")
            for topic, probes in PROBES.items():
                for t in steps:
                    for size in sizes:
                        for batch in batches:
                            if kind == "rnn-relu" and topic != "equivalence":
                                continue  # not applicable in reduced precision (equivalence.skip_relu_gradients)
                            worst, medians, big = 0.0, [], 0.0
                            for seed in range(seeds):
                                case = Case(t, batch, size, size, seed)
                                for probe in probes:
                                    outcome = probe(ctx, case)
                                    for report in outcome.tensors:
                                        worst = max(worst, report.scaled_worst / unit)
                                        medians.append(report.scaled_median / unit)
                                        if _entries(ctx, case, report.tensor) >= MEDIAN_MIN_ENTRIES:
                                            big = max(big, report.scaled_median / unit)
                            medians.sort()
                            middle = medians[len(medians) // 2]
                            rows.append(Row(dtype, topic, kind, t, size, batch, worst, middle, big))
    return rows


def _entries(ctx: Context, case: Case, tensor: str) -> int:
    """Entries of a compared tensor (output: T·B·H, states and their gradients: B·H, weights: G·H·(I or H))."""
    name = tensor.removeprefix("d/d ")
    hidden, gates = case.hidden_size, ctx.kind.gate_count
    sizes = {
        "output": case.steps * case.batch * hidden,
        "x": case.steps * case.batch * case.input_size,
        "weight_ih_l0": gates * hidden * case.input_size,
        "weight_hh_l0": gates * hidden * hidden,
        "bias_ih_l0": gates * hidden,
        "bias_hh_l0": gates * hidden,
    }
    return sizes.get(name, case.batch * hidden)


def fit(rows: Sequence[Row]) -> dict[tuple[str, str], tuple[float, float]]:
    """(c, f) per (topic, dtype): c = max worst/√T over T >= FLOOR_STEPS, f = max worst over T < FLOOR_STEPS."""
    fitted: dict[tuple[str, str], tuple[float, float]] = {}
    groups: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for r in rows:
        groups[(r.topic, r.dtype)].append(r)
    for key, group in groups.items():
        long = [r.worst_u / math.sqrt(r.steps) for r in group if r.steps >= FLOOR_STEPS]
        short = [r.worst_u for r in group if r.steps < FLOOR_STEPS]
        fitted[key] = (max(long, default=0.0), max(short, default=0.0))
    return fitted


def table(rows: Sequence[Row]) -> list[str]:
    """The calibration table, worst over kinds, one line per (dtype, topic, T, size, B)."""
    merged: dict[tuple[str, str, int, int, int], list[Row]] = defaultdict(list)
    for r in rows:
        merged[(r.dtype, r.topic, r.steps, r.size, r.batch)].append(r)
    lines = [
        f"{'dtype':<9} {'topic':<21} {'T':>4} {'I=H':>4} {'B':>3} {'worst u':>9} {'median u':>9} "
        f"{'worst/√T':>9} {'bound u':>8} {'margin':>7} {'med(≥16)':>8}  worst kind"
    ]
    for (dtype, topic, t, size, batch), group in sorted(merged.items()):
        top = max(group, key=lambda r: r.worst_u)
        median = sorted(r.median_u for r in group)[len(group) // 2]
        bound = model_bound(topic, dtype, t)
        margin = bound / top.worst_u if top.worst_u > 0 else math.inf
        lines.append(
            f"{dtype:<9} {topic:<21} {t:>4} {size:>4} {batch:>3} {top.worst_u:>9.2f} {median:>9.3f} "
            f"{top.worst_u / math.sqrt(t):>9.2f} {bound:>8.1f} {margin:>7.1f} "
            f"{max(r.tensor_median_u for r in group):>8.3f}  {top.kind}"
        )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dtypes", default=",".join(REDUCED))
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--steps", default="1,2,4,8,32,64", help="sequence lengths T")
    parser.add_argument("--sizes", default="1,8,32", help="I = H")
    parser.add_argument("--batches", default="1,4")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--json", default=None, help="also write the rows and fitted constants here")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    dtypes, kinds = args.dtypes.split(","), args.kinds.split(",")
    rows = measure(dtypes, kinds, _ints(args.steps), _ints(args.sizes), _ints(args.batches), args.seeds)
    print(
        f"torch {torch.__version__}; e = |got - ref| / (|ref| + max|ref|) in units of u; SAFETY = {SAFETY:g}"
    )
    print("\n".join(table(rows)))
    fitted = fit(rows)
    print("\nfitted constants (c = growth per √T, f = floor) vs stored:")
    ok = True
    for (topic, dtype), (c, f) in sorted(fitted.items()):
        stored = CALIBRATED.get((topic, dtype))
        print(f"  {dtype:<9} {topic:<21} c = {c:6.2f}  f = {f:6.2f}   stored {stored}")
    worst_margin = min(
        (model_bound(r.topic, r.dtype, r.steps) / r.worst_u for r in rows if r.worst_u > 0), default=math.inf
    )
    ok = worst_margin >= 1.0
    print(
        f"smallest margin bound / worst over all rows: {worst_margin:.2f} ({'ok' if ok else 'BOUND EXCEEDED'})"
    )
    for topic, dtype in sorted({(r.topic, r.dtype) for r in rows}):
        largest = max(r.tensor_median_u for r in rows if (r.topic, r.dtype) == (topic, dtype))
        limit = median_bound(topic, dtype)
        verdict = (
            "no median criterion"
            if limit is None
            else f"bound {limit:g}u, margin {limit / max(largest, 1e-9):.1f}"
        )
        ok = ok and (limit is None or largest <= limit)
        print(
            f"  median over tensors >= {MEDIAN_MIN_ENTRIES} entries, {dtype} {topic}: largest {largest:.3f}u ({verdict})"
        )
    print("\nCALIBRATED entries (rounded up):")
    for (topic, dtype), (c, f) in sorted(fitted.items()):
        print(f'    ("{topic}", "{dtype}"): ({math.ceil(c * 10) / 10}, {math.ceil(f * 10) / 10}),')
    if args.json:
        from lstm_bench.atomic import write_json_atomic

        write_json_atomic(
            args.json,
            {
                "rows": [r.__dict__ for r in rows],
                "fitted": {f"{t}/{d}": list(v) for (t, d), v in fitted.items()},
            },
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
