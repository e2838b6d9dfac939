"""Float64 NumPy reference for single-layer LSTM, GRU and Elman RNN: forward, trace, and hand-written BPTT.

This module is the ground truth the rest of lstm-bench checks against, so it is written to be read:
one function per cell step, one unroll, one backward pass per kind with a comment on every line.
Weights use torch.nn's layout and gate order exactly, so a ``torch.nn.LSTM(...).state_dict()`` can
be loaded with :meth:`Params.from_state_dict` and compared number for number.

Notation (σ is the logistic sigmoid, ⊙ the elementwise product, x_t the input, h_t the hidden state)::

    LSTM  i_t  = σ(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)     input gate
          f_t  = σ(W_if x_t + b_if + W_hf h_{t-1} + b_hf)     forget gate
          C~_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)  candidate cell (torch calls it g)
          o_t  = σ(W_io x_t + b_io + W_ho h_{t-1} + b_ho)     output gate
          C_t  = f_t ⊙ C_{t-1} + i_t ⊙ C~_t                   cell state
          h_t  = o_t ⊙ tanh(C_t)

    GRU   r_t  = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)     reset gate
          z_t  = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)     update gate
          n_t  = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))   candidate
          h_t  = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}

    RNN   h_t  = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),    φ = tanh (Kind.RNN_TANH) or relu (Kind.RNN_RELU)

Row blocks of ``weight_ih`` / ``weight_hh`` / biases are stacked in torch order: (i, f, g, o) for the
LSTM, (r, z, n) for the GRU. Everything is float64; nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lstm_bench.kinds import Kind
from lstm_bench.reference.numpy_params import LayerWeights, Params, init_params
from lstm_bench.reference.numpy_params import as_kind as _as_kind

__all__ = [
    "GradAccumulator",
    "Grads",
    "LayerWeights",
    "Params",
    "Trace",
    "bptt",
    "gru_step",
    "gru_step_back",
    "init_params",
    "loss_and_grads",
    "lstm_step",
    "lstm_step_back",
    "rnn_step",
    "rnn_step_back",
    "unroll",
]

Array = NDArray[np.float64]

_NONLINEARITIES = ("tanh", "relu")


# ---------------------------------------------------------------------------------------------------
# One time step per kind. x: (B, I), h and c: (B, H). Activations come back in a dict so that the
# unroll can record them; the keys of gate activations are Kind.gate_names.
# ---------------------------------------------------------------------------------------------------


def _sigmoid(a: Array) -> Array:
    """σ(a) = 1 / (1 + e^{-a}) without overflow: exactly 0 or 1 far out in the tails."""
    e = np.exp(-np.abs(a))  # in (0, 1], never overflows
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _affine(x: Array, h: Array, p: LayerWeights) -> tuple[Array, Array]:
    """Both halves of the gate pre-activations: (W_ih x + b_ih, W_hh h + b_hh), each (B, G*H)."""
    return x @ p.weight_ih.T + p.bias_ih, h @ p.weight_hh.T + p.bias_hh


def lstm_step(
    x: Array, h: Array, c: Array, p: LayerWeights, weight_hr: Array | None = None
) -> tuple[Array, Array, dict[str, Array]]:
    """One LSTM step: returns (h_t, C_t, gates) from x_t (B, I), h_{t-1} (B, H_out), C_{t-1} (B, H).

    i_t = σ(·), f_t = σ(·), C~_t = tanh(·), o_t = σ(·) over W_i* x_t + b_i* + W_h* h_{t-1} + b_h*;
    C_t = f_t ⊙ C_{t-1} + i_t ⊙ C~_t;  h_t = o_t ⊙ tanh(C_t), or h_t = W_hr (o_t ⊙ tanh(C_t)) with a
    projection ``weight_hr`` (P, H) (torch's ``proj_size``; then H_out = P).
    ``gates`` maps Kind.LSTM.gate_names ("input", "forget", "candidate", "output") to (B, H) arrays.
    """
    ax, ah = _affine(x, h, p)
    a_i, a_f, a_g, a_o = np.split(ax + ah, 4, axis=-1)  # 4 x (B, H), torch order i, f, g, o
    i, f, g, o = _sigmoid(a_i), _sigmoid(a_f), np.tanh(a_g), _sigmoid(a_o)
    c_new = f * c + i * g  # keep part of the old cell, write part of the candidate
    h_new = o * np.tanh(c_new)  # expose part of the squashed cell
    if weight_hr is not None:
        h_new = h_new @ weight_hr.T  # (B, P): the projected hidden state
    return h_new, c_new, {"input": i, "forget": f, "candidate": g, "output": o}


def gru_step(x: Array, h: Array, p: LayerWeights) -> tuple[Array, dict[str, Array]]:
    """One GRU step: returns (h_t, activations) from x_t (B, I) and h_{t-1} (B, H).

    r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr), z_t = σ(... z ...),
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn)),  h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}.
    The dict holds the gates "reset", "update", "candidate" and, for BPTT, "hidden_candidate"
    = W_hn h_{t-1} + b_hn (the term the reset gate scales; not a gate).
    """
    ax, ah = _affine(x, h, p)
    ax_r, ax_z, ax_n = np.split(ax, 3, axis=-1)  # 3 x (B, H), torch order r, z, n
    ah_r, ah_z, ah_n = np.split(ah, 3, axis=-1)  # 3 x (B, H)
    r, z = _sigmoid(ax_r + ah_r), _sigmoid(ax_z + ah_z)
    n = np.tanh(ax_n + r * ah_n)  # the reset gate scales only the recurrent part
    h_new = (1.0 - z) * n + z * h  # interpolate between candidate and previous state
    return h_new, {"reset": r, "update": z, "candidate": n, "hidden_candidate": ah_n}


def rnn_step(x: Array, h: Array, p: LayerWeights, nonlinearity: str) -> tuple[Array, dict[str, Array]]:
    """One Elman RNN step: h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), φ = tanh or relu.

    The dict holds "preactivation" (the argument of φ, (B, H)); an RNN has no gates.
    """
    if nonlinearity not in _NONLINEARITIES:
        raise ValueError(f"nonlinearity must be 'tanh' or 'relu'; got {nonlinearity!r}")
    ax, ah = _affine(x, h, p)
    a = ax + ah  # (B, H)
    h_new = np.tanh(a) if nonlinearity == "tanh" else np.maximum(a, 0.0)
    return h_new, {"preactivation": a}


def step(
    kind: Kind, x: Array, h: Array, c: Array | None, p: LayerWeights, weight_hr: Array | None = None
) -> tuple[Array, Array | None, dict[str, Array]]:
    """One step of ``kind``: (h_t, C_t or None, the step's gates and the values its backward reads)."""
    if kind is Kind.LSTM:
        assert c is not None
        return lstm_step(x, h, c, p, weight_hr)
    if kind is Kind.GRU:
        h_new, acts = gru_step(x, h, p)
        return h_new, None, acts
    h_new, acts = rnn_step(x, h, p, "tanh" if kind is Kind.RNN_TANH else "relu")
    return h_new, None, acts


# ---------------------------------------------------------------------------------------------------
# Unrolling over time
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trace:
    """Everything one forward pass computed, kept for inspection and for :func:`bptt`.

    Public record: ``outputs`` h_1..h_T (T, B, H); ``h_n`` = h_T (B, H); ``c_n`` = C_T and ``cells``
    C_1..C_T (LSTM only, else None); ``gates`` maps each of ``kind.gate_names`` to (T, B, H).
    The inputs of the pass (``x``, ``h0``, ``c0``, ``params``) and ``cache`` (per-step values that
    are not gates, e.g. the RNN pre-activation, each (T, B, H)) are what BPTT reads.
    """

    kind: Kind
    outputs: Array
    h_n: Array
    c_n: Array | None
    gates: dict[str, Array]
    cells: Array | None
    x: Array = field(repr=False)
    h0: Array = field(repr=False)
    c0: Array | None = field(repr=False)
    params: Params = field(repr=False)
    cache: dict[str, Array] = field(default_factory=dict, repr=False)

    def previous_hidden(self, t: int) -> Array:
        """h_{t-1} for the step that produced ``outputs[t]``: h0 at t = 0."""
        return self.h0 if t == 0 else self.outputs[t - 1]

    def previous_cell(self, t: int) -> Array:
        """C_{t-1} for the step that produced ``cells[t]`` (LSTM only): c0 at t = 0."""
        if self.cells is None or self.c0 is None:
            raise ValueError(f"a {self.kind.value} trace has no cell state")
        return self.c0 if t == 0 else self.cells[t - 1]


def unroll(kind: Kind, params: Params, x: Array, h0: Array | None = None, c0: Array | None = None) -> Trace:
    """Run ``kind`` over x (T, B, I) from h0 (and C0 for the LSTM), zeros when omitted; record all.

    Equivalent to ``torch.nn.{LSTM,GRU,RNN}(I, H)`` with ``batch_first=False`` loaded with the same
    state_dict: ``outputs`` is its first return value, ``h_n`` / ``c_n`` its final state (without
    the leading layer axis).
    """
    kind = _as_kind(kind)
    x, h0, c0 = _check_inputs(kind, params, x, h0, c0)
    h, c = h0, c0
    outputs, cells, steps = [], [], []
    for x_t in x:  # x_t: (B, I)
        h, c_new, acts = step(kind, x_t, h, c, params)
        if c_new is not None:
            c = c_new
            cells.append(c)
        outputs.append(h)
        steps.append(acts)
    stacked = {name: np.stack([acts[name] for acts in steps]) for name in steps[0]}  # each (T, B, H)
    return Trace(
        kind=kind,
        outputs=np.stack(outputs),  # (T, B, H)
        h_n=h,
        c_n=c if kind.has_cell else None,
        gates={name: stacked.pop(name) for name in kind.gate_names},
        cells=np.stack(cells) if kind.has_cell else None,  # (T, B, H)
        x=x,
        h0=h0,
        c0=c0 if kind.has_cell else None,
        params=params,
        cache=stacked,  # what is left: non-gate values BPTT needs
    )


def _check_inputs(kind: Kind, params: Params, x: Any, h0: Any, c0: Any) -> tuple[Array, Array, Array]:
    """Validate the unroll arguments; return float64 x, h0 and c0 (zeros where None)."""
    if not isinstance(params, Params):
        raise ValueError(f"params must be a Params; got {type(params).__name__}")
    if params.gate_count != kind.gate_count:
        raise ValueError(
            f"params have {params.gate_count} gate blocks (weight_hh {params.weight_hh.shape}) but "
            f"{kind.value} needs {kind.gate_count}"
        )
    x = np.asarray(x, dtype=np.float64)
    n_in, n_hid = params.input_size, params.hidden_size
    if x.ndim != 3 or x.shape[2] != n_in or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x must be (T, B, {n_in}) with T, B >= 1 (time-major); got {x.shape}")
    if c0 is not None and not kind.has_cell:
        raise ValueError(f"c0 is only for the LSTM; {kind.value} has no cell state")
    state = (x.shape[1], n_hid)
    return x, _state_or_zeros("h0", h0, state), _state_or_zeros("c0", c0, state)


def _state_or_zeros(name: str, value: Any, shape: tuple[int, int]) -> Array:
    """A (B, H) float64 initial state: a copy of ``value``, or zeros when it is None."""
    if value is None:
        return np.zeros(shape, dtype=np.float64)
    arr = np.array(value, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must be (B, H) = {shape}; got {arr.shape}")
    return arr


# ---------------------------------------------------------------------------------------------------
# Backpropagation through time
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grads:
    """dL/d(everything the unroll read): inputs x (T, B, I), h0 (B, H), C0 (B, H, LSTM only) and the
    parameters, in the same torch layout as :class:`Params`."""

    x: Array
    h0: Array
    c0: Array | None
    params: Params


class GradAccumulator:
    """Parameter gradients summed over time steps, plus the weights each step backprops through.

    ``weight_hr`` (P, H) is the LSTM projection when there is one; its gradient is ``d_weight_hr``.
    """

    def __init__(self, params: LayerWeights, weight_hr: Array | None = None) -> None:
        self.params, self.weight_hr = params, weight_hr
        self.d_weight_ih = np.zeros_like(params.weight_ih)  # (G*H, I)
        self.d_weight_hh = np.zeros_like(params.weight_hh)  # (G*H, H_out)
        self.d_bias_ih = np.zeros_like(params.bias_ih)  # (G*H,)
        self.d_bias_hh = np.zeros_like(params.bias_hh)  # (G*H,)
        self.d_weight_hr = None if weight_hr is None else np.zeros_like(weight_hr)  # (P, H)

    def add(self, da_x: Array, da_h: Array, x_t: Array, h_prev: Array) -> tuple[Array, Array]:
        """Backprop through a_x = W_ih x_t + b_ih and a_h = W_hh h_{t-1} + b_hh given dL/da_x,
        dL/da_h (B, G*H); return (dL/dx_t, dL/dh_{t-1} via a_h)."""
        self.d_weight_ih += da_x.T @ x_t  # (G*H, I): outer products summed over the batch
        self.d_weight_hh += da_h.T @ h_prev  # (G*H, H_out)
        self.d_bias_ih += da_x.sum(axis=0)  # each bias is added once per batch row
        self.d_bias_hh += da_h.sum(axis=0)
        return da_x @ self.params.weight_ih, da_h @ self.params.weight_hh  # (B, I), (B, H_out)

    def result(self) -> Params:
        """The summed gradients, in the layout of the parameters (square layers only)."""
        return Params(self.d_weight_ih, self.d_weight_hh, self.d_bias_ih, self.d_bias_hh)


def bptt(
    trace: Trace,
    d_outputs: Array | None = None,
    d_h_n: Array | None = None,
    d_c_n: Array | None = None,
) -> Grads:
    """Hand-written backpropagation through time for the pass recorded in ``trace``.

    Given upstream gradients dL/d outputs (T, B, H), dL/dh_n (B, H) and, for the LSTM, dL/dC_n
    (B, H) (None = zeros), return exact dL/dx, dL/dh0, dL/dC0 and dL/d(weights, biases). Nothing
    is clipped: a gradient checker must see raw gradients.
    """
    d_outputs, d_h_n, d_c_n = _check_upstream(trace, d_outputs, d_h_n, d_c_n)
    acc = GradAccumulator(trace.params)
    dx = np.zeros_like(trace.x)  # (T, B, I)
    dh = d_h_n.copy()  # dL/dh_t flowing back from later steps, (B, H)
    dc = d_c_n.copy() if d_c_n is not None else None  # dL/dC_t flowing back (LSTM), (B, H)
    lstm = trace.kind is Kind.LSTM
    for t in reversed(range(trace.outputs.shape[0])):
        dh = dh + d_outputs[t]  # h_t is both an output and the next step's input
        acts = {name: values[t] for name, values in {**trace.gates, **trace.cache}.items()}
        c_prev, c_t = (
            (trace.previous_cell(t), trace.cells[t]) if lstm and trace.cells is not None else (None, None)
        )
        dx[t], dh, dc = step_back(
            trace.kind, trace.x[t], trace.previous_hidden(t), c_prev, c_t, acts, dh, dc, acc
        )
    return Grads(x=dx, h0=dh, c0=dc, params=acc.result())


def _check_upstream(
    trace: Trace, d_outputs: Any, d_h_n: Any, d_c_n: Any
) -> tuple[Array, Array, Array | None]:
    """Validate the upstream gradients against the trace; zeros where None."""
    if not isinstance(trace, Trace):
        raise ValueError(f"bptt needs a Trace from unroll(); got {type(trace).__name__}")
    if d_c_n is not None and not trace.kind.has_cell:
        raise ValueError(f"d_c_n is only for the LSTM; {trace.kind.value} has no cell state")
    seq_shape, state_shape = trace.outputs.shape, trace.h_n.shape
    d_out = _grad_or_zeros("d_outputs", d_outputs, seq_shape)
    d_h = _grad_or_zeros("d_h_n", d_h_n, state_shape)
    d_c = _grad_or_zeros("d_c_n", d_c_n, state_shape) if trace.kind.has_cell else None
    return d_out, d_h, d_c


def _grad_or_zeros(name: str, value: Any, shape: tuple[int, ...]) -> Array:
    """A float64 upstream gradient of ``shape``: a copy of ``value``, or zeros when it is None."""
    if value is None:
        return np.zeros(shape, dtype=np.float64)
    arr = np.array(value, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape} to match the trace; got {arr.shape}")
    return arr


def lstm_step_back(
    x_t: Array,
    h_prev: Array,
    c_prev: Array,
    c_t: Array,
    gates: Mapping[str, Array],
    dh: Array,
    dc: Array,
    acc: GradAccumulator,
) -> tuple[Array, Array, Array]:
    """Backprop one LSTM step given dL/dh_t and dL/dC_t; return dL/dx_t, dL/dh_{t-1}, dL/dC_{t-1}.

    ``gates`` are the step's i, f, C~, o (B, H); parameter gradients are added to ``acc``, which
    also holds the projection W_hr when h_t = W_hr (o_t ⊙ tanh(C_t)).
    """
    i, f, g, o = (gates[name] for name in Kind.LSTM.gate_names)  # each (B, H)
    tanh_c = np.tanh(c_t)
    if acc.weight_hr is not None and acc.d_weight_hr is not None:
        acc.d_weight_hr += dh.T @ (o * tanh_c)  # h_t = W_hr m_t, m_t = o_t ⊙ tanh(C_t): (P, H)
        dh = dh @ acc.weight_hr  # dL/dm_t, (B, H)
    do = dh * tanh_c  # h_t = o_t ⊙ tanh(C_t)
    dc = dc + dh * o * (1.0 - tanh_c**2)  # ... and through tanh(C_t), plus the carried dL/dC_t
    di = dc * g  # C_t = f_t ⊙ C_{t-1} + i_t ⊙ C~_t
    df = dc * c_prev
    dg = dc * i
    dc_prev = dc * f  # the cell path: scaled only by the forget gate
    da = np.concatenate(  # back through σ' = s(1-s) and tanh' = 1-g², torch order i, f, g, o
        [di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g**2), do * o * (1.0 - o)], axis=-1
    )  # (B, 4H)
    dx_t, dh_prev = acc.add(da, da, x_t, h_prev)  # both halves share a_t
    return dx_t, dh_prev, dc_prev


def gru_step_back(
    x_t: Array, h_prev: Array, acts: Mapping[str, Array], dh: Array, acc: GradAccumulator
) -> tuple[Array, Array]:
    """Backprop one GRU step given dL/dh_t; return dL/dx_t and dL/dh_{t-1}.

    ``acts`` is what :func:`gru_step` returned: r, z, n and "hidden_candidate" W_hn h_{t-1} + b_hn.
    """
    r, z, n = (acts[name] for name in Kind.GRU.gate_names)  # each (B, H)
    hn = acts["hidden_candidate"]  # W_hn h_{t-1} + b_hn
    dn = dh * (1.0 - z)  # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}
    dz = dh * (h_prev - n)
    dh_direct = dh * z  # the direct (leaky) path to h_{t-1}
    da_n = dn * (1.0 - n**2)  # n_t = tanh(a_n), a_n = W_in x_t + b_in + r_t ⊙ hn
    da_r = da_n * hn * r * (1.0 - r)  # through r_t ⊙ hn, then σ'
    da_z = dz * z * (1.0 - z)  # through σ'
    da_x = np.concatenate([da_r, da_z, da_n], axis=-1)  # input half sees a_n directly, (B, 3H)
    da_h = np.concatenate([da_r, da_z, da_n * r], axis=-1)  # hidden half of n is scaled by r_t
    dx_t, dh_prev = acc.add(da_x, da_h, x_t, h_prev)
    return dx_t, dh_prev + dh_direct  # both paths into h_{t-1}


def rnn_step_back(
    x_t: Array, h_prev: Array, acts: Mapping[str, Array], dh: Array, acc: GradAccumulator, nonlinearity: str
) -> tuple[Array, Array]:
    """Backprop one Elman step given dL/dh_t; return dL/dx_t and dL/dh_{t-1}.

    ``acts`` holds the step's "preactivation" a_t (from :func:`rnn_step`).
    """
    a = acts["preactivation"]
    # tanh' = 1 - h_t²;  relu' = [a > 0] (0 at the kink, as torch)
    da = dh * (1.0 - np.tanh(a) ** 2) if nonlinearity == "tanh" else dh * (a > 0)
    return acc.add(da, da, x_t, h_prev)  # both halves share a_t


def step_back(
    kind: Kind,
    x_t: Array,
    h_prev: Array,
    c_prev: Array | None,
    c_t: Array | None,
    acts: Mapping[str, Array],
    dh: Array,
    dc: Array | None,
    acc: GradAccumulator,
) -> tuple[Array, Array, Array | None]:
    """Backprop one step of ``kind`` (the one dispatch of the hand-written BPTT loops).

    ``acts`` is what :func:`step` returned for the step; ``c_prev``, ``c_t`` and ``dc`` are the
    LSTM's C_{t-1}, C_t and dL/dC_t (None otherwise). Returns dL/dx_t, dL/dh_{t-1}, dL/dC_{t-1}.
    """
    if kind is Kind.LSTM:
        assert c_prev is not None and c_t is not None and dc is not None
        return lstm_step_back(x_t, h_prev, c_prev, c_t, acts, dh, dc, acc)
    if kind is Kind.GRU:
        dx_t, dh_prev = gru_step_back(x_t, h_prev, acts, dh, acc)
    else:
        nonlinearity = "tanh" if kind is Kind.RNN_TANH else "relu"
        dx_t, dh_prev = rnn_step_back(x_t, h_prev, acts, dh, acc, nonlinearity)
    return dx_t, dh_prev, None


# ---------------------------------------------------------------------------------------------------
# Convenience
# ---------------------------------------------------------------------------------------------------


def loss_and_grads(
    kind: Kind,
    params: Params,
    x: Array,
    h0: Array | None = None,
    c0: Array | None = None,
    d_outputs: Array | None = None,
    d_h_n: Array | None = None,
    d_c_n: Array | None = None,
) -> tuple[float, Grads]:
    """Unroll and backprop the linear probe L = Σ outputs ⊙ d_outputs + Σ h_n ⊙ d_h_n + Σ C_n ⊙ d_c_n.

    Its gradient w.r.t. outputs, h_n and C_n is exactly the given weights (None = zeros), so the
    returned Grads equal ``bptt(unroll(...), d_outputs, d_h_n, d_c_n)`` and L is the scalar a finite
    difference check perturbs.
    """
    trace = unroll(kind, params, x, h0, c0)
    grads = bptt(trace, d_outputs, d_h_n, d_c_n)
    d_out, d_h, d_c = _check_upstream(trace, d_outputs, d_h_n, d_c_n)
    loss = float(np.sum(trace.outputs * d_out) + np.sum(trace.h_n * d_h))
    if trace.c_n is not None and d_c is not None:
        loss += float(np.sum(trace.c_n * d_c))
    return loss, grads
