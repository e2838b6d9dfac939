"""What the report shows, assembled from results documents: the verdict and one view per section, no HTML.

``build_report(sources, comparison)`` reads one or more results documents (several side by side:
two machines, before/after) and returns the ``ReportView`` the template renders. Each section's
view comes from its module in ``views`` (environment, conformance, gates, stability,
benchmarks, comparison). Every number is formatted there with its unit; every string from a
user (implementation names, benchmark names, error text, repro snippets) stays a plain string
and is escaped by the template. Plots are inline SVG (``plots``).

The verdict: an implementation passes when none of its conformance checks failed; its card also
shows the longest recall horizon it learned and its speed relative to torch-native (geometric
mean over the benchmark cases of its kind).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lstm_bench.bench.stats import NOISE_THRESHOLD
from lstm_bench.formatting import fmt_ratio
from lstm_bench.report.views.benchmarks import (
    NATIVE_BACKEND,
    BenchRow,
    bench_figures,
    bench_rows,
    side_by_side,
)
from lstm_bench.report.views.common import Figure, Source, Table, geomean
from lstm_bench.report.views.comparison import ComparisonRow, comparison_rows
from lstm_bench.report.views.conformance import (
    ConformanceMatrix,
    ImplConformance,
    conformance_matrix,
    implementation_views,
)
from lstm_bench.report.views.environment import environment_table
from lstm_bench.report.views.gates import gate_figures
from lstm_bench.report.views.stability import gradient_view, recall_view

if TYPE_CHECKING:
    from lstm_bench.gate.result import Comparison

__all__ = ["ImplVerdict", "ReportView", "Source", "Summary", "build_report", "build_summary"]

#: Specs of lstm-bench's PyTorch references and of torch.nn's modules -> their benchmark backend.
_BACKEND_OF_SPEC = {"lstm_bench.reference.torch_ref": "torch-ref", "torch.nn": NATIVE_BACKEND}


@dataclass(frozen=True)
class ImplVerdict:
    """The at-a-glance card of one implementation in one source."""

    source: str
    name: str
    kind: str
    status: str  # 'pass' | 'fail'
    checks: str  # '17/17 checks passed'
    failed: tuple[str, ...]
    horizon: str  # 'learns recall up to T = 200' or ''
    speed: str  # '1.31× torch-native (geomean of 4 cases)' or ''


@dataclass(frozen=True)
class Summary:
    """The verdict alone: overall status, headline and one card per implementation."""

    overall: str  # 'pass' | 'fail' | 'not checked'
    headline: str
    verdicts: tuple[ImplVerdict, ...]


@dataclass
class ReportView:
    """Everything the template shows."""

    title: str
    created: str
    sources: tuple[str, ...]
    summary: Summary
    environment: Table
    conformance: tuple[ImplConformance, ...]
    matrix: ConformanceMatrix | None
    gate_figures: tuple[Figure, ...]
    gradient_figures: tuple[Figure, ...]
    gradient_table: Table | None
    recall_figures: tuple[Figure, ...]
    recall_table: Table | None
    bench_rows: tuple[BenchRow, ...]
    bench_figures: tuple[Figure, ...]
    bench_notes: tuple[str, ...]
    side_by_side: Table | None
    comparison: tuple[ComparisonRow, ...] | None
    comparison_summary: str
    missing: tuple[str, ...] = field(default_factory=tuple)

    @property
    def overall(self) -> str:
        """'pass', 'fail' or 'not checked'."""
        return self.summary.overall

    @property
    def headline(self) -> str:
        """The banner's sentence."""
        return self.summary.headline

    @property
    def verdicts(self) -> tuple[ImplVerdict, ...]:
        """One card per implementation."""
        return self.summary.verdicts


def _backend_of(spec: str) -> str:
    """The benchmark backend that times implementation ``spec``."""
    module = spec.split(":", 1)[0]
    return _BACKEND_OF_SPEC.get(module, f"impl:{spec}")


def _speed(rows: Sequence[BenchRow], backend: str, kind: str) -> str:
    ratios = [
        r.speedup_value
        for r in rows
        if r.backend == backend and r.kind == kind and math.isfinite(r.speedup_value) and r.speedup_value > 0
    ]
    if not ratios or backend == NATIVE_BACKEND:
        return ""
    return f"{fmt_ratio(geomean(ratios))} torch-native speed (geomean of {len(ratios)} cases)"


def _horizon(source: Source, spec: str, kind: str, task: str = "recall") -> int | None:
    """The longest ``task`` horizon learned by the sweep's model that stands for ``spec`` (``model_for``)."""
    report = source.results.stability
    model = None if report is None else report.model_for(spec, kind)
    return None if report is None or model is None else report.longest_horizon(model.label, task)


