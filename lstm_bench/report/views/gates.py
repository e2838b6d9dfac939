"""The gate-activation part of the report: one panel per gate, one outline per model (the ``"gates"`` section)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lstm_bench.report import plots
from lstm_bench.report.views.common import Figure, Source, labelled, text

__all__ = ["gate_figures"]


def gate_figures(sources: Sequence[Source]) -> list[Figure]:
    figures = []
    many = len(sources) > 1
    for source in sources:
        gates = source.document.get("gates")
        if not isinstance(gates, Mapping):
            continue
        by_kind: dict[str, list[plots.GateHistogram]] = {}
        for model in gates.get("models") or ():
            for gate, hist in (model.get("histograms") or {}).items():
                by_kind.setdefault(text(model.get("kind")), []).append(
                    plots.GateHistogram(
                        label=text(model.get("label")),
                        gate=text(gate),
                        edges=tuple(float(e) for e in hist["edges"]),
                        counts=tuple(float(c) for c in hist["counts"]),
                    )
                )
        setting = text(gates.get("setting"))
        for kind, histograms in by_kind.items():
            title = labelled(source.label, f"{kind.upper()} gate activations", many)
            figures.append(Figure(f"{title}. {setting}", plots.gate_histogram_svg(histograms, title)))
    return figures
