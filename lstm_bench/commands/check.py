"""``lstm-bench check``: run the conformance checks on one or more implementations.

One line per check (PASS/FAIL/skip, worst error vs tolerance, time), per-tensor lines for the
gradient checks, then for each failure the minimal counterexample and a snippet replaying it,
then a summary; the coverage table (which optional features were exercised, which not and
why) goes to stderr before the summary, and into the --json document. Exit 0 when every check passed (skips and unsupported features allowed; ``--strict``
counts unsupported as failed), 1 when any failed, 2 for usage or load errors. ``--impl`` is required: the command checks *your* implementation (``pytest
suites/conformance`` with no ``--impl`` is what checks lstm-bench's own references).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from lstm_bench.commands._options import check_device, check_seed, check_writable
from lstm_bench.errors import UsageError

if TYPE_CHECKING:
    from lstm_bench.loader import LoadedImpl

NAME = "check"
HELP = "run the conformance checks (ranges, equivalence, gradients, invariants) on an implementation"
EXAMPLES = (
    "lstm-bench check --impl torch.nn:LSTM",
    "lstm-bench check --impl mypkg.cells:FusedGRU --kind gru --profile quick",
    "lstm-bench check --impl torch.nn:LSTM --impl torch.nn:GRU --json results/check.json",
    "lstm-bench check --impl mypkg.cells:Fp32LSTM --dtype float32 --check gradients",
    "lstm-bench check --impl opacus.layers:DPLSTM --unsupported unbatched --strict",
    "lstm-bench check --impl torch.nn:LSTM --dtype bfloat16",
    "lstm-bench check --impl mypkg.cells:MyLSTM --dtype float32 --autocast bfloat16",
    "lstm-bench check --impl mypkg.cells:FusedLSTM --device cuda --dtype float16",
)

#: Check sizes: the keys of ``conformance.search.CHECK_SIZES`` (not imported here: it imports Hypothesis).
CHECK_SIZE_CHOICES = ("quick", "default", "thorough")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``check``."""
    parser.add_argument(
        "--impl",
        action="append",
        required=True,
        metavar="SPEC",
        help="implementation, pkg.module:Name (repeatable)",
    )
    parser.add_argument(
        "--kind",
        default=None,
        help="lstm, gru, rnn or rnn-relu, for every --impl (default: told from its mode, class name or weight shapes)",
    )
    parser.add_argument(
        "--profile",
        default="default",
        choices=CHECK_SIZE_CHOICES,
        help="how many cases: quick (Hypothesis 'dev'), default ('ci'), thorough (default: default)",
    )
    parser.add_argument(
        "--dtype",
        default=None,
        choices=("float64", "float32", "bfloat16", "float16"),
        help="dtype to run in, always against the float64 reference on the same rounded weights; "
        "float32 has looser fixed tolerances, bfloat16/float16 a calibrated √T roundoff model and "
        "no finite differences (default float64)",
    )
    parser.add_argument(
        "--autocast",
        default=None,
        choices=("bfloat16", "float16"),
        help="run the (float32) implementation under torch.autocast to this dtype; implies --dtype float32",
    )
    parser.add_argument(
        "--device",
        default="cpu",
        choices=("cpu", "cuda", "mps"),
        help="device the implementation runs on; the float64 reference always runs on the CPU, and "
        "on a GPU the device checks (CPU vs device, backward determinism) run too (default cpu)",
    )
    parser.add_argument(
        "--seed", type=int, default=0, help="seed of the drawn cases; same seed, same cases (default 0)"
    )
    parser.add_argument(
        "--check",
        action="append",
        default=None,
        metavar="NAME",
        help="run only this check or family (e.g. gradients, contract, invariants.causality); repeatable",
    )
    parser.add_argument("--json", default=None, metavar="PATH", help="also write the results document here")
    parser.add_argument(
        "--supports",
        default=None,
        metavar="A,B",
        help="optional features the implementation supports, overriding the probe and its "
        "lstm_bench_capabilities attribute (unbatched, packed, proj_size, bidirectional, multilayer, "
        "dropout, float64, no_bias, batch_first)",
    )
    parser.add_argument(
        "--unsupported",
        default=None,
        metavar="A,B",
        help="optional features the implementation does not support: checks needing them report "
        "'unsupported', not a failure",
    )
    parser.add_argument(
        "--strict", action="store_true", help="count unsupported features as failures (exit 1)"
    )


