"""Both references equal torch.nn (float64) across the whole contract, gradients included.

Drawn cases cover num_layers 1-3, bidirectional, proj_size (LSTM), bias=False, I != H, and the
input layouts batched, batch_first, unbatched and PackedSequence (enforce_sorted True and False,
unequal lengths), with and without initial states. Compared: outputs, h_n, C_n and the gradient of a
random linear probe with respect to x, h0, C0 and every parameter (by torch.nn name), within 1e-10.
Dropout: torch.nn's masks cannot be read, so torch.nn is compared in eval mode and with p = 0 in
training mode; in training mode with p > 0 the NumPy stack and the PyTorch reference are given the
same explicit masks; the masks the PyTorch reference draws are checked for their rate and scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from lstm_bench.kinds import Kind
from lstm_bench.reference.interop import copy_weights, stack_from_numpy, stack_to_numpy
from lstm_bench.reference.numpy_stack import (
    StackParams,
    init_stack_params,
    parameter_names,
    stack_bptt,
    stack_forward,
    stack_loss_and_grads,
)
from lstm_bench.reference.torch_ref import reference_module, torch_nn_module

Array = NDArray[np.float64]
F64 = torch.float64
ATOL = 1e-10  # float64, same formulas, different summation order: observed ~1e-15
LAYOUTS = ("batched", "batch_first", "unbatched", "packed_sorted", "packed_unsorted")
CONTRACT_SETTINGS = settings(
    max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)


@dataclass(frozen=True)
class Case:
    """One drawn model and input; arrays are made from ``seed`` in canonical time-major form."""

    kind: Kind
    input_size: int
    hidden_size: int
    num_layers: int
    bidirectional: bool
    proj_size: int
    bias: bool
    layout: str
    batch: int
    steps: int
    with_state: bool
    seed: int

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def h_out(self) -> int:
        return self.proj_size or self.hidden_size

    def module_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = dict(
            num_layers=self.num_layers, bidirectional=self.bidirectional, bias=self.bias
        )
        kw["batch_first"] = self.layout == "batch_first"
        if self.proj_size:
            kw["proj_size"] = self.proj_size
        return kw


@st.composite
def cases(draw: st.DrawFn) -> Case:
    kind = draw(st.sampled_from(list(Kind)))
    hidden = draw(st.integers(2, 4))
    proj = draw(st.integers(0, hidden - 1)) if kind is Kind.LSTM else 0
    layout = draw(st.sampled_from(LAYOUTS))
    batch = 1 if layout == "unbatched" else draw(st.integers(1, 3))
    return Case(
        kind,
        draw(st.integers(1, 4)),
        hidden,
        draw(st.integers(1, 3)),
        draw(st.booleans()),
        proj,
        draw(st.booleans()),
        layout,
        batch,
        draw(st.integers(1, 4)),
        draw(st.booleans()),
        draw(st.integers(0, 2**16)),
    )


@dataclass(frozen=True)
class Problem:
    """Canonical arrays of a case: x (T, B, I), states (D·L, B, ·), lengths (B,), probe weights."""

    x: Array
    h0: Array
    c0: Array | None
    lengths: Array
    w_out: Array
    w_h: Array
    w_c: Array | None


def problem(case: Case) -> Problem:
    rng = np.random.default_rng(case.seed)
    t, b, dl = case.steps, case.batch, case.directions * case.num_layers
    lengths = np.full(b, t)
    if case.layout.startswith("packed"):
        lengths = rng.integers(1, t + 1, size=b)
        lengths[rng.integers(b)] = t  # the padded length is the longest sequence's
        if case.layout == "packed_sorted":
            lengths = np.sort(lengths)[::-1].copy()
    cell = case.kind.has_cell
    return Problem(
        x=rng.standard_normal((t, b, case.input_size)),
        h0=rng.standard_normal((dl, b, case.h_out)),
        c0=rng.standard_normal((dl, b, case.hidden_size)) if cell else None,
        lengths=lengths,
        w_out=rng.standard_normal((t, b, case.directions * case.h_out)),
        w_h=rng.standard_normal((dl, b, case.h_out)),
        w_c=rng.standard_normal((dl, b, case.hidden_size)) if cell else None,
    )


def _valid(prob: Problem) -> Array:
    """(T, B, 1) mask of the steps each sequence has: padded outputs are not compared or probed."""
    t = prob.x.shape[0]
    return (np.arange(t)[:, None] < prob.lengths[None, :])[..., None].astype(np.float64)


def _feed(case: Case, x: Tensor) -> Tensor | PackedSequence:
    """The canonical x (T, B, I) in the case's layout."""
    if case.layout == "batch_first":
        return x.transpose(0, 1)
    if case.layout == "unbatched":
        return x[:, 0]
    if case.layout.startswith("packed"):
        lengths = torch.tensor(case_lengths[case]) if case in case_lengths else None
        assert lengths is not None
        return pack_padded_sequence(x, lengths, enforce_sorted=case.layout == "packed_sorted")
    return x


