"""The NumPy reference against torch.nn (float64), torch autograd, and central finite differences.

Layout of this file: strategies and helpers first, then forward checks, gradient checks, properties
of the trace (gate ranges, saturation, shapes), argument errors, and meta tests that show the
checkers catch planted bugs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from lstm_bench.kinds import Kind
from lstm_bench.reference.numpy_ref import (
    Grads,
    Params,
    Trace,
    bptt,
    gru_step,
    init_params,
    loss_and_grads,
    lstm_step,
    rnn_step,
    unroll,
)

Array = NDArray[np.float64]

FORWARD_ATOL = 1e-12  # float64 forward vs torch.nn: same formulas, different summation order
AUTOGRAD_ATOL = 1e-10  # hand-written BPTT vs torch autograd
FD_EPS = 1e-6  # central differences: truncation ~eps², rounding ~1e-16 * |terms of L| / eps
FD_RTOL = 1e-7  # against max(1, |gradient|): the rounding floor is ~1e-9 at these sizes
FD_ENTRIES = 8  # random entries checked per tensor (all of them when the tensor is smaller)
PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")

PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False
)


# ---------------------------------------------------------------------------------------------------
# Strategies and the problem under test
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    """One drawn problem: sizes, a seed for every random array, and a weight scale."""

    input_size: int
    hidden_size: int
    batch: int
    steps: int
    seed: int
    weight_scale: float


def sizes(
    max_input: int = 5, max_hidden: int = 5, max_batch: int = 3, max_steps: int = 6
) -> st.SearchStrategy[Sizes]:
    """Small problems, 1s included (single input, single unit, single sequence, single step)."""
    for name, value in (("max_input", max_input), ("max_hidden", max_hidden), ("max_batch", max_batch)):
        if value < 1:
            raise ValueError(f"{name}={value} must be >= 1")
    if max_steps < 1:
        raise ValueError(f"max_steps={max_steps} must be >= 1")
    return st.builds(
        Sizes,
        input_size=st.integers(1, max_input),
        hidden_size=st.integers(1, max_hidden),
        batch=st.integers(1, max_batch),
        steps=st.integers(1, max_steps),
        seed=st.integers(0, 2**32 - 1),
        weight_scale=st.sampled_from([0.5, 1.0, 2.0]),  # 2x torch's init reaches saturated gates
    )


ALL_KINDS = list(Kind)


@dataclass
class Problem:
    """A torch.nn module, the Params copied from it, inputs, initial states and upstream gradients."""

    kind: Kind
    module: torch.nn.Module
    params: Params
    x: Array  # (T, B, I)
    h0: Array  # (B, H)
    c0: Array | None  # (B, H), LSTM only
    d_outputs: Array  # (T, B, H)
    d_h_n: Array  # (B, H)
    d_c_n: Array | None  # (B, H), LSTM only


def torch_module(kind: Kind, input_size: int, hidden_size: int, **kwargs: Any) -> torch.nn.Module:
    """torch.nn.LSTM / GRU / RNN(nonlinearity=...) in float64, single layer, time-major."""
    if kind is Kind.LSTM:
        return torch.nn.LSTM(input_size, hidden_size, dtype=torch.float64, **kwargs)
    if kind is Kind.GRU:
        return torch.nn.GRU(input_size, hidden_size, dtype=torch.float64, **kwargs)
    nonlinearity = "tanh" if kind is Kind.RNN_TANH else "relu"
    return torch.nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity, dtype=torch.float64, **kwargs)


def make_problem(kind: Kind, s: Sizes) -> Problem:
    """Build torch weights (scaled), copy them into Params, and draw every other array from s.seed."""
    torch.manual_seed(s.seed)
    module = torch_module(kind, s.input_size, s.hidden_size)
    with torch.no_grad():
        for weight in module.parameters():
            weight.mul_(s.weight_scale)
    rng = np.random.default_rng(s.seed)
    seq, state = (s.steps, s.batch, s.hidden_size), (s.batch, s.hidden_size)
    return Problem(
        kind=kind,
        module=module,
        params=Params.from_state_dict(module.state_dict()),
        x=rng.standard_normal((s.steps, s.batch, s.input_size)),
        h0=rng.uniform(-1.0, 1.0, state),
        c0=rng.standard_normal(state) if kind.has_cell else None,
        d_outputs=rng.standard_normal(seq),
        d_h_n=rng.standard_normal(state),
        d_c_n=rng.standard_normal(state) if kind.has_cell else None,
    )


@dataclass
class TorchResult:
    """torch.nn's forward values and autograd gradients for the linear probe loss of a Problem."""

    outputs: Array
    h_n: Array
    c_n: Array | None
    grads: dict[str, Array]  # "x", "h0", "c0" (LSTM) and the four parameter names


