"""``lstm-bench compare``: gate a candidate results file against a baseline (timing, correctness, stability)."""

from __future__ import annotations

import argparse

NAME = "compare"
HELP = "compare two results files; exit 1 when a benchmark, conformance check or stability figure regressed (or a timing is inconclusive)"
EXAMPLES = (
    "lstm-bench compare baseline.json candidate.json",
    "lstm-bench compare main.json pr.json --max-slowdown 5% --alpha 0.01 --format markdown > comment.md",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``compare``."""
    parser.add_argument(
        "baseline",
        metavar="BASELINE.json",
        help="results of the reference run (lstm-bench or pytest-benchmark JSON)",
    )
    parser.add_argument("candidate", metavar="CANDIDATE.json", help="results of the run under test")
    parser.add_argument(
        "--max-slowdown",
        default=None,
        metavar="PCT",
        help="tolerated slowdown, e.g. 5%% (default: [tool.lstm-bench] max-slowdown in pyproject.toml, else 3%%)",
    )
    parser.add_argument(
        "--alpha", type=float, default=None, help="significance level (default: pyproject.toml, else 0.01)"
    )
    parser.add_argument(
        "--format", default="text", choices=("text", "markdown", "json"), help="output format (default text)"
    )
    parser.add_argument("--output", metavar="PATH", help="also write the output to PATH (atomically)")
    parser.add_argument(
        "--allow-inconclusive",
        action="store_true",
        help="exit 0 when a timing is inconclusive (its interval neither excludes the threshold nor shows a change beyond it)",
    )


def run(args: argparse.Namespace) -> int:
    """Load both files, compare, print; 1 when anything regressed or a timing is inconclusive (unless allowed), 0 otherwise, 2 on bad input."""
    import sys

    from lstm_bench.atomic import write_text_atomic
    from lstm_bench.commands._options import check_output
    from lstm_bench.documents import read_document
    from lstm_bench.gate.compare import compare_documents
    from lstm_bench.gate.config import load_config
    from lstm_bench.gate.format import render

    if args.output is not None:
        check_output("--output", args.output, [args.baseline, args.candidate])
    config = load_config().with_overrides(max_slowdown=args.max_slowdown, alpha=args.alpha)
    baseline = read_document(args.baseline)  # each section typed: schema drift is one line, exit 2
    candidate = read_document(args.candidate)
    comparison = compare_documents(
        baseline, candidate, config, baseline_name=str(args.baseline), candidate_name=str(args.candidate)
    )
    text = render(comparison, args.format)
    print(text, end="")
    if args.output is not None:
        write_text_atomic(args.output, text)
    if args.format != "text":  # the verdict on stderr, so a redirected PR comment still shows it in the log
        undecided = f", {len(comparison.inconclusive)} inconclusive" if comparison.inconclusive else ""
        print(f"lstm-bench compare: {len(comparison.regressions)} regression(s){undecided}", file=sys.stderr)
    return comparison.exit_code_for(allow_inconclusive=args.allow_inconclusive)
