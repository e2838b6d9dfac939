"""A single-layer LSTM written as a Python loop over time, with the torch.nn.LSTM contract.

Per step, with gates stacked (i, f, g, o) in the rows of ``weight_ih_l0`` / ``weight_hh_l0``:

    i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)        input gate
    f_t = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)        forget gate
    g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)     candidate C~_t
    o_t = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)        output gate
    C_t = f_t ⊙ C_{t-1} + i_t ⊙ g_t,   h_t = o_t ⊙ tanh(C_t)

The backward is autograd's. Input (T, B, I), (B, T, I) with ``batch_first=True``, or unbatched
(T, I); returns (output, (h_n, c_n)) like torch.nn.LSTM.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


class LoopLSTM(nn.Module):
    """torch.nn.LSTM(input_size, hidden_size, batch_first=...) for one layer, one direction."""

    mode = "LSTM"

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = False) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.batch_first = input_size, hidden_size, batch_first
        self.weight_ih_l0 = nn.Parameter(torch.empty(4 * hidden_size, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.empty(4 * hidden_size, hidden_size))
        self.bias_ih_l0 = nn.Parameter(torch.empty(4 * hidden_size))
        self.bias_hh_l0 = nn.Parameter(torch.empty(4 * hidden_size))
        bound = 1 / math.sqrt(hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def step(self, xw: Tensor, h: Tensor, c: Tensor) -> tuple[Tensor, Tensor]:
        """One step from the projected input xw = W_ih x_t + b_ih (B, 4H) and the state (B, H) each."""
        gates = xw + h @ self.weight_hh_l0.T + self.bias_hh_l0  # (B, 4H)
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c), c

    def forward(
        self, x: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, tuple[Tensor, Tensor]]:
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(1)  # (T, 1, I)
            hx = None if hx is None else (hx[0].unsqueeze(1), hx[1].unsqueeze(1))  # (1, 1, H)
        elif self.batch_first:
            x = x.transpose(0, 1)  # (T, B, I)
        expected = (1, x.shape[1], self.hidden_size)  # (num_layers, B, H), as torch.nn requires
        if hx is not None and not (tuple(hx[0].shape) == tuple(hx[1].shape) == expected):
            raise RuntimeError(
                f"Expected hidden size {expected}, got {tuple(hx[0].shape)}, {tuple(hx[1].shape)}"
            )
        if hx is None:
            zeros = x.new_zeros(x.shape[1], self.hidden_size)
            h, c = zeros, zeros
        else:
            h, c = hx[0][0], hx[1][0]  # (B, H)
        xw = x @ self.weight_ih_l0.T + self.bias_ih_l0  # (T, B, 4H): every step's input projection at once
        outputs = []
        for xw_t in xw.unbind(0):  # unbind, not xw[t]: indexing makes the backward O(T^2)
            h, c = self.step(xw_t, h, c)
            outputs.append(h)
        output = torch.stack(outputs)  # (T, B, H)
        h_n, c_n = h.unsqueeze(0), c.unsqueeze(0)  # (1, B, H)
        if unbatched:
            return output[:, 0], (h_n[:, 0], c_n[:, 0])
        return (output.transpose(0, 1) if self.batch_first else output), (h_n, c_n)
