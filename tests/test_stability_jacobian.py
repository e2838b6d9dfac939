"""Jacobian norms by power iteration, and W_hh spectra against Pascanu et al.'s bound."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from lstm_bench.kinds import Kind
from lstm_bench.reference.torch_ref import reference_module, torch_nn_module
from lstm_bench.stability.gradient_norms import unroll_by_step
from lstm_bench.stability.jacobian import GAMMA, jacobian_spectral_norm, whh_spectrum


def _explicit_norms(module: nn.Module, kind: Kind, x: torch.Tensor, t: int) -> list[float]:
    """||dh_T/dh_t||_2 per sequence from the Jacobian built column by column with torch.autograd.functional."""
    states = unroll_by_step(module, kind, x)
    h_t = states.hidden[t - 1].detach()
    cells = states.cells[t - 1].detach() if states.cells is not None else None

    def tail(h: torch.Tensor) -> torch.Tensor:
        state = (h, cells) if cells is not None else h
        for x_s in x[t:].unbind(0):
            _, state = module(x_s.unsqueeze(0), state)
        return state[0] if cells is not None else state

    jac = torch.autograd.functional.jacobian(tail, h_t)  # (1, B, H, 1, B, H)
    return [float(torch.linalg.matrix_norm(jac[0, b, :, 0, b, :], ord=2)) for b in range(x.shape[1])]


@given(
    s=st.floats(0.05, 0.99),
    steps=st.integers(2, 12),
    hidden=st.integers(2, 8),
    seed=st.integers(0, 10_000),
    data=st.data(),
)
def test_tanh_rnn_jacobian_is_bounded_by_sigma_max_to_the_power_of_the_gap(
    s: float, steps: int, hidden: int, seed: int, data: st.DataObject
) -> None:
    """sigma_max(W_hh) = s < 1 and |tanh'| <= 1 give ||dh_T/dh_t|| <= s^(T-t) (Pascanu et al. 2013, eq. 7)."""
    gen = torch.Generator().manual_seed(seed)
    module = torch_nn_module(Kind.RNN_TANH, 3, hidden).double()
    with torch.no_grad():
        w = torch.randn(hidden, hidden, generator=gen, dtype=torch.float64)
        module.weight_hh_l0.copy_(w * (s / torch.linalg.matrix_norm(w, ord=2)))
        for p in (module.weight_ih_l0, module.bias_ih_l0, module.bias_hh_l0):
            p.copy_(torch.randn(p.shape, generator=gen, dtype=torch.float64))
    x = torch.randn(steps, 2, 3, generator=gen, dtype=torch.float64)
    t = data.draw(st.integers(1, steps), label="t")
    result = jacobian_spectral_norm(module, Kind.RNN_TANH, x, t, iterations=500, rtol=1e-13)
    bound = s ** (steps - t)
    assert result.max <= bound * (1 + 1e-9), (
        f"||dh_T/dh_t|| = {result.max}, but should be <= s^(T-t) = {bound}"
    )
    if t < steps:
        exact = _explicit_norms(module, Kind.RNN_TANH, x, t)
        assert list(result.norms) == pytest.approx(exact, rel=1e-6, abs=1e-300)


@pytest.mark.parametrize("kind", list(Kind))
def test_power_iteration_matches_the_explicit_jacobian(kind: Kind) -> None:
    torch.manual_seed(0)
    module = torch_nn_module(kind, 3, 6).double()
    x = torch.randn(7, 3, 3, dtype=torch.float64)
    result = jacobian_spectral_norm(module, kind, x, 2, iterations=500, rtol=1e-13)
    assert result.iterations > 0  # torch.nn's float64 path is twice differentiable
    assert list(result.norms) == pytest.approx(_explicit_norms(module, kind, x, 2), rel=1e-6)


def test_first_order_only_modules_fall_back_to_the_exact_norm() -> None:
    torch.manual_seed(0)
    native = torch_nn_module(Kind.LSTM, 3, 6).double()
    reference = reference_module(Kind.LSTM, 3, 6, dtype=torch.float64)
    reference.load_state_dict(native.state_dict())
    x = torch.randn(7, 3, 3, dtype=torch.float64)
    expected = jacobian_spectral_norm(native, Kind.LSTM, x, 2, iterations=500, rtol=1e-13)
    got = jacobian_spectral_norm(reference, Kind.LSTM, x, 2)
    assert list(got.norms) == pytest.approx(list(expected.norms), rel=1e-6)


def test_t_equal_to_T_is_the_identity_and_out_of_range_raises() -> None:
    module = torch_nn_module(Kind.GRU, 2, 4).double()
    x = torch.zeros(5, 2, 2, dtype=torch.float64)
    assert jacobian_spectral_norm(module, Kind.GRU, x, 5).norms == (1.0, 1.0)
    with pytest.raises(ValueError, match=r"t must be in 1\.\.5"):
        jacobian_spectral_norm(module, Kind.GRU, x, 0)


@pytest.mark.parametrize("kind", list(Kind))
def test_whh_spectrum_per_gate_block(kind: Kind) -> None:
    torch.manual_seed(0)
    module = torch_nn_module(kind, 3, 6)
    spectrum = whh_spectrum(module, kind)
    blocks = module.weight_hh_l0.detach().double().split(6)
    assert len(spectrum.blocks) == kind.gate_count
    for block, weights in zip(spectrum.blocks, blocks, strict=True):
        torch.testing.assert_close(
            torch.tensor(block.singular_values, dtype=torch.float64), torch.linalg.svdvals(weights)
        )
        assert block.bound == 1 / GAMMA[block.activation]
        assert block.vanishing_guaranteed == (block.sigma_max < block.bound)
    if kind is Kind.LSTM:
        assert [b.bound for b in spectrum.blocks] == [4.0, 4.0, 1.0, 4.0]  # sigmoid gates, tanh candidate


def test_identity_init_sits_exactly_on_the_bound() -> None:
    from lstm_bench.init import identity

    module = identity(torch_nn_module(Kind.RNN_RELU, 3, 6))
    (block,) = whh_spectrum(module, Kind.RNN_RELU).blocks
    assert block.singular_values == pytest.approx([1.0] * 6)
    assert not block.vanishing_guaranteed
