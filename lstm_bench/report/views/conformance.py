"""The conformance part of the report: one table of every check by every implementation, and each failure.

Reads ``ConformanceReport.to_dict()`` entries of the results document's ``"conformance"`` section
(``lstm_bench.conformance.result``): per check its status, worst error, tolerance (atol, rtol),
cases tried, time, and for a failure the minimal counterexample with a repro snippet.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lstm_bench.formatting import MISSING, as_float, fmt_error, fmt_percent, fmt_seconds, fmt_tolerance
from lstm_bench.report.views.common import Source, first, labelled, text

__all__ = [
    "CheckRow",
    "ConformanceMatrix",
    "ImplConformance",
    "MatrixCell",
    "conformance_matrix",
    "implementation_views",
]


@dataclass(frozen=True)
class CheckRow:
    """One conformance check of one implementation."""

    name: str
    status: str  # 'pass' | 'fail' | 'skip' | 'unsupported'
    worst_error: str
    tolerance: str
    headroom: str  # worst error as % of the tolerance
    seconds: str
    examples: str
    reason: str
    counterexample: str
    repro: str
    accuracy: str = ""  # '3.7 / 0.35': worst / median error vs float64 in units of u
    accuracy_title: str = ""  # 'bfloat16, u = 2^-8, bound 38u'
    notes: str = ""  # one-sided differences at kinks, the cuDNN deterministic setting, ...


@dataclass(frozen=True)
class CoverageLine:
    """One optional feature of one implementation: its support (and why) and the checks that used it."""

    feature: str
    status: str  # 'supported' | 'unsupported' | 'not applicable' | 'unknown'
    verdict: str
    usage: str


def _accuracy(check: Mapping[str, Any]) -> tuple[str, str]:
    """('worst / median', 'dtype, u, bound') of a check's accuracy figure, or ('', '') without one."""
    acc = check.get("accuracy")
    if not isinstance(acc, Mapping):
        return "", ""
    worst, median, bound = (
        as_float(acc.get("worst_u")),
        as_float(acc.get("median_u")),
        as_float(acc.get("bound_u")),
    )
    if worst is None or median is None:
        return "", ""

    def fmt(value: float) -> str:
        return f"{value:.3g}" if value < 1e4 else f"{value:.1e}"

    unit = as_float(acc.get("unit"))
    title = f"{text(acc.get('dtype'))}, u = {unit:.3g}" if unit is not None else text(acc.get("dtype"))
    if bound is not None:
        title += f", bound {fmt(bound)}u"
    return f"{fmt(worst)} / {fmt(median)}", title


@dataclass(frozen=True)
class ImplConformance:
    """Every check of one implementation in one source."""

    source: str
    name: str
    kind: str
    settings: str  # 'float64 · cpu · profile quick · seed 0'
    passed: bool
    summary: str
    rows: tuple[CheckRow, ...]
    coverage: tuple[CoverageLine, ...] = ()
    layout: str = ""


@dataclass(frozen=True)
class MatrixCell:
    """One check of one implementation in the conformance overview: status, worst error, a tooltip."""

    status: str
    text: str
    title: str


