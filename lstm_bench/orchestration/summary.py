"""The final summary ``lstm-bench run`` prints: the verdict per implementation, phase times, the report's path."""

from __future__ import annotations

import sys
from typing import TextIO

from lstm_bench.formatting import fmt_seconds
from lstm_bench.orchestration.pipeline import RunOutcome
from lstm_bench.report.sections import Source, build_summary

__all__ = ["print_summary", "summary_lines"]


def summary_lines(outcome: RunOutcome) -> list[str]:
    """The summary as lines of text (no colour, no trailing spaces)."""
    verdict = build_summary(Source("run", outcome.document))
    lines = [f"lstm-bench run: {verdict.headline}"]
    width = max((len(v.name) for v in verdict.verdicts), default=0)
    for v in verdict.verdicts:
        facts = " · ".join(part for part in (v.checks, v.horizon, v.speed) if part)
        lines.append(f"  {'PASS' if v.status == 'pass' else 'FAIL'}  {v.name:<{width}}  {facts}".rstrip())
        if v.failed:
            lines.append(f"        failed: {', '.join(v.failed)}")
    for phase in outcome.phases:
        if phase["status"] != "ok":
            lines.append(f"  phase {phase['name']}: {phase['status']}: {phase['summary']}")
    total = outcome.document.get("run", {}).get("seconds")
    lines.append(
        f"report: {outcome.folder / 'index.html'}  (results.json beside it; {fmt_seconds(total)} in all)"
    )
    return lines


def print_summary(outcome: RunOutcome, stream: TextIO | None = None) -> None:
    """Print ``summary_lines`` to stdout (or ``stream``)."""
    out = sys.stdout if stream is None else stream
    out.write("\n".join(summary_lines(outcome)) + "\n")
