"""``lstm-bench bench``: time backends on a named size grid; print a table, optionally write results JSON."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lstm_bench.commands._options import (
    check_device,
    check_seconds,
    check_seed,
    check_writable,
)
from lstm_bench.progress import PhaseProgress

NAME = "bench"
HELP = "time LSTM/GRU/RNN implementations (forward, forward+backward, latency) against torch.nn"
EXAMPLES = (
    "lstm-bench bench --suite quick",
    "lstm-bench bench --impl mypkg.cells:FusedLSTM --kind lstm --json reports/bench.json",
    "lstm-bench bench --backends torch-ref,torch-ref-compiled,torch-native --suite quick --kind lstm",
    "lstm-bench bench --device cuda --suite deepbench",
    "lstm-bench bench --suite default --scheduler tcp://scheduler-host:8786 --json reports/bench.json",
    "lstm-bench bench --impl new_cells:LSTM --baseline-impl old_cells:LSTM --suite quick --kind lstm",
)

_WORKLOADS = ("forward", "forward-backward", "latency")
_DTYPES = ("float32", "float64")


def _split(values: list[str] | None, flag: str) -> list[str]:
    """Flatten repeatable, comma-separated option values; a flag given with only empty items is exit 2."""
    from lstm_bench.errors import UsageError

    items = [part.strip() for value in values or [] for part in value.split(",") if part.strip()]
    if values is not None and not items:  # ``--kind ,`` or ``--backends ""``: not the default
        raise UsageError(f"{flag}: no value given ({', '.join(repr(v) for v in values)})")
    return items


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``bench``."""
    from lstm_bench.bench.spread import SPREAD_VISITS

    parser.add_argument(
        "--impl",
        action="append",
        default=[],
        metavar="SPEC",
        help="implementation to time, pkg.module:Name (repeatable)",
    )
    parser.add_argument(
        "--backends",
        action="append",
        metavar="LIST",
        help="comma-separated backends (default numpy-ref,torch-ref,torch-native; also torch-ref-compiled, impl:SPEC)",
    )
    parser.add_argument(
        "--device", default="cpu", choices=("cpu", "cuda", "mps"), help="device to time on (default cpu)"
    )
    parser.add_argument(
        "--suite", default="default", help="size grid: quick, default, deepbench or gpu (default: default)"
    )
    parser.add_argument(
        "--kind",
        action="append",
        metavar="KIND",
        help="lstm, gru, rnn, rnn-relu (repeatable or comma-separated; default lstm,gru,rnn)",
    )
    parser.add_argument(
        "--workload", action="append", metavar="NAME", help="forward, forward-backward, latency (default all)"
    )
    parser.add_argument(
        "--dtype", action="append", metavar="DTYPE", help="float32, float64 (default: the suite's)"
    )
    parser.add_argument(
        "--json", metavar="PATH", help="write the results document (lstm-bench schema) here, atomically"
    )
    parser.add_argument(
        "--threads",
        type=int,
        default=None,
        help="torch intra-op threads (default: 1 on the CPU, timed on CPU time, steadier beside other "
        "load; torch's current setting on a GPU)",
    )
    parser.add_argument(
        "--min-time",
        type=float,
        default=0.5,
        metavar="SECONDS",
        help="measured time per benchmark (default 0.5 s)",
    )
    parser.add_argument(
        "--sweeps",
        type=int,
        default=SPREAD_VISITS,
        metavar="N",
        help=f"spread each case's rounds over N sweeps of the suite (default {SPREAD_VISITS}; 1: case after case)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and inputs (default 0)")
    parser.add_argument(
        "--no-peak", action="store_true", help="skip the GEMM peak measurement (no %% of peak)"
    )
    from lstm_bench.scaleout.options import add_scaleout_arguments

    add_scaleout_arguments(parser, workers=False)  # benchmarks never share a machine: no --workers
    parser.add_argument(
        "--cpu-timing",
        default="auto",
        choices=("auto", "process", "wall"),  # lstm_bench.bench.timer.CPU_TIMINGS (a test keeps them equal)
        help="CPU clock: auto (default: process CPU time at 1 thread, wall time on more), process, wall",
    )
    parser.add_argument(
        "--cuda-timing",
        default="events",
        choices=("events", "synchronize"),
        help="CUDA timing: events (default) or synchronize around each block",
    )
    ab = parser.add_argument_group("A/B gate (with --baseline-impl)")
    ab.add_argument(
        "--baseline-impl",
        metavar="SPEC",
        help="time the one --impl (the candidate) against SPEC (pkg.module:Name, or a backend such as "
        "torch-native) interleaved in one process; exit 1 when a case is slower beyond the threshold "
        "or inconclusive",
    )
    ab.add_argument(
        "--max-slowdown",
        default=None,
        metavar="PCT",
        help="tolerated slowdown, e.g. 5%% (default: [tool.lstm-bench] in pyproject.toml, else 3%%)",
    )
    ab.add_argument(
        "--alpha", type=float, default=None, help="significance level (default: pyproject.toml, else 0.01)"
    )
    ab.add_argument(
        "--format",
        default="text",
        choices=("text", "markdown", "json"),
        help="A/B output format (default text)",
    )
    ab.add_argument(
        "--max-pairs",
        type=int,
        default=None,
        metavar="N",
        help="per case: at most N interleaved pairs in the looks (default 4096); pairs are added until a "
        "decision, and a change takes as many fresh pairs again to confirm it",
    )
    ab.add_argument(
        "--case-seconds",
        type=float,
        default=None,
        metavar="SECONDS",
        help="per case: at most this much timing (a cap; default 60 s, enough for 200 ms calls to decide)",
    )
    ab.add_argument(
        "--allow-inconclusive",
        action="store_true",
        help="exit 0 when a case is inconclusive (its budget was spent before a decision); default exit 1",
    )