@dataclass(frozen=True)
class ConformanceMatrix:
    """Checks (rows) by implementations (columns): the whole conformance picture in one table."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, str, tuple[MatrixCell, ...]], ...]  # (check, tolerance, cells)


def _tolerance_text(tolerance: Any) -> str:
    if isinstance(tolerance, Mapping) and tolerance.get("label"):
        return text(tolerance["label"])
    if isinstance(tolerance, Mapping):
        atol, rtol = as_float(tolerance.get("atol")), as_float(tolerance.get("rtol"))
        if atol == 0 and rtol == 0:
            return "exact"
        if not rtol:
            return fmt_tolerance(atol)
        return f"{fmt_tolerance(atol)} + {fmt_tolerance(rtol)}·|ref|"
    return fmt_tolerance(tolerance) if tolerance is not None else MISSING


def _headroom(error: Any, tolerance: Any) -> str:
    """Worst error as a percentage of the absolute tolerance (how close to failing a pass was)."""
    err = as_float(error)
    atol = as_float(tolerance.get("atol")) if isinstance(tolerance, Mapping) else as_float(tolerance)
    if err is None or not atol or not math.isfinite(err):
        return MISSING
    used = err / atol
    return fmt_percent(100.0 * used) if used < 10 else f"{used:.1e}× tolerance"


def _model_headroom(check: Mapping[str, Any]) -> str:
    """Worst error as a share of the reduced-precision model's bound (both in units of u), or ''."""
    acc = check.get("accuracy")
    if not isinstance(acc, Mapping):
        return ""
    worst, bound = as_float(acc.get("worst_u")), as_float(acc.get("bound_u"))
    if worst is None or bound is None or bound <= 0:
        return ""
    used = worst / bound
    return fmt_percent(100.0 * used) if used < 10 else f"{used:.1e}× bound"


def _number(value: Any) -> str:
    number = as_float(value)
    return text(value) if number is None else f"{number:.6g}"


def _counterexample_text(counterexample: Any, reason: str) -> tuple[str, str]:
    """(the minimal case and every tensor that failed on it, the repro snippet) of a failure.

    The outcome's one-line detail is left out when it is the check's ``reason`` (shown above it).
    """
    if not isinstance(counterexample, Mapping):
        return text(counterexample), ""
    case = counterexample.get("case")
    outcome = counterexample.get("outcome")
    lines = []
    if isinstance(case, Mapping):
        lines.append("case: " + ", ".join(f"{k}={text(v)}" for k, v in case.items()))
    elif case is not None:
        lines.append(f"case: {text(case)}")
    if isinstance(outcome, Mapping):
        if outcome.get("detail") and text(outcome["detail"]) != reason:
            lines.append(text(outcome["detail"]))
        for tensor in outcome.get("tensors") or ():
            if isinstance(tensor, Mapping) and not tensor.get("passed", True):
                lines.append(
                    f"{text(tensor.get('tensor'))}: max abs {fmt_error(tensor.get('max_abs'))}, "
                    f"max rel {fmt_error(tensor.get('max_rel'))} at {text(tensor.get('where'))} "
                    f"(got {_number(tensor.get('got'))}, expected {_number(tensor.get('expected'))})"
                )
    return "\n".join(lines), text(counterexample.get("repro"))


def _check_row(check: Mapping[str, Any]) -> CheckRow:
    status = str(first(check, "status", default="pass" if check.get("passed", True) else "fail"))
    counterexample, repro = _counterexample_text(check.get("counterexample"), text(check.get("reason")))
    accuracy, accuracy_title = _accuracy(check)
    notes = check.get("notes")
    return CheckRow(
        name=text(check.get("name")),
        status=status,
        worst_error=fmt_error(check.get("worst_error")),
        tolerance=_tolerance_text(check.get("tolerance")),
        headroom=_model_headroom(check) or _headroom(check.get("worst_error"), check.get("tolerance")),
        seconds=fmt_seconds(check.get("seconds")),
        examples=text(check.get("examples") or ""),
        reason=text(check.get("reason")),
        counterexample=counterexample,
        repro=repro or text(check.get("repro")),
        accuracy=accuracy,
        accuracy_title=accuracy_title,
        notes="; ".join(text(n) for n in notes) if isinstance(notes, list) else "",
    )


def _coverage(report: Mapping[str, Any]) -> tuple[tuple[CoverageLine, ...], str]:
    """The coverage table (``conformance.coverage``) of one report; empty for documents without capabilities."""
    from lstm_bench.conformance.coverage import coverage, layout_line
    from lstm_bench.conformance.result import ConformanceReport

    if not report.get("capabilities"):
        return (), ""
    try:
        parsed = ConformanceReport.from_dict(report)
    except (KeyError, TypeError, ValueError):
        return (), ""
    lines = []
    for row in coverage(parsed):
        if row.supported is None:
            status = "unknown"
        elif row.source == "not applicable":
            status = "not applicable"
        else:
            status = "supported" if row.supported else "unsupported"
        lines.append(CoverageLine(row.feature, status, row.verdict(), row.usage()))
    return tuple(lines), layout_line(parsed)