case_lengths: dict[Case, Array] = {}


def run_torch(module: nn.Module, case: Case, prob: Problem, use_trace: bool = False) -> dict[str, Array]:
    """Outputs, final states and probe gradients of a torch.nn-contract module, in canonical layout.

    ``use_trace`` takes them from the reference's ``trace()`` (the step loop) instead of ``forward``.
    """
    x = torch.tensor(prob.x, dtype=F64, requires_grad=True)  # (T, B, I)
    states = [torch.tensor(s, dtype=F64, requires_grad=True) for s in (prob.h0, prob.c0) if s is not None]
    unbatched = case.layout == "unbatched"
    case_lengths[case] = prob.lengths
    feed = _feed(case, x)
    given_states = [s[:, 0] if unbatched else s for s in states]
    hx = None if not case.with_state else (tuple(given_states) if case.kind.has_cell else given_states[0])
    if use_trace:
        tr = module.trace(feed, hx)  # type: ignore[operator]
        out, state = tr.outputs, (tr.final_h if tr.final_c is None else (tr.final_h, tr.final_c))
        unbatched = False  # a trace is batched already
    else:
        out, state = module(feed, hx)
        if isinstance(out, PackedSequence):
            out = pad_packed_sequence(out, total_length=case.steps)[0]
        elif case.layout == "batch_first":
            out = out.transpose(0, 1)
        elif unbatched:
            out = out.unsqueeze(1)
    finals = list(state) if isinstance(state, tuple) else [state]
    finals = [f.unsqueeze(1) if unbatched else f for f in finals]
    probes = [prob.w_out * _valid(prob), prob.w_h, prob.w_c]
    loss = sum((leaf * torch.from_numpy(w)).sum() for leaf, w in zip([out, *finals], probes, strict=False))
    params = dict(module.named_parameters())
    wrt = [x, *(states if case.with_state else []), *params.values()]
    grads = torch.autograd.grad(loss, wrt)  # type: ignore[arg-type]
    names = ["x", *(["h0", "c0"][: len(states)] if case.with_state else []), *params]
    result = {name: g.detach().numpy() for name, g in zip(names, grads, strict=True)}
    result["outputs"] = (out * torch.from_numpy(_valid(prob))).detach().numpy()
    result["h_n"] = finals[0].detach().numpy()
    if len(finals) == 2:
        result["c_n"] = finals[1].detach().numpy()
    return result


def run_numpy(
    params: StackParams, case: Case, prob: Problem, masks: list[Array] | None = None
) -> dict[str, Array]:
    """The NumPy stack on the same problem (zeros states when the case gives none)."""
    h0, c0 = (prob.h0, prob.c0) if case.with_state else (None, None)
    trace = stack_forward(params, prob.x, prob.lengths, h0, c0, masks)
    grads = stack_bptt(trace, prob.w_out * _valid(prob), prob.w_h, prob.w_c)
    result = {"outputs": trace.outputs, "h_n": trace.h_n, "x": grads.x, **grads.params}
    if case.with_state:
        result["h0"] = grads.h0
        if grads.c0 is not None:
            result["c0"] = grads.c0
    if trace.c_n is not None:
        result["c_n"] = trace.c_n
    return result


def assert_same(got: dict[str, Array], want: dict[str, Array], case: object) -> None:
    __tracebackhide__ = True
    assert sorted(got) == sorted(want), f"got keys {sorted(got)}, but should be {sorted(want)} [{case}]"
    for name, value in want.items():
        assert got[name].shape == value.shape, (
            f"{name}: got shape {got[name].shape}, but should be {value.shape}"
        )
        err = float(np.max(np.abs(got[name] - value), initial=0.0))
        assert err <= ATOL, f"{name}: max |error| {err:.3g} > {ATOL} [{case}]"


