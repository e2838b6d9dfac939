"""Float64 NumPy reference for the whole torch.nn contract: stacked, bidirectional, projected, padded.

A *layer* is one direction's unroll of the step functions of :mod:`numpy_ref` over a batch of
sequences of lengths ``lengths`` (B,): sequence b stops after its own last valid step, and the reverse
direction starts at each sequence's own last valid step (t = lengths[b] - 1), not at the padded end.
A step at t >= lengths[b] leaves row b's state unchanged and outputs 0 there, as
``pad_packed_sequence`` does. A *stack* runs ``num_layers`` layers, each with D = 2 directions when
bidirectional (outputs concatenated, forward first, to (T, B, D·H_out)); layer 0 reads x (T, B, I),
layer k > 0 reads layer k-1's output times a dropout mask (training; none in eval)::

    y^0 = x;  y^k = [h^{k,fwd}_t ; h^{k,rev}_t]_t;  input of layer k+1 = y^k ⊙ M^k   (M^k given)

With ``proj_size`` P > 0 (LSTM only) h_t = W_hr (o_t ⊙ tanh(C_t)), H_out = P, else H_out = H.
Initial and final states are (D·L, B, H_out) for h and (D·L, B, H) for C, index k·D + d.
Parameters carry torch.nn's names (``weight_ih_l1_reverse``, ``weight_hr_l0``, ...), so a torch.nn
state_dict loads with :meth:`StackParams.from_state_dict`. :func:`stack_bptt` is hand-written
backpropagation through all of it, returning gradients for x, h0, C0 and every parameter.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lstm_bench.kinds import Kind
from lstm_bench.reference.numpy_ref import GradAccumulator, step, step_back
from lstm_bench.reference.stack_shape import StackShape

__all__ = [
    "LayerParams",
    "StackGrads",
    "StackParams",
    "StackTrace",
    "init_stack_params",
    "parameter_names",
    "stack_bptt",
    "stack_forward",
    "stack_loss_and_grads",
]

Array = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
IntArray = NDArray[np.int64]


def parameter_names(
    kind: Kind, num_layers: int = 1, bidirectional: bool = False, proj_size: int = 0, bias: bool = True
) -> list[str]:
    """torch.nn's parameter names in its registration order (layer, then direction)."""
    names = []
    for layer in range(num_layers):
        for suffix in ("", "_reverse") if bidirectional else ("",):
            base = ["weight_ih", "weight_hh"] + (["bias_ih", "bias_hh"] if bias else [])
            base += ["weight_hr"] if proj_size > 0 and kind is Kind.LSTM else []
            names += [f"{name}_l{layer}{suffix}" for name in base]
    return names


@dataclass(frozen=True)
class LayerParams:
    """One layer-direction's weights (biases zeros when the model has none; ``weight_hr`` or None)."""

    weight_ih: Array
    weight_hh: Array
    bias_ih: Array
    bias_hh: Array
    weight_hr: Array | None = None


@dataclass(frozen=True)
class StackParams(StackShape):
    """The weights of a whole torch.nn-style model: ``weights`` maps torch.nn names to float64 arrays."""

    kind: Kind
    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    proj_size: int
    bias: bool
    weights: dict[str, Array]

    def layer(self, layer: int, direction: int) -> LayerParams:
        """Layer ``layer``'s weights for direction 0 (forward) or 1 (reverse)."""
        tag = f"_l{layer}{'_reverse' if direction else ''}"
        w = self.weights
        rows = w[f"weight_ih{tag}"].shape[0]
        zeros = np.zeros(rows, dtype=np.float64)
        b_ih, b_hh = (w[f"bias_ih{tag}"], w[f"bias_hh{tag}"]) if self.bias else (zeros, zeros)
        return LayerParams(w[f"weight_ih{tag}"], w[f"weight_hh{tag}"], b_ih, b_hh, w.get(f"weight_hr{tag}"))

    def to_state_dict(self) -> dict[str, Array]:
        """Copies of the weights under torch.nn's names (``torch.from_numpy`` them to load)."""
        return {name: value.copy() for name, value in self.weights.items()}

    @classmethod
    def from_state_dict(cls, kind: Kind, sd: Mapping[str, Any]) -> StackParams:
        """Read a torch.nn (or reference) state_dict of any layout; the layout is inferred from the keys."""
        arrays = {name: _to_float64(value) for name, value in sd.items()}
        layers = 1 + max((int(n.split("_l")[1].split("_")[0]) for n in arrays if "_l" in n), default=-1)
        bidirectional = "weight_ih_l0_reverse" in arrays
        if layers == 0 or "weight_ih_l0" not in arrays:
            raise ValueError(f"state_dict has no weight_ih_l0; got keys {sorted(arrays)}")
        proj = int(arrays["weight_hr_l0"].shape[0]) if "weight_hr_l0" in arrays else 0
        hidden = int(arrays["weight_ih_l0"].shape[0]) // kind.gate_count
        params = cls(
            kind,
            int(arrays["weight_ih_l0"].shape[1]),
            hidden,
            layers,
            bidirectional,
            proj,
            "bias_ih_l0" in arrays,
            arrays,
        )
        expected = parameter_names(kind, layers, bidirectional, proj, params.bias)
        if sorted(expected) != sorted(arrays):
            raise ValueError(
                f"state_dict keys {sorted(arrays)} do not form a torch.nn layout; expected {expected}"
            )
        for name, shape in _shapes(params).items():
            if arrays[name].shape != shape:
                raise ValueError(f"{name} must have shape {shape}; got {arrays[name].shape}")
        return params


