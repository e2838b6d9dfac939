"""The one place that decides which float64 reference a (kind, GRU variant) is checked against.

``reference_for(kind, gru_variant)`` returns a ``Reference``: its ``forward`` (NumPy, float64),
``gradients`` of L = Σ v ⊙ (output, h_n, c_n) and ``module`` (``torch_ref``, float64, the whole
torch.nn contract) are what every check that compares with a reference calls.

* torch.nn's variants (every LSTM and RNN; the GRU with the reset gate after the recurrent matmul):
  ``numpy_ref.unroll`` and its hand-written BPTT, and ``torch_ref``'s modules.
* The reset-before GRU (Cho et al. 2014, Keras ``reset_after=False``): ``gru_variants.gru_reset_before``
  forward, gradients by torch autograd of ``torch_ref.GRUResetBefore`` in float64 (a second,
  independent implementation of the same equations), and that module for stacks.

A variant without a reference raises ``UnsupportedReference``; the checks that need one then
report *unsupported* with its message, never *fail*.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from lstm_bench.kinds import Kind
from lstm_bench.reference import numpy_ref
from lstm_bench.reference.gru_variants import (
    GRU_RESET_AFTER,
    GRU_RESET_BEFORE,
    GRU_VARIANTS,
    gru_reset_before,
)
from lstm_bench.reference.numpy_params import Params
from lstm_bench.reference.torch_ref import ReferenceRNNBase, reference_module

Array = NDArray[np.float64]


class UnsupportedReference(ValueError):
    """No reference model computes what the implementation declares (an unknown GRU variant)."""


@dataclass(frozen=True)
class Reference:
    """The float64 reference of one kind and (for the GRU) variant."""

    kind: Kind
    gru_variant: str = GRU_RESET_AFTER

    @property
    def torch_nn_variant(self) -> bool:
        """True when this is torch.nn's own equations (every kind but the reset-before GRU)."""
        return self.kind is not Kind.GRU or self.gru_variant == GRU_RESET_AFTER

    def describe(self) -> str:
        """'gru reset-before (Cho et al. 2014; Keras reset_after=False)', 'lstm (torch.nn)', ..."""
        if self.kind is not Kind.GRU:
            return f"{self.kind.value} (torch.nn)"
        if self.torch_nn_variant:
            return "gru reset-after (torch.nn)"
        return "gru reset-before (Cho et al. 2014; Keras reset_after=False)"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: {'kind': 'gru', 'gru_variant': 'reset-before', 'description': ...}."""
        found: dict[str, Any] = {"kind": self.kind.value, "description": self.describe()}
        if self.kind is Kind.GRU:
            found["gru_variant"] = self.gru_variant
        return found

    def forward(
        self, params: Params, x: Array, h0: Array | None = None, c0: Array | None = None
    ) -> dict[str, Array]:
        """{'output' (T, B, H), 'h_n' (B, H)[, 'c_n']} from x (T, B, I) and h0, c0 (B, H) (zeros when None)."""
        if self.torch_nn_variant:
            trace = numpy_ref.unroll(self.kind, params, x, h0, c0)
            found = {"output": trace.outputs, "h_n": trace.h_n}
            if trace.c_n is not None:
                found["c_n"] = trace.c_n
            return found
        hidden = params.weight_hh.shape[1]
        start = np.zeros((x.shape[1], hidden)) if h0 is None else h0
        state = params.to_state_dict()
        outputs, h_n = gru_reset_before(
            state["weight_ih_l0"], state["weight_hh_l0"], state["bias_ih_l0"], state["bias_hh_l0"], x, start
        )
        return {"output": outputs, "h_n": h_n}

    def gradients(
        self, params: Params, x: Array, h0: Array, c0: Array | None, weights: dict[str, Array]
    ) -> dict[str, Array]:
        """∂L/∂(x, h0[, c0], weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0) for
        L = Σ weights[name] ⊙ (output, h_n[, c_n]), exactly in float64."""
        if self.torch_nn_variant:
            trace = numpy_ref.unroll(self.kind, params, x, h0, c0)
            ref = numpy_ref.bptt(trace, weights["output"], weights["h_n"], weights.get("c_n"))
            found: dict[str, Array] = {"x": ref.x, "h0": ref.h0}
            if ref.c0 is not None:
                found["c0"] = ref.c0
            found.update({k: np.asarray(v) for k, v in ref.params.to_state_dict().items()})
            return found
        return self._autograd(params, x, h0, weights)

    def _autograd(self, params: Params, x: Array, h0: Array, weights: dict[str, Array]) -> dict[str, Array]:
        module = self.module(x.shape[2], h0.shape[1])
        state = params.to_state_dict()
        with torch.no_grad():
            for name, value in state.items():
                getattr(module, name).copy_(torch.from_numpy(np.asarray(value)))
        leaves = {"x": torch.from_numpy(x).clone(), "h0": torch.from_numpy(h0).clone()}
        for t in leaves.values():
            t.requires_grad_(True)
        output, h_n = module(leaves["x"], leaves["h0"].unsqueeze(0))
        loss = (output * torch.from_numpy(weights["output"])).sum()
        loss = loss + (h_n[0] * torch.from_numpy(weights["h_n"])).sum()
        wrt = {**leaves, **{name: getattr(module, name) for name in state}}
        grads = torch.autograd.grad(loss, list(wrt.values()))
        return {name: g.detach().numpy() for name, g in zip(wrt, grads, strict=True)}

    def module(self, input_size: int, hidden_size: int, **kwargs: Any) -> ReferenceRNNBase:
        """The float64 ``torch_ref`` module with torch.nn's constructor keywords (stacks, directions, ...)."""
        return reference_module(
            self.kind, input_size, hidden_size, gru_variant=self.gru_variant, dtype=torch.float64, **kwargs
        )


def reference_for(kind: Kind, gru_variant: str = GRU_RESET_AFTER) -> Reference:
    """The reference a ``kind`` implementation declaring ``gru_variant`` is checked against.

    ``gru_variant`` matters for the GRU only; an unknown one raises ``UnsupportedReference``.
    """
    if kind is not Kind.GRU:
        return Reference(kind)
    if gru_variant not in GRU_VARIANTS:
        raise UnsupportedReference(
            f"no reference for the GRU variant {gru_variant!r} (references: {', '.join(GRU_VARIANTS)})"
        )
    return Reference(kind, gru_variant)


def reference_summary(kind: Kind, gru_variant: str = GRU_RESET_AFTER) -> dict[str, Any]:
    """``Reference.to_dict`` of ``reference_for(kind, gru_variant)``, or, when there is none, its
    kind and variant with ``description`` 'no reference (why)' and ``unsupported`` the reason."""
    try:
        return reference_for(kind, gru_variant).to_dict()
    except UnsupportedReference as exc:
        why = str(exc)
        return {
            "kind": kind.value,
            "gru_variant": gru_variant,
            "description": f"no reference ({why})",
            "unsupported": why,
        }


__all__ = [
    "GRU_RESET_AFTER",
    "GRU_RESET_BEFORE",
    "Reference",
    "UnsupportedReference",
    "reference_for",
    "reference_summary",
]
