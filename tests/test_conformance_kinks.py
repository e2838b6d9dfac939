"""Finite differences at a ReLU kink: no false alarm on correct code, real gradient bugs still fail.

A one-unit ReLU RNN with pre-activation a = x·w just below 0 (closer than the float32 step):
the central difference straddles the kink while the backward says 0.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from lstm_bench.conformance.cases import Inputs
from lstm_bench.conformance.jacobian import full_jacobian
from lstm_bench.conformance.tolerances import fd_step, tolerance
from lstm_bench.kinds import Kind

KINK = -3e-4  # pre-activation: inside ε = 1e-2 and inside ε/16 = 6.25e-4


def _relu_rnn(dtype: torch.dtype) -> nn.RNN:
    module = nn.RNN(1, 1, nonlinearity="relu").to(dtype)
    with torch.no_grad():
        module.weight_ih_l0.fill_(1.0)
        module.weight_hh_l0.fill_(0.5)
        module.bias_ih_l0.zero_()
        module.bias_hh_l0.zero_()
    return module


def _inputs(x: float, dtype: torch.dtype) -> Inputs:
    return Inputs(torch.tensor([[[x]]], dtype=dtype), torch.zeros(1, 1, dtype=dtype), None)


#: The slope the buggy backward reports where the true slope is 1.
WRONG_SLOPE = 0.8


class _WrongSlopeReLU(torch.autograd.Function):
    """relu forward, but a backward that says WRONG_SLOPE where the slope is 1: a real gradient bug."""

    @staticmethod
    def forward(ctx: object, a: Tensor) -> Tensor:
        ctx.save_for_backward(a)  # type: ignore[attr-defined]
        return a.clamp_min(0)

    @staticmethod
    def backward(ctx: object, grad: Tensor) -> Tensor:
        (a,) = ctx.saved_tensors  # type: ignore[attr-defined]
        return grad * (a > 0).to(grad) * WRONG_SLOPE


class WrongSlopeRNN(nn.Module):
    """One-layer ReLU RNN in plain ops with the wrong-slope backward."""

    def __init__(self) -> None:
        super().__init__()
        self.weight_ih_l0 = nn.Parameter(torch.ones(1, 1, dtype=torch.float32))
        self.weight_hh_l0 = nn.Parameter(torch.full((1, 1), 0.5, dtype=torch.float32))
        self.bias_ih_l0 = nn.Parameter(torch.zeros(1, dtype=torch.float32))
        self.bias_hh_l0 = nn.Parameter(torch.zeros(1, dtype=torch.float32))

    def forward(self, x: Tensor, hx: Tensor) -> tuple[Tensor, Tensor]:
        h, outs = hx[0], []
        for x_t in x.unbind(0):
            a = x_t @ self.weight_ih_l0.t() + self.bias_ih_l0 + h @ self.weight_hh_l0.t() + self.bias_hh_l0
            h = _WrongSlopeReLU.apply(a)
            outs.append(h)
        return torch.stack(outs), h.unsqueeze(0)


def test_central_difference_across_a_kink_is_replaced_by_the_clean_one_sided_difference() -> None:
    notes: list[str] = []
    reports = full_jacobian(
        _relu_rnn(torch.float32),
        Kind.RNN_RELU,
        _inputs(KINK, torch.float32),
        tolerance("finite-difference", "float32"),
        fd_step("float32"),
        notes=notes,
    )
    assert all(r.passed for r in reports), [r.describe() for r in reports if not r.passed]
    assert any("d/d x" in n and "not differentiable" in n for n in notes), notes


def test_without_the_one_sided_fallback_the_kink_is_a_false_alarm() -> None:
    """The constructed kink really defeats central differences at ε and ε/16 (so the test above means something)."""
    module, eps = _relu_rnn(torch.float32), fd_step("float32")
    x = torch.tensor([[[KINK]]])
    h0 = torch.zeros(1, 1, 1)
    for step in (eps, eps / 16):
        with torch.no_grad():
            plus, _ = module(x + step, h0)
            minus, _ = module(x - step, h0)
        central = float((plus - minus).sum()) / (2 * step)
        assert central > 0.2  # the backward says 0 here


@pytest.mark.parametrize("x", [1.0, -KINK], ids=["smooth", "just-above-the-kink"])
def test_a_wrong_backward_still_fails_away_from_and_at_the_kink(x: float) -> None:
    """Slope 1 where the backward says 0.8: far from 0, and within the step of it, where the central
    differences (0.52 at ε, 0.74 at ε/16) are wrong too and only the clean one-sided difference (1) is right."""
    notes: list[str] = []
    reports = full_jacobian(
        WrongSlopeRNN(),
        Kind.RNN_RELU,
        _inputs(x, torch.float32),
        tolerance("finite-difference", "float32"),
        fd_step("float32"),
        notes=notes,
    )
    assert not next(r for r in reports if r.tensor == "x").passed


def test_smooth_code_gets_no_kink_note() -> None:
    notes: list[str] = []
    module = nn.RNN(2, 3).to(torch.float64)
    gen = torch.Generator().manual_seed(0)
    inputs = Inputs(
        torch.randn(3, 2, 2, generator=gen, dtype=torch.float64),
        torch.randn(2, 3, generator=gen, dtype=torch.float64),
        None,
    )
    reports = full_jacobian(
        module,
        Kind.RNN_TANH,
        inputs,
        tolerance("finite-difference", "float64"),
        fd_step("float64"),
        notes=notes,
    )
    assert all(r.passed for r in reports) and notes == []


@pytest.mark.slow
def test_thorough_float32_relu_rnn_jacobian_passes_on_torch_nn() -> None:
    """The run from the issue: `check --impl torch.nn:RNN --kind rnn-relu --dtype float32 --profile thorough`."""
    from lstm_bench.conformance import run_check
    from lstm_bench.loader import load_impl

    result = run_check(
        load_impl("torch.nn:RNN", Kind.RNN_RELU), "gradients.jacobian", profile="thorough", dtype="float32"
    )
    assert result.status == "pass", result.reason
    assert any("not differentiable" in n for n in result.notes)


@pytest.mark.parametrize(("module", "passes"), [(_relu_rnn, True), (lambda dtype: WrongSlopeRNN(), False)])
def test_directional_derivative_at_the_kink(module: object, passes: bool) -> None:
    """vᵀJu along x at the kink: one-sided on the clean side; the wrong slope still fails."""
    from lstm_bench.conformance.jacobian import directional

    built = module(torch.float32)  # type: ignore[operator]
    x = KINK if passes else -KINK  # correct code below the kink (slope 0), the bug just above it (slope 1)
    inputs = _inputs(x, torch.float32)
    notes: list[str] = []
    weights = torch.ones(1, 2)  # (B, M): output[0] and h_n
    reports = directional(
        built,
        Kind.RNN_RELU,
        inputs,
        weights,
        {"x": torch.ones(1, 1, 1)},
        tolerance("finite-difference", "float32"),
        fd_step("float32"),
        notes=notes,
    )
    assert reports[0].passed is passes, reports[0].describe()
    if passes:
        assert notes and "not differentiable along u" in notes[0]
