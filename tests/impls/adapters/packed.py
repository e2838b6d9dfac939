"""A fused-kernel LSTM with its own weight layout, and the ~30-line adapter a user writes for it.

``PackedLSTM`` stands for a library layer: one sub-layer ``gates`` multiplies the concatenated
[x_t, h_{t-1}] (weight (4H, I + H), one bias), its gate blocks are ordered i, f, o, g, and it
is batch-major. torch.nn's loader cannot read it (no ``weight_ih_l0``); the adapter can.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.func import functional_call

from lstm_bench.adapters import AdapterClass, AdapterModule, FrameworkInfo
from lstm_bench.kinds import Kind


class PackedLSTM(nn.Module):
    """The library layer: forward(x (B, T, I), (h, c) (B, H)) -> (y (B, T, H), (h, c))."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.gates = nn.Linear(input_size + hidden_size, 4 * hidden_size)

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        h, c = state
        ys = []
        for xt in x.unbind(1):
            i, f, o, g = self.gates(torch.cat([xt, h], dim=1)).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            ys.append(h)
        return torch.stack(ys, dim=1), (h, c)


# --- the user's adapter (what docs/adapters.md shows) ----------------------------------------
TORCH_TO_PACKED = [0, 1, 3, 2]  # torch.nn rows (i, f, g, o) -> packed (i, f, o, g)


def reorder(t: Tensor, order: list[int]) -> Tensor:
    blocks = t.chunk(4, dim=0)
    return torch.cat([blocks[k] for k in order], dim=0)


class PackedLSTMAdapter(AdapterModule):
    kind = Kind.LSTM
    framework_info = FrameworkInfo("packedlib", "1.0")

    def __init__(self, input_size: int, hidden_size: int, **options: object) -> None:
        super().__init__(input_size, hidden_size, **options)  # type: ignore[arg-type]
        self.layer = [PackedLSTM(input_size, hidden_size)]  # a list: its own weights are not ours

    def to_native(self) -> dict[str, Tensor]:
        s = self.torch_nn_state()
        w = torch.cat([s["weight_ih_l0"], s["weight_hh_l0"]], dim=1)  # (4H, I + H)
        return {
            "gates.weight": reorder(w, TORCH_TO_PACKED),
            "gates.bias": reorder(s["bias_ih_l0"] + s["bias_hh_l0"], TORCH_TO_PACKED),
        }

    def native_forward(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor]:
        assert c0 is not None
        y, (h, c) = functional_call(self.layer[0], self.to_native(), (x.transpose(0, 1), (h0, c0)))
        return y.transpose(0, 1), h, c


# --- planted bugs in the weight conversion ---------------------------------------------------
class SwappedGatesAdapter(PackedLSTMAdapter):
    """Bug: the gate blocks are not reordered, so g and o trade places."""

    def to_native(self) -> dict[str, Tensor]:
        s = self.torch_nn_state()
        w = torch.cat([s["weight_ih_l0"], s["weight_hh_l0"]], dim=1)
        return {"gates.weight": w, "gates.bias": s["bias_ih_l0"] + s["bias_hh_l0"]}


class DroppedForgetBiasAdapter(PackedLSTMAdapter):
    """Bug: the forget gate's bias is left out of the conversion."""

    def to_native(self) -> dict[str, Tensor]:
        native = super().to_native()
        hidden = self.hidden_size
        keep = torch.ones_like(native["gates.bias"])
        keep[hidden : 2 * hidden] = 0  # packed block 1 is f
        return {**native, "gates.bias": native["gates.bias"] * keep}


#: The same adapter as a ``RecurrentAdapter`` object (``--impl adapters.packed:PACKED``).
PACKED = AdapterClass(PackedLSTMAdapter)
