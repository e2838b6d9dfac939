"""The baseline-comparison part of the report: ``lstm_bench.gate``'s verdicts, regressions red, improvements green."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lstm_bench.formatting import MISSING, as_float, fmt_ratio, fmt_seconds
from lstm_bench.report.views.common import inner, text

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


def comparison_rows(comparison: Mapping[str, Any] | None) -> tuple[tuple[ComparisonRow, ...] | None, str]:
    """Rows of ``lstm_bench.gate``'s ``Comparison.to_dict()``: regressions first, then errors, warnings, improvements."""
    if comparison is None:
        return None, ""
    rows = []
    for timing in comparison.get("timings") or ():
        if not isinstance(timing, Mapping):
            continue
        estimate = inner(timing, "estimate")  # the timing itself when there is no estimate: no interval shown
        rows.append(
            ComparisonRow(
                name=text(timing.get("name")),
                category="timing",
                baseline=fmt_seconds(timing.get("baseline_median_s")),
                candidate=fmt_seconds(timing.get("candidate_median_s")),
                change=_change_text(timing.get("ratio"), estimate, timing.get("pairs")),
                verdict=text(timing.get("verdict") or "unchanged"),
                detail=text(timing.get("reason")),
            )
        )
    for finding in comparison.get("findings") or ():
        if not isinstance(finding, Mapping):
            continue
        rows.append(
            ComparisonRow(
                name=text(finding.get("subject")),
                category=text(finding.get("area")),
                baseline="",
                candidate="",
                change="",
                verdict=text(finding.get("severity")),
                detail=text(finding.get("message")),
            )
        )
    rows.sort(
        key=lambda r: _ORDER.get(r.verdict, len(_ORDER))
    )  # stable: timings before findings within a verdict
    regressions = sum(r.verdict == "regression" for r in rows)
    improvements = sum(r.verdict == "improvement" for r in rows)
    undecided = sum(r.verdict == "inconclusive" for r in rows)
    timings = sum(r.category == "timing" for r in rows)
    names = " vs ".join(text(comparison.get(k)) for k in ("candidate", "baseline") if comparison.get(k))
    summary = f"{regressions} regression(s), {improvements} improvement(s); {timings} benchmark(s) timed on both sides"
    if undecided:
        summary = f"{regressions} regression(s), {undecided} inconclusive, {improvements} improvement(s); {timings} benchmark(s) timed on both sides"
    return tuple(rows), f"{names}: {summary}" if names else summary


def _change_text(ratio_value: Any, estimate: Mapping[str, Any], pairs_value: Any = None) -> str:
    """'1.29× [1.21, 1.37], p = 0.003': candidate / baseline with its interval, p-value and (A/B) pairs."""
    ratio = as_float(ratio_value)
    if ratio is None:
        return MISSING
    low, high = as_float(estimate.get("low")), as_float(estimate.get("high"))
    interval = f" [{low:.3f}, {high:.3f}]" if low is not None and high is not None else ""
    p_value = as_float(estimate.get("p_value"))
    p_text = f", p = {p_value:.2g}" if p_value is not None else ""
    pairs = as_float(pairs_value)
    pairs_text = f", {int(pairs)} pairs" if pairs is not None else ""
    return f"{fmt_ratio(ratio)}{interval}{p_text}{pairs_text}"
