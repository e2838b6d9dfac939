"""Do speed-up ratios survive a loaded machine? Every ratio quiet, then beside a 2-thread GEMM load.

Target (issue 12): on the same commit, every speed-up that ``lstm-bench bench --suite quick``
and the benchmark phase of ``lstm-bench run --profile quick`` print (each backend against
torch-native, timed in interleaved rounds: ``lstm_bench.bench.paired``) stays within 10% between
a quiet run and a run beside a second process doing GEMMs on 2 threads. Before interleaving
they differed by up to 2.5x (torch-ref / torch-native 0.30x calm, 0.96x loaded).

What runs: ``bench.runner.run_benchmarks`` on the quick suite with the default backends
(numpy-ref, torch-ref, torch-native: what ``bench`` runs) and ``orchestration.phases.bench_phase``
with the quick run profile (what ``run`` runs), first quietly, then with the load process
running; the load is stopped as soon as the loaded pass ends. Prints one row per ratio: quiet
ratio [interval], loaded ratio [interval], |loaded / quiet - 1| with the range its interval
allows (the two ratios' intervals combined in quadrature on the log scale: ``Row.change_bounds``),
and a verdict: ok when even that range is within the tolerance, FAIL when all of it is beyond (or
a ratio is missing), inconclusive otherwise; exit 0 when every row is ok, 1 otherwise. Like ``bench`` on the CPU, it times at 1 torch thread on
process CPU time (``--cpu-timing auto``); ``--threads 2 --cpu-timing wall`` shows how ratios of
multi-threaded runs move beside load (OpenMP threads spin waiting for a core). Run it alone on
the machine (the "quiet" pass must be quiet)::

    flock /tmp/lstm-bench-measure.lock python benchmarks/ratio_under_load.py            # ~2-3 min
    flock /tmp/lstm-bench-measure.lock python benchmarks/ratio_under_load.py --quick    # ~40 s, LSTM only
    flock /tmp/lstm-bench-measure.lock python benchmarks/ratio_under_load.py --control  # both passes quiet
"""

from __future__ import annotations

import argparse
import io
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from lstm_bench.bench.load import machine_load
from lstm_bench.bench.paired import Speedup
from lstm_bench.bench.records import BenchmarkRecord

# A second process keeping ``threads`` cores busy with GEMMs (NumPy's BLAS: it starts in a fraction
# of a second) until it is killed, or after ``seconds``.
_LOAD = """
import sys, time, numpy
seconds = float(sys.argv[1])
rng = numpy.random.default_rng(0)
a, b = rng.standard_normal((512, 512)), rng.standard_normal((512, 512)) / 30
print("loading", flush=True)
stop = time.monotonic() + seconds
while time.monotonic() < stop:
    a = numpy.tanh(a @ b)
"""