def run_torch(p: Problem) -> TorchResult:
    """Forward through torch.nn and backprop L = Σ outputs⊙R + Σ h_n⊙S (+ Σ C_n⊙U) with autograd."""
    x = torch.tensor(p.x, requires_grad=True)
    h0 = torch.tensor(p.h0[None], requires_grad=True)  # (1, B, H): torch's layer axis
    c0 = torch.tensor(p.c0[None], requires_grad=True) if p.c0 is not None else None
    p.module.zero_grad(set_to_none=True)
    if c0 is not None:
        out, (h_n, c_n) = p.module(x, (h0, c0))
    else:
        (out, h_n), c_n = p.module(x, h0), None
    loss = (out * torch.from_numpy(p.d_outputs)).sum() + (h_n[0] * torch.from_numpy(p.d_h_n)).sum()
    if c_n is not None and p.d_c_n is not None:
        loss = loss + (c_n[0] * torch.from_numpy(p.d_c_n)).sum()
    loss.backward()
    grads = {"x": _np(x.grad), "h0": _np(h0.grad)[0]}
    if c0 is not None:
        grads["c0"] = _np(c0.grad)[0]
    for name in PARAM_NAMES:
        grads[name] = _np(getattr(p.module, f"{name}_l0").grad)
    return TorchResult(_np(out), _np(h_n)[0], _np(c_n)[0] if c_n is not None else None, grads)


def _np(t: torch.Tensor | None) -> Array:
    assert t is not None, "torch produced no tensor (no gradient?)"
    return t.detach().numpy().copy()


def reference_grads(p: Problem) -> dict[str, Array]:
    """The reference's BPTT for the same probe loss, flattened into the names run_torch uses."""
    g = bptt(unroll(p.kind, p.params, p.x, p.h0, p.c0), p.d_outputs, p.d_h_n, p.d_c_n)
    return flatten_grads(g)


def flatten_grads(g: Grads) -> dict[str, Array]:
    out = {"x": g.x, "h0": g.h0} | ({"c0": g.c0} if g.c0 is not None else {})
    return out | {name: getattr(g.params, name) for name in PARAM_NAMES}


def assert_close(got: Array | None, want: Array | None, atol: float, what: str) -> None:
    """Max-abs comparison scaled by max(1, |want|); says what differed, where, and by how much."""
    __tracebackhide__ = True
    assert got is not None and want is not None, f"{what}: got {got is not None}, want {want is not None}"
    assert got.shape == want.shape, f"{what}: got shape {got.shape}, but should be {want.shape}"
    tol = atol * max(1.0, float(np.max(np.abs(want), initial=0.0)))
    err = np.abs(got - want)
    worst = np.unravel_index(int(np.argmax(err)), err.shape) if err.size else ()
    assert err.size == 0 or err[worst] <= tol, (
        f"{what}: got {got[worst]!r} at {worst}, but should be {want[worst]!r} "
        f"(|diff| {err[worst]:.3g} > tol {tol:.3g})"
    )


