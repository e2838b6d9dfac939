"""The one PyTorch source of each kind's step equations, and one direction's unroll over time.

Step functions (pre-activations come in, so the input projection W_ih x_t + b_ih for all steps is
one matmul before the loop)::

    lstm_cell   i, f, C~, o = σ, σ, tanh, σ of a_t (torch gate order);  C_t = f ⊙ C_{t-1} + i ⊙ C~;
                h_t = o ⊙ tanh(C_t), or W_hr (o ⊙ tanh(C_t)) with a projection (proj_size)
    gru_cell    r, z = σ(x_r + h_r), σ(x_z + h_z);  n = tanh(x_n + r ⊙ h_n);  h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
    gru_cell_reset_before   the same with n = tanh(x_n + W_hn (r ⊙ h_{t-1}) + b_hn) (Keras reset_after=False)
    rnn_cell    h_t = φ(a_t), φ = tanh or relu

``run_layer`` unrolls them for one layer-direction, optionally over padded sequences (``lengths``:
a row past its length keeps its state and outputs 0; the reverse direction starts at each row's own
last step). The LSTM without lengths or projection has a fast eager path, ``_LSTMRecurrence``: its
forward calls ``lstm_cell`` too, its backward is hand-written BPTT (one GEMM for the weight gradient).
The module wrappers (``torch_ref``), ``trace()`` and the gradient-norm profiles (``stability.gradient_norms``) all use these functions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.autograd.function import FunctionCtx

from lstm_bench.kinds import Kind
from lstm_bench.reference.gru_variants import GRU_RESET_AFTER, GRU_RESET_BEFORE, GRU_VARIANTS

__all__ = [
    "LayerRun",
    "LayerWeights",
    "gru_cell",
    "gru_cell_reset_before",
    "layer_weights",
    "lstm_cell",
    "rnn_cell",
    "run_layer",
]


def lstm_cell(a: Tensor, c: Tensor, w_hr: Tensor | None = None) -> tuple[Tensor, Tensor, tuple[Tensor, ...]]:
    """One LSTM step from pre-activations a (B, 4H) and C_{t-1} (B, H): (h_t, C_t, (i, f, C~, o))."""
    a_i, a_f, a_g, a_o = a.chunk(4, dim=1)  # 4 x (B, H), torch order i, f, g, o
    i, f, g, o = a_i.sigmoid(), a_f.sigmoid(), a_g.tanh(), a_o.sigmoid()
    c = torch.addcmul(f * c, i, g)  # C_t = f_t ⊙ C_{t-1} + i_t ⊙ C~_t
    h = o * c.tanh()  # h_t = o_t ⊙ tanh(C_t)
    if w_hr is not None:
        h = h @ w_hr.t()  # (B, P): h_t = W_hr (o_t ⊙ tanh(C_t))
    return h, c, (i, f, g, o)


def gru_cell(xp: Tensor, hp: Tensor, h: Tensor) -> tuple[Tensor, tuple[Tensor, ...]]:
    """One GRU step from xp = W_ih x_t + b_ih and hp = W_hh h_{t-1} + b_hh (B, 3H): (h_t, (r, z, n))."""
    x_r, x_z, x_n = xp.chunk(3, dim=1)
    h_r, h_z, h_n = hp.chunk(3, dim=1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    n = (x_n + r * h_n).tanh()  # the reset gate scales only the recurrent part, b_hn included
    return (1 - z) * n + z * h, (r, z, n)  # h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}


def gru_cell_reset_before(
    xp: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None
) -> tuple[Tensor, tuple[Tensor, ...]]:
    """One reset-before GRU step from xp = W_ih x_t + b_ih (B, 3H) and h_{t-1}: (h_t, (r, z, n)).

    n_t = tanh(x_n + W_hn (r_t ⊙ h_{t-1}) + b_hn): the reset gate scales h before the matmul.
    """
    hid = h.shape[1]
    x_r, x_z, x_n = xp.chunk(3, dim=1)
    w_rz, w_n = w_hh[: 2 * hid], w_hh[2 * hid :]  # (2H, H), (H, H)
    hp = h @ w_rz.t() if b_hh is None else torch.addmm(b_hh[: 2 * hid], h, w_rz.t())  # (B, 2H)
    h_r, h_z = hp.chunk(2, dim=1)
    r, z = (x_r + h_r).sigmoid(), (x_z + h_z).sigmoid()
    rec = (r * h) @ w_n.t() if b_hh is None else torch.addmm(b_hh[2 * hid :], r * h, w_n.t())
    n = (x_n + rec).tanh()
    return (1 - z) * n + z * h, (r, z, n)


def rnn_cell(a: Tensor, nonlinearity: str) -> Tensor:
    """One Elman step: h_t = φ(a_t), a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, φ = tanh or relu."""
    return a.tanh() if nonlinearity == "tanh" else a.relu()


@dataclass(frozen=True)
class LayerWeights:
    """One layer-direction's tensors under torch.nn's roles (None where the model has none)."""

    w_ih: Tensor
    w_hh: Tensor
    b_ih: Tensor | None = None
    b_hh: Tensor | None = None
    w_hr: Tensor | None = None


def layer_weights(module: nn.Module, layer: int = 0, direction: int = 0) -> LayerWeights:
    """Read ``weight_ih_l{layer}[_reverse]`` etc. from any module with torch.nn's parameter names."""
    tag = f"_l{layer}{'_reverse' if direction else ''}"

    def get(name: str) -> Tensor | None:
        value = getattr(module, f"{name}{tag}", None)
        return value if isinstance(value, Tensor) else None

    w_ih, w_hh = get("weight_ih"), get("weight_hh")
    if w_ih is None or w_hh is None:
        raise ValueError(f"module has no weight_ih{tag} / weight_hh{tag}")
    return LayerWeights(w_ih, w_hh, get("bias_ih"), get("bias_hh"), get("weight_hr"))


