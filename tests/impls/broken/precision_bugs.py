"""Precision bugs: kernels that are right in float64 but lose far more than their dtype's roundoff.

Each one is correct mathematically (it passes every check in float64); the precision checks
must catch it in the dtype where its kernel cuts a corner.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .base import LoopLSTM


def truncate_to_bfloat16(t: Tensor) -> Tensor:
    """Round toward zero to bfloat16's 8 significant bits (drop the low 16 bits of a float32)."""
    bits = t.float().contiguous().view(torch.int32) & -65536  # 0xFFFF0000 as a signed int32
    return bits.view(torch.float32).to(t.dtype)


class Bfloat16CellState(LoopLSTM):
    """Its float32 path keeps the cell state C_t in bfloat16 (a fused kernel's reduced-precision
    state buffer): each step rounds C_t to 8 significant bits, so a float32 run is ~2^16 u off."""

    def cell(
        self, xp: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        _, c, acts = super().cell(xp, h, c)
        assert c is not None
        if xp.dtype == torch.float32:
            c = c.to(torch.bfloat16).to(xp.dtype)
        return acts["output"] * torch.tanh(c), c, acts


class TruncatedState(LoopLSTM):
    """Its float16 path stores h_t and C_t truncated (round toward zero) to bfloat16's 8 bits: 8x
    float16's roundoff every step, and always biased towards zero."""

    def cell(
        self, xp: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        h, c, acts = super().cell(xp, h, c)
        assert c is not None
        if xp.dtype != torch.float16:
            return h, c, acts
        return truncate_to_bfloat16(h), truncate_to_bfloat16(c), acts


class ApproximateTanh(LoopLSTM):
    """Its half-precision path takes tanh from the Padé approximant x(27 + x²)/(27 + 9x²), clamped
    to [-1, 1] (a fused kernel's "fast tanh"): up to ~2% off near |x| = 1, 40u in float16."""

    def tanh(self, a: Tensor) -> Tensor:
        if a.dtype not in (torch.float16, torch.bfloat16):
            return torch.tanh(a)
        a2 = a * a
        return (a * (27 + a2) / (27 + 9 * a2)).clamp(-1, 1)
