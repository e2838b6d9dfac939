"""The baseline-comparison part of the report: ``lstm_bench.gate``'s verdicts, regressions red, improvements green."""

from __future__ import annotations

from dataclasses import dataclass

from lstm_bench.formatting import fmt_ratio, fmt_seconds
from lstm_bench.gate.result import Comparison, TimingComparison

__all__ = ["ComparisonRow", "comparison_rows"]


@dataclass(frozen=True)
class ComparisonRow:
    """One entry of a baseline comparison."""

    name: str
    category: str  # 'timing', or a finding's area: 'conformance', 'stability', 'benchmarks', 'input'
    baseline: str
    candidate: str
    change: str
    verdict: str  # 'regression' | 'inconclusive' | 'improvement' | 'unchanged' | 'error' | 'warning' | 'note'
    detail: str


_ORDER = {
    "regression": 0,
    "inconclusive": 1,
    "error": 2,
    "warning": 3,
    "improvement": 4,
    "unchanged": 5,
    "note": 6,
}


def comparison_rows(comparison: Comparison | None) -> tuple[tuple[ComparisonRow, ...] | None, str]:
    """Rows of ``lstm_bench.gate``'s ``Comparison``: regressions first, then errors, warnings, improvements."""
    if comparison is None:
        return None, ""
    rows = [
        ComparisonRow(
            name=timing.name,
            category="timing",
            baseline=fmt_seconds(timing.baseline_median),
            candidate=fmt_seconds(timing.candidate_median),
            change=_change_text(timing),
            verdict=timing.verdict.value,
            detail=timing.reason,
        )
        for timing in comparison.timings
    ]
    rows += [
        ComparisonRow(f.subject, f.area, "", "", "", f.severity.value, f.message) for f in comparison.findings
    ]
    rows.sort(
        key=lambda r: _ORDER.get(r.verdict, len(_ORDER))
    )  # stable: timings before findings within a verdict
    regressions = sum(r.verdict == "regression" for r in rows)
    improvements = sum(r.verdict == "improvement" for r in rows)
    undecided = sum(r.verdict == "inconclusive" for r in rows)
    timings = len(comparison.timings)
    names = " vs ".join(n for n in (comparison.candidate, comparison.baseline) if n)
    summary = f"{regressions} regression(s), {improvements} improvement(s); {timings} benchmark(s) timed on both sides"
    if undecided:
        summary = f"{regressions} regression(s), {undecided} inconclusive, {improvements} improvement(s); {timings} benchmark(s) timed on both sides"
    return tuple(rows), f"{names}: {summary}" if names else summary


def _change_text(timing: TimingComparison) -> str:
    """'1.29× [1.21, 1.37], p = 0.003, 16 pairs + 16 to confirm': candidate / baseline with its
    interval, p-value and (A/B) pairs."""
    estimate = timing.estimate
    interval = f" [{estimate.low:.3f}, {estimate.high:.3f}]" if estimate is not None else ""
    p_text = f", p = {estimate.p_value:.2g}" if estimate is not None else ""
    fresh = f" + {timing.confirmation['pairs']} to confirm" if timing.confirmation is not None else ""
    pairs_text = f", {timing.pairs} pairs{fresh}" if timing.pairs is not None else ""
    return f"{fmt_ratio(timing.ratio)}{interval}{p_text}{pairs_text}"