def _validate(args: argparse.Namespace) -> None:
    from lstm_bench.conformance.runner import CHECK_NAMES, select_checks

    check_seed(args.seed)
    check_device(args.device)
    if args.autocast is not None:
        if args.dtype not in (None, "float32"):
            raise UsageError(
                f"--autocast {args.autocast} runs a float32 implementation; drop --dtype {args.dtype}"
            )
        if args.autocast == "float16" and args.device == "cpu":
            raise UsageError(
                "--autocast float16: CPU autocast is bfloat16 only; use --autocast bfloat16 or --device cuda"
            )
        args.dtype = "float32"
    elif args.dtype is None:
        args.dtype = "float64"
    for name in args.check or ():
        try:
            select_checks([name])
        except ValueError:
            raise UsageError(
                f"--check {name}: unknown check; choose a family (ranges, equivalence, gradients, invariants, contract) "
                f"or one of {', '.join(CHECK_NAMES)}"
            ) from None
    if args.json is not None:
        check_writable("--json", args.json)


def _computed_by(impl: LoadedImpl) -> str:
    """'computed by keras 3.15.1 (torch backend), checked against gru reset-before (...)'."""
    from lstm_bench.reference.choice import reference_summary

    against = reference_summary(impl.kind, impl.gru_variant)["description"]
    return f"computed by {impl.framework}, checked against {against}"


def run(args: argparse.Namespace) -> int:
    """Run every selected check on every --impl; print and optionally save the results."""
    from lstm_bench.conformance.render import (
        check_line,
        coverage_block,
        failure_block,
        note_lines,
        root_cause_lines,
        summary_line,
        tensor_lines,
    )
    from lstm_bench.conformance.result import CheckResult
    from lstm_bench.conformance.runner import run_conformance, select_checks
    from lstm_bench.loader import load_impl, parse_kind
    from lstm_bench.progress import PhaseProgress

    _validate(args)
    kind = parse_kind(args.kind)
    supports, unsupported = _features(args)
    # every load error before any checking
    impls = [load_impl(spec, kind, supports=supports, unsupported=unsupported) for spec in args.impl]
    count = len(select_checks(args.check))
    line = PhaseProgress("check", count, announce=False)  # stdout has one line per check; none here off a TTY

    def progress(name: str, done: int, planned: int) -> None:
        line.update(done, total=planned, note=f"{name}: case {done}/{planned}")

    def show(result: CheckResult) -> None:
        line.clear()
        print(check_line(result), flush=True)
        if result.notes:
            print("\n".join(note_lines(result)), flush=True)
        if result.name.startswith("gradients.") and result.status != "skip":
            print("\n".join(tensor_lines(result)), flush=True)

    reports = []
    for impl in impls:
        print(
            f"lstm-bench check: {impl.spec}: {count} checks, profile {args.profile}; {_computed_by(impl)}",
            file=sys.stderr,
            flush=True,
        )
        dtype = args.dtype if args.autocast is None else f"{args.dtype} autocast {args.autocast}"
        print(
            f"{impl.spec} ({impl.kind.value}, {dtype}, {args.device}, profile {args.profile}, seed {args.seed})"
        )
        report = run_conformance(
            impl,
            profile=args.profile,
            dtype=args.dtype,
            device=args.device,
            seed=args.seed,
            checks=args.check,
            on_result=show,
            progress=progress,
            autocast=args.autocast,
        )
        line.clear()
        failures = [failure_block(r) for r in report.results if r.status == "fail"]
        if failures:
            print("\n" + "\n".join([*root_cause_lines(report), *failures]))
        print(coverage_block(report), file=sys.stderr)  # stdout keeps one line per check, then the summary
        print(summary_line(report), flush=True)
        reports.append(report)
    if len(reports) > 1:
        failed = [r.spec for r in reports if not _passed(r, args.strict)]
        verdict = (
            f"{len(failed)} of {len(reports)} implementations failed: {', '.join(failed)}"
            if failed
            else "all passed"
        )
        print(f"summary: {verdict}")
    if args.json is not None:
        _save(args.json, [r.to_dict() for r in reports])
    if args.strict and any(r.passed and not r.strict_passed for r in reports):
        print("--strict: unsupported features count as failures", file=sys.stderr)
    return 0 if all(_passed(r, args.strict) for r in reports) else 1


def _passed(report: Any, strict: bool) -> bool:
    return bool(report.strict_passed if strict else report.passed)


def _features(args: argparse.Namespace) -> tuple[frozenset[Any], frozenset[Any]]:
    """--supports and --unsupported as feature sets; a feature in both is a usage error."""
    from lstm_bench.capabilities import parse_feature_list

    supports = parse_feature_list(args.supports, "--supports")
    unsupported = parse_feature_list(args.unsupported, "--unsupported")
    both = sorted(f.value for f in supports & unsupported)
    if both:
        raise UsageError(f"--supports and --unsupported both name {', '.join(both)}")
    return supports, unsupported


def _save(path: str, section: list[dict[str, Any]]) -> None:
    from lstm_bench.results import new_document, save_results

    document = new_document("check")
    document["conformance"] = section
    save_results(path, document)
    print(f"results written to {path}", file=sys.stderr)
