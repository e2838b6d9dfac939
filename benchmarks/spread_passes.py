"""Does spreading each case's rounds over the run keep ratios steady from pass to pass, quiet and loaded?

Times ``bench --suite quick``'s ratios (each backend against torch-native, interleaved pairs)
in several passes, alternately quiet and beside a 2-thread GEMM load (``ratio_under_load.gemm_load``),
and in every pass twice: case after case (``sweeps=1``, how the bench timed before
``lstm_bench.bench.spread``) and spread over the default sweeps, the two one after the other so
both see the same machine. For each setting and ratio it reports the largest change between
neighbouring passes (quiet -> loaded -> quiet ...) and the spread over all passes; the claim
measured is that spreading removes the episodes of a slower machine that decide a case timed in
one stretch. Run it alone on the machine::

    python benchmarks/spread_passes.py                 # 5 passes, ~7 min
    python benchmarks/spread_passes.py --plan Q,Q,Q    # quiet passes only
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import statistics
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratio_under_load import gemm_load

from lstm_bench.bench.spread import SPREAD_VISITS


def one_pass(sweeps: int, min_time: float, kinds: list[str] | None) -> dict[str, float]:
    """name -> speed-up over torch-native of one ``bench --suite quick`` pass at 1 thread."""
    from lstm_bench.bench.registry import DEFAULT_BACKENDS, resolve_backends
    from lstm_bench.bench.runner import run_benchmarks
    from lstm_bench.bench.suites import get_suite
    from lstm_bench.bench.timer import TimerSettings
    from lstm_bench.kinds import Kind

    suite = get_suite("quick", "cpu", [Kind.parse(k) for k in kinds] if kinds else None)
    run = run_benchmarks(
        suite.cases,
        resolve_backends(list(DEFAULT_BACKENDS), [], None),
        "cpu",
        TimerSettings(min_time_s=min_time),
        threads=1,
        measure_peak=False,
        suite=suite.name,
        sweeps=sweeps,
    )
    return {r.name: r.speedup.ratio for r in run.records if r.speedup is not None}


def summarize(passes: Sequence[dict[str, float]], tolerance: float) -> dict[str, Any]:
    """Per ratio: the largest change between neighbouring passes and max/min - 1 over all passes."""
    names = list(dict.fromkeys(name for p in passes for name in p))
    rows = {}
    for name in names:
        values = [p[name] for p in passes if name in p]
        steps = [abs(b / a - 1.0) for a, b in itertools.pairwise(values)]
        rows[name] = {
            "ratios": values,
            "largest_step": max(steps, default=0.0),
            "spread": max(values) / min(values) - 1.0,
        }
    steps = [r["largest_step"] for r in rows.values()]
    return {
        "rows": rows,
        "rows_beyond_tolerance": sum(s > tolerance for s in steps),
        "worst_step": max(steps, default=0.0),
        "median_step": statistics.median(steps) if steps else 0.0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--plan", default="Q,L,Q,L,Q", help="passes, Q quiet and L beside the load (default Q,L,Q,L,Q)"
    )
    parser.add_argument(
        "--sweeps",
        type=int,
        default=SPREAD_VISITS,
        help=f"sweeps of the spread setting (default {SPREAD_VISITS})",
    )
    parser.add_argument(
        "--min-time", type=float, default=0.5, help="measured seconds per benchmark (default 0.5, as bench)"
    )
    parser.add_argument("--kind", action="append", help="kinds (default the quick suite's)")
    parser.add_argument("--tolerance", type=float, default=0.10)
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    plan = [p.strip().upper() for p in args.plan.split(",")]
    if not plan or any(p not in ("Q", "L") for p in plan):
        parser.error("--plan is a comma-separated list of Q and L")
    settings = {"case after case": 1, f"spread over {args.sweeps} sweeps": args.sweeps}
    passes: dict[str, list[dict[str, float]]] = {name: [] for name in settings}
    for k, condition in enumerate(plan):
        load = gemm_load(2, 1800.0) if condition == "L" else contextlib.nullcontext()
        with load:
            for name, sweeps in settings.items():
                print(
                    f"pass {k + 1}/{len(plan)} ({'loaded' if condition == 'L' else 'quiet'}): {name}",
                    file=sys.stderr,
                )
                passes[name].append(one_pass(sweeps, args.min_time, args.kind))
    results = {name: summarize(p, args.tolerance) for name, p in passes.items()}
    for name, result in results.items():
        print(f"{name}: passes {','.join(plan)}")
        for row, data in result["rows"].items():
            shown = " ".join(f"{v:.3f}" for v in data["ratios"])
            print(f"  {row:64s} {shown}  largest step {100 * data['largest_step']:.1f}%")
        print(
            f"  {result['rows_beyond_tolerance']} of {len(result['rows'])} ratios moved more than "
            f"{100 * args.tolerance:.0f}% between neighbouring passes; worst {100 * result['worst_step']:.1f}%, "
            f"median {100 * result['median_step']:.1f}%"
        )
    if args.json:
        Path(args.json).write_text(json.dumps({"plan": plan, "results": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
