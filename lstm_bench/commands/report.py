"""``lstm-bench report``: re-render the HTML report from saved results, several side by side."""

from __future__ import annotations

import argparse

NAME = "report"
HELP = "render an HTML report from results files (ours or pytest-benchmark JSON), side by side"
EXAMPLES = (
    "lstm-bench report reports/latest/results.json -o report.html",
    "lstm-bench report before.json after.json -o before-after.html",
    "lstm-bench report results.json --baseline main.json",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``report``."""
    parser.add_argument(
        "results", nargs="+", metavar="RESULT.json", help="results files, shown side by side in this order"
    )
    parser.add_argument(
        "-o",
        "--output",
        default="report.html",
        metavar="OUT.html",
        help="where to write (default report.html)",
    )
    parser.add_argument(
        "--baseline", default=None, metavar="RESULTS.json", help="compare the last input with this baseline"
    )
    parser.add_argument("--title", default="lstm-bench report", help="page title")


def run(args: argparse.Namespace) -> int:
    """Load, validate and render; write the page atomically. Exit 2 on a bad input file."""
    from lstm_bench.atomic import write_text_atomic
    from lstm_bench.commands._options import check_output
    from lstm_bench.report.inputs import compare_documents, load_document
    from lstm_bench.report.render import render_html, source_label
    from lstm_bench.report.sections import Source

    check_output("--output", args.output, [*args.results, *([args.baseline] if args.baseline else [])])
    documents = [load_document(path) for path in args.results]
    labels = _unique(
        [
            source_label(doc, i, len(documents), path)
            for i, (doc, path) in enumerate(zip(documents, args.results, strict=True))
        ]
    )
    comparison = None
    if args.baseline is not None:
        comparison = compare_documents(load_document(args.baseline), documents[-1])
    html = render_html(
        [Source(label, doc) for label, doc in zip(labels, documents, strict=True)], comparison, args.title
    )
    path = write_text_atomic(args.output, html)
    print(
        f"report: {path} ({len(html) / 1024:.0f} KiB, {len(documents)} input{'s' if len(documents) > 1 else ''})"
    )
    return 1 if comparison is not None and comparison.regressed else 0


def _unique(labels: list[str]) -> list[str]:
    """Labels made distinct by a ' (2)' suffix where two inputs would read the same."""
    seen: dict[str, int] = {}
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out
