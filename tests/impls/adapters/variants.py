"""GRU adapters that declare their variant, written in plain torch (no extra needed).

``OriginalGRU`` stands for a library layer computing the original GRU (reset gate before the
recurrent matmul, one bias per gate, gates ordered z, r, n like Keras), in its own step loop, so
it is independent of ``lstm_bench.reference``. The adapters around it declare what it computes;
the planted ones declare something else or convert wrongly.
"""

from __future__ import annotations

import torch
from torch import Tensor

from lstm_bench.adapters import GRU_RESET_AFTER, GRU_RESET_BEFORE, AdapterModule, Capabilities, FrameworkInfo
from lstm_bench.kinds import Kind


def original_gru(w: Tensor, u: Tensor, b: Tensor, x: Tensor, h: Tensor) -> tuple[Tensor, Tensor]:
    """x (T, B, I), h (B, H); w (I, 3H), u (H, 3H), b (3H,), columns z, r, n ->  outputs, h_T.

    z = σ(x w_z + h u_z + b_z), r likewise, n = tanh(x w_n + (r ⊙ h) u_n + b_n),
    h' = z ⊙ h + (1 - z) ⊙ n.
    """
    hid = h.shape[1]
    ys = []
    for xt in x.unbind(0):
        gx = xt @ w + b  # (B, 3H)
        z = torch.sigmoid(gx[:, :hid] + h @ u[:, :hid])
        r = torch.sigmoid(gx[:, hid : 2 * hid] + h @ u[:, hid : 2 * hid])
        n = torch.tanh(gx[:, 2 * hid :] + (r * h) @ u[:, 2 * hid :])
        h = z * h + (1 - z) * n
        ys.append(h)
    return torch.stack(ys), h


def _zrn(t: Tensor) -> Tensor:
    r, z, n = t.chunk(3, dim=0)  # torch rows r, z, n -> z, r, n
    return torch.cat([z, r, n], dim=0)


class OriginalGRUAdapter(AdapterModule):
    """The original GRU, declared as such: every check compares it with the reset-before reference."""

    kind = Kind.GRU
    capabilities = Capabilities(gru_variant=GRU_RESET_BEFORE)
    framework_info = FrameworkInfo("origlib", "0.1")

    def to_native(self) -> tuple[Tensor, Tensor, Tensor]:
        s = self.torch_nn_state()
        w, u = _zrn(s["weight_ih_l0"]).T, _zrn(s["weight_hh_l0"]).T
        return w, u, _zrn(s["bias_ih_l0"] + s["bias_hh_l0"])  # one bias: b_hn is outside r ⊙ (·) here

    def native_forward(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, None]:
        y, h = original_gru(*self.to_native(), x, h0)
        return y, h, None


class UndeclaredOriginalGRU(OriginalGRUAdapter):
    """Planted: the same layer, declared as torch.nn's variant (reset after)."""

    capabilities = Capabilities(gru_variant=GRU_RESET_AFTER)


class SwappedGatesOriginalGRU(OriginalGRUAdapter):
    """Planted: the conversion keeps torch's r, z order, so the layer's z and r trade places."""

    def to_native(self) -> tuple[Tensor, Tensor, Tensor]:
        s = self.torch_nn_state()
        return s["weight_ih_l0"].T, s["weight_hh_l0"].T, s["bias_ih_l0"] + s["bias_hh_l0"]


class UnknownVariantGRU(OriginalGRUAdapter):
    """Declares a variant lstm-bench has no reference for: the reference checks are unsupported."""

    capabilities = Capabilities(gru_variant="minimal-gated")
