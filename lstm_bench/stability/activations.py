"""Gate activation histograms: a trace of the reference models on random input, binned per gate.

For each model the reference (``torch_ref``) runs over x ~ N(0, 1) of shape (T, B, I) from a zero
state and records every gate's activation at every step and unit; each gate's T·B·H values are
counted in ``BINS`` equal bins over its range: [0, 1] for the sigmoid gates (LSTM input,
forget, output; GRU reset, update), [-1, 1] for the tanh candidates (LSTM C~, GRU n).
The section (``"gates"`` in the results document, ``GateActivations``) holds the counts only,
so the renderer never runs a model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "BINS",
    "GATE_MODELS",
    "GateActivations",
    "GateHistogram",
    "GateModel",
    "ModelActivations",
    "gate_section",
]

BINS = 40


@dataclass(frozen=True)
class GateModel:
    """A reference model to trace: ``kind`` ('lstm' or 'gru') and initialisation ``init``."""

    kind: str
    init: str = "default"

    @property
    def label(self) -> str:
        """'LSTM (chrono)' or 'GRU'."""
        return self.kind.upper() + ("" if self.init == "default" else f" ({self.init})")


#: The models the report shows: the LSTM under the three inits the stability sweep compares, and the GRU.
GATE_MODELS: tuple[GateModel, ...] = (
    GateModel("lstm", "default"),
    GateModel("lstm", "forget-bias"),
    GateModel("lstm", "chrono"),
    GateModel("gru", "default"),
)


@dataclass(frozen=True)
class GateHistogram:
    """Counts of one gate's activations in equal bins between ``edges`` (len(edges) = len(counts) + 1)."""

    edges: tuple[float, ...]
    counts: tuple[float, ...]

    def to_dict(self) -> dict[str, list[float]]:
        """JSON-ready fields."""
        return {"edges": list(self.edges), "counts": list(self.counts)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateHistogram:
        """Inverse of ``to_dict``."""
        edges, counts = tuple(float(e) for e in data["edges"]), tuple(float(c) for c in data["counts"])
        if len(edges) != len(counts) + 1:
            raise ValueError(f"{len(edges)} edges for {len(counts)} counts")
        return cls(edges, counts)


@dataclass(frozen=True)
class ModelActivations:
    """Every gate's histogram of one traced model (gate name -> histogram, in the kind's gate order)."""

    label: str
    kind: str
    init: str
    histograms: Mapping[str, GateHistogram]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "label": self.label,
            "kind": self.kind,
            "init": self.init,
            "histograms": {name: h.to_dict() for name, h in self.histograms.items()},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModelActivations:
        """Inverse of ``to_dict``."""
        histograms = {str(k): GateHistogram.from_dict(v) for k, v in data["histograms"].items()}
        return cls(str(data["label"]), str(data["kind"]), str(data["init"]), histograms)


@dataclass(frozen=True)
class GateActivations:
    """The ``"gates"`` section: how the traces were made (``setting``), the bin count and every model."""

    setting: str
    bins: int
    models: tuple[ModelActivations, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"setting": self.setting, "bins": self.bins, "models": [m.to_dict() for m in self.models]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> GateActivations:
        """Inverse of ``to_dict``."""
        return cls(
            str(data["setting"]),
            int(data["bins"]),
            tuple(ModelActivations.from_dict(m) for m in data["models"]),
        )


def _histogram(values: Any, low: float, high: float) -> GateHistogram:
    import torch

    counts = torch.histc(values.double().flatten(), bins=BINS, min=low, max=high)
    edges = torch.linspace(low, high, BINS + 1, dtype=torch.float64)
    return GateHistogram(tuple(round(float(e), 6) for e in edges), tuple(float(c) for c in counts))


def gate_section(
    models: Sequence[GateModel] = GATE_MODELS,
    steps: int = 50,
    batch: int = 16,
    input_size: int = 32,
    hidden_size: int = 64,
    seed: int = 0,
) -> dict[str, Any]:
    """The ``"gates"`` results section: per model, a histogram of each gate's activations over one trace."""
    import torch

    from lstm_bench.init import apply_init
    from lstm_bench.kinds import Kind
    from lstm_bench.reference.torch_ref import reference_module

    out = []
    x = torch.randn(
        steps, batch, input_size, generator=torch.Generator().manual_seed(seed), dtype=torch.float64
    )
    for model in models:
        kind = Kind.parse(model.kind)
        module = reference_module(kind, input_size, hidden_size, dtype=torch.float64)
        options = {"t_max": float(steps)} if model.init == "chrono" else {}
        apply_init(module, model.init, kind, seed=seed, **options)
        with torch.no_grad():
            trace = module.trace(x)
        histograms = {
            name: _histogram(acts, -1.0, 1.0) if name == "candidate" else _histogram(acts, 0.0, 1.0)
            for name, acts in trace.gates.items()
        }
        out.append(ModelActivations(model.label, kind.value, model.init, histograms))
    setting = (
        f"Trace of T = {steps} steps, batch {batch}, I = {input_size}, H = {hidden_size}, x ~ N(0, 1), "
        f"zero initial state, seed {seed}; fraction of the T·B·H activations per bin"
    )
    return GateActivations(setting, BINS, tuple(out)).to_dict()
