"""Implementations that break the torch.nn contract at load time, one way each (loader tests)."""

from __future__ import annotations

import torch
from torch import nn

NOT_CALLABLE = 42


class NoMode(nn.Module):
    """Correct parameters but no ``mode``: needs --kind."""

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.inner = nn.GRU(input_size, hidden_size)
        self.weight_ih_l0 = self.inner.weight_ih_l0
        self.weight_hh_l0 = self.inner.weight_hh_l0
        self.bias_ih_l0 = self.inner.bias_ih_l0
        self.bias_hh_l0 = self.inner.bias_hh_l0

    def forward(self, x, hx=None):
        return self.inner(x, hx)


class WrongNames(nn.Module):
    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        self.w_x = nn.Parameter(torch.zeros(4 * hidden_size, input_size))

    def forward(self, x, hx=None):
        return x, hx


class WrongShape(nn.LSTM):
    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__(input_size, hidden_size)
        self.weight_hh_l0 = nn.Parameter(torch.zeros(3 * hidden_size, hidden_size))


class NoHx(nn.LSTM):
    def forward(self, x):  # type: ignore[override]
        return super().forward(x)


class WrongStructure(nn.LSTM):
    def forward(self, x, hx=None):  # type: ignore[override]
        out, (h, _c) = super().forward(x, hx)
        return out, h  # the LSTM's state must be (h_n, c_n)


class ConstructorFails(nn.LSTM):
    def __init__(self, input_size: int, hidden_size: int) -> None:
        raise RuntimeError("needs a GPU")


def not_a_module(input_size: int, hidden_size: int) -> str:
    return "nope"


class RaisesInForward(nn.LSTM):
    def forward(self, x, hx=None):  # type: ignore[override]
        raise RuntimeError("boom in forward")


class ExitsInForward(nn.LSTM):
    def forward(self, x, hx=None):  # type: ignore[override]
        raise SystemExit(0)  # would end lstm-bench with exit code 0 and no verdict


class OneStepShort(nn.LSTM):
    def forward(self, x, hx=None):  # type: ignore[override]
        out, state = super().forward(x, hx)
        return out[:-1], state