def _check_choices(values: list[str], allowed: tuple[str, ...], flag: str) -> list[str]:
    from lstm_bench.errors import UsageError

    for value in values:
        if value not in allowed:
            raise UsageError(f"{flag} {value!r}: expected one of {', '.join(allowed)}")
    return values


class _Progress:
    """``run_benchmarks``'s progress callback shown as ``PhaseProgress`` lines: the GEMM peak, then the benchmarks."""

    def __init__(self, benchmarks: int) -> None:
        self.benchmarks = benchmarks  # (case, backend) pairs: the units count case visits instead
        self.phase = ""
        self.line: PhaseProgress | None = None

    def __call__(self, done: int, total: int, label: str) -> None:
        phase = "GEMM peak" if label.startswith("GEMM peak") else ("done" if label == "done" else "bench")
        if phase != self.phase:
            if self.line is not None:
                self.line.finish()
            self.line = None
            if phase != "done":
                note = (
                    "measuring the GEMM peak"
                    if phase == "GEMM peak"
                    else f"timing {self.benchmarks} benchmarks"
                )
                self.line = PhaseProgress(phase, total, note=note)
            self.phase = phase
        if self.line is not None:
            self.line.update(done, total=total, note=label)


def run(args: argparse.Namespace) -> int:
    """Run the grid, print the table and warnings; exit 1 when a workload raised."""
    from lstm_bench.bench.registry import DEFAULT_BACKENDS, resolve_backends
    from lstm_bench.bench.runner import default_threads, run_benchmarks
    from lstm_bench.bench.suites import get_suite, select
    from lstm_bench.bench.table import format_peaks, format_table
    from lstm_bench.bench.timer import TimerSettings, clock_for_device
    from lstm_bench.bench.workloads import Workload
    from lstm_bench.errors import UsageError
    from lstm_bench.kinds import Kind
    from lstm_bench.results import new_document, save_results
    from lstm_bench.scaleout.options import executor_from_args

    check_seconds("--min-time", args.min_time)
    check_seed(args.seed)
    if args.threads is not None and args.threads < 1:
        raise UsageError(f"--threads must be at least 1, got {args.threads}")
    try:
        kinds = [Kind.parse(k) for k in _split(args.kind, "--kind")] or None
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    workloads = _check_choices(_split(args.workload, "--workload"), _WORKLOADS, "--workload") or None
    dtypes = _check_choices(_split(args.dtype, "--dtype"), _DTYPES, "--dtype") or None
    check_device(args.device)
    if args.json:
        check_writable("--json", args.json)
    if args.sweeps < 1:
        raise UsageError(f"--sweeps must be at least 1, got {args.sweeps}")
    suite = get_suite(args.suite, args.device, kinds)
    cases = select(suite.cases, [Workload(w) for w in workloads] if workloads else None, dtypes)
    if args.baseline_impl:
        from lstm_bench.gate.ab import ABOptions, run_ab_command

        return run_ab_command(
            ABOptions.from_args(args), cases, kinds[0] if kinds and len(kinds) == 1 else None
        )
    names = _split(args.backends, "--backends") or list(DEFAULT_BACKENDS)
    backends = resolve_backends(names, list(args.impl), kinds[0] if kinds and len(kinds) == 1 else None)
    if not any(b.supports(c, args.device) for c in cases for b in backends):
        raise UsageError(
            f"nothing to run: no backend among {', '.join(b.name for b in backends)} fits the selected cases"
        )

    settings = TimerSettings(min_time_s=args.min_time)
    cpu = args.device.split(":")[0] == "cpu"
    if args.threads is None:
        args.threads = default_threads(args.device)
    executor = executor_from_args(args)
    if executor is not None:
        with executor:
            return _run_on_cluster(args, executor, cases, backends, settings, suite, kinds)
    result = run_benchmarks(
        cases,
        backends,
        args.device,
        settings,
        args.threads,
        args.seed,
        not args.no_peak,
        _Progress(sum(1 for c in cases for b in backends if b.supports(c, args.device))),
        suite.name,
        None if cpu else clock_for_device(args.device, args.cuda_timing),
        args.cpu_timing,
        args.sweeps,
    )
    threads = f"{result.threads} thread{'s' if result.threads != 1 else ''}"
    print(f"suite {suite.name}: {suite.description}; device {args.device}, {threads}, clock {result.clock}")
    print(format_peaks(result.peaks, result.threads))
    print(format_table(result.records))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wall time {result.wall_s:.1f} s")
    if args.json:
        document: dict[str, Any] = new_document("bench")
        document["environment"]["torch_threads"] = result.threads  # the run's count (restored since)
        document.update(result.sections())
        path = save_results(args.json, document)
        print(f"results written to {path}")
    return 1 if any(r.status == "error" for r in result.records) else 0