@contextmanager
def gemm_load(threads: int, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """A GEMM-burning subprocess on ``threads`` BLAS threads for the body (at most ``seconds``)."""
    count = str(threads)
    env = {**os.environ, "OMP_NUM_THREADS": count, "OPENBLAS_NUM_THREADS": count, "MKL_NUM_THREADS": count}
    process = subprocess.Popen(
        [sys.executable, "-c", _LOAD, str(seconds)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        if process.stdout is None or process.stdout.readline().strip() != "loading":
            raise RuntimeError("the load process did not start")
        yield process
    finally:
        process.kill()
        process.wait(timeout=30)


def _ratios(source: str, records: Sequence[BenchmarkRecord]) -> dict[str, Speedup]:
    return {f"{source}: {r.name}": r.speedup for r in records if r.speedup is not None}


def measure(args: argparse.Namespace) -> dict[str, Speedup]:
    """Every printed ratio of one pass: ``bench`` on the suite, then (unless skipped) ``run``'s benchmark phase."""
    from lstm_bench.bench.registry import DEFAULT_BACKENDS, resolve_backends
    from lstm_bench.bench.runner import run_benchmarks
    from lstm_bench.bench.suites import get_suite, select
    from lstm_bench.bench.timer import TimerSettings
    from lstm_bench.bench.workloads import Workload
    from lstm_bench.kinds import Kind

    kinds = [Kind.parse(k) for k in args.kind] if args.kind else None
    suite = get_suite(args.suite, "cpu", kinds)
    cases = select(suite.cases, [Workload(w) for w in args.workload] if args.workload else None)
    backends = resolve_backends(list(DEFAULT_BACKENDS), [], None)
    run = run_benchmarks(
        cases,
        backends,
        "cpu",
        TimerSettings(min_time_s=args.min_time),
        threads=args.threads,
        seed=0,
        measure_peak=False,
        suite=suite.name,
        cpu_timing=args.cpu_timing,
    )
    ratios = _ratios("bench", run.records)
    if not args.no_run_phase:
        ratios.update(_ratios("run", _run_phase_records()))
    return ratios


def _run_phase_records() -> list[BenchmarkRecord]:
    """The records of ``lstm-bench run --profile quick``'s benchmark phase (the same function ``run`` calls)."""
    from lstm_bench.orchestration.context import RUN_SIZES, RunContext, RunOptions
    from lstm_bench.orchestration.phases import bench_phase
    from lstm_bench.progress import PhaseProgress

    ctx = RunContext(RunOptions(profile="quick"), RUN_SIZES["quick"], {})
    output = bench_phase(ctx, PhaseProgress("benchmarks", 0, stream=io.StringIO()))
    return [BenchmarkRecord.from_dict(r) for r in output.sections["benchmarks"]]


@dataclass(frozen=True)
class Row:
    """One ratio in both conditions."""

    name: str
    quiet: Speedup | None
    loaded: Speedup | None

    @property
    def change(self) -> float | None:
        """|loaded / quiet - 1| (None when a condition lacks the ratio)."""
        if self.quiet is None or self.loaded is None:
            return None
        return abs(self.loaded.ratio / self.quiet.ratio - 1.0)

    @property
    def change_bounds(self) -> tuple[float, float] | None:
        """(smallest, largest) |loaded / quiet - 1| in the change's interval (None when a ratio is missing).

        On the log scale the change is d = ln(loaded / quiet); each ratio's interval gives a
        half-width h = the larger of ln(high / ratio) and ln(ratio / low), and the two passes are
        independent, so d's interval is d +- sqrt(h_quiet^2 + h_loaded^2) (two 95% intervals
        combined in quadrature: about 95% for the change, where adding the half-widths would
        claim ~99.5% and call most rows inconclusive).
        """
        q, l = self.quiet, self.loaded
        if q is None or l is None:
            return None
        d = math.log(l.ratio / q.ratio)
        h = math.hypot(_half_width(q), _half_width(l))
        low, high = math.exp(d - h) - 1.0, math.exp(d + h) - 1.0
        largest = max(abs(low), abs(high))
        smallest = 0.0 if low <= 0.0 <= high else min(abs(low), abs(high))
        return smallest, largest

    def verdict(self, tolerance: float) -> str:
        """'ok' when the whole interval of the change is within ``tolerance``, 'FAIL' when all of it is
        beyond (or a ratio is missing), else 'inconclusive': the point change alone decides nothing."""
        bounds = self.change_bounds
        if bounds is None:
            return "FAIL"
        smallest, largest = bounds
        if largest <= tolerance:
            return "ok"
        return "FAIL" if smallest > tolerance else "inconclusive"


def _half_width(s: Speedup) -> float:
    """The larger log distance from the ratio to an end of its interval."""
    return max(math.log(s.high / s.ratio), math.log(s.ratio / s.low))


def compare(
    quiet: dict[str, Speedup], loaded: dict[str, Speedup], tolerance: float
) -> tuple[list[Row], bool]:
    """One row per ratio of either pass; passes when every row's verdict is 'ok' (``Row.verdict``)."""
    names = list(dict.fromkeys([*quiet, *loaded]))
    rows = [Row(name, quiet.get(name), loaded.get(name)) for name in names]
    ok = bool(rows) and all(r.verdict(tolerance) == "ok" for r in rows)
    return rows, ok


def format_rows(rows: Sequence[Row], tolerance: float) -> str:
    """The table: ratio quiet [interval], loaded [interval], relative change [what the intervals allow], verdict."""
    header = ("ratio vs torch-native", "quiet", "beside load", "change [possible]", "")
    body = []
    for r in rows:
        change, bounds = r.change, r.change_bounds
        shown = (
            "-"
            if change is None or bounds is None
            else f"{100 * change:.1f}% [{100 * bounds[0]:.1f}, {100 * bounds[1]:.1f}]"
        )
        body.append(
            (
                r.name,
                r.quiet.text() if r.quiet else "missing",
                r.loaded.text() if r.loaded else "missing",
                shown,
                r.verdict(tolerance),
            )
        )
    widths = [max(len(row[i]) for row in (header, *body)) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in (header, *body)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="LSTM only, 0.2 s per benchmark")
    parser.add_argument("--suite", default="quick", help="bench suite (default quick)")
    parser.add_argument("--kind", action="append", help="kinds to time (default: the suite's)")
    parser.add_argument("--workload", action="append", help="workloads (default all)")
    parser.add_argument(
        "--min-time", type=float, default=0.5, help="measured seconds per benchmark (default 0.5)"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="bench's torch threads (default 1, as bench on the CPU)"
    )
    parser.add_argument(
        "--cpu-timing", default="auto", help="bench's --cpu-timing: auto (default, as bench), process, wall"
    )
    parser.add_argument("--no-run-phase", action="store_true", help="skip run's benchmark phase")
    parser.add_argument(
        "--tolerance", type=float, default=0.10, help="largest relative change (default 0.10)"
    )
    parser.add_argument("--load-threads", type=int, default=2, help="threads of the GEMM load (default 2)")
    parser.add_argument(
        "--control",
        action="store_true",
        help="no load in the second pass either: how far two quiet passes differ (the machine's floor)",
    )
    parser.add_argument("--json", metavar="PATH", help="write both passes' ratios here")
    args = parser.parse_args(argv)
    if args.quick:
        args.kind = args.kind or ["lstm"]
        args.min_time = min(args.min_time, 0.2)
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    before = machine_load()
    print(f"quiet pass (load average {before.load_average})", file=sys.stderr)
    quiet = measure(args)
    if args.control:
        during = machine_load()
        print(f"second quiet pass, the control (load average {during.load_average})", file=sys.stderr)
        loaded = measure(args)
    else:
        with gemm_load(args.load_threads, seconds=1800.0):
            during = machine_load()
            print(
                f"pass beside a {args.load_threads}-thread GEMM load (load average {during.load_average})",
                file=sys.stderr,
            )
            loaded = measure(args)
    rows, ok = compare(quiet, loaded, args.tolerance)
    print(format_rows(rows, args.tolerance))
    worst = max((r.change for r in rows if r.change is not None), default=None)
    verdicts = [r.verdict(args.tolerance) for r in rows]
    verdict = "PASS" if ok else ("FAIL" if "FAIL" in verdicts else "INCONCLUSIVE")
    spread = "-" if worst is None else f"{100 * worst:.1f}%"
    counts = ", ".join(f"{verdicts.count(v)} {v}" for v in ("ok", "inconclusive", "FAIL"))
    print(
        f"{verdict}: {len(rows)} ratios ({counts}), largest change {spread} (tolerance {100 * args.tolerance:.0f}%)"
    )
    if args.json:
        document: dict[str, Any] = {
            "tolerance": args.tolerance,
            "ok": ok,
            "load_before": before.to_dict(),
            "load_during": during.to_dict(),
            "rows": [
                {
                    "name": r.name,
                    "quiet": r.quiet.to_dict() if r.quiet else None,
                    "loaded": r.loaded.to_dict() if r.loaded else None,
                    "change": r.change,
                    "change_bounds": r.change_bounds,
                    "verdict": r.verdict(args.tolerance),
                }
                for r in rows
            ],
        }
        with open(args.json, "w") as handle:
            json.dump(document, handle, indent=2)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
