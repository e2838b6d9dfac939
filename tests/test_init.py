"""Each initialisation has a test of its defining property."""

from __future__ import annotations

import math

import pytest
import torch

from lstm_bench import init
from lstm_bench.kinds import Kind
from lstm_bench.reference import reference_module, torch_nn_module

H, I = 16, 8


def _gen(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("kind", list(Kind))
def test_orthogonal_blocks_satisfy_w_wt_equals_identity(kind: Kind) -> None:
    module = init.orthogonal(reference_module(kind, I, H, dtype=torch.float64), _gen())
    for block in module.weight_hh_l0.detach().split(H):
        torch.testing.assert_close(block @ block.T, torch.eye(H, dtype=torch.float64), atol=1e-12, rtol=0)
    assert torch.count_nonzero(module.bias_ih_l0) == 0


def test_identity_is_irnn() -> None:
    module = init.identity(torch_nn_module(Kind.RNN_RELU, I, H), _gen(), scale=1.0)
    torch.testing.assert_close(module.weight_hh_l0.detach(), torch.eye(H))
    assert module.weight_ih_l0.detach().std().item() < 0.01
    assert torch.count_nonzero(module.bias_hh_l0) == 0


def test_xavier_and_he_have_their_variances() -> None:
    big = reference_module(Kind.RNN_TANH, 400, 400)
    init.xavier(big, _gen())
    a = math.sqrt(6.0 / 800)
    w = big.weight_hh_l0.detach()
    assert w.abs().max().item() <= a
    assert abs(w.var().item() - a * a / 3) / (a * a / 3) < 0.05  # Var U(-a, a) = a²/3
    init.he(big, _gen())
    assert abs(big.weight_hh_l0.detach().var().item() - 2 / 400) / (2 / 400) < 0.05


def test_default_bound_is_one_over_sqrt_h() -> None:
    module = init.torch_default(torch_nn_module(Kind.GRU, I, H), _gen())
    for p in module.parameters():
        assert p.detach().abs().max().item() <= 1 / math.sqrt(H)


def test_forget_bias_sets_the_effective_bias_in_both_vectors() -> None:
    module = init.forget_bias(torch_nn_module(Kind.LSTM, I, H), _gen(), value=1.0)
    f = slice(H, 2 * H)
    effective = (module.bias_ih_l0 + module.bias_hh_l0).detach()[f]
    torch.testing.assert_close(effective, torch.ones(H))
    torch.testing.assert_close(module.bias_hh_l0.detach()[f], torch.zeros(H))


def test_chrono_range_and_input_bias_is_minus_forget_bias() -> None:
    t_max = 50.0
    module = init.chrono(torch_nn_module(Kind.LSTM, I, 512, dtype=torch.float64), _gen(), t_max=t_max)
    b = (module.bias_ih_l0 + module.bias_hh_l0).detach()
    b_i, b_f = b[:512], b[512:1024]
    assert b_f.min().item() >= 0.0 and b_f.max().item() <= math.log(t_max - 1)
    assert b_f.max().item() > math.log(t_max - 1) - 0.2  # the range is covered, not just respected
    torch.testing.assert_close(b_i, -b_f)


def test_inits_are_seeded() -> None:
    a = init.apply_init(torch_nn_module(Kind.LSTM, I, H), "chrono", Kind.LSTM, seed=3)
    b = init.apply_init(torch_nn_module(Kind.LSTM, I, H), "chrono", Kind.LSTM, seed=3)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_lstm_only_inits_refuse_other_kinds() -> None:
    with pytest.raises(ValueError, match="LSTM only"):
        init.apply_init(torch_nn_module(Kind.GRU, I, H), "forget-bias", Kind.GRU)
    with pytest.raises(ValueError, match="unknown initialisation"):
        init.apply_init(torch_nn_module(Kind.GRU, I, H), "lecun", Kind.GRU)
