"""Each remedy's defining property: clipping by norm and by value, L2 regularisation."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from lstm_bench.stability.remedies import (
    Remedies,
    apply_remedies,
    clip_by_norm,
    clip_by_value,
    global_norm,
    l2_penalty,
)


@st.composite
def gradient_lists(draw: st.DrawFn) -> list[torch.Tensor]:
    """1-4 float64 tensors of up to 3 dimensions, with entries spanning several orders of magnitude."""
    seed = draw(st.integers(0, 2**31 - 1))
    scale = draw(st.sampled_from([1e-6, 1e-2, 1.0, 1e2, 1e6]))
    gen = torch.Generator().manual_seed(seed)
    shapes = draw(st.lists(st.lists(st.integers(1, 5), min_size=1, max_size=3), min_size=1, max_size=4))
    return [torch.randn(shape, generator=gen, dtype=torch.float64) * scale for shape in shapes]


def _flat(tensors: list[torch.Tensor]) -> torch.Tensor:
    return torch.cat([t.flatten() for t in tensors])


@given(grads=gradient_lists(), threshold=st.floats(1e-3, 1e3))
def test_clip_by_norm_bounds_the_norm_and_keeps_the_direction(
    grads: list[torch.Tensor], threshold: float
) -> None:
    before = _flat(grads).clone()
    returned = clip_by_norm(grads, threshold)
    after = _flat(grads)
    assert returned == pytest.approx(float(before.norm()), rel=1e-12)
    assert float(after.norm()) <= threshold * (1 + 1e-12)
    if float(before.norm()) <= threshold:
        assert torch.equal(after, before)  # below the threshold: exactly unchanged
    else:
        assert float(after.norm()) == pytest.approx(threshold, rel=1e-12)
        cosine = float(after @ before) / (float(after.norm()) * float(before.norm()))
        assert cosine == pytest.approx(1.0, abs=1e-12)  # same direction: a positive multiple


@given(grads=gradient_lists(), limit=st.floats(1e-3, 1e3))
def test_clip_by_value_clamps_each_entry_and_leaves_the_rest(grads: list[torch.Tensor], limit: float) -> None:
    before = _flat(grads).clone()
    count = clip_by_value(grads, limit)
    after = _flat(grads)
    inside = before.abs() <= limit
    assert bool((after.abs() <= limit).all())
    assert torch.equal(after[inside], before[inside])
    assert torch.equal(after[~inside], limit * before[~inside].sign())
    assert count == int((~inside).sum())


def test_clipping_rejects_nonpositive_thresholds() -> None:
    with pytest.raises(ValueError, match="max_norm must be positive"):
        clip_by_norm([torch.ones(2)], 0.0)
    with pytest.raises(ValueError, match="limit must be positive"):
        clip_by_value([torch.ones(2)], -1.0)
    with pytest.raises(ValueError, match="clip_norm must be positive"):
        Remedies(clip_norm=-1.0)


def test_clip_by_norm_leaves_nan_gradients_for_the_monitor() -> None:
    grads = [torch.tensor([float("nan"), 1.0])]
    assert math.isnan(clip_by_norm(grads, 1.0))
    assert grads[0][1].item() == 1.0


@given(seed=st.integers(0, 10_000), coefficient=st.floats(1e-4, 10.0))
def test_l2_penalty_value_and_gradient(seed: int, coefficient: float) -> None:
    gen = torch.Generator().manual_seed(seed)
    params = [torch.randn(3, 4, generator=gen, dtype=torch.float64, requires_grad=True) for _ in range(2)]
    penalty = l2_penalty(params, coefficient)
    expected = 0.5 * coefficient * sum(float((p * p).sum().detach()) for p in params)
    assert float(penalty.detach()) == pytest.approx(expected, rel=1e-12)
    grads = torch.autograd.grad(penalty, params)
    for p, g in zip(params, grads, strict=True):
        torch.testing.assert_close(g, coefficient * p.detach(), rtol=1e-12, atol=0)  # d/dw (λ/2)||w||² = λ w


def test_apply_remedies_reports_the_raw_norm_and_clips_value_then_norm() -> None:
    grads = [torch.tensor([3.0, -40.0, 0.5], dtype=torch.float64)]
    raw = math.sqrt(9 + 1600 + 0.25)
    norm = apply_remedies(grads, Remedies(clip_norm=1.0, clip_value=2.0))
    assert norm == pytest.approx(raw)
    clamped = torch.tensor([2.0, -2.0, 0.5], dtype=torch.float64)
    torch.testing.assert_close(grads[0], clamped / clamped.norm())
    untouched = [torch.tensor([0.1, 0.2])]
    assert apply_remedies(untouched, Remedies()) == pytest.approx(global_norm([torch.tensor([0.1, 0.2])]))
    assert torch.equal(untouched[0], torch.tensor([0.1, 0.2]))


def test_global_norm_does_not_underflow_in_float32() -> None:
    tiny = [torch.full((4,), 1e-30, dtype=torch.float32)]
    assert global_norm(tiny) == pytest.approx(2e-30, rel=1e-6)  # float32 squares would be 0


def test_remedies_round_trip() -> None:
    remedies = Remedies(clip_norm=1.0, clip_value=None, l2=1e-4)
    assert Remedies.from_dict(remedies.to_dict()) == remedies