def native_pair(case: Case) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(case.seed)
    native = torch_nn_module(case.kind, case.input_size, case.hidden_size, dtype=F64, **case.module_kwargs())
    ref = reference_module(case.kind, case.input_size, case.hidden_size, dtype=F64, **case.module_kwargs())
    ref.load_state_dict(native.state_dict())
    return native, ref


# ---------------------------------------------------------------------------------------------------
# Equivalence with torch.nn
# ---------------------------------------------------------------------------------------------------


@CONTRACT_SETTINGS
@given(cases())
def test_numpy_stack_equals_torch_nn(case: Case) -> None:
    native, _ = native_pair(case)
    prob = problem(case)
    assert_same(run_numpy(stack_to_numpy(native, case.kind), case, prob), run_torch(native, case, prob), case)


@CONTRACT_SETTINGS
@given(cases())
def test_torch_reference_equals_torch_nn(case: Case) -> None:
    native, ref = native_pair(case)
    assert list(ref.state_dict()) == list(native.state_dict())  # names and registration order
    prob = problem(case)
    assert_same(run_torch(ref, case, prob), run_torch(native, case, prob), case)


@CONTRACT_SETTINGS
@given(cases())
def test_trace_equals_torch_nn(case: Case) -> None:
    native, ref = native_pair(case)
    prob = problem(case)
    assert_same(run_torch(ref, case, prob, use_trace=True), run_torch(native, case, prob), case)


def test_trace_records_every_layer_and_direction() -> None:
    case = Case(Kind.LSTM, 3, 4, 2, True, 0, True, "packed_unsorted", 3, 5, False, 2)
    _, ref = native_pair(case)
    x = torch.randn(5, 3, 3, dtype=F64)
    lengths = torch.tensor([3, 5, 2])
    tr = ref.trace(pack_padded_sequence(x, lengths, enforce_sorted=False))  # type: ignore[operator]
    assert [(lt.layer, lt.direction) for lt in tr.layers] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert tr.lengths is not None and torch.equal(tr.lengths, lengths)
    rev = tr.layers[1]  # the reverse direction starts at each sequence's own last step
    assert rev.cells is not None
    for b, n in enumerate(lengths.tolist()):
        c_next = torch.zeros(4, dtype=F64)
        for t in reversed(range(n)):  # C_t = f_t ⊙ C_{t+1} + i_t ⊙ C~_t going backwards in time
            g = {name: v[t, b] for name, v in rev.gates.items()}
            want = g["forget"] * c_next + g["input"] * g["candidate"]
            torch.testing.assert_close(rev.cells[t, b], want, rtol=0, atol=1e-12)
            torch.testing.assert_close(rev.outputs[t, b], g["output"] * want.tanh(), rtol=0, atol=1e-12)
            c_next = want
        assert bool((rev.outputs[n:, b] == 0).all())  # padded steps output 0
    assert tr.final_c is not None
    torch.testing.assert_close(tr.final_c[1], rev.cells[0], rtol=0, atol=0)  # reverse ends at t = 0


def test_packed_output_keeps_the_input_indices_and_batch_sizes() -> None:
    case = Case(Kind.LSTM, 3, 4, 2, True, 2, True, "packed_unsorted", 3, 5, True, 1)
    native, ref = native_pair(case)
    x = torch.randn(5, 3, 3, dtype=F64)
    packed = pack_padded_sequence(x, torch.tensor([2, 5, 3]), enforce_sorted=False)
    a, b = native(packed)[0], ref(packed)[0]
    assert isinstance(a, PackedSequence) and isinstance(b, PackedSequence)
    assert torch.equal(a.batch_sizes, b.batch_sizes)
    assert torch.equal(a.sorted_indices, b.sorted_indices) and torch.equal(
        a.unsorted_indices, b.unsorted_indices
    )
    torch.testing.assert_close(a.data, b.data, rtol=0, atol=1e-12)


