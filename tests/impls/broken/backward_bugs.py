"""Backward-only bugs: the forward is correct, the hand-written BPTT of ``handwritten`` is not."""

from __future__ import annotations

import torch
from torch import Tensor

from .handwritten import BackwardRules, HandWrittenLSTM

#: Steps the truncated backward keeps (a fixed-size backward workspace).
TRUNCATION = 16


class _TruncatedRules(BackwardRules):
    def keep_step(self, t: int, steps: int) -> bool:
        return t >= steps - TRUNCATION


class TruncatedBackward(HandWrittenLSTM):
    """BPTT stops 16 steps back: right for T <= 16, silently wrong for longer sequences."""

    rules_class = _TruncatedRules


class _NoForgetRules(BackwardRules):
    def cell_to_previous(self, dc: Tensor, f: Tensor) -> Tensor:
        return dc


class MissingForgetInCellGrad(HandWrittenLSTM):
    """δC_{t-1} = δC_t: forgets the factor f_t."""

    rules_class = _NoForgetRules


class _TanhDerivativeRules(BackwardRules):
    def sigmoid_grad(self, s: Tensor, pre: Tensor) -> Tensor:
        return 1 - s * s


class SigmoidDerivativeWrong(HandWrittenLSTM):
    """Uses tanh's derivative 1 - s² for the σ gates instead of s (1 - s)."""

    rules_class = _TanhDerivativeRules


class _FirstSampleBiasRules(BackwardRules):
    def bias_grad(self, da: Tensor) -> Tensor:
        return da[:, 0].sum(dim=0)


class BiasGradFirstSample(HandWrittenLSTM):
    """Sums the bias gradient over steps but takes only the first sample of the batch."""

    rules_class = _FirstSampleBiasRules


class _FinalOutputRules(BackwardRules):
    def hidden_grad(self, dh_next: Tensor, d_out: Tensor, t: int, steps: int) -> Tensor:
        return dh_next + d_out[t] if t == steps - 1 else dh_next


class DropsOutputGradient(HandWrittenLSTM):
    """Only the last output's gradient enters BPTT; gradients of output[t < T-1] are dropped."""

    rules_class = _FinalOutputRules


class _AccumulatingRules(BackwardRules):
    def __init__(self) -> None:
        self.total: Tensor | None = None

    def weight_hh_grad(self, da: Tensor, h_prev: Tensor) -> Tensor:
        grad = super().weight_hh_grad(da, h_prev)
        self.total = grad if self.total is None or self.total.shape != grad.shape else self.total + grad
        return self.total


class StatefulWeightGrad(HandWrittenLSTM):
    """Accumulates ∂W_hh in a buffer across backward calls and returns the running sum."""

    rules_class = _AccumulatingRules


class _Float32Rules(BackwardRules):
    dtype = torch.float32


class Float32Backward(HandWrittenLSTM):
    """Runs the backward in float32 even for a float64 model."""

    rules_class = _Float32Rules


class _NaiveSigmoidGradRules(BackwardRules):
    def sigmoid_grad(self, s: Tensor, pre: Tensor) -> Tensor:
        e = torch.exp(-pre)
        return e / (1 + e) ** 2  # inf / inf = NaN for pre << 0


class NaiveSigmoidGradient(HandWrittenLSTM):
    """Recomputes σ'(a) = e^{-a} / (1 + e^{-a})² from the pre-activation: NaN in the backward for a << 0."""

    rules_class = _NaiveSigmoidGradRules
