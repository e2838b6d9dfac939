"""Gate activation histograms: a trace of the reference models on random input, binned per gate.

For each model the reference (``torch_ref``) runs over x ~ N(0, 1) of shape (T, B, I) from a zero
state and records every gate's activation at every step and unit; each gate's T·B·H values are
counted in ``BINS`` equal bins over its range: [0, 1] for the sigmoid gates (LSTM input,
forget, output; GRU reset, update), [-1, 1] for the tanh candidates (LSTM C~, GRU n).
The section (``"gates"`` in the results document) holds the counts only, so the renderer
never runs a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["BINS", "GATE_MODELS", "GateModel", "gate_section"]

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


def _histogram(values: Any, low: float, high: float) -> dict[str, list[float]]:
    import torch

    counts = torch.histc(values.double().flatten(), bins=BINS, min=low, max=high)
    edges = torch.linspace(low, high, BINS + 1, dtype=torch.float64)
    return {"edges": [round(float(e), 6) for e in edges], "counts": [float(c) for c in counts]}


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
        out.append({"label": model.label, "kind": kind.value, "init": model.init, "histograms": histograms})
    setting = (
        f"Trace of T = {steps} steps, batch {batch}, I = {input_size}, H = {hidden_size}, x ~ N(0, 1), "
        f"zero initial state, seed {seed}; fraction of the T·B·H activations per bin"
    )
    return {"setting": setting, "bins": BINS, "models": out}