@dataclass
class LayerRun:
    """One layer-direction's unroll: outputs (T, B, H_out), final states, and (when recorded) per-step
    gates (name -> T tensors (B, H)) and cells C_1..C_T, in time order."""

    outputs: Tensor
    h_n: Tensor
    c_n: Tensor | None
    gates: dict[str, list[Tensor]] = field(default_factory=dict)
    cells: list[Tensor] = field(default_factory=list)
    hidden: list[Tensor] = field(default_factory=list)


def _compiling() -> bool:
    """True while torch.compile traces us: it gets the step loop, which it can fuse, not the fused node."""
    is_compiling = getattr(torch.compiler, "is_compiling", None)
    return bool(is_compiling()) if is_compiling is not None else False


def _input_projection(kind: Kind, x: Tensor, w: LayerWeights) -> Tensor:
    """W_ih x_t + b_ih (+ b_hh, except for the GRU) for every step in one matmul: (T, B, G*H)."""
    bias = w.b_ih
    if bias is not None and w.b_hh is not None and kind is not Kind.GRU:
        bias = bias + w.b_hh
    steps, batch, width = x.shape
    flat = x.reshape(steps * batch, width)  # (T*B, I)
    proj = flat @ w.w_ih.t() if bias is None else torch.addmm(bias, flat, w.w_ih.t())
    return proj.view(steps, batch, -1)  # (T, B, G*H)


def run_layer(
    kind: Kind,
    x: Tensor,
    w: LayerWeights,
    h0: Tensor,
    c0: Tensor | None = None,
    lengths: Tensor | None = None,
    reverse: bool = False,
    record: bool = False,
    gru_variant: str = GRU_RESET_AFTER,
) -> LayerRun:
    """Unroll one direction of ``kind`` over x (T, B, I) from h0 (B, H_out) and C0 (B, H).

    ``lengths`` (B,) (None = every row has T steps); ``reverse`` runs t = T-1..0. With ``record`` the
    per-step gates, cells and hidden states (graph tensors: h_t is computed from C_t) are kept.
    ``gru_variant`` (GRU only): torch.nn's reset-after, or reset-before (``gru_cell_reset_before``).
    """
    if gru_variant not in GRU_VARIANTS:
        raise ValueError(f"unknown GRU variant {gru_variant!r}; expected one of {', '.join(GRU_VARIANTS)}")
    xp = _input_projection(kind, x, w)  # (T, B, G*H)
    steps = x.shape[0]
    masked = lengths is not None and bool((lengths < steps).any())
    fused = kind is Kind.LSTM and not (
        record or masked or w.w_hr is not None or _compiling() or _autocasting(x.device.type)
    )
    if fused:  # eager fast path: the recurrence as one autograd node
        assert c0 is not None
        xs = xp.flip(0) if reverse else xp
        outputs, h_n, c_n = _LSTMRecurrence.apply(xs, h0, c0, w.w_hh)  # type: ignore[no-untyped-call]
        return LayerRun(outputs.flip(0) if reverse else outputs, h_n, c_n)
    active = None
    if masked:
        assert lengths is not None
        active = (torch.arange(steps, device=x.device)[:, None] < lengths.to(x.device)[None, :])[
            ..., None
        ]  # (T, B, 1)
    return _steps(kind, xp, w, h0, c0, active, reverse, record, gru_variant == GRU_RESET_BEFORE)