# ---------------------------------------------------------------------------------------------------
# Forward: the reference equals torch.nn
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
@PROPERTY_SETTINGS
@given(s=sizes())
def test_forward_matches_torch(kind: Kind, s: Sizes) -> None:
    p = make_problem(kind, s)
    trace = unroll(kind, p.params, p.x, p.h0, p.c0)
    want = run_torch(p)
    assert_close(trace.outputs, want.outputs, FORWARD_ATOL, f"{kind.value} outputs {s}")
    assert_close(trace.h_n, want.h_n, FORWARD_ATOL, f"{kind.value} h_n {s}")
    if kind.has_cell:
        assert_close(trace.c_n, want.c_n, FORWARD_ATOL, f"{kind.value} c_n {s}")
    else:
        assert trace.c_n is None and trace.cells is None


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
def test_zero_initial_state_is_the_default(kind: Kind) -> None:
    p = make_problem(kind, Sizes(3, 4, 2, 5, seed=7, weight_scale=1.0))
    x = torch.from_numpy(p.x)
    out, state = p.module(x)  # torch's default is zeros too
    h_n = state[0] if kind.has_cell else state
    trace = unroll(kind, p.params, p.x)
    assert_close(trace.outputs, _np(out), FORWARD_ATOL, "outputs")
    assert_close(trace.h_n, _np(h_n)[0], FORWARD_ATOL, "h_n")


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
def test_bias_free_module_loads_with_zero_biases(kind: Kind) -> None:
    torch.manual_seed(3)
    module = torch_module(kind, 2, 3, bias=False)
    params = Params.from_state_dict(module.state_dict())
    assert not params.bias_ih.any() and not params.bias_hh.any()
    x = np.random.default_rng(3).standard_normal((4, 2, 2))
    out = module(torch.from_numpy(x))[0]
    assert_close(unroll(kind, params, x).outputs, _np(out), FORWARD_ATOL, "bias-free outputs")


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
def test_state_dict_round_trip_and_init_params(kind: Kind) -> None:
    params = init_params(kind, 3, 4, np.random.default_rng(0))
    bound = 1.0 / np.sqrt(4)
    for name in PARAM_NAMES:
        value = getattr(params, name)
        assert value.dtype == np.float64 and np.all(np.abs(value) <= bound), name
    assert params.weight_ih.shape == (kind.gate_count * 4, 3) and params.weight_hh.shape == (
        kind.gate_count * 4,
        4,
    )
    assert (params.input_size, params.hidden_size, params.gate_count) == (3, 4, kind.gate_count)
    again = init_params(kind, 3, 4, np.random.default_rng(0))
    assert all(np.array_equal(getattr(params, n), getattr(again, n)) for n in PARAM_NAMES)
    module = torch_module(kind, 3, 4)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in params.to_state_dict().items()})
    x = np.random.default_rng(1).standard_normal((3, 2, 3))
    out = module(torch.from_numpy(x))[0]
    assert_close(unroll(kind, params, x).outputs, _np(out), FORWARD_ATOL, "outputs after load_state_dict")


# ---------------------------------------------------------------------------------------------------
# Backward: BPTT equals torch autograd and central finite differences
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
@PROPERTY_SETTINGS
@given(s=sizes())
def test_bptt_matches_torch_autograd(kind: Kind, s: Sizes) -> None:
    p = make_problem(kind, s)
    want = run_torch(p).grads
    got = reference_grads(p)
    assert sorted(got) == sorted(want)
    for name in want:
        assert_close(got[name], want[name], AUTOGRAD_ATOL, f"{kind.value} dL/d{name} {s}")


def probe_loss(p: Problem, arrays: dict[str, Array]) -> float:
    """L = Σ outputs⊙R + Σ h_n⊙S (+ Σ C_n⊙U) at the given x, h0, c0 and parameters."""
    params = Params(*(arrays[name] for name in PARAM_NAMES))
    trace = unroll(p.kind, params, arrays["x"], arrays["h0"], arrays.get("c0"))
    loss = np.sum(trace.outputs * p.d_outputs) + np.sum(trace.h_n * p.d_h_n)
    if trace.c_n is not None and p.d_c_n is not None:
        loss += np.sum(trace.c_n * p.d_c_n)
    return float(loss)