def test_same_seed_gives_torch_nn_initial_weights() -> None:
    torch.manual_seed(3)
    native = torch_nn_module(Kind.LSTM, 3, 5, num_layers=2, bidirectional=True, proj_size=2)
    torch.manual_seed(3)
    ref = reference_module(Kind.LSTM, 3, 5, num_layers=2, bidirectional=True, proj_size=2)
    assert list(ref.state_dict()) == parameter_names(Kind.LSTM, 2, True, 2, True)
    for name, value in native.state_dict().items():
        assert torch.equal(value, ref.state_dict()[name]), name


# ---------------------------------------------------------------------------------------------------
# The hand-written BPTT against finite differences
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(Kind))
def test_numpy_bptt_equals_central_differences(kind: Kind) -> None:
    rng = np.random.default_rng(7)
    proj = 2 if kind is Kind.LSTM else 0
    params = init_stack_params(kind, 2, 3, rng, num_layers=2, bidirectional=True, proj_size=proj)
    t, b = 4, 2
    h_out, dl = params.output_size, 4
    x = rng.standard_normal((t, b, 2))
    if kind is Kind.RNN_RELU:
        x = x + 0.5  # keep pre-activations off the kink at 0 for this seed
    lengths = np.array([4, 2])
    h0, c0 = rng.standard_normal((dl, b, h_out)), rng.standard_normal((dl, b, 3)) if kind.has_cell else None
    masks = [rng.choice([0.0, 2.0], size=(t, b, 2 * h_out))]
    probes = rng.standard_normal((t, b, 2 * h_out)), rng.standard_normal((dl, b, h_out))
    w_c = rng.standard_normal((dl, b, 3)) if kind.has_cell else None

    def loss(p: StackParams, x_: Array, h0_: Array, c0_: Array | None) -> float:
        return stack_loss_and_grads(p, x_, lengths, h0_, c0_, masks, probes[0], probes[1], w_c)[0]

    _, grads = stack_loss_and_grads(params, x, lengths, h0, c0, masks, probes[0], probes[1], w_c)
    eps = 1e-6
    tensors: dict[str, tuple[Array, Array]] = {"x": (x, grads.x), "h0": (h0, grads.h0)}
    if c0 is not None and grads.c0 is not None:
        tensors["c0"] = (c0, grads.c0)
    tensors |= {name: (params.weights[name], grads.params[name]) for name in params.weights}
    for name, (value, grad) in tensors.items():
        for flat in rng.choice(value.size, size=min(4, value.size), replace=False):
            idx = np.unravel_index(flat, value.shape)
            values = []
            for sign in (1.0, -1.0):
                bumped = value.copy()
                bumped[idx] += sign * eps
                p = params
                args = {"x_": x, "h0_": h0, "c0_": c0}
                if f"{name}_" in args:
                    args[f"{name}_"] = bumped
                else:
                    p = StackParams(**{**params.__dict__, "weights": {**params.weights, name: bumped}})
                values.append(loss(p, args["x_"], args["h0_"], args["c0_"]))  # type: ignore[arg-type]
            numeric = (values[0] - values[1]) / (2 * eps)
            assert abs(numeric - grad[idx]) <= 1e-7 * max(1.0, abs(grad[idx])), (
                name,
                idx,
                numeric,
                grad[idx],
            )


# ---------------------------------------------------------------------------------------------------
# Dropout between layers
# ---------------------------------------------------------------------------------------------------


def _dropout_pair(p: float) -> tuple[nn.Module, nn.Module]:
    torch.manual_seed(5)
    native = torch_nn_module(Kind.LSTM, 3, 4, num_layers=3, bidirectional=True, dropout=p, dtype=F64)
    ref = reference_module(Kind.LSTM, 3, 4, num_layers=3, bidirectional=True, dropout=p, dtype=F64)
    ref.load_state_dict(native.state_dict())
    return native, ref


def test_dropout_is_the_identity_in_eval_mode() -> None:
    native, ref = _dropout_pair(0.5)
    native.eval(), ref.eval()
    x = torch.randn(4, 2, 3, dtype=F64)
    torch.testing.assert_close(ref(x)[0], native(x)[0], rtol=0, atol=1e-12)
    want = stack_forward(stack_to_numpy(native, Kind.LSTM), x.numpy()).outputs
    np.testing.assert_allclose(ref(x)[0].detach().numpy(), want, rtol=0, atol=1e-12)


