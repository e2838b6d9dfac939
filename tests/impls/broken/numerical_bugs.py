"""Numerical bugs: overflow, hidden float32 arithmetic, and sizes or dtypes that raise."""

from __future__ import annotations

import torch
from torch import Tensor

from .base import LoopGRU, LoopLSTM


class NaiveSigmoid(LoopLSTM):
    """σ(a) = e^a / (1 + e^a): inf / inf = NaN once a > 709 (float64) or 88 (float32)."""

    def sigmoid(self, a: Tensor) -> Tensor:
        e = torch.exp(a)
        return e / (1 + e)


class NaiveTanh(LoopGRU):
    """tanh(a) = (e^{2a} - 1) / (e^{2a} + 1): NaN for large a."""

    def tanh(self, a: Tensor) -> Tensor:
        e = torch.exp(2 * a)
        return (e - 1) / (e + 1)


class Float32Internals(LoopLSTM):
    """Computes in float32 whatever the parameters' dtype (a kernel with a hard-coded float accumulator)."""

    def unroll(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        dtype = x.dtype
        w = {n: p.float() for n, p in self.named_parameters()}
        h, c = h0.float(), None if c0 is None else c0.float()
        outputs = []
        for x_t in x.float().unbind(0):
            a = x_t @ w["weight_ih_l0"].t() + w["bias_ih_l0"] + h @ w["weight_hh_l0"].t() + w["bias_hh_l0"]
            a_i, a_f, a_g, a_o = a.chunk(4, dim=-1)
            assert c is not None
            c = torch.sigmoid(a_f) * c + torch.sigmoid(a_i) * torch.tanh(a_g)
            h = torch.sigmoid(a_o) * torch.tanh(c)
            outputs.append(h)
        assert c is not None
        return torch.stack(outputs).to(dtype), h.to(dtype), c.to(dtype)


class Float32Only(LoopLSTM):
    """Refuses anything but float32 (a kernel compiled for one dtype)."""

    def forward(self, x: Tensor, hx: object = None) -> tuple[Tensor, object]:  # type: ignore[override]
        if x.dtype != torch.float32:
            raise TypeError(f"Float32Only supports float32 input only, got {x.dtype}")
        return super().forward(x, hx)  # type: ignore[arg-type]


class RaisesForLongSequences(LoopGRU):
    """A fixed workspace of 32 steps: longer sequences raise."""

    def unroll(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        if x.shape[0] > 32:
            raise RuntimeError(f"workspace holds 32 steps, got {x.shape[0]}")
        return super().unroll(x, h0, c0)
