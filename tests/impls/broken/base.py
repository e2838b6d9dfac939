"""Plumbing shared by the test implementations: the torch.nn contract, written independently of lstm_bench.

``RecurrentBase`` owns torch.nn's four parameters, accepts (T, B, I), batch_first (B, T, I) and
unbatched (T, I) input with an optional initial state, and returns (output, h_n) or, for the
LSTM, (output, (h_n, c_n)). Subclasses implement ``unroll(x, h0, c0) -> (outputs, h_n, c_n)``
on time-major tensors. ``LoopCell`` subclasses write one step, ``cell``, in plain autograd ops.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}

State = Tensor | tuple[Tensor, Tensor]


class RecurrentBase(nn.Module):
    """torch.nn-compatible constructor, parameters and input/output handling."""

    cell_mode = "LSTM"  # 'LSTM', 'GRU' or 'RNN' (RNN picks tanh or relu from nonlinearity)

    def __init__(
        self, input_size: int, hidden_size: int, batch_first: bool = False, nonlinearity: str = "tanh"
    ) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.batch_first = input_size, hidden_size, batch_first
        self.mode = self.cell_mode if self.cell_mode != "RNN" else f"RNN_{nonlinearity.upper()}"
        rows = GATES[self.mode] * hidden_size
        self.weight_ih_l0 = nn.Parameter(torch.empty(rows, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(rows, hidden_size))
        self.bias_ih_l0 = nn.Parameter(torch.empty(rows))
        self.bias_hh_l0 = nn.Parameter(torch.empty(rows))
        bound = 1 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    @property
    def has_cell(self) -> bool:
        return self.mode == "LSTM"

    def initial_state(self, hx: State | None, batch: int, x: Tensor) -> tuple[Tensor, Tensor | None]:
        """h0 and c0 as (B, H); zeros when hx is None."""
        if hx is None:
            zeros = x.new_zeros(batch, self.hidden_size)
            return zeros, (zeros if self.has_cell else None)
        states = tuple(hx) if isinstance(hx, tuple) else (hx,)
        for s in states:  # as torch.nn: a wrongly shaped state raises, never broadcasts
            if tuple(s.shape) != (1, batch, self.hidden_size):
                raise RuntimeError(
                    f"Expected hidden size {(1, batch, self.hidden_size)}, got {tuple(s.shape)}"
                )
        if self.has_cell:
            h0, c0 = hx  # type: ignore[misc]
            return h0[0], c0[0]
        return hx[0], None  # type: ignore[index]

    def forward(self, x: Tensor, hx: State | None = None) -> tuple[Tensor, State]:
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(1)  # (T, 1, I)
            if hx is not None:
                hx = tuple(s.unsqueeze(1) for s in hx) if isinstance(hx, tuple) else hx.unsqueeze(1)  # type: ignore[assignment]
        elif self.batch_first:
            x = x.transpose(0, 1)  # (B, T, I) -> (T, B, I)
        h0, c0 = self.initial_state(hx, x.shape[1], x)
        out, h_n, c_n = self.unroll(x, h0, c0)
        return self.finish(out, h_n, c_n, unbatched)

    def finish(self, out: Tensor, h_n: Tensor, c_n: Tensor | None, unbatched: bool) -> tuple[Tensor, State]:
        """Outputs and states in the caller's layout."""
        if unbatched:
            out, h_n = out[:, 0], h_n[0:1]  # (T, H), (1, H)
            c_n = None if c_n is None else c_n[0:1]
        else:
            out = out.transpose(0, 1) if self.batch_first else out
            h_n = h_n.unsqueeze(0)  # (1, B, H)
            c_n = None if c_n is None else c_n.unsqueeze(0)
        return (out, (h_n, c_n)) if c_n is not None else (out, h_n)

    def unroll(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        raise NotImplementedError


class LoopCell(RecurrentBase):
    """A Python loop over ``cell``; plain autograd computes the backward.

    LSTM: i, f, g, o = σ, σ, tanh, σ of W_ih x + b_ih + W_hh h + b_hh; C = f C + i g; h = o tanh C.
    GRU: r, z = σ(·); n = tanh(W_in x + b_in + r (W_hn h + b_hn)); h = (1 - z) n + z h.
    RNN: h = φ(W_ih x + b_ih + W_hh h + b_hh).
    """

    def sigmoid(self, a: Tensor) -> Tensor:
        return torch.sigmoid(a)

    def tanh(self, a: Tensor) -> Tensor:
        return torch.tanh(a)

    def input_projection(self, x: Tensor) -> Tensor:
        """W_ih x_t + b_ih for all steps: (T, B, G·H)."""
        return x @ self.weight_ih_l0.t() + self.bias_ih_l0

    def cell(
        self, xp: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[Tensor, Tensor | None, dict[str, Tensor]]:
        hp = h @ self.weight_hh_l0.t() + self.bias_hh_l0
        if self.mode == "LSTM":
            assert c is not None
            a_i, a_f, a_g, a_o = (xp + hp).chunk(4, dim=-1)
            i, f, g, o = self.sigmoid(a_i), self.sigmoid(a_f), self.tanh(a_g), self.sigmoid(a_o)
            c = f * c + i * g
            return o * self.tanh(c), c, {"input": i, "forget": f, "candidate": g, "output": o}
        if self.mode == "GRU":
            x_r, x_z, x_n = xp.chunk(3, dim=-1)
            h_r, h_z, h_n = hp.chunk(3, dim=-1)
            r, z = self.sigmoid(x_r + h_r), self.sigmoid(x_z + h_z)
            n = self.tanh(x_n + r * h_n)
            return (1 - z) * n + z * h, None, {"reset": r, "update": z, "candidate": n}
        a = xp + hp
        return (self.tanh(a) if self.mode == "RNN_TANH" else torch.relu(a)), None, {}

    def run(
        self, x: Tensor, h: Tensor, c: Tensor | None
    ) -> tuple[list[Tensor], Tensor, Tensor | None, list[dict[str, Tensor]], list[Tensor]]:
        outputs, gates, cells = [], [], []
        for xp in self.input_projection(x).unbind(0):
            h, c, acts = self.cell(xp, h, c)
            outputs.append(h)
            gates.append(acts)
            if c is not None:
                cells.append(c)
        return outputs, h, c, gates, cells

    def unroll(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        outputs, h, c, _, _ = self.run(x, h0, c0)
        return torch.stack(outputs), h, c


class Traced:
    """Mixin: ``trace(x, hx)`` returns gates and cells per step, like lstm_bench's references."""

    def trace(self, x: Tensor, hx: State | None = None) -> object:
        from types import SimpleNamespace

        module: LoopCell = self  # type: ignore[assignment]
        h0, c0 = module.initial_state(hx, x.shape[1], x)
        outputs, h, c, gates, cells = module.run(x, h0, c0)
        names = gates[0].keys()
        return SimpleNamespace(
            outputs=torch.stack(outputs),
            h_n=h,
            c_n=c,
            gates={name: torch.stack([g[name] for g in gates]) for name in names},
            cells=torch.stack(cells) if cells else None,
        )


class LoopLSTM(LoopCell):
    cell_mode = "LSTM"


class LoopGRU(LoopCell):
    cell_mode = "GRU"


class LoopRNN(LoopCell):
    cell_mode = "RNN"


class TracedLoopLSTM(Traced, LoopLSTM):
    """A correct loop LSTM with trace(): the ranges checks run on it."""
