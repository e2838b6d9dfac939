"""Gradient-norm profiles: equal to the NumPy reference's BPTT, float64, and the LSTM's cell path included."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from lstm_bench.atomic import strict_json
from lstm_bench.kinds import Kind
from lstm_bench.reference import numpy_ref
from lstm_bench.reference.interop import to_numpy
from lstm_bench.reference.torch_ref import reference_module, torch_nn_module
from lstm_bench.stability.classify import Regime, classify_profile, classify_ratio
from lstm_bench.stability.gradient_norms import (
    GradientProfile,
    grad_norm_profile,
    log10_ratio,
    lstm_cells_by_equations,
    unroll_by_step,
)

I, H, B, T = 3, 5, 2, 9


def _module(kind: Kind, seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return torch_nn_module(kind, I, H).double()


def _inputs(seed: int = 1) -> torch.Tensor:
    return torch.randn(T, B, I, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


@pytest.mark.parametrize("kind", list(Kind))
def test_step_by_step_unroll_equals_the_full_forward(kind: Kind) -> None:
    module, x = _module(kind), _inputs()
    states = unroll_by_step(module, kind, x)
    outputs, _ = module(x)
    torch.testing.assert_close(torch.cat(states.hidden), outputs, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", list(Kind))
def test_profile_equals_the_numpy_reference_bptt(kind: Kind) -> None:
    """||dL/dh_t|| for L = <u, h_T> equals ||dL/dh0|| of the NumPy BPTT run from (h_t, C_t) over x_{t+1..T}."""
    module, x = _module(kind), _inputs()
    u = torch.randn(B, H, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    profile = grad_norm_profile(module, kind, x, lambda h_last: (h_last * u).sum())
    states = unroll_by_step(module, kind, x)
    params = to_numpy(module)
    assert profile.hidden_norms[-1] == pytest.approx(float(u.norm()), rel=1e-12)
    for t in range(1, T):  # 1-based t; the NumPy run covers steps t+1..T from state t
        h_t = states.hidden[t - 1][0].detach().numpy()
        c_t = states.cells[t - 1][0].detach().numpy() if states.cells is not None else None
        _, grads = numpy_ref.loss_and_grads(kind, params, x[t:].numpy(), h_t, c_t, d_h_n=u.numpy())
        assert profile.hidden_norms[t - 1] == pytest.approx(float(np.linalg.norm(grads.h0)), rel=1e-9)


def test_lstm_cell_profile_is_the_total_derivative_through_h() -> None:
    """At t = T, dL/dC_T reaches C_T only through h_T = o_T ⊙ tanh(C_T): ||u ⊙ o_T ⊙ (1 - tanh²C_T)||."""
    module, x = _module(Kind.LSTM), _inputs()
    u = torch.randn(B, H, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    profile = grad_norm_profile(module, Kind.LSTM, x, lambda h_last: (h_last * u).sum())
    reference = reference_module(Kind.LSTM, I, H, dtype=torch.float64)
    reference.load_state_dict(module.state_dict())
    trace = reference.trace(x)
    assert trace.cells is not None
    o_last, c_last = trace.gates["output"][-1], trace.cells[-1]
    expected = float((u * o_last * (1 - c_last.tanh() ** 2)).norm().detach())
    assert profile.cell_norms is not None and len(profile.cell_norms) == T
    assert profile.cell_norms[-1] == pytest.approx(expected, rel=1e-10)
    equations = lstm_cells_by_equations(module, x)  # the same h_t as torch.nn's forward
    torch.testing.assert_close(torch.stack(equations.hidden), module(x)[0], rtol=1e-12, atol=1e-12)


def test_float32_module_is_profiled_in_float64_without_underflow() -> None:
    torch.manual_seed(0)
    module = nn.RNN(4, 16)  # float32, default init: vanishes by ~0.2 decades per step
    x = torch.randn(400, 2, 4)
    profile = grad_norm_profile(module, Kind.RNN_TANH, x, lambda h: h.sum())
    assert module.weight_hh_l0.dtype == torch.float32  # untouched
    assert 0.0 < profile.hidden_norms[0] < 1e-45  # below float32's smallest subnormal, still resolved
    assert profile.log10_ratio < -45
    assert classify_profile(profile) is Regime.VANISHING


def test_log10_ratio_edge_cases() -> None:
    assert log10_ratio(1e-3, 1.0) == pytest.approx(-3.0)
    assert log10_ratio(0.0, 1.0) == -math.inf
    assert math.isnan(log10_ratio(math.inf, 1.0))
    assert math.isnan(log10_ratio(1.0, 0.0))


def test_classification_thresholds() -> None:
    assert classify_ratio(-4.01) is Regime.VANISHING
    assert classify_ratio(-3.99) is Regime.STABLE
    assert classify_ratio(1.99) is Regime.STABLE
    assert classify_ratio(2.01) is Regime.EXPLODING
    assert classify_ratio(-math.inf) is Regime.VANISHING
    assert classify_ratio(math.nan) is Regime.EXPLODING
    overflow = GradientProfile(Kind.RNN_RELU, (math.inf, 1.0, 1.0))
    assert classify_profile(overflow) is Regime.EXPLODING


def test_profile_round_trips_through_strict_json() -> None:
    profile = GradientProfile(Kind.LSTM, (0.0, 1e-300, 1.0), (1e-5, 0.1, 1.0))
    data = json.loads(json.dumps(strict_json(profile.to_dict()), allow_nan=False))
    assert data["log10_ratio"] == "-Infinity"
    again = GradientProfile.from_dict(data)
    assert again == profile
    assert again.cell_log10_ratio == pytest.approx(-5.0)
