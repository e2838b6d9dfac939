"""Forward-pass bugs: wrong equations that still return the right shapes."""

from __future__ import annotations

import torch
from torch import Tensor

from .base import LoopGRU, LoopLSTM, Traced


class SwappedGateOrder(LoopLSTM):
    """Reads the stacked weights as (f, i, g, o) instead of torch's (i, f, g, o)."""

    def cell(
        self, xp: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        assert c is not None
        a_f, a_i, a_g, a_o = (xp + h @ self.weight_hh_l0.t() + self.bias_hh_l0).chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
        c = f * c + i * g
        return o * torch.tanh(c), c, {}


class ForgetGateComplement(LoopLSTM):
    """Uses 1 - f_t as the forget gate (a 'keep' vs 'forget' mix-up): C_t = (1 - f) C + i g."""

    def cell(
        self, xp: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        assert c is not None
        a_i, a_f, a_g, a_o = (xp + h @ self.weight_hh_l0.t() + self.bias_hh_l0).chunk(4, dim=-1)
        i, f, g, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
        c = (1 - f) * c + i * g
        return o * torch.tanh(c), c, {}


class OffByOneOutputs(LoopLSTM):
    """Returns h_0 .. h_{T-1} as the output sequence instead of h_1 .. h_T."""

    def unroll(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        outputs, h, c, _, _ = self.run(x, h0, c0)
        return torch.stack([h0, *outputs[:-1]]), h, c


class GruBiasOutsideReset(LoopGRU):
    """n_t = tanh(W_in x + b_in + r ⊙ (W_hn h) + b_hn): b_hn outside the reset product (Keras' reset_after=False)."""

    def cell(
        self, xp: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        x_r, x_z, x_n = xp.chunk(3, dim=-1)
        h_r, h_z, h_n = (h @ self.weight_hh_l0.t()).chunk(3, dim=-1)
        b_r, b_z, b_n = self.bias_hh_l0.chunk(3)
        r, z = torch.sigmoid(x_r + h_r + b_r), torch.sigmoid(x_z + h_z + b_z)
        n = torch.tanh(x_n + r * h_n + b_n)
        return (1 - z) * n + z * h, None, {}


class GruUpdateInverted(LoopGRU):
    """h_t = z ⊙ n + (1 - z) ⊙ h_{t-1}: the paper's convention, not torch's."""

    def cell(
        self, xp: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        _, _, acts = super().cell(xp, h, c)
        z, n = acts["update"], acts["candidate"]
        return z * n + (1 - z) * h, None, acts


class TracedInputGateTanh(Traced, LoopLSTM):
    """The input gate uses tanh instead of σ, so i_t can be negative (and trace() shows it)."""

    def cell(
        self, xp: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        assert c is not None
        a_i, a_f, a_g, a_o = (xp + h @ self.weight_hh_l0.t() + self.bias_hh_l0).chunk(4, dim=-1)
        i, f, g, o = torch.tanh(a_i), torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
        c = f * c + i * g
        return o * torch.tanh(c), c, {"input": i, "forget": f, "candidate": g, "output": o}


class TracedMissingCellTanh(Traced, LoopLSTM):
    """h_t = o_t ⊙ C_t: the tanh on the cell is missing, so |h_t| can exceed 1."""

    def cell(
        self, xp: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        _, c_new, acts = super().cell(xp, h, c)
        assert c_new is not None
        return acts["output"] * c_new, c_new, acts


class UnsquashedCandidate(LoopLSTM):
    """The candidate C~_t is linear (no tanh), so the cell can grow faster than one per step."""

    def cell(
        self, xp: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        assert c is not None
        a_i, a_f, a_g, a_o = (xp + h @ self.weight_hh_l0.t() + self.bias_hh_l0).chunk(4, dim=-1)
        i, f, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.sigmoid(a_o)
        c = f * c + i * a_g
        return o * torch.tanh(c), c, {}


class ReversedTime(LoopLSTM):
    """Runs the recurrence from the last step to the first (a reversed sequence), a causality leak."""

    def unroll(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        outputs, h, c, _, _ = self.run(x.flip(0), h0, c0)
        return torch.stack(outputs).flip(0), h, c


class BidirectionalAverage(LoopLSTM):
    """Averages a forward and a backward pass with the same weights: every output sees the future."""

    def unroll(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        fwd, h, c, _, _ = self.run(x, h0, c0)
        bwd, _, _, _, _ = self.run(x.flip(0), h0, c0)
        return (torch.stack(fwd) + torch.stack(bwd).flip(0)) / 2, h, c


class TimeNormalisedInput(LoopLSTM):
    """Centres the input over time (x - mean_t x) before the recurrence: step t sees later steps."""

    def input_projection(self, x: Tensor) -> Tensor:
        return super().input_projection(x - x.mean(dim=0, keepdim=True))


class BatchStatistics(LoopLSTM):
    """Normalises the input projection with batch statistics (batch-norm in training mode)."""

    def input_projection(self, x: Tensor) -> Tensor:
        xp = super().input_projection(x)  # (T, B, 4H)
        if xp.shape[1] > 1:
            xp = xp - xp.mean(dim=1, keepdim=True)
        return xp
