"""PyTorch reference RNN, LSTM and GRU that honour the ``torch.nn`` contract and expose every gate.

The modules take the same constructor arguments, own the same parameters
(``weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0`` in torch's gate order) and accept and
return the same structures as ``torch.nn.{RNN,LSTM,GRU}``, so a state_dict moves freely between
them. ``trace()`` returns every gate activation and cell state at every step.

Equations (per step t, x_t input, h_{t-1} previous hidden state):

* LSTM: i_t = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi), forget gate f_t and output gate o_t alike,
  candidate C~_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg);
  C_t = f_t ⊙ C_{t-1} + i_t ⊙ C~_t;  h_t = o_t ⊙ tanh(C_t).
* GRU: r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr), update gate z_t alike,
  n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn));  h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}.
* RNN: h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), φ = tanh or ReLU.

Only single-layer, unidirectional models are provided: they are references, not a toolkit.

Two paths compute the same numbers. ``trace()`` runs these equations step by step on autograd
ops. ``forward()`` of the LSTM runs the recurrence as one autograd node
(``_LSTMRecurrence``) whose backward is hand-written BPTT: per step only the dependent work
(one matmul and a few elementwise ops), with the weight gradient as one GEMM over all steps, as
cuDNN and oneDNN do. That keeps the eager reference within a small factor of torch.nn at small
sizes, where per-op overhead dominates. torch.compile is given the step loop (it fuses it
itself), and a backward with ``create_graph=True`` differentiates the step loop by autograd, so
higher derivatives stay exact. Both paths equal torch.nn to rounding in float64 (tests).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.autograd.function import FunctionCtx

from lstm_bench.kinds import Kind

__all__ = ["GRU", "LSTM", "RNN", "ReferenceRNNBase", "TorchTrace"]


@dataclass(frozen=True)
class TorchTrace:
    """Everything one forward pass computed, time-major and batched: tensors are (T, B, H).

    ``gates`` maps the kind's gate names (``Kind.gate_names``) to activations; ``cells`` holds
    C_1..C_T for the LSTM. Unbatched input gets a batch dimension of 1 here.
    """

    kind: Kind
    outputs: Tensor
    h_n: Tensor
    c_n: Tensor | None
    gates: dict[str, Tensor] = field(default_factory=dict)
    cells: Tensor | None = None


@dataclass
class _Unrolled:
    outputs: Tensor  # (T, B, H)
    h_n: Tensor  # (B, H)
    c_n: Tensor | None
    gates: dict[str, list[Tensor]]
    cells: list[Tensor]


class ReferenceRNNBase(nn.Module):
    """Shared constructor, parameters and input/output plumbing of the three reference modules."""

    kind: Kind

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        if input_size <= 0 or hidden_size <= 0:
            raise ValueError(f"input_size and hidden_size must be positive, got {input_size}, {hidden_size}")
        if num_layers != 1 or bidirectional or dropout:
            raise ValueError("reference models are single-layer and unidirectional, without dropout")
        self.input_size, self.hidden_size = input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = 1, bias, batch_first
        self.dropout, self.bidirectional = 0.0, False
        rows = self.kind.gate_count * hidden_size
        factory = {"device": device, "dtype": dtype}
        self.weight_ih_l0 = nn.Parameter(torch.empty(rows, input_size, **factory))  # type: ignore[arg-type]
        self.weight_hh_l0 = nn.Parameter(torch.empty(rows, hidden_size, **factory))  # type: ignore[arg-type]
        if bias:
            self.bias_ih_l0 = nn.Parameter(torch.empty(rows, **factory))  # type: ignore[arg-type]
            self.bias_hh_l0 = nn.Parameter(torch.empty(rows, **factory))  # type: ignore[arg-type]
        else:
            self.register_parameter("bias_ih_l0", None)
            self.register_parameter("bias_hh_l0", None)
        self.reset_parameters()

    @property
    def mode(self) -> str:
        """torch.nn's mode string: 'LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU'."""
        return self.kind.torch_mode

    def reset_parameters(self) -> None:
        """torch.nn's default: every parameter ~ U(-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, batch_first={self.batch_first}, bias={self.bias}"

    # -- input / output plumbing shared with torch.nn ------------------------------------------

    def _biases(self) -> tuple[Tensor | None, Tensor | None]:
        return self.bias_ih_l0, self.bias_hh_l0

    def _prepare(
        self, x: Tensor, hx: Tensor | tuple[Tensor, Tensor] | None
    ) -> tuple[Tensor, Tensor, Tensor | None, bool]:
        """Return x as (T, B, I), h0 and c0 as (B, H), and whether the input was unbatched."""
        if x.dim() not in (2, 3):
            raise ValueError(f"{type(self).__name__}: expected input of 2 or 3 dimensions, got {x.dim()}")
        if x.size(-1) != self.input_size:
            raise ValueError(
                f"{type(self).__name__}: input.size(-1) must be {self.input_size}, got {x.size(-1)}"
            )
        unbatched = x.dim() == 2
        if unbatched:
            x = x.unsqueeze(1)  # (T, 1, I)
        elif self.batch_first:
            x = x.transpose(0, 1)  # (B, T, I) -> (T, B, I)
        batch = x.size(1)
        states = (hx,) if isinstance(hx, Tensor) else hx
        if states is not None and self.kind.has_cell != (len(states) == 2):
            raise ValueError(
                f"{type(self).__name__}: hx must be {'(h_0, c_0)' if self.kind.has_cell else 'h_0'}"
            )
        flat = [self._state(s, batch, unbatched, x) for s in states] if states is not None else []
        if not flat:
            zeros = x.new_zeros(batch, self.hidden_size)
            flat = [zeros, zeros] if self.kind.has_cell else [zeros]
        return x, flat[0], (flat[1] if self.kind.has_cell else None), unbatched

    def _state(self, s: Tensor, batch: int, unbatched: bool, x: Tensor) -> Tensor:
        expected = (1, self.hidden_size) if unbatched else (1, batch, self.hidden_size)
        if tuple(s.shape) != expected:
            raise RuntimeError(f"Expected hidden size {expected}, got {tuple(s.shape)}")
        return s.reshape(batch, self.hidden_size)  # (B, H)

    def _finish(self, run: _Unrolled, unbatched: bool) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
        out = run.outputs  # (T, B, H)
        if unbatched:
            out = out.squeeze(1)  # (T, H)
        elif self.batch_first:
            out = out.transpose(0, 1)  # (B, T, H)
        shape = (1, self.hidden_size) if unbatched else (1, run.h_n.size(0), self.hidden_size)
        h_n = run.h_n.reshape(shape)
        if run.c_n is not None:
            return out, (h_n, run.c_n.reshape(shape))
        return out, h_n

    def forward(  # type: ignore[override]
        self, x: Tensor, hx: Tensor | tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor | tuple[Tensor, Tensor]]:
        """Same contract as torch.nn: returns (output, h_n) or, for the LSTM, (output, (h_n, c_n))."""
        xs, h0, c0, unbatched = self._prepare(x, hx)
        return self._finish(self._unroll(xs, h0, c0, record=False), unbatched)

    def trace(self, x: Tensor, hx: Tensor | tuple[Tensor, Tensor] | None = None) -> TorchTrace:
        """Run forward and return every gate activation and state per step, as (T, B, H) tensors."""
        xs, h0, c0, _ = self._prepare(x, hx)
        run = self._unroll(xs, h0, c0, record=True)
        gates = {name: torch.stack(acts) for name, acts in run.gates.items()}
        cells = torch.stack(run.cells) if run.cells else None
        return TorchTrace(self.kind, run.outputs, run.h_n, run.c_n, gates, cells)

    def _unroll(self, x: Tensor, h: Tensor, c: Tensor | None, record: bool) -> _Unrolled:
        raise NotImplementedError

    def _input_projection(self, x: Tensor, fold_hidden_bias: bool) -> Tensor:
        """W_ih x_t + b_ih (+ b_hh) for every step in one matmul: (T, B, G*H)."""
        b_ih, b_hh = self._biases()
        bias = None if b_ih is None else (b_ih + b_hh if fold_hidden_bias and b_hh is not None else b_ih)
        steps, batch = x.shape[:2]
        flat = x.reshape(steps * batch, self.input_size)  # (T*B, I)
        proj = (
            flat @ self.weight_ih_l0.t() if bias is None else torch.addmm(bias, flat, self.weight_ih_l0.t())
        )
        return proj.view(steps, batch, -1)  # (T, B, G*H)


def _compiling() -> bool:
    """True while torch.compile traces us: it gets the step loop, which it can fuse, not the fused node."""
    is_compiling = getattr(torch.compiler, "is_compiling", None)
    return bool(is_compiling()) if is_compiling is not None else False


def _recorder(record: bool, names: tuple[str, ...]) -> tuple[dict[str, list[Tensor]], Callable[..., None]]:
    gates: dict[str, list[Tensor]] = {name: [] for name in names} if record else {}

    def keep(*acts: Tensor) -> None:
        if record:
            for name, act in zip(names, acts, strict=True):
                gates[name].append(act)

    return gates, keep


class LSTM(ReferenceRNNBase):
    """Reference LSTM, a drop-in for ``torch.nn.LSTM`` (single layer): gates i, f, g, o."""

    kind = Kind.LSTM

    def _unroll(self, x: Tensor, h: Tensor, c: Tensor | None, record: bool) -> _Unrolled:
        assert c is not None
        xp = self._input_projection(x, fold_hidden_bias=True)  # (T, B, 4H)
        if not record and not _compiling():  # eager fast path: one autograd node for the recurrence
            outputs, h_n, c_n = _LSTMRecurrence.apply(xp, h, c, self.weight_hh_l0)  # type: ignore[no-untyped-call]
            return _Unrolled(outputs, h_n, c_n, {}, [])
        gates, keep = _recorder(record, self.kind.gate_names)
        hs, h, c, cells = _lstm_steps(xp, h, c, self.weight_hh_l0, keep, record)
        return _Unrolled(torch.stack(hs), h, c, gates, cells)


def _lstm_steps(
    xp: Tensor,
    h: Tensor,
    c: Tensor,
    w_hh: Tensor,
    keep: Callable[..., None] | None = None,
    record: bool = False,
) -> tuple[list[Tensor], Tensor, Tensor, list[Tensor]]:
    """The LSTM equations step by step on autograd ops: ([h_1..h_T], h_T, C_T, [C_1..C_T] if ``record``)."""
    w_hh_t = w_hh.t()
    hs: list[Tensor] = []
    cells: list[Tensor] = []
    for xp_t in xp.unbind(0):  # unbind, not xp[t]: indexing makes the backward O(T^2)
        pre_i, pre_f, pre_g, pre_o = torch.addmm(xp_t, h, w_hh_t).chunk(4, dim=1)  # 4 x (B, H)
        i, f, g, o = pre_i.sigmoid(), pre_f.sigmoid(), pre_g.tanh(), pre_o.sigmoid()
        c = f * c + i * g  # C_t = f_t ⊙ C_{t-1} + i_t ⊙ C~_t
        h = o * c.tanh()  # h_t = o_t ⊙ tanh(C_t)
        hs.append(h)
        if keep is not None:
            keep(i, f, g, o)
        if record:
            cells.append(c)
    return hs, h, c, cells


class _LSTMRecurrence(torch.autograd.Function):
    """The LSTM recurrence over all T steps as one autograd node, with hand-written BPTT.

    Inputs: xp (T, B, 4H) = W_ih x_t + b_ih + b_hh for every step (torch gate order i, f, g, o),
    h0 and C0 (B, H), W_hh (4H, H). Outputs: h_1..h_T (T, B, H), h_T and C_T (B, H).
    Forward per step: a_t = xp_t + h_{t-1} W_hh^T; i, f, o = σ(a); C~ = tanh(a_g);
    C_t = f ⊙ C_{t-1} + i ⊙ C~; h_t = o ⊙ tanh(C_t).
    """

    @staticmethod
    def forward(
        ctx: FunctionCtx, xp: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:  # type: ignore[override]
        steps, batch, four_h = xp.shape
        hid = four_h // 4
        w_hh_t = w_hh.t().contiguous()  # (H, 4H): a contiguous operand is faster for small GEMMs
        acts = torch.empty_like(xp)  # (T, B, 4H): σ(a_i), σ(a_f), tanh(a_g), σ(a_o)
        i, f, g, o = (block.unbind(0) for block in acts.view(steps, batch, 4, hid).unbind(2))  # T x (B, H)
        acts_t, cand_t = acts.unbind(0), acts[:, :, 2 * hid : 3 * hid].unbind(0)
        cells, tanh_cells, hs = (xp.new_empty(steps, batch, hid) for _ in range(3))  # (T, B, H) each
        cells_t, tanh_t, hs_t = cells.unbind(0), tanh_cells.unbind(0), hs.unbind(0)
        h, c = h0, c0
        for t, xp_t in enumerate(xp.unbind(0)):  # unbind: views made once, no per-step indexing
            a = torch.addmm(xp_t, h, w_hh_t)  # (B, 4H) pre-activations
            torch.sigmoid(a, out=acts_t[t])  # i, f, o (the g block is overwritten next)
            torch.tanh(a[:, 2 * hid : 3 * hid], out=cand_t[t])  # C~_t
            c = torch.addcmul(f[t] * c, i[t], g[t], out=cells_t[t])  # C_t = f ⊙ C_{t-1} + i ⊙ C~_t
            h = torch.mul(o[t], torch.tanh(c, out=tanh_t[t]), out=hs_t[t])  # h_t = o ⊙ tanh(C_t)
        ctx.save_for_backward(xp, h0, c0, w_hh, acts, cells, tanh_cells, hs)
        return hs, h.clone(), c.clone()

    @staticmethod
    def backward(ctx: FunctionCtx, d_out: Tensor, d_hn: Tensor, d_cn: Tensor) -> tuple[Tensor | None, ...]:  # type: ignore[override]
        xp, h0, c0, w_hh, acts, cells, tanh_cells, hs = ctx.saved_tensors  # type: ignore[attr-defined]
        if torch.is_grad_enabled():  # create_graph=True: a gradient that is itself differentiable
            return _lstm_steps_backward((xp, h0, c0, w_hh), (d_out, d_hn, d_cn))
        steps, batch, hid = hs.shape
        if steps == 0:
            return torch.zeros_like(acts), d_hn, d_cn, torch.zeros_like(w_hh)
        i, f, g, o = acts.view(steps, batch, 4, hid).unbind(2)  # each (T, B, H)
        c_prev = torch.cat([c0.unsqueeze(0), cells[:-1]])  # C_{t-1}, (T, B, H)
        # Everything that does not depend on the gradient flowing back, for all steps at once:
        h_to_c = o * (1 - tanh_cells * tanh_cells)  # ∂h_t/∂C_t = o ⊙ (1 - tanh²C_t)
        c_to_a = torch.stack(  # ∂C_t/∂a for a_i, a_f, a_g, through σ' = s(1-s) and tanh' = 1-C~²
            [g * i * (1 - i), c_prev * f * (1 - f), i * (1 - g * g)], dim=2
        )  # (T, B, 3, H)
        h_to_ao = tanh_cells * o * (1 - o)  # ∂h_t/∂a_o = tanh(C_t) ⊙ σ'(a_o)
        d_a = torch.empty_like(acts)  # dL/da_t for every step, (T, B, 4H)
        d_a4 = d_a.view(steps, batch, 4, hid)
        d_a_t, d_ifg_t, d_o_t = d_a.unbind(0), d_a4[:, :, :3].unbind(0), d_a4[:, :, 3].unbind(0)
        h_to_c_t, c_to_a_t, h_to_ao_t = h_to_c.unbind(0), c_to_a.unbind(0), h_to_ao.unbind(0)
        f_t, d_out_t = f.unbind(0), d_out.unbind(0)
        dh = d_hn + d_out_t[steps - 1]  # dL/dh_T: from h_n and from outputs[T-1]
        dc = d_cn  # dL/dC_T from c_n
        for t in range(steps - 1, -1, -1):
            dc = torch.addcmul(dc, dh, h_to_c_t[t])  # dL/dC_t: carried + through h_t = o ⊙ tanh(C_t)
            torch.mul(dc.unsqueeze(1), c_to_a_t[t], out=d_ifg_t[t])  # dL/da_i, da_f, da_g
            torch.mul(dh, h_to_ao_t[t], out=d_o_t[t])  # dL/da_o
            # dL/dh_{t-1} = da_t W_hh (+ the output gradient of step t-1)
            dh = torch.addmm(d_out_t[t - 1], d_a_t[t], w_hh) if t > 0 else d_a_t[t] @ w_hh
            dc = dc * f_t[t]  # dL/dC_{t-1} through C_t = f ⊙ C_{t-1} + ...
        h_prev = torch.cat([h0.unsqueeze(0), hs[:-1]])  # h_{t-1}, (T, B, H)
        d_w_hh = d_a.view(-1, 4 * hid).t() @ h_prev.view(-1, hid)  # Σ_t da_t^T h_{t-1}: one GEMM
        return d_a, dh, dc, d_w_hh


def _lstm_steps_backward(inputs: tuple[Tensor, ...], grads: tuple[Tensor, ...]) -> tuple[Tensor | None, ...]:
    """Gradients of the recurrence by autograd through ``_lstm_steps``, with a graph (double backward)."""
    xp, h0, c0, w_hh = inputs
    hs, h_n, c_n, _ = _lstm_steps(xp, h0, c0, w_hh)
    wrt = [t for t in inputs if t.requires_grad]
    found = iter(
        torch.autograd.grad((torch.stack(hs), h_n, c_n), wrt, grads, create_graph=True, allow_unused=True)
    )
    return tuple(next(found) if t.requires_grad else None for t in inputs)


class GRU(ReferenceRNNBase):
    """Reference GRU, a drop-in for ``torch.nn.GRU``: gates r, z, n with b_hn inside the reset product."""

    kind = Kind.GRU

    def _unroll(self, x: Tensor, h: Tensor, c: Tensor | None, record: bool) -> _Unrolled:
        w_hh_t, b_hh = self.weight_hh_l0.t(), self.bias_hh_l0
        gates, keep = _recorder(record, self.kind.gate_names)
        hs: list[Tensor] = []
        for xp_t in self._input_projection(x, fold_hidden_bias=False).unbind(0):
            hp = h @ w_hh_t if b_hh is None else torch.addmm(b_hh, h, w_hh_t)  # (B, 3H)
            x_r, x_z, x_n = xp_t.chunk(3, dim=1)
            h_r, h_z, h_n = hp.chunk(3, dim=1)
            r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
            n = (x_n + r * h_n).tanh()  # n_t = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
            h = (1 - z) * n + z * h  # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
            hs.append(h)
            keep(r, z, n)
        return _Unrolled(torch.stack(hs), h, None, gates, [])


class RNN(ReferenceRNNBase):
    """Reference Elman RNN, a drop-in for ``torch.nn.RNN`` with ``nonlinearity`` 'tanh' or 'relu'."""

    kind = Kind.RNN_TANH

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        self.kind = Kind.RNN_TANH if nonlinearity == "tanh" else Kind.RNN_RELU
        super().__init__(
            input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, device, dtype
        )

    def _unroll(self, x: Tensor, h: Tensor, c: Tensor | None, record: bool) -> _Unrolled:
        w_hh_t = self.weight_hh_l0.t()
        phi = torch.tanh if self.nonlinearity == "tanh" else torch.relu
        hs: list[Tensor] = []
        for xp_t in self._input_projection(x, fold_hidden_bias=True).unbind(0):
            h = phi(torch.addmm(xp_t, h, w_hh_t))  # h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)
            hs.append(h)
        return _Unrolled(torch.stack(hs), h, None, {}, [])


def reference_module(kind: Kind, input_size: int, hidden_size: int, **kwargs: object) -> ReferenceRNNBase:
    """Construct the reference module of ``kind`` (RNN_RELU gets ``nonlinearity='relu'``)."""
    if kind is Kind.LSTM:
        return LSTM(input_size, hidden_size, **kwargs)  # type: ignore[arg-type]
    if kind is Kind.GRU:
        return GRU(input_size, hidden_size, **kwargs)  # type: ignore[arg-type]
    nonlinearity = "relu" if kind is Kind.RNN_RELU else "tanh"
    return RNN(input_size, hidden_size, nonlinearity=nonlinearity, **kwargs)  # type: ignore[arg-type]


def torch_nn_module(kind: Kind, input_size: int, hidden_size: int, **kwargs: object) -> nn.Module:
    """Construct the matching ``torch.nn`` module (the native oneDNN / cuDNN implementation)."""
    if kind is Kind.LSTM:
        return nn.LSTM(input_size, hidden_size, **kwargs)  # type: ignore[arg-type]
    if kind is Kind.GRU:
        return nn.GRU(input_size, hidden_size, **kwargs)  # type: ignore[arg-type]
    nonlinearity = "relu" if kind is Kind.RNN_RELU else "tanh"
    return nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity, **kwargs)  # type: ignore[arg-type]