def _steps(
    kind: Kind,
    xp: Tensor,
    w: LayerWeights,
    h: Tensor,
    c: Tensor | None,
    active: Tensor | None,
    reverse: bool,
    record: bool,
    reset_before: bool = False,
) -> LayerRun:
    """The step loop on autograd ops (trace, packed input, projection, compile, double backward)."""
    w_hh_t, names = w.w_hh.t(), kind.gate_names
    nonlinearity = "relu" if kind is Kind.RNN_RELU else "tanh"
    xs = xp.unbind(0)  # unbind, not xp[t]: indexing makes the backward O(T^2)
    masks = active.unbind(0) if active is not None else None
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    outs: dict[int, Tensor] = {}
    gates: dict[int, tuple[Tensor, ...]] = {}
    cells: dict[int, Tensor] = {}
    for t in order:
        c_new = None
        if kind is Kind.LSTM:
            assert c is not None
            h_new, c_new, acts = lstm_cell(torch.addmm(xs[t], h, w_hh_t), c, w.w_hr)
        elif kind is Kind.GRU and reset_before:
            h_new, acts = gru_cell_reset_before(xs[t], h, w.w_hh, w.b_hh)
        elif kind is Kind.GRU:
            hp = h @ w_hh_t if w.b_hh is None else torch.addmm(w.b_hh, h, w_hh_t)  # (B, 3H)
            h_new, acts = gru_cell(xs[t], hp, h)
        else:
            h_new, acts = rnn_cell(torch.addmm(xs[t], h, w_hh_t), nonlinearity), ()
        if masks is not None:  # a row past its length keeps its state and outputs 0
            outs[t] = torch.where(masks[t], h_new, 0.0)
            h = torch.where(masks[t], h_new, h)
            c = None if c_new is None else torch.where(masks[t], c_new, c)  # type: ignore[arg-type]
        else:
            outs[t], h, c = h_new, h_new, c_new
        if record:
            gates[t] = acts
            if c is not None:
                cells[t] = c
    times = range(len(xs))
    run = LayerRun(torch.stack([outs[t] for t in times]), h, c)
    if record:
        run.gates = {name: [gates[t][k] for t in times] for k, name in enumerate(names)}
        run.cells = [cells[t] for t in times] if cells else []
        run.hidden = [outs[t] for t in times]
    return run


def _autocasting(device_type: str) -> bool:
    """Whether torch.autocast is on for ``device_type``: then every step goes through autograd, op by op,
    so autocast casts each matmul as it would in any Python LSTM (the fused node's hand-written
    backward would see its forward's mixed dtypes without autocast)."""
    try:
        return bool(torch.is_autocast_enabled(device_type))
    except TypeError:  # torch < 2.4: no device argument
        if device_type == "cpu":
            return bool(torch.is_autocast_cpu_enabled())
        return bool(torch.is_autocast_enabled())


class _LSTMRecurrence(torch.autograd.Function):
    """The LSTM recurrence over all T steps as one autograd node, with hand-written BPTT.

    Inputs: xp (T, B, 4H) = W_ih x_t + b_ih + b_hh for every step (torch gate order i, f, g, o),
    h0 and C0 (B, H), W_hh (4H, H). Outputs: h_1..h_T (T, B, H), h_T and C_T (B, H). The forward
    steps with ``lstm_cell``; the backward is BPTT by hand (per step only the dependent work).
    """

    @staticmethod
    def forward(
        ctx: FunctionCtx, xp: Tensor, h0: Tensor, c0: Tensor, w_hh: Tensor
    ) -> tuple[Tensor, Tensor, Tensor]:  # type: ignore[override]
        w_hh_t = w_hh.t().contiguous()  # (H, 4H): a contiguous operand is faster for small GEMMs
        h, c = h0, c0
        hs: list[Tensor] = []
        cs: list[Tensor] = []
        acts: list[list[Tensor]] = [[], [], [], []]
        for xp_t in xp.unbind(0):  # unbind: views made once, no per-step indexing
            h, c, gates = lstm_cell(torch.addmm(xp_t, h, w_hh_t), c)
            hs.append(h)
            cs.append(c)
            for store, gate in zip(acts, gates, strict=True):
                store.append(gate)
        if not hs:
            empty = xp.new_empty(0, *h0.shape)
            ctx.save_for_backward(xp, h0, c0, w_hh, xp.new_empty(xp.shape), empty, empty, empty)
            return empty, h0.clone(), c0.clone()
        steps, batch, four_h = xp.shape
        gate_all = torch.stack([torch.stack(a) for a in acts], dim=2).view(steps, batch, four_h)  # (T, B, 4H)
        cells, outputs = torch.stack(cs), torch.stack(hs)  # (T, B, H) each
        ctx.save_for_backward(xp, h0, c0, w_hh, gate_all, cells, cells.tanh(), outputs)
        return outputs, h.clone(), c.clone()

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
    """Gradients of the recurrence by autograd through the step loop, with a graph (double backward)."""
    xp, h0, c0, w_hh = inputs
    run = _steps(Kind.LSTM, xp, LayerWeights(w_hh, w_hh), h0, c0, None, False, False)
    assert run.c_n is not None
    wrt = [t for t in inputs if t.requires_grad]
    found = iter(
        torch.autograd.grad((run.outputs, run.h_n, run.c_n), wrt, grads, create_graph=True, allow_unused=True)
    )
    return tuple(next(found) if t.requires_grad else None for t in inputs)