def _verdicts(
    sources: Sequence[Source], conformance: Sequence[ImplConformance], bench: Sequence[BenchRow]
) -> list[ImplVerdict]:
    verdicts = []
    for source in sources:
        rows = [r for r in bench if r.source == source.label]
        for impl in (c for c in conformance if c.source == source.label):
            horizon = _horizon(source, impl.name, impl.kind)
            verdicts.append(
                ImplVerdict(
                    source=source.label,
                    name=impl.name,
                    kind=impl.kind,
                    status="pass" if impl.passed else "fail",
                    checks=impl.summary,
                    failed=tuple(r.name for r in impl.rows if r.status == "fail"),
                    horizon=f"learns recall up to T = {horizon:g}" if horizon else "",
                    speed=_speed(rows, _backend_of(impl.name), impl.kind),
                )
            )
    return verdicts


def _headline(verdicts: Sequence[ImplVerdict]) -> tuple[str, str]:
    if not verdicts:
        return "not checked", "No conformance results in these inputs: correctness was not checked."
    failed = [v for v in verdicts if v.status == "fail"]
    if failed:
        names = ", ".join(v.name for v in failed[:3]) + (" …" if len(failed) > 3 else "")
        return "fail", f"{len(failed)} of {len(verdicts)} implementations FAILED conformance: {names}"
    return "pass", f"All {len(verdicts)} implementations passed every conformance check."


def _missing(sources: Sequence[Source]) -> list[str]:
    return [
        key
        for key in ("conformance", "stability", "benchmarks")
        if not any(s.results.has(key) for s in sources)
    ]


def _summary(
    sources: Sequence[Source], conformance: Sequence[ImplConformance], bench: Sequence[BenchRow]
) -> Summary:
    verdicts = _verdicts(sources, conformance, bench)
    overall, headline = _headline(verdicts)
    return Summary(overall, headline, tuple(verdicts))


def build_summary(*sources: Source) -> Summary:
    """The verdict of ``sources`` without any plot (what ``lstm-bench run`` prints at the end)."""
    conformance = [c for s in sources for c in implementation_views(s)]
    return _summary(sources, conformance, [r for s in sources for r in bench_rows(s)])


def _bench_notes(sources: Sequence[Source]) -> tuple[str, ...]:
    notes: list[str] = []
    for source in sources:
        section = source.results.benchmarks
        run = section.conditions if section is not None else None
        if run is None:
            continue
        prefix = f"[{source.label}] " if len(sources) > 1 else ""
        notes += [f"{prefix}⚠ {warning}" for warning in run.warnings]
        timing = run.timing_note()
        if timing is not None:
            notes.append(f"{prefix}{timing}")
        if run.flop_model and not any(n.endswith(run.flop_model) for n in notes):
            notes.append(f"FLOP model: {run.flop_model}")
    notes.append(
        "Times are medians over calibrated rounds; spread is the interquartile range as a share of the "
        f"median, flagged noisy above {100 * NOISE_THRESHOLD:.0f} %."
    )
    return tuple(notes)


def build_report(
    sources: Sequence[Source], comparison: Comparison | None = None, title: str = "lstm-bench report"
) -> ReportView:
    """The view model of a report on ``sources`` (one or more results documents), with an optional baseline comparison."""
    if not sources:
        raise ValueError("a report needs at least one results document")
    many = len(sources) > 1
    conformance = [c for s in sources for c in implementation_views(s)]
    bench = [r for s in sources for r in bench_rows(s)]
    gradient_figures, gradient_table = gradient_view(sources)
    recall_figures, recall_table = recall_view(sources)
    comparison_table, comparison_summary = comparison_rows(comparison)
    return ReportView(
        title=title,
        created=sources[-1].results.created,
        sources=tuple(s.label for s in sources),
        summary=_summary(sources, conformance, bench),
        environment=environment_table(sources),
        conformance=tuple(conformance),
        matrix=conformance_matrix(conformance, many),
        gate_figures=tuple(gate_figures(sources)),
        gradient_figures=tuple(gradient_figures),
        gradient_table=gradient_table,
        recall_figures=tuple(recall_figures),
        recall_table=recall_table,
        bench_rows=tuple(bench),
        bench_figures=tuple(bench_figures(bench, sources)),
        bench_notes=_bench_notes(sources),
        side_by_side=side_by_side(bench, sources),
        comparison=comparison_table,
        comparison_summary=comparison_summary,
        missing=tuple(_missing(sources)),
    )