def _to_float64(value: Any) -> Array:
    """Copy a NumPy array, torch tensor or array-like to a float64 ndarray."""
    if hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    return np.array(value, dtype=np.float64)


def _shapes(p: StackParams) -> dict[str, tuple[int, ...]]:
    """The shape of every parameter of layout ``p``, as torch.nn allocates them."""
    rows, h_out, d = p.kind.gate_count * p.hidden_size, p.output_size, p.directions
    shapes: dict[str, tuple[int, ...]] = {}
    for name in parameter_names(p.kind, p.num_layers, p.bidirectional, p.proj_size, p.bias):
        layer = int(name.split("_l")[1].split("_")[0])
        width = p.input_size if layer == 0 else d * h_out
        shapes[name] = {
            "weight_ih": (rows, width),
            "weight_hh": (rows, h_out),
            "bias_ih": (rows,),
            "bias_hh": (rows,),
            "weight_hr": (p.proj_size, p.hidden_size),
        }[name.split("_l")[0]]
    return shapes


def init_stack_params(
    kind: Kind,
    input_size: int,
    hidden_size: int,
    rng: np.random.Generator,
    num_layers: int = 1,
    bidirectional: bool = False,
    proj_size: int = 0,
    bias: bool = True,
) -> StackParams:
    """Every parameter ~ U(-1/√H, 1/√H) in torch.nn's registration order, from the seeded ``rng``."""
    if proj_size and kind is not Kind.LSTM:
        raise ValueError("proj_size is only for the LSTM")
    if not 0 <= proj_size < hidden_size and proj_size:
        raise ValueError(f"proj_size must be in [0, hidden_size); got {proj_size}")
    layout = StackParams(kind, input_size, hidden_size, num_layers, bidirectional, proj_size, bias, {})
    bound = 1.0 / math.sqrt(hidden_size)
    weights = {name: rng.uniform(-bound, bound, size=shape) for name, shape in _shapes(layout).items()}
    return StackParams(kind, input_size, hidden_size, num_layers, bidirectional, proj_size, bias, weights)


# ---------------------------------------------------------------------------------------------------
# Forward
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Step:
    """What one step of one layer-direction read and computed (for BPTT)."""

    t: int
    active: BoolArray  # (B, 1): t < lengths[b]
    h_prev: Array  # (B, H_out)
    c_prev: Array | None  # (B, H)
    c_new: Array | None  # (B, H), before masking
    acts: dict[str, Array]


@dataclass(frozen=True)
class LayerRecord:
    """One layer-direction's pass: its input (T, B, in), weights and every step in processing order."""

    inputs: Array
    params: LayerParams
    steps: list[_Step]


@dataclass(frozen=True)
class StackTrace:
    """A stack's forward pass: ``outputs`` (T, B, D·H_out) (0 past each length), ``h_n`` (D·L, B, H_out),
    ``c_n`` (D·L, B, H) or None; ``layers[k·D + d]`` records layer k, direction d, for BPTT."""

    params: StackParams
    outputs: Array
    h_n: Array
    c_n: Array | None
    lengths: IntArray
    dropout_masks: tuple[Array, ...]
    layers: list[LayerRecord] = field(repr=False)


