"""State-handling and calling-convention bugs: hx, batch_first, unbatched input, carried state."""

from __future__ import annotations

import torch
from torch import Tensor

from .base import LoopGRU, LoopLSTM, State


class IgnoresInitialState(LoopLSTM):
    """Always starts from zeros, silently ignoring the hx argument."""

    def initial_state(self, hx: State | None, batch: int, x: Tensor) -> tuple[Tensor, Tensor | None]:
        return super().initial_state(None, batch, x)


class CarriesStateBetweenCalls(LoopGRU):
    """When called without hx, continues from the previous call's final state (a 'stateful' RNN)."""

    def __init__(self, input_size: int, hidden_size: int, **kwargs: object) -> None:
        super().__init__(input_size, hidden_size, **kwargs)  # type: ignore[arg-type]
        self.last: Tensor | None = None

    def initial_state(self, hx: State | None, batch: int, x: Tensor) -> tuple[Tensor, Tensor | None]:
        if hx is None and self.last is not None and self.last.shape[0] == batch:
            return self.last, None
        return super().initial_state(hx, batch, x)

    def unroll(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        out, h, c = super().unroll(x, h0, c0)
        self.last = h.detach()
        return out, h, c


class SwapsHiddenAndCell(LoopLSTM):
    """Returns (c_n, h_n) in place of (h_n, c_n)."""

    def unroll(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        out, h, c = super().unroll(x, h0, c0)
        assert c is not None
        return out, c, h


class InPlaceStateUpdate(LoopLSTM):
    """Writes the final state back into the caller's (h0, c0) tensors, a cuDNN-style in-place API."""

    def unroll(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        out, h, c = super().unroll(x, h0, c0)
        assert c0 is not None and c is not None
        if not (h0.requires_grad or c0.requires_grad):
            with torch.no_grad():
                h0.copy_(h)
                c0.copy_(c)
        return out, h, c


class SqueezedState(LoopLSTM):
    """Reads hx with .squeeze() instead of [0]: breaks when B = 1 and H = 1 (a 0-d state)."""

    def initial_state(self, hx: State | None, batch: int, x: Tensor) -> tuple[Tensor, Tensor | None]:
        if hx is None:
            return super().initial_state(hx, batch, x)
        h0, c0 = hx  # type: ignore[misc]
        return h0.squeeze(), c0.squeeze()


class BatchFirstIgnored(LoopLSTM):
    """Accepts batch_first=True but always reads the input as (T, B, I)."""

    def forward(self, x: Tensor, hx: State | None = None) -> tuple[Tensor, State]:
        keep, self.batch_first = self.batch_first, False
        try:
            return super().forward(x, hx)
        finally:
            self.batch_first = keep


class UnbatchedWrongAxis(LoopLSTM):
    """Unbatched (T, I) input is unsqueezed on axis 0, so it runs as one step over a batch of T."""

    def forward(self, x: Tensor, hx: State | None = None) -> tuple[Tensor, State]:
        if x.dim() != 2:
            return super().forward(x, hx)
        out, state = super().forward(x.unsqueeze(0), None)  # (1, T, H): one step, batch T
        h_n, c_n = state  # type: ignore[misc]
        return out[0], (h_n[:, -1], c_n[:, -1])