def finite_difference_mismatches(
    p: Problem, grads: dict[str, Array], rng: np.random.Generator, entries: int = FD_ENTRIES
) -> list[str]:
    """Central differences (L(θ+ε) - L(θ-ε)) / 2ε on up to ``entries`` random entries of every tensor;
    return a line for each entry whose error exceeds FD_RTOL * max(1, |analytic|, |numeric|)."""
    arrays = {"x": p.x, "h0": p.h0} | ({"c0": p.c0} if p.c0 is not None else {})
    arrays |= {name: getattr(p.params, name) for name in PARAM_NAMES}
    failures = []
    for name, value in arrays.items():
        flat = rng.permutation(value.size)[:entries]
        for index in (np.unravel_index(int(k), value.shape) for k in flat):
            bumped = {k: v.copy() for k, v in arrays.items()}
            bumped[name][index] = value[index] + FD_EPS
            up = probe_loss(p, bumped)
            bumped[name][index] = value[index] - FD_EPS
            down = probe_loss(p, bumped)
            numeric, analytic = (up - down) / (2 * FD_EPS), float(grads[name][index])
            scale = max(1.0, abs(numeric), abs(analytic))
            if abs(numeric - analytic) > FD_RTOL * scale:
                failures.append(f"dL/d{name}{index}: bptt {analytic!r}, finite difference {numeric!r}")
    return failures


def _far_from_relu_kink(p: Problem) -> bool:
    """Central differences straddling max(a, 0) at a ≈ 0 measure a kink, not a derivative."""
    trace = unroll(p.kind, p.params, p.x, p.h0, p.c0)
    return p.kind is not Kind.RNN_RELU or float(np.min(np.abs(trace.cache["preactivation"]))) > 1e-4


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
@PROPERTY_SETTINGS
@given(s=sizes())
def test_bptt_matches_finite_differences(kind: Kind, s: Sizes) -> None:
    p = make_problem(kind, s)
    assume(_far_from_relu_kink(p))
    failures = finite_difference_mismatches(p, reference_grads(p), np.random.default_rng(s.seed))
    assert not failures, f"{kind.value} {s}:\n" + "\n".join(failures)


def test_relu_derivative_at_the_kink_is_zero_as_in_torch() -> None:
    p = make_problem(Kind.RNN_RELU, Sizes(2, 3, 2, 4, seed=9, weight_scale=1.0))
    p.x[:2] = 0.0  # with zero biases and h0 = 0, every pre-activation at steps 0 and 1 is exactly 0
    p.h0[:] = 0.0
    with torch.no_grad():
        p.module.get_parameter("bias_ih_l0").zero_()
        p.module.get_parameter("bias_hh_l0").zero_()
    p.params = Params.from_state_dict(p.module.state_dict())
    trace = unroll(Kind.RNN_RELU, p.params, p.x, p.h0)
    assert not trace.cache["preactivation"][:2].any()
    want, got = run_torch(p).grads, reference_grads(p)
    for name in want:
        assert_close(got[name], want[name], AUTOGRAD_ATOL, f"dL/d{name} at the relu kink")


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
def test_loss_and_grads_agrees_with_unroll_and_bptt(kind: Kind) -> None:
    p = make_problem(kind, Sizes(2, 3, 2, 4, seed=11, weight_scale=1.0))
    loss, grads = loss_and_grads(kind, p.params, p.x, p.h0, p.c0, p.d_outputs, p.d_h_n, p.d_c_n)
    arrays = {"x": p.x, "h0": p.h0} | ({"c0": p.c0} if p.c0 is not None else {})
    arrays |= {name: getattr(p.params, name) for name in PARAM_NAMES}
    assert loss == pytest.approx(probe_loss(p, arrays), abs=1e-12)
    want = reference_grads(p)
    for name, value in flatten_grads(grads).items():
        assert np.array_equal(value, want[name]), name


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
def test_no_upstream_gradient_gives_zero_gradients(kind: Kind) -> None:
    p = make_problem(kind, Sizes(2, 3, 2, 4, seed=5, weight_scale=1.0))
    grads = bptt(unroll(kind, p.params, p.x, p.h0, p.c0))
    for name, value in flatten_grads(grads).items():
        assert not value.any(), name
    assert (grads.c0 is not None) == kind.has_cell


