"""Regression rules: each fails exactly when its condition holds, with a message that says why."""

from __future__ import annotations

import math

import pytest
from gate_helpers import lognormal_samples

from lstm_bench.gate.rules import (
    CheckNowFails,
    CheckOutcome,
    ErrorPastTolerance,
    GradNormRatioMoved,
    HorizonShorter,
    MeanPercentRule,
    TimingRule,
    apply_rules,
)


def _times(median: float, n: int, seed: int, spread: float = 0.02) -> list[float]:
    return list(lognormal_samples(median, seed, n, spread))


def test_timing_rule_needs_threshold_and_significance() -> None:
    base = _times(1e-3, 200, 0)
    rule = TimingRule(max_slowdown=0.05, alpha=0.01)
    assert rule.fails(_times(1.10e-3, 200, 1), base) is not None  # 10% slower, clearly significant
    assert rule.fails(_times(1.02e-3, 200, 1), base) is None  # significant, within 5%
    assert rule.fails(_times(1.10e-3, 3, 1), base[:3]) is None  # 10% slower but n = 3: not significant
    assert rule.fails(_times(0.8e-3, 200, 1), base) is None  # faster is never a regression


def test_timing_rule_paired_uses_pairs() -> None:
    base = _times(1e-3, 100, 0, spread=0.3)  # very noisy baseline ...
    cand = [b * 1.08 for b in base]  # ... but every pair is exactly 8% slower
    estimate, decision = TimingRule(max_slowdown=0.05, alpha=0.01, paired=True).assess(cand, base)
    assert estimate.paired and estimate.ratio == pytest.approx(1.08)
    assert decision.verdict.value == "regression"


def test_mean_percent_rule_is_pytest_benchmarks() -> None:
    rule = MeanPercentRule(5.0)
    assert rule.fails([1.06, 1.06], [1.0, 1.0]) == "mean +6.0% > 5%"
    assert rule.fails([1.04, 1.04], [1.0, 1.0]) is None
    assert rule.fails([1.0, 1.0, 1.3], [1.0, 1.0, 1.0]) is not None  # one outlier moves the mean 10%


def _check(passed: bool, error: float | None, tol: float | None = 1e-6) -> CheckOutcome:
    return CheckOutcome("torch.nn:LSTM (lstm, float64, cpu)", "gradients", passed, error, tol)


def test_check_now_fails() -> None:
    rule = CheckNowFails()
    message = rule.fails(_check(False, 1e-3), _check(True, 1e-9))
    assert (
        message is not None
        and "passed in the baseline, fails now" in message
        and "worst error 1.00e-03 vs tolerance 1.0e-06" in message
    )
    assert rule.fails(_check(False, 1e-3), _check(False, 1e-3)) is None  # already failing: not new
    assert rule.fails(_check(True, 1e-9), _check(False, 1e-3)) is None


def test_error_past_tolerance() -> None:
    rule = ErrorPastTolerance()
    message = rule.fails(_check(True, 2e-6), _check(True, 1e-9))
    assert message == "worst error grew from 1.00e-09 to 2.00e-06, past its tolerance 1.0e-06"
    assert rule.fails(_check(True, 5e-7), _check(True, 1e-9)) is None  # grew, still within
    assert rule.fails(_check(False, 2e-6), _check(False, 3e-6)) is None  # was already past it
    assert rule.fails(_check(False, math.nan), _check(True, 1e-9)) is not None  # NaN counts as past
    assert rule.fails(_check(True, None, None), _check(True, None, None)) is None


def test_horizon_shorter() -> None:
    rule = HorizonShorter()
    assert rule.fails(40, 80) == "longest horizon solved fell from T=80 to T=40"
    assert rule.fails(None, 80) == "solved T=80 in the baseline, no horizon now"
    assert rule.fails(80, 80) is None and rule.fails(160, 80) is None and rule.fails(None, None) is None


def test_grad_norm_ratio_moved() -> None:
    rule = GradNormRatioMoved(factor=10.0)
    assert rule.fails(-12.5, -11.0) is not None  # 1.5 decades more decay
    assert rule.fails(-11.5, -11.0) is None  # half a decade
    assert rule.fails(-9.0, -11.0) is not None  # less decay counts too
    assert rule.fails(-math.inf, -11.0) is not None  # underflowed now
    assert rule.fails(-math.inf, -math.inf) is None
    assert rule.fails(math.nan, -11.0) is None


def test_apply_rules_collects_messages_in_order() -> None:
    messages = apply_rules([CheckNowFails(), ErrorPastTolerance()], _check(False, 2e-6), _check(True, 1e-9))
    assert len(messages) == 2 and messages[0].startswith("passed in the baseline")
