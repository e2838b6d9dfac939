"""A CORRECT LSTM with a hand-written backward pass (a custom autograd.Function doing manual BPTT).

This is what users of lstm-bench write: a fused forward and their own backward. It must pass
every check. ``BackwardRules`` holds each backward step as a method, so the backward bugs in
``backward_bugs`` are one overridden method each.

Forward, per step (σ sigmoid, ⊙ elementwise):
    a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh = [a_i, a_f, a_g, a_o]
    i, f, g, o = σ(a_i), σ(a_f), tanh(a_g), σ(a_o);  C_t = f ⊙ C_{t-1} + i ⊙ g;  h_t = o ⊙ tanh(C_t)
Backward, from t = T down to 1, with δh = ∂L/∂h_t (from output[t] and step t+1), δC likewise:
    δo = δh ⊙ tanh(C_t);  δC += δh ⊙ o ⊙ (1 - tanh²C_t)
    δi = δC ⊙ g;  δg = δC ⊙ i;  δf = δC ⊙ C_{t-1};  δC_{t-1} = δC ⊙ f
    δa = [δi σ', δf σ', δg (1 - g²), δo σ'];  δh_{t-1} = δa W_hh;  δx_t = δa W_ih
    ∂W_hh += δaᵀ h_{t-1};  ∂W_ih += δaᵀ x_t;  ∂b_ih = ∂b_hh = Σ δa
"""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor

from .base import RecurrentBase


class BackwardRules:
    """The steps of the hand-written backward; correct as written here."""

    dtype: torch.dtype | None = None  # compute the backward in this dtype (None: the input's)

    def keep_step(self, t: int, steps: int) -> bool:
        """Whether the gradient still flows through step t (all steps: full BPTT)."""
        return True

    def hidden_grad(self, dh_next: Tensor, d_out: Tensor, t: int, steps: int) -> Tensor:
        """δh_t: from step t+1 and from output[t]."""
        return dh_next + d_out[t]

    def sigmoid_grad(self, s: Tensor, pre: Tensor) -> Tensor:
        """σ'(a) = σ(a) (1 - σ(a))."""
        return s * (1 - s)

    def cell_to_previous(self, dc: Tensor, f: Tensor) -> Tensor:
        """δC_{t-1} = δC_t ⊙ f_t."""
        return dc * f

    def bias_grad(self, da: Tensor) -> Tensor:
        """Σ over steps and batch of δa: (T, B, 4H) -> (4H,)."""
        return da.sum(dim=(0, 1))

    def weight_hh_grad(self, da: Tensor, h_prev: Tensor) -> Tensor:
        """Σ_t δa_tᵀ h_{t-1}: (4H, H)."""
        return torch.einsum("tbg,tbh->gh", da, h_prev)


class _LSTMFunction(torch.autograd.Function):
    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: Tensor,
        h0: Tensor,
        c0: Tensor,
        w_ih: Tensor,
        w_hh: Tensor,
        b_ih: Tensor,
        b_hh: Tensor,
        rules: BackwardRules,
    ) -> tuple[Tensor, Tensor, Tensor]:
        xp = x @ w_ih.t() + b_ih + b_hh  # (T, B, 4H)
        h, c = h0, c0
        pres, acts, cells, hs = [], [], [], []
        for xp_t in xp.unbind(0):
            pre = xp_t + h @ w_hh.t()  # (B, 4H)
            a_i, a_f, a_g, a_o = pre.chunk(4, dim=-1)
            i, f, g, o = torch.sigmoid(a_i), torch.sigmoid(a_f), torch.tanh(a_g), torch.sigmoid(a_o)
            c = f * c + i * g
            h = o * torch.tanh(c)
            pres.append(pre)
            acts.append(torch.cat([i, f, g, o], dim=-1))
            cells.append(c)
            hs.append(h)
        out = torch.stack(hs)
        ctx.save_for_backward(
            x, h0, c0, w_ih, w_hh, torch.stack(pres), torch.stack(acts), torch.stack(cells), out
        )
        ctx.rules = rules
        return out, h, c

    @staticmethod
    def backward(ctx: Any, d_out: Tensor, d_hn: Tensor, d_cn: Tensor) -> tuple[Tensor | None, ...]:
        rules: BackwardRules = ctx.rules
        saved = ctx.saved_tensors
        out_dtype = saved[0].dtype
        dtype = rules.dtype or out_dtype
        x, h0, c0, w_ih, w_hh, pres, acts, cells, hs = (t.to(dtype) for t in saved)
        d_out, dh, dc = d_out.to(dtype), d_hn.to(dtype), d_cn.to(dtype)
        steps, hid = x.shape[0], h0.shape[-1]
        da = torch.zeros_like(pres)  # (T, B, 4H)
        for t in range(steps - 1, -1, -1):
            if not rules.keep_step(t, steps):
                dh, dc = torch.zeros_like(dh), torch.zeros_like(dc)
                break
            i, f, g, o = acts[t].split(hid, dim=-1)
            p_i, p_f, _, p_o = pres[t].split(hid, dim=-1)
            c_prev = c0 if t == 0 else cells[t - 1]
            dh = rules.hidden_grad(dh, d_out, t, steps)
            tc = torch.tanh(cells[t])
            d_o = dh * tc
            dc = dc + dh * o * (1 - tc * tc)
            d_i, d_g, d_f = dc * g, dc * i, dc * c_prev
            dc = rules.cell_to_previous(dc, f)
            da[t] = torch.cat(
                [
                    d_i * rules.sigmoid_grad(i, p_i),
                    d_f * rules.sigmoid_grad(f, p_f),
                    d_g * (1 - g * g),
                    d_o * rules.sigmoid_grad(o, p_o),
                ],
                dim=-1,
            )
            dh = da[t] @ w_hh
        h_prev = torch.cat([h0.unsqueeze(0), hs[:-1]])  # (T, B, H)
        dx = da @ w_ih
        dw_ih = torch.einsum("tbg,tbi->gi", da, x)
        dw_hh = rules.weight_hh_grad(da, h_prev)
        db = rules.bias_grad(da)
        grads = (dx, dh, dc, dw_ih, dw_hh, db, db.clone())
        return (*(g.to(out_dtype) for g in grads), None)


class HandWrittenLSTM(RecurrentBase):
    """A correct LSTM whose backward is hand-written BPTT (see the module docstring)."""

    cell_mode = "LSTM"
    rules_class = BackwardRules

    def __init__(self, input_size: int, hidden_size: int, batch_first: bool = False) -> None:
        super().__init__(input_size, hidden_size, batch_first)
        self.rules = self.rules_class()

    def unroll(self, x: Tensor, h0: Tensor, c0: Tensor | None) -> tuple[Tensor, Tensor, Tensor | None]:
        assert c0 is not None
        out, h, c = _LSTMFunction.apply(
            x, h0, c0, self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0, self.rules
        )
        return out, h, c
