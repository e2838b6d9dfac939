"""The gate-activation part of the report: one panel per gate, one outline per model (``GateActivations``)."""

from __future__ import annotations

from collections.abc import Sequence

from lstm_bench.report import plots
from lstm_bench.report.views.common import Figure, Source, labelled

__all__ = ["gate_figures"]


def gate_figures(sources: Sequence[Source]) -> list[Figure]:
    figures = []
    many = len(sources) > 1
    for source in sources:
        gates = source.results.gates
        if gates is None:
            continue
        by_kind: dict[str, list[plots.GateHistogram]] = {}
        for model in gates.models:
            for gate, hist in model.histograms.items():
                by_kind.setdefault(model.kind, []).append(
                    plots.GateHistogram(label=model.label, gate=gate, edges=hist.edges, counts=hist.counts)
                )
        for kind, histograms in by_kind.items():
            title = labelled(source.label, f"{kind.upper()} gate activations", many)
            figures.append(Figure(f"{title}. {gates.setting}", plots.gate_histogram_svg(histograms, title)))
    return figures