def test_zero_dropout_in_training_mode_equals_torch_nn() -> None:
    native, ref = _dropout_pair(0.0)
    native.train(), ref.train()
    x = torch.randn(4, 2, 3, dtype=F64)
    torch.testing.assert_close(ref(x)[0], native(x)[0], rtol=0, atol=1e-12)


def test_training_masks_given_explicitly_equal_the_numpy_stack() -> None:
    _, ref = _dropout_pair(0.4)
    ref.train()
    x = torch.randn(5, 3, 3, dtype=F64, requires_grad=True)
    masks = ref.dropout_masks(5, 3, generator=torch.Generator().manual_seed(0))  # type: ignore[operator]
    assert len(masks) == 2 and any(bool((m == 0).any()) for m in masks)
    tr = ref.trace(x, dropout_masks=masks)  # type: ignore[operator]
    probe = torch.randn(tr.outputs.shape, dtype=F64)
    grads = torch.autograd.grad((tr.outputs * probe).sum(), [x, *ref.parameters()])
    np_masks = [m.numpy() for m in masks]
    trace = stack_forward(stack_to_numpy(ref, Kind.LSTM), x.detach().numpy(), dropout_masks=np_masks)
    np.testing.assert_allclose(tr.outputs.detach().numpy(), trace.outputs, rtol=0, atol=1e-12)
    ng = stack_bptt(trace, probe.numpy())
    np.testing.assert_allclose(grads[0].numpy(), ng.x, rtol=0, atol=ATOL)
    for (name, _), g in zip(ref.named_parameters(), grads[1:], strict=True):
        np.testing.assert_allclose(g.numpy(), ng.params[name], rtol=0, atol=ATOL, err_msg=name)


def test_training_forward_uses_the_masks_trace_exposes() -> None:
    _, ref = _dropout_pair(0.5)
    ref.train()
    x = torch.randn(4, 2, 3, dtype=F64)
    torch.manual_seed(11)
    out = ref(x)[0]
    torch.manual_seed(11)
    tr = ref.trace(x)  # type: ignore[operator]
    assert len(tr.dropout_masks) == 2
    torch.testing.assert_close(out, tr.outputs, rtol=0, atol=1e-12)
    ref.eval()
    assert not torch.allclose(out, ref(x)[0])  # the masks changed the output


@pytest.mark.parametrize("p", [0.2, 0.5, 1.0])
def test_drawn_masks_have_rate_p_and_scale_one_over_keep(p: float) -> None:
    _, ref = _dropout_pair(p)
    masks = torch.stack(ref.dropout_masks(200, 10, generator=torch.Generator().manual_seed(1)))  # type: ignore[operator]
    n = masks.numel()
    dropped = float((masks == 0).double().mean())
    assert abs(dropped - p) <= 5 * np.sqrt(p * (1 - p) / n) + 1e-12  # binomial: 5 standard errors
    kept = masks[masks != 0]
    if p < 1:
        torch.testing.assert_close(kept, torch.full_like(kept, 1 / (1 - p)))


# ---------------------------------------------------------------------------------------------------
# Weights across the three, any layout
# ---------------------------------------------------------------------------------------------------


def test_stack_weights_round_trip_and_copy() -> None:
    rng = np.random.default_rng(0)
    params = init_stack_params(Kind.GRU, 3, 4, rng, num_layers=2, bidirectional=True, bias=False)
    ref = stack_from_numpy(
        reference_module(Kind.GRU, 3, 4, num_layers=2, bidirectional=True, bias=False), params
    )
    native = copy_weights(ref, torch_nn_module(Kind.GRU, 3, 4, num_layers=2, bidirectional=True, bias=False))
    back = stack_to_numpy(native, Kind.GRU)
    assert list(back.weights) == parameter_names(Kind.GRU, 2, True, 0, False)
    for name, value in params.weights.items():
        np.testing.assert_allclose(back.weights[name], value, rtol=0, atol=1e-7)  # float32 modules
    with pytest.raises(ValueError, match="no parameters"):
        stack_from_numpy(reference_module(Kind.GRU, 3, 4), params)
    with pytest.raises(ValueError, match=r"torch\.nn layout"):
        StackParams.from_state_dict(
            Kind.GRU, {k: v for k, v in params.weights.items() if "l1_reverse" not in k}
        )


# ---------------------------------------------------------------------------------------------------
# Meta: the comparison catches planted bugs
# ---------------------------------------------------------------------------------------------------

