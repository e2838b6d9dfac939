"""Implementations for the capability and layout axes: optional features declared, probed, defaulted.

Correct ones (a module that defaults to batch_first=True, one without ``mode``, one declaring
no unbatched support) must pass; broken ones claim or accept a feature and get it wrong, which
is a failure, never "unsupported".
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from .base import LoopGRU, LoopLSTM, State


class DefaultBatchFirstLSTM(LoopLSTM):
    """Correct, but defaults to batch_first=True like torchrl's LSTM."""

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = True) -> None:
        super().__init__(input_size, hidden_size, batch_first=batch_first)


class BatchFirstKeywordIgnored(LoopLSTM):
    """Defaults to batch_first=True and ignores batch_first=False: time-major input is read as (B, T, I)."""

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = True) -> None:
        super().__init__(input_size, hidden_size, batch_first=True)


class DeclaresNoUnbatched(LoopLSTM):
    """Correct on batched input; declares that unbatched input is not supported (and rejects it)."""

    lstm_bench_capabilities: ClassVar[dict[str, bool]] = {"unbatched": False}

    def forward(self, x: Tensor, hx: State | None = None) -> tuple[Tensor, State]:
        if x.dim() != 3:
            raise ValueError(f"expected (T, B, I) input, got {x.dim()}-D")
        return super().forward(x, hx)


class UnbatchedDeclaredRaises(LoopGRU):
    """Declares unbatched support, then raises on (T, I) input: declared supported and broken is a failure."""

    lstm_bench_capabilities: ClassVar[dict[str, bool]] = {"unbatched": True}

    def forward(self, x: Tensor, hx: State | None = None) -> tuple[Tensor, State]:
        if x.dim() != 3:
            raise IndexError("Dimension out of range (expected to be in range of [-1, 0], but got 1)")
        return super().forward(x, hx)


class UnbatchedDeclaredWrongState(LoopLSTM):
    """Declares unbatched support; on (T, I) input the given (h0, c0) is ignored (zeros used)."""

    lstm_bench_capabilities: ClassVar[dict[str, bool]] = {"unbatched": True}

    def forward(self, x: Tensor, hx: State | None = None) -> tuple[Tensor, State]:
        return super().forward(x, None if x.dim() == 2 else hx)


class UnbatchedProbedReversed(LoopLSTM):
    """No declaration; the probe finds unbatched input accepted, but its outputs come reversed in time."""

    def forward(self, x: Tensor, hx: State | None = None) -> tuple[Tensor, State]:
        out, state = super().forward(x, hx)
        return (out.flip(0), state) if x.dim() == 2 else (out, state)


class Float32DefaultState(LoopLSTM):
    """forward(x) without hx builds its zero state in float32, so a float64 call raises."""

    def initial_state(self, hx: State | None, batch: int, x: Tensor) -> tuple[Tensor, Tensor | None]:
        if hx is None:
            zeros = torch.zeros(batch, self.hidden_size, dtype=torch.float32, device=x.device)
            return zeros, zeros
        return super().initial_state(hx, batch, x)


class RequiresHx(LoopLSTM):
    """forward(x, hx) with hx required: every call without a state raises TypeError."""

    def forward(self, x: Tensor, hx: State) -> tuple[Tensor, State]:  # type: ignore[override]
        return super().forward(x, hx)


class _Wrapped(nn.Module):
    """torch.nn's module inside, its four parameters aliased at the top, no ``mode`` attribute."""

    inner_class: type[nn.Module] = nn.LSTM

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0 = (
            getattr(self.inner_class(input_size, hidden_size), n)
            for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
        )
        self.hidden_size = hidden_size

    def forward(self, x: Tensor, hx: State | None = None) -> tuple[Tensor, State]:
        fn = {nn.LSTM: torch._VF.lstm, nn.GRU: torch._VF.gru}[self.inner_class]  # type: ignore[attr-defined]
        weights = [self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0]
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(1)
        if hx is None:
            zeros = x.new_zeros(1, x.shape[1], self.hidden_size)
            hx = (zeros, zeros) if self.inner_class is nn.LSTM else zeros
        elif unbatched:
            hx = tuple(s.unsqueeze(1) for s in hx) if isinstance(hx, tuple) else hx.unsqueeze(1)  # type: ignore[assignment]
        if self.inner_class is nn.LSTM:
            out, h, c = fn(x, hx, weights, True, 1, 0.0, self.training, False, False)
            state: State = (h, c)
        else:
            out, h = fn(x, hx, weights, True, 1, 0.0, self.training, False, False)
            state = h
        if unbatched:
            out = out[:, 0]
            state = tuple(s[:, 0] for s in state) if isinstance(state, tuple) else state[:, 0]  # type: ignore[assignment]
        return out, state


class PlainLstm(_Wrapped):
    """Correct LSTM without ``mode``: the kind comes from the class name."""


class Recurrent(_Wrapped):
    """Correct GRU without ``mode`` nor a telling name: the kind comes from weight_ih_l0 (3H rows)."""

    inner_class = nn.GRU


class LstmShapedLikeGru(_Wrapped):
    """Named LSTM but with GRU-shaped weights (3H rows): the loader must not guess, it asks for --kind."""

    inner_class = nn.GRU