# ---------------------------------------------------------------------------------------------------
# The trace: gate ranges, saturation, shapes
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
@PROPERTY_SETTINGS
@given(s=sizes())
def test_trace_shapes_and_gate_ranges(kind: Kind, s: Sizes) -> None:
    p = make_problem(kind, s)
    trace = unroll(kind, p.params, p.x, p.h0, p.c0)
    seq, state = (s.steps, s.batch, s.hidden_size), (s.batch, s.hidden_size)
    assert trace.kind is kind and trace.outputs.shape == seq and trace.h_n.shape == state
    assert np.array_equal(trace.h_n, trace.outputs[-1])
    assert tuple(trace.gates) == kind.gate_names
    for name, value in trace.gates.items():
        low = -1.0 if name == "candidate" else 0.0  # tanh candidates, sigmoid gates
        assert value.shape == seq and np.all((low <= value) & (value <= 1.0)), name
    if kind.bounded_hidden:
        assert np.all(np.abs(trace.outputs) <= 1.0)
    else:
        assert np.all(trace.outputs >= 0.0)
    if kind.has_cell:
        assert trace.cells is not None and trace.cells.shape == seq and trace.c_n is not None
        assert np.array_equal(trace.c_n, trace.cells[-1])
        c_prev = np.concatenate([trace.c0[None], trace.cells[:-1]])  # type: ignore[index]
        assert np.all(
            np.abs(trace.cells) <= np.abs(c_prev) + 1.0
        )  # |C_t| <= f|C_{t-1}| + i|C~| <= |C_{t-1}| + 1


def _set_block_bias(params: Params, block: int, value: float) -> Params:
    """Params with the (block)th H-row bias block set so that the gate's pre-activation is ~value."""
    hidden = params.hidden_size
    b_ih, b_hh = params.bias_ih.copy(), params.bias_hh.copy()
    b_ih[block * hidden : (block + 1) * hidden] = value / 2
    b_hh[block * hidden : (block + 1) * hidden] = value / 2
    return Params(params.weight_ih, params.weight_hh, b_ih, b_hh)


@PROPERTY_SETTINGS
@given(s=sizes())
def test_lstm_open_forget_closed_input_keeps_the_cell_exactly(s: Sizes) -> None:
    p = make_problem(Kind.LSTM, s)
    params = _set_block_bias(_set_block_bias(p.params, 1, 1e3), 0, -1e3)  # f_t = 1, i_t = 0
    trace = unroll(Kind.LSTM, params, p.x, p.h0, p.c0)
    assert np.all(trace.gates["forget"] == 1.0) and np.all(trace.gates["input"] == 0.0)
    assert trace.cells is not None and p.c0 is not None and p.d_c_n is not None
    assert np.array_equal(trace.cells, np.broadcast_to(p.c0, trace.cells.shape))  # C_t = C_0 exactly
    assert np.array_equal(trace.outputs, trace.gates["output"] * np.tanh(p.c0))
    # The constant error carousel: dL/dC_0 = dL/dC_T exactly when nothing reads h.
    d_c0 = bptt(trace, d_c_n=p.d_c_n).c0
    assert d_c0 is not None and np.array_equal(d_c0, p.d_c_n)
    # torch agrees (its gate order must put f second and i first for this to hold).
    p.module.load_state_dict({k: torch.from_numpy(v) for k, v in params.to_state_dict().items()})
    _, (_, c_n) = p.module(
        torch.from_numpy(p.x), (torch.from_numpy(p.h0[None]), torch.from_numpy(p.c0[None]))
    )
    assert np.array_equal(_np(c_n)[0], p.c0)


@PROPERTY_SETTINGS
@given(s=sizes())
def test_gru_update_gate_one_keeps_h_and_reset_zero_ignores_it(s: Sizes) -> None:
    p = make_problem(Kind.GRU, s)
    keep = unroll(Kind.GRU, _set_block_bias(p.params, 1, 1e3), p.x, p.h0)  # z_t = 1
    assert np.all(keep.gates["update"] == 1.0)
    assert np.array_equal(keep.outputs, np.broadcast_to(p.h0, keep.outputs.shape))
    forget = _set_block_bias(p.params, 0, -1e3)  # r_t = 0: the candidate does not see h_{t-1}
    trace = unroll(Kind.GRU, forget, p.x, p.h0)
    assert np.all(trace.gates["reset"] == 0.0)
    want_n = np.tanh(p.x @ forget.weight_ih[2 * s.hidden_size :].T + forget.bias_ih[2 * s.hidden_size :])
    assert np.allclose(trace.gates["candidate"], want_n, rtol=0, atol=1e-15)


