"""The conformance part of the report: one table of every check by every implementation, and each failure.

Reads the typed ``ConformanceReport`` of each implementation run (``lstm_bench.conformance.result``):
per check its status, worst error, tolerance (``Tolerance.describe``), headroom
(``CheckResult.headroom``), cases tried, time, and for a failure the minimal counterexample with
a repro snippet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lstm_bench.conformance.result import CheckResult, ConformanceReport, Counterexample
from lstm_bench.formatting import MISSING, fmt_error, fmt_percent, fmt_seconds
from lstm_bench.report.views.common import Source, labelled, text

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


def _accuracy(check: CheckResult) -> tuple[str, str]:
    """('worst / median', 'dtype, u, bound') of a check's accuracy figure, or ('', '') without one."""
    acc = check.accuracy
    if acc is None:
        return "", ""

    def fmt(value: float) -> str:
        return f"{value:.3g}" if value < 1e4 else f"{value:.1e}"

    title = f"{acc.dtype}, u = {acc.unit:.3g}"
    if acc.bound is not None:
        title += f", bound {fmt(acc.bound)}u"
    return f"{fmt(acc.worst)} / {fmt(acc.median)}", title


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


def _headroom(check: CheckResult) -> str:
    """Worst error as a percentage of the bound or tolerance (how close to failing a pass was)."""
    headroom = check.headroom
    if headroom is None:
        return MISSING
    used, of = headroom
    return fmt_percent(100.0 * used) if used < 10 else f"{used:.1e}× {of}"


def _counterexample_text(counterexample: Counterexample | None, reason: str) -> tuple[str, str]:
    """(the minimal case and every tensor that failed on it, the repro snippet) of a failure.

    The outcome's one-line detail is left out when it is the check's ``reason`` (shown above it).
    """
    if counterexample is None:
        return "", ""
    lines = ["case: " + ", ".join(f"{k}={text(v)}" for k, v in counterexample.case.items())]
    outcome = counterexample.outcome
    if outcome.detail and outcome.detail != reason:
        lines.append(outcome.detail)
    for tensor in outcome.tensors:
        if not tensor.passed:
            lines.append(
                f"{tensor.tensor}: max abs {fmt_error(tensor.max_abs)}, "
                f"max rel {fmt_error(tensor.max_rel)} at {tensor.where} "
                f"(got {tensor.got:.6g}, expected {tensor.expected:.6g})"
            )
    return "\n".join(lines), counterexample.repro


def _check_row(check: CheckResult) -> CheckRow:
    counterexample, repro = _counterexample_text(check.counterexample, check.reason)
    accuracy, accuracy_title = _accuracy(check)
    return CheckRow(
        name=check.name,
        status=check.status,
        worst_error=fmt_error(check.worst_error),
        tolerance=check.tolerance.describe() if check.tolerance is not None else MISSING,
        headroom=_headroom(check),
        seconds=fmt_seconds(check.seconds),
        examples=str(check.examples or ""),
        reason=check.reason,
        counterexample=counterexample,
        repro=repro,
        accuracy=accuracy,
        accuracy_title=accuracy_title,
        notes="; ".join(check.notes),
    )


def _coverage(report: ConformanceReport) -> tuple[tuple[CoverageLine, ...], str]:
    """The coverage table (``conformance.coverage``) of one report; empty for reports without capabilities."""
    from lstm_bench.conformance.coverage import coverage, layout_line

    if not report.capabilities:
        return (), ""
    lines = []
    for row in coverage(report):
        if row.supported is None:
            status = "unknown"
        elif row.source == "not applicable":
            status = "not applicable"
        else:
            status = "supported" if row.supported else "unsupported"
        lines.append(CoverageLine(row.feature, status, row.verdict(), row.usage()))
    return tuple(lines), layout_line(report)


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
    for report in source.results.conformance or ():
        rows = tuple(_check_row(c) for c in report.results)
        failed, skipped, unsupported = report.count("fail"), report.count("skip"), report.count("unsupported")
        settings = " · ".join(
            part
            for part in (
                report.framework,  # 'keras 3.15.1 (torch backend)', 'torch 2.13.0'
                f"vs {report.reference.get('description')}" if report.reference.get("description") else "",
                report.dtype,
                f"autocast {report.autocast}" if report.autocast else "",
                report.device,
                f"profile {report.profile}" if report.profile else "",
                f"seed {report.seed}",
                fmt_seconds(report.seconds),
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
                name=report.spec,
                kind=report.kind,
                settings=settings,
                passed=report.passed,
                summary=summary,
                rows=rows,
                coverage=coverage_lines,
                layout=layout,
            )
        )
    return out
