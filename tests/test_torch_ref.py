"""The PyTorch references equal torch.nn exactly (float64) and honour its contract."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lstm_bench.kinds import Kind
from lstm_bench.reference import LSTM, RNN, reference_module, torch_nn_module

KINDS = list(Kind)
F64 = torch.float64


def _pair(kind: Kind, i: int, h: int, seed: int, **kw: object) -> tuple[torch.nn.Module, torch.nn.Module]:
    torch.manual_seed(seed)
    native = torch_nn_module(kind, i, h, dtype=F64, **kw)
    ref = reference_module(kind, i, h, dtype=F64, **kw)
    ref.load_state_dict(native.state_dict())
    return native, ref


def _leaves(result: object) -> list[torch.Tensor]:
    out, state = result  # type: ignore[misc]
    return [out, *(state if isinstance(state, tuple) else (state,))]


sizes = st.tuples(
    st.sampled_from(KINDS),
    st.integers(1, 5),  # I
    st.integers(1, 5),  # H
    st.integers(1, 3),  # B
    st.integers(1, 6),  # T
    st.integers(0, 2**16),
)


@given(sizes, st.booleans())
def test_forward_and_gradients_equal_torch_nn(
    case: tuple[Kind, int, int, int, int, int], with_state: bool
) -> None:
    kind, i, h, b, t, seed = case
    native, ref = _pair(kind, i, h, seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(t, b, i, dtype=F64, generator=gen)
    states = [torch.randn(1, b, h, dtype=F64, generator=gen) for _ in range(2 if kind.has_cell else 1)]
    hx = None if not with_state else (tuple(states) if kind.has_cell else states[0])
    outs = []
    for module in (native, ref):
        xs = x.clone().requires_grad_()
        hs = [s.clone().requires_grad_() for s in states]
        h0 = None if not with_state else (tuple(hs) if kind.has_cell else hs[0])
        leaves = _leaves(module(xs, h0))
        weights = [
            torch.randn(leaf.shape, dtype=F64, generator=torch.Generator().manual_seed(k))
            for k, leaf in enumerate(leaves)
        ]
        loss = sum((leaf * w).sum() for leaf, w in zip(leaves, weights, strict=True))
        inputs = [xs, *(hs if with_state else []), *module.parameters()]
        grads = torch.autograd.grad(loss, inputs)
        outs.append((leaves, grads))
    assert hx is None or with_state
    for a, r in zip(outs[0][0], outs[1][0], strict=True):
        assert a.shape == r.shape
        assert (a - r).abs().max().item() <= 1e-12
    for ga, gr in zip(outs[0][1], outs[1][1], strict=True):
        assert (ga - gr).abs().max().item() <= 1e-10


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("layout", ["batched", "batch_first", "unbatched"])
def test_layouts_and_return_structure(kind: Kind, layout: str) -> None:
    native, ref = _pair(kind, 3, 4, 0, batch_first=layout == "batch_first")
    x = torch.randn(5, 3, dtype=F64) if layout == "unbatched" else torch.randn(2, 5, 3, dtype=F64)
    a, r = native(x), ref(x)
    assert type(a[1]) is type(r[1])
    for la, lr in zip(_leaves(a), _leaves(r), strict=True):
        assert la.shape == lr.shape
        torch.testing.assert_close(la, lr, rtol=0, atol=1e-12)


def test_bias_false_matches_torch_nn() -> None:
    native, ref = _pair(Kind.GRU, 3, 4, 1, bias=False)
    assert ref.bias_ih_l0 is None and "bias_ih_l0" not in dict(ref.named_parameters())
    x = torch.randn(4, 2, 3, dtype=F64)
    torch.testing.assert_close(native(x)[0], ref(x)[0], rtol=0, atol=1e-12)


def test_trace_records_every_gate_and_cell() -> None:
    torch.manual_seed(0)
    model = LSTM(3, 4, batch_first=True)
    x = torch.randn(2, 6, 3)  # (B, T, I)
    tr = model.trace(x)
    assert set(tr.gates) == {"input", "forget", "candidate", "output"}
    assert all(g.shape == (6, 2, 4) for g in tr.gates.values())
    assert tr.cells is not None and tr.cells.shape == (6, 2, 4)
    out, (_h_n, c_n) = model(x)
    torch.testing.assert_close(tr.outputs.transpose(0, 1), out)
    torch.testing.assert_close(tr.cells[-1], c_n[0])
    # the recorded gates reproduce the recurrence: C_t = f ⊙ C_{t-1} + i ⊙ C~_t, h_t = o ⊙ tanh(C_t)
    c_prev = torch.cat([torch.zeros(1, 2, 4), tr.cells[:-1]])
    torch.testing.assert_close(
        tr.cells, tr.gates["forget"] * c_prev + tr.gates["input"] * tr.gates["candidate"]
    )
    torch.testing.assert_close(tr.outputs, tr.gates["output"] * tr.cells.tanh())


def test_rejects_what_torch_nn_rejects() -> None:
    with pytest.raises(ValueError, match="num_layers must be greater than zero"):
        LSTM(3, 4, num_layers=0)
    with pytest.raises(ValueError, match="proj_size has to be smaller"):
        LSTM(3, 4, proj_size=4)
    with pytest.raises(ValueError, match="only supported for LSTM"):
        reference_module(Kind.GRU, 3, 4, proj_size=2)
    with pytest.raises(ValueError, match="dropout should be a number"):
        LSTM(3, 4, num_layers=2, dropout=1.5)
    with pytest.warns(UserWarning, match="non-zero dropout expects"):
        LSTM(3, 4, dropout=0.5)
    with pytest.raises(ValueError, match="nonlinearity"):
        RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"input\.size\(-1\)"):
        LSTM(3, 4)(torch.randn(2, 1, 5))
    with pytest.raises(RuntimeError, match="hidden size"):
        LSTM(3, 4)(torch.randn(2, 1, 3), (torch.zeros(1, 2, 4), torch.zeros(1, 2, 4)))


def test_mode_strings_match_torch_nn() -> None:
    for kind in KINDS:
        assert reference_module(kind, 2, 3).mode == torch_nn_module(kind, 2, 3).mode == kind.torch_mode