def conformance_matrix(conformance: Sequence[ImplConformance], many: bool) -> ConformanceMatrix | None:
    """Every check by every implementation; the tolerance column shows one value when all agree."""
    if not conformance:
        return None
    names = list(dict.fromkeys(row.name for impl in conformance for row in impl.rows))
    rows = []
    for name in names:
        cells, tolerances = [], set()
        for impl in conformance:
            row = next((r for r in impl.rows if r.name == name), None)
            if row is None:
                cells.append(MatrixCell("absent", MISSING, "not run"))
                continue
            tolerances.add(row.tolerance)
            mark = {"pass": "✓", "fail": "✗", "skip": "–"}.get(row.status, "?")
            text = {"skip": "skipped", "unsupported": "unsupported"}.get(
                row.status, f"{mark} {row.worst_error}"
            )
            title = (
                row.reason
                or f"worst error {row.worst_error} vs tolerance {row.tolerance}; {row.examples} cases, {row.seconds}"
            )
            if row.accuracy:
                title += f"; vs float64 worst / median {row.accuracy} u ({row.accuracy_title})"
            cells.append(MatrixCell(row.status, text, title))
        tolerances.discard(MISSING)
        tolerance = tolerances.pop() if len(tolerances) == 1 else ("varies" if tolerances else MISSING)
        rows.append((name, tolerance, tuple(cells)))
    names = [impl.name for impl in conformance]
    columns = tuple(
        labelled(
            impl.source, impl.name if names.count(impl.name) == 1 else f"{impl.name} ({impl.kind})", many
        )
        for impl in conformance
    )  # torch.nn:RNN checked as rnn and as rnn-relu gets its kind in its column
    return ConformanceMatrix(columns, tuple(rows))


def implementation_views(source: Source) -> list[ImplConformance]:
    out = []
    for report in source.document.get("conformance") or ():
        if not isinstance(report, Mapping):
            continue
        rows = tuple(_check_row(c) for c in report.get("checks") or () if isinstance(c, Mapping))
        failed = sum(r.status == "fail" for r in rows)
        skipped = sum(r.status == "skip" for r in rows)
        unsupported = sum(r.status == "unsupported" for r in rows)
        passed = bool(report.get("passed", failed == 0)) and failed == 0
        settings = " · ".join(
            part
            for part in (
                text(report.get("framework") or ""),  # 'keras 3.15.1 (torch backend)', 'torch 2.13.0'
                f"vs {text(report['reference'].get('description'))}" if report.get("reference") else "",
                text(report.get("dtype")),
                f"autocast {text(report['autocast'])}" if report.get("autocast") else "",
                text(report.get("device")),
                f"profile {report['profile']}" if report.get("profile") else "",
                f"seed {report['seed']}" if report.get("seed") is not None else "",
                fmt_seconds(report.get("seconds")) if report.get("seconds") is not None else "",
            )
            if part
        )
        ran = len(rows) - skipped - unsupported
        summary = (
            f"{ran - failed}/{ran} checks passed"
            + (f", {skipped} skipped" if skipped else "")
            + (f", {unsupported} unsupported" if unsupported else "")
        )
        coverage_lines, layout = _coverage(report)
        out.append(
            ImplConformance(
                source=source.label,
                name=text(first(report, "spec", "impl", "name", default="?")),
                kind=text(report.get("kind")),
                settings=settings,
                passed=passed,
                summary=summary,
                rows=rows,
                coverage=coverage_lines,
                layout=layout,
            )
        )
    return out
