"""``lstm-bench run``: conformance, stability, gate activations and benchmarks, then one HTML report."""

from __future__ import annotations

import argparse

from lstm_bench.commands._options import add_impl_arguments, check_device, check_seed, check_writable

NAME = "run"
HELP = "check, diagnose and benchmark the references, torch.nn and every --impl; write an HTML report"
EXAMPLES = (
    "lstm-bench run",
    "lstm-bench run --profile quick --impl mypkg.cells:FusedLSTM",
    "lstm-bench run --device cuda --out reports/ --baseline reports/main/results.json",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``run``."""
    add_impl_arguments(parser, "implementation under test")
    parser.add_argument(
        "--profile",
        default="default",
        choices=("quick", "default", "full"),
        help="how much work: quick (about 1.5 min on 2 CPU cores), default (about 5 min), full (tens of minutes)",
    )
    parser.add_argument(
        "--device", default="auto", choices=("auto", "cpu", "cuda"), help="where to run (default: auto)"
    )
    parser.add_argument("--out", default="reports", metavar="DIR", help="reports folder (default: reports/)")
    parser.add_argument(
        "--baseline", default=None, metavar="RESULTS.json", help="compare with an earlier run's results"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (default 0)")
    from lstm_bench.scaleout.options import add_scaleout_arguments

    add_scaleout_arguments(parser)  # conformance and sweep jobs; the benchmarks always run alone, here


def _device(name: str) -> str:
    import torch

    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    check_device(name)
    return name


def _check_scaleout(args: argparse.Namespace) -> None:
    """--workers and --scheduler make sense (and a named scheduler answers) before any work."""
    from lstm_bench.errors import UsageError
    from lstm_bench.scaleout.executors import DaskPool, scheduler_address

    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be at least 1, got {args.workers}")
    address = scheduler_address(args.scheduler, args.workers)
    if address is not None:
        DaskPool.connect(
            address, source="--scheduler" if args.scheduler else "$LSTM_BENCH_SCHEDULER"
        ).shutdown()


def run(args: argparse.Namespace) -> int:
    """Validate every input, run every phase, print a summary and the report's path.

    Exit 1 when a check failed or a regression was found; 2 (one line, before any work) when an
    ``--impl`` does not load, ``--baseline`` cannot be read, ``--out`` cannot be written or the
    scale-out flags are wrong.
    """
    from pathlib import Path

    from lstm_bench.loader import load_impl, parse_kind
    from lstm_bench.orchestration.context import RunOptions
    from lstm_bench.orchestration.pipeline import run_pipeline
    from lstm_bench.orchestration.summary import print_summary
    from lstm_bench.report.inputs import load_document

    check_seed(args.seed)
    kind = parse_kind(args.kind)
    # every load problem is one line and exit 2, before any long work; the run reuses these
    loaded = tuple(load_impl(spec, kind) for spec in args.impl)
    if args.baseline is not None:
        load_document(args.baseline)  # unreadable or malformed: one line and exit 2, now
    check_writable("--out", args.out, folder=True)
    _check_scaleout(args)
    options = RunOptions(
        impls=tuple(args.impl),
        kind=kind,
        profile=args.profile,
        device=_device(args.device),
        out=Path(args.out),
        baseline=None if args.baseline is None else Path(args.baseline),
        seed=args.seed,
        workers=args.workers,
        scheduler=args.scheduler,
        loaded=loaded,
    )
    outcome = run_pipeline(options)
    print_summary(outcome)
    return outcome.exit_code