def test_steps_agree_with_unroll_of_one_step() -> None:
    rng = np.random.default_rng(2)
    x, h, c = rng.standard_normal((2, 3)), rng.standard_normal((2, 4)), rng.standard_normal((2, 4))
    for kind in ALL_KINDS:
        params = init_params(kind, 3, 4, rng)
        trace = unroll(kind, params, x[None], h, c if kind.has_cell else None)
        if kind is Kind.LSTM:
            h_new, c_new, acts = lstm_step(x, h, c, params)
            assert np.array_equal(c_new, trace.c_n)  # type: ignore[arg-type]
        elif kind is Kind.GRU:
            h_new, acts = gru_step(x, h, params)
        else:
            h_new, acts = rnn_step(x, h, params, "tanh" if kind is Kind.RNN_TANH else "relu")
            assert set(acts) == {"preactivation"}
        assert np.array_equal(h_new, trace.h_n), kind
        for name in kind.gate_names:
            assert np.array_equal(acts[name], trace.gates[name][0]), (kind, name)


# ---------------------------------------------------------------------------------------------------
# Argument errors
# ---------------------------------------------------------------------------------------------------


def _lstm() -> tuple[Params, Array]:
    return init_params(Kind.LSTM, 3, 4, np.random.default_rng(0)), np.zeros((5, 2, 3))


BAD_CALLS: list[tuple[str, Callable[[], object], str]] = [
    ("x 2-D", lambda: unroll(Kind.LSTM, _lstm()[0], np.zeros((5, 3))), r"x must be \(T, B, 3\)"),
    ("x wrong I", lambda: unroll(Kind.LSTM, _lstm()[0], np.zeros((5, 2, 4))), r"x must be \(T, B, 3\)"),
    ("x no steps", lambda: unroll(Kind.LSTM, _lstm()[0], np.zeros((0, 2, 3))), r"T, B >= 1"),
    ("h0 wrong", lambda: unroll(Kind.LSTM, *_lstm(), h0=np.zeros((1, 2, 4))), r"h0 must be \(B, H\)"),
    ("c0 wrong", lambda: unroll(Kind.LSTM, *_lstm(), c0=np.zeros((2, 5))), r"c0 must be \(B, H\)"),
    ("c0 for GRU", lambda: unroll(Kind.GRU, init_params(Kind.GRU, 3, 4, np.random.default_rng(0)),
                                  _lstm()[1], c0=np.zeros((2, 4))), r"c0 is only for the LSTM"),
    ("kind mismatch", lambda: unroll(Kind.GRU, *_lstm()), r"4 gate blocks .* gru needs 3"),
    ("unknown kind", lambda: unroll("conv", *_lstm()), r"unknown kind"),  # type: ignore[arg-type]
    ("nonlinearity", lambda: rnn_step(np.zeros((1, 3)), np.zeros((1, 4)),
                                      init_params(Kind.RNN_TANH, 3, 4, np.random.default_rng(0)), "sigmoid"),
     r"'tanh' or 'relu'"),
    ("bad gate count", lambda: Params(np.zeros((8, 3)), np.zeros((8, 4)), np.zeros(8), np.zeros(8)),
     r"G in \(1, 3, 4\)"),
    ("bias shape", lambda: Params(np.zeros((16, 3)), np.zeros((16, 4)), np.zeros(16), np.zeros(15)),
     r"bias_hh must have shape \(16,\)"),
    ("weight_ih rows", lambda: Params(np.zeros((12, 3)), np.zeros((16, 4)), np.zeros(16), np.zeros(16)),
     r"weight_ih must be \(16, I\)"),
    ("two layers", lambda: Params.from_state_dict(torch.nn.LSTM(3, 4, num_layers=2).state_dict()),
     r"weight_ih_l1"),
    ("missing key", lambda: Params.from_state_dict({"weight_ih_l0": np.zeros((4, 3))}), r"lacks"),
    ("init sizes", lambda: init_params(Kind.GRU, 0, 4, np.random.default_rng(0)), r">= 1"),
    ("d_outputs shape", lambda: bptt(unroll(Kind.LSTM, *_lstm()), d_outputs=np.zeros((5, 2, 3))),
     r"d_outputs must have shape \(5, 2, 4\)"),
    ("d_c_n for RNN", lambda: bptt(unroll(Kind.RNN_TANH, init_params(Kind.RNN_TANH, 3, 4,
                                                                    np.random.default_rng(0)), _lstm()[1]),
                                   d_c_n=np.zeros((2, 4))), r"d_c_n is only for the LSTM"),
    ("not a trace", lambda: bptt("trace"), r"needs a Trace"),  # type: ignore[arg-type]
]  # fmt: skip