def _run_on_cluster(
    args: argparse.Namespace,
    executor: Any,
    cases: Any,
    backends: Any,
    settings: Any,
    suite: Any,
    kinds: Any,
) -> int:
    """The grid on a Dask cluster: one benchmark per host at a time (``scaleout.grid``); same table and exit code."""
    from lstm_bench.bench.table import format_peaks, format_table
    from lstm_bench.results import new_document, save_results
    from lstm_bench.scaleout.grid import run_grid

    print(
        f"lstm-bench bench: timing on {executor.describe()}, one benchmark per host at a time",
        file=sys.stderr,
    )
    result = run_grid(
        cases,
        backends,
        executor,
        args.device,
        settings,
        args.threads,
        args.seed,
        not args.no_peak,
        suite.name,
        args.cuda_timing,
        kind=kinds[0] if kinds and len(kinds) == 1 else None,
        cpu_timing=args.cpu_timing,
        sweeps=args.sweeps,
    )
    print(f"suite {suite.name}: {suite.description}; device {args.device}; {result.executor}")
    for host in result.host_runs:
        if host.run is not None:
            print(f"{host.host} ({host.worker}): {format_peaks(host.run.peaks, host.run.threads)}")
        else:
            print(f"{host.host or 'a worker'}: share failed: {host.error}")
    print(format_table(result.records))
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wall time {result.wall_s:.1f} s")
    if args.json:
        document: dict[str, Any] = new_document("bench")
        document.update(result.sections())
        path = save_results(args.json, document)
        print(f"results written to {path}")
    return 1 if any(r.status == "error" for r in result.records) else 0