PACKED_BIDIRECTIONAL = Case(
    Kind.GRU, 2, 3, 2, True, 0, True, "packed_unsorted", 3, 4, True, 6
)  # lengths 2, 4, 3


def test_reverse_direction_started_at_the_padded_end_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from lstm_bench.reference import numpy_stack

    real = numpy_stack._layer_forward

    def padded_end(kind: Kind, p: Any, x: Array, lengths: Array, h0: Array, c0: Any, reverse: bool) -> Any:
        full = np.full_like(lengths, x.shape[0]) if reverse else lengths  # bug: ignores lengths backwards
        return real(kind, p, x, full, h0, c0, reverse)

    native, _ = native_pair(PACKED_BIDIRECTIONAL)
    prob = problem(PACKED_BIDIRECTIONAL)
    assert len(set(prob.lengths.tolist())) == 3
    assert_same(
        run_numpy(stack_to_numpy(native, Kind.GRU), PACKED_BIDIRECTIONAL, prob),
        run_torch(native, PACKED_BIDIRECTIONAL, prob),
        0,
    )
    monkeypatch.setattr(numpy_stack, "_layer_forward", padded_end)
    with pytest.raises(AssertionError, match=r"max \|error\|"):
        assert_same(
            run_numpy(stack_to_numpy(native, Kind.GRU), PACKED_BIDIRECTIONAL, prob),
            run_torch(native, PACKED_BIDIRECTIONAL, prob),
            0,
        )


def test_states_in_the_wrong_order_are_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    from lstm_bench.reference import torch_ref

    native, ref = native_pair(PACKED_BIDIRECTIONAL)
    prob = problem(PACKED_BIDIRECTIONAL)
    real = torch_ref._final_states
    monkeypatch.setattr(
        torch_ref, "_final_states", lambda runs: real(runs[::-1])
    )  # bug: direction-major order
    with pytest.raises(AssertionError, match=r"max \|error\|"):
        assert_same(
            run_torch(ref, PACKED_BIDIRECTIONAL, prob), run_torch(native, PACKED_BIDIRECTIONAL, prob), 0
        )


def test_numpy_stack_rejects_inconsistent_arguments() -> None:
    params = init_stack_params(Kind.LSTM, 2, 3, np.random.default_rng(0), num_layers=2, proj_size=1)
    x = np.zeros((4, 2, 2))
    with pytest.raises(ValueError, match=r"x must be \(T, B, 2\)"):
        stack_forward(params, np.zeros((4, 2, 3)))
    with pytest.raises(ValueError, match="lengths must be"):
        stack_forward(params, x, lengths=[5, 1])
    with pytest.raises(ValueError, match=r"h0 must be .* \(2, 2, 1\)"):
        stack_forward(params, x, h0=np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="num_layers - 1 = 1"):
        stack_forward(params, x, dropout_masks=[np.ones((4, 2, 1))] * 2)
    with pytest.raises(ValueError, match="dropout mask must be"):
        stack_forward(params, x, dropout_masks=[np.ones((4, 2, 3))])
    gru = init_stack_params(Kind.GRU, 2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match="only for the LSTM"):
        stack_forward(gru, x, c0=np.zeros((1, 2, 3)))
    with pytest.raises(ValueError, match="only for the LSTM"):
        init_stack_params(Kind.GRU, 2, 3, np.random.default_rng(0), proj_size=1)


def test_packed_input_ignores_batch_first_and_all_weights_group_like_torch_nn() -> None:
    case = Case(Kind.LSTM, 3, 4, 2, True, 2, True, "batch_first", 3, 5, False, 4)
    native, ref = native_pair(case)
    assert [[p.shape for p in g] for g in ref.all_weights] == [
        [p.shape for p in g] for g in native.all_weights
    ]
    ref.flatten_parameters()  # accepted, as on torch.nn
    x = torch.randn(3, 5, 3, dtype=F64)  # (B, T, I): packed from batch-first data
    packed = pack_padded_sequence(x, torch.tensor([2, 5, 3]), batch_first=True, enforce_sorted=False)
    (a, (ha, ca)), (b, (hb, cb)) = native(packed), ref(packed)
    for want, got in ((a.data, b.data), (ha, hb), (ca, cb)):
        torch.testing.assert_close(got, want, rtol=0, atol=1e-12)