@pytest.mark.parametrize(
    ("call", "match"), [(c, m) for _, c, m in BAD_CALLS], ids=[n for n, _, _ in BAD_CALLS]
)
def test_bad_arguments_raise_value_error(call: Callable[[], object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        call()


def test_kind_may_be_spelled_as_on_the_command_line() -> None:
    params, x = _lstm()
    assert np.array_equal(unroll("lstm", params, x).outputs, unroll(Kind.LSTM, params, x).outputs)  # type: ignore[arg-type]


def test_from_state_dict_copies_and_converts_to_float64() -> None:
    module = torch.nn.GRU(2, 3)  # float32, parameters require grad
    params = Params.from_state_dict(dict(module.named_parameters(prefix="", recurse=False)))
    assert params.weight_ih.dtype == np.float64 and params.weight_ih.shape == (9, 2)
    with torch.no_grad():
        module.get_parameter("weight_ih_l0").zero_()
    assert params.weight_ih.any(), "Params must not alias the module's storage"


# ---------------------------------------------------------------------------------------------------
# Meta tests: the checks above fail on planted bugs
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Kind.LSTM, Kind.GRU], ids=lambda k: k.value)
def test_forward_check_catches_permuted_gate_blocks(kind: Kind) -> None:
    p = make_problem(kind, Sizes(3, 4, 2, 5, seed=1, weight_scale=1.0))
    hidden, gates = 4, kind.gate_count
    order = np.roll(np.arange(gates * hidden).reshape(gates, hidden), 1, axis=0).ravel()  # rotate blocks
    permuted = Params(*(getattr(p.params, name)[order] for name in PARAM_NAMES))
    wrong = unroll(kind, permuted, p.x, p.h0, p.c0).outputs
    with pytest.raises(AssertionError, match="outputs"):
        assert_close(wrong, run_torch(p).outputs, FORWARD_ATOL, "outputs")


@pytest.mark.parametrize("kind", ALL_KINDS, ids=lambda k: k.value)
@pytest.mark.parametrize("name", ["x", "h0", "weight_hh", "bias_ih"])
def test_gradient_checks_catch_a_planted_error(kind: Kind, name: str) -> None:
    p = make_problem(kind, Sizes(2, 2, 1, 3, seed=4, weight_scale=1.0))
    grads = reference_grads(p)
    planted = {k: v.copy() for k, v in grads.items()}
    planted[name].flat[0] += 1e-5  # 1e5 x AUTOGRAD_ATOL, 100 x FD_RTOL: small, but must not pass
    with pytest.raises(AssertionError, match=f"dL/d{name}"):
        assert_close(planted[name], run_torch(p).grads[name], AUTOGRAD_ATOL, f"dL/d{name}")
    failures = finite_difference_mismatches(p, planted, np.random.default_rng(0), entries=10**6)
    assert any(f.startswith(f"dL/d{name}") for f in failures), failures
    assert not finite_difference_mismatches(p, grads, np.random.default_rng(0), entries=10**6)


def test_trace_is_a_frozen_record() -> None:
    params, x = _lstm()
    trace = unroll(Kind.LSTM, params, x)
    assert isinstance(trace, Trace)
    with pytest.raises(AttributeError):
        trace.outputs = trace.outputs  # type: ignore[misc]