def _layer_forward(
    kind: Kind, p: LayerParams, x: Array, lengths: IntArray, h0: Array, c0: Array | None, reverse: bool
) -> tuple[Array, Array, Array | None, LayerRecord]:
    """Unroll one direction over x (T, B, in); return outputs (T, B, H_out), h_n, C_n and the record."""
    steps_count, batch = x.shape[:2]
    out = np.zeros((steps_count, batch, h0.shape[1]))
    h, c, steps = h0, c0, []
    for t in reversed(range(steps_count)) if reverse else range(steps_count):
        active = (t < lengths)[:, None]  # (B, 1): rows whose sequence has a step t
        h_new, c_new, acts = step(kind, x[t], h, c, p, p.weight_hr)
        steps.append(_Step(t, active, h, c, c_new, acts))
        out[t] = np.where(active, h_new, 0.0)
        h = np.where(active, h_new, h)  # a finished (or not yet started) row keeps its state
        c = None if c_new is None or c is None else np.where(active, c_new, c)
    return out, h, c, LayerRecord(x, p, steps)


def stack_forward(
    params: StackParams,
    x: Array,
    lengths: Sequence[int] | Array | None = None,
    h0: Array | None = None,
    c0: Array | None = None,
    dropout_masks: Sequence[Array] | None = None,
) -> StackTrace:
    """Run the stack over time-major x (T, B, I) from h0 (D·L, B, H_out) and C0 (D·L, B, H) (zeros when
    None). ``lengths`` (B,) in 1..T (None = all T). ``dropout_masks``: L-1 arrays (T, B, D·H_out)
    multiplied into the inputs of layers 1..L-1 (already scaled, e.g. 0 or 1/(1-p)); None = eval."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 3 or x.shape[2] != params.input_size or 0 in x.shape:
        raise ValueError(f"x must be (T, B, {params.input_size}) with T, B >= 1; got {x.shape}")
    steps_count, batch = x.shape[0], x.shape[1]
    d, layers, h_out, hid = params.directions, params.num_layers, params.output_size, params.hidden_size
    lens = np.full(batch, steps_count) if lengths is None else np.asarray(lengths, dtype=np.int64)
    if lens.shape != (batch,) or lens.min() < 1 or lens.max() > steps_count:
        raise ValueError(f"lengths must be (B,) = ({batch},) with values in 1..{steps_count}; got {lens}")
    if c0 is not None and not params.kind.has_cell:
        raise ValueError(f"c0 is only for the LSTM; {params.kind.value} has no cell state")
    h0 = _state_or_zeros("h0", h0, (d * layers, batch, h_out))
    c0 = _state_or_zeros("c0", c0, (d * layers, batch, hid)) if params.kind.has_cell else None
    masks = tuple(np.asarray(m, dtype=np.float64) for m in dropout_masks or ())
    if masks and len(masks) != layers - 1:
        raise ValueError(f"dropout_masks must have num_layers - 1 = {layers - 1} entries; got {len(masks)}")
    if any(m.shape != (steps_count, batch, d * h_out) for m in masks):
        raise ValueError(f"each dropout mask must be (T, B, D*H_out) = {(steps_count, batch, d * h_out)}")
    y, h_n, c_n, records = x, [], [], []
    for k in range(layers):
        if k > 0 and masks:
            y = y * masks[k - 1]  # dropout between layers, not after the last
        outs = []
        for direction in range(d):
            s = k * d + direction
            out, h, c, rec = _layer_forward(
                params.kind,
                params.layer(k, direction),
                y,
                lens,
                h0[s],
                None if c0 is None else c0[s],
                direction == 1,
            )
            outs.append(out)
            h_n.append(h)
            c_n.append(c)
            records.append(rec)
        y = np.concatenate(outs, axis=-1)  # (T, B, D·H_out)
    c_final = np.stack(c_n) if params.kind.has_cell else None  # type: ignore[arg-type]
    return StackTrace(params, y, np.stack(h_n), c_final, lens, masks, records)


def _state_or_zeros(name: str, value: Any, shape: tuple[int, int, int]) -> Array:
    """A float64 copy of an initial state of ``shape`` (D·L, B, width), or zeros when it is None."""
    if value is None:
        return np.zeros(shape, dtype=np.float64)
    arr = np.array(value, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"{name} must be (D*num_layers, B, width) = {shape}; got {arr.shape}")
    return arr


# ---------------------------------------------------------------------------------------------------
# Backpropagation through time
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackGrads:
    """dL/dx (T, B, I), dL/dh0 (D·L, B, H_out), dL/dC0 (D·L, B, H) or None, and dL/d(every parameter)."""

    x: Array
    h0: Array
    c0: Array | None
    params: dict[str, Array]


def _layer_back(
    kind: Kind,
    rec: LayerRecord,
    d_out: Array,
    dh: Array,
    dc: Array | None,
    tag: str,
    grads: dict[str, Array],
    bias: bool,
) -> tuple[Array, Array, Array | None]:
    """Backprop one layer-direction given dL/d outputs (T, B, H_out), dL/dh_n, dL/dC_n; return
    dL/d inputs, dL/dh0, dL/dC0 and add the parameter gradients to ``grads`` under torch.nn names."""
    p = rec.params
    acc = GradAccumulator(p, p.weight_hr)
    dx = np.zeros_like(rec.inputs)
    for st in reversed(rec.steps):
        dh_new = np.where(st.active, dh + d_out[st.t], 0.0)  # h_t feeds the output and the next step
        dh_keep = np.where(st.active, 0.0, dh)  # an inactive row passed its state through
        dc_new = None if dc is None else np.where(st.active, dc, 0.0)
        dx[st.t], dh_prev, dc_prev = step_back(
            kind, rec.inputs[st.t], st.h_prev, st.c_prev, st.c_new, st.acts, dh_new, dc_new, acc
        )
        dh = dh_prev + dh_keep
        if dc is not None and dc_prev is not None:
            dc = dc_prev + np.where(st.active, 0.0, dc)  # an inactive row passed its cell through
    _add(grads, f"weight_ih{tag}", acc.d_weight_ih)
    _add(grads, f"weight_hh{tag}", acc.d_weight_hh)
    if bias:
        _add(grads, f"bias_ih{tag}", acc.d_bias_ih)
        _add(grads, f"bias_hh{tag}", acc.d_bias_hh)
    if acc.d_weight_hr is not None:
        _add(grads, f"weight_hr{tag}", acc.d_weight_hr)
    return dx, dh, dc


def _add(grads: dict[str, Array], name: str, value: Array) -> None:
    grads[name] = grads[name] + value if name in grads else value.copy()


def stack_bptt(
    trace: StackTrace, d_outputs: Array | None = None, d_h_n: Array | None = None, d_c_n: Array | None = None
) -> StackGrads:
    """Hand-written BPTT through the whole stack for upstream dL/d outputs (T, B, D·H_out), dL/dh_n
    (D·L, B, H_out), dL/dC_n (D·L, B, H) (None = zeros): exact gradients, nothing clipped."""
    p = trace.params
    d, h_out = p.directions, p.output_size
    d_y = np.zeros_like(trace.outputs) if d_outputs is None else np.array(d_outputs, dtype=np.float64)
    d_h = np.zeros_like(trace.h_n) if d_h_n is None else np.array(d_h_n, dtype=np.float64)
    d_c = (
        None
        if trace.c_n is None
        else (np.zeros_like(trace.c_n) if d_c_n is None else np.array(d_c_n, dtype=np.float64))
    )
    if d_y.shape != trace.outputs.shape or d_h.shape != trace.h_n.shape:
        raise ValueError(f"upstream gradients must be {trace.outputs.shape} and {trace.h_n.shape}")
    grads: dict[str, Array] = {}
    dh0, dc0 = np.zeros_like(d_h), None if d_c is None else np.zeros_like(d_c)
    for k in reversed(range(p.num_layers)):
        d_in = np.zeros_like(trace.layers[k * d].inputs)
        for direction in range(d):
            s, tag = k * d + direction, f"_l{k}{'_reverse' if direction else ''}"
            dc_s = None if d_c is None else d_c[s]
            half = d_y[:, :, direction * h_out : (direction + 1) * h_out]
            dx, dh0[s], dc_s = _layer_back(p.kind, trace.layers[s], half, d_h[s], dc_s, tag, grads, p.bias)
            if dc0 is not None:
                dc0[s] = dc_s
            d_in += dx  # both directions read the same input
        d_y = d_in * trace.dropout_masks[k - 1] if k > 0 and trace.dropout_masks else d_in
    names = parameter_names(p.kind, p.num_layers, p.bidirectional, p.proj_size, p.bias)
    return StackGrads(d_y, dh0, dc0, {name: grads[name] for name in names})


def stack_loss_and_grads(
    params: StackParams,
    x: Array,
    lengths: Sequence[int] | Array | None = None,
    h0: Array | None = None,
    c0: Array | None = None,
    dropout_masks: Sequence[Array] | None = None,
    d_outputs: Array | None = None,
    d_h_n: Array | None = None,
    d_c_n: Array | None = None,
) -> tuple[float, StackGrads]:
    """L = Σ outputs ⊙ d_outputs + Σ h_n ⊙ d_h_n + Σ C_n ⊙ d_c_n and its gradients (for finite differences)."""
    trace = stack_forward(params, x, lengths, h0, c0, dropout_masks)
    grads = stack_bptt(trace, d_outputs, d_h_n, d_c_n)
    loss = 0.0
    for value, weight in ((trace.outputs, d_outputs), (trace.h_n, d_h_n), (trace.c_n, d_c_n)):
        if value is not None and weight is not None:
            loss += float(np.sum(value * weight))
    return loss, grads
