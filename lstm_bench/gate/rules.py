"""Regression rules, each a small object with ``fails(current, baseline) -> str | None``.

A rule returns None when the candidate is acceptable, else one line saying what regressed
(pytest-benchmark's ``RegressionCheck`` shape). Timing, conformance and stability each have
their own rules; ``compare`` applies them to matched entries of two results documents.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import numpy as np

from lstm_bench.gate.stats import (
    Decision,
    RatioEstimate,
    Verdict,
    compare_independent,
    compare_paired,
    decide,
)

T_contra = TypeVar("T_contra", contravariant=True)
T = TypeVar("T")


class RegressionRule(Protocol[T_contra]):
    """What every rule offers: a name and ``fails(current, baseline)``."""

    @property
    def name(self) -> str:
        """The rule's name, e.g. 'timing'."""
        ...

    def fails(self, current: T_contra, baseline: T_contra) -> str | None:
        """One line describing the regression, or None."""
        ...


# --------------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimingRule:
    """Slower beyond ``max_slowdown`` *and* significant at ``alpha`` (see ``stats.decide``).

    ``paired=True`` reads ``current``/``baseline`` as interleaved pairs (median paired ratio,
    sign test), else as independent samples (ratio of medians, Mann-Whitney U).
    """

    max_slowdown: float
    alpha: float
    paired: bool = False
    seed: int = 0
    name: str = "timing"

    def assess(self, current: Sequence[float], baseline: Sequence[float]) -> tuple[RatioEstimate, Decision]:
        """The ratio estimate of candidate over baseline and the verdict on it."""
        confidence = 1.0 - self.alpha
        if self.paired:
            estimate = compare_paired(baseline, current, confidence=confidence)
        else:
            estimate = compare_independent(baseline, current, confidence=confidence, seed=self.seed)
        return estimate, decide(estimate, max_slowdown=self.max_slowdown, alpha=self.alpha)

    def fails(self, current: Sequence[float], baseline: Sequence[float]) -> str | None:
        _, decision = self.assess(current, baseline)
        return decision.reason if decision.verdict is Verdict.REGRESSION else None


@dataclass(frozen=True)
class MeanPercentRule:
    """pytest-benchmark's ``--benchmark-compare-fail=mean:P%``: mean(B) / mean(A) * 100 - 100 > P.

    No statistics: kept to measure what that rule does on the same samples (the power study).
    """

    percent: float = 5.0
    name: str = "mean-percent"

    def fails(self, current: Sequence[float], baseline: Sequence[float]) -> str | None:
        change = float(np.mean(current)) / float(np.mean(baseline)) * 100.0 - 100.0
        if change > self.percent:
            return f"mean {change:+.1f}% > {self.percent:g}%"
        return None


# --------------------------------------------------------------------------------------------
# Conformance
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckOutcome:
    """One conformance check of one implementation: passed, worst error and its tolerance."""

    impl: str
    name: str
    passed: bool
    worst_error: float | None = None
    tolerance: float | None = None

    @property
    def key(self) -> str:
        """How the check is matched across documents: ``impl :: name``."""
        return f"{self.impl} :: {self.name}"

    def describe_error(self) -> str:
        """'worst error 1.23e-03 vs tolerance 1.0e-06' (or what is known of it)."""
        if self.worst_error is None:
            return "no error figure"
        tol = f" vs tolerance {self.tolerance:.1e}" if self.tolerance is not None else ""
        return f"worst error {self.worst_error:.2e}{tol}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "impl": self.impl,
            "name": self.name,
            "passed": self.passed,
            "worst_error": self.worst_error,
            "tolerance": self.tolerance,
        }


@dataclass(frozen=True)
class CheckNowFails:
    """A check that passed in the baseline fails in the candidate."""

    name: str = "check-now-fails"

    def fails(self, current: CheckOutcome, baseline: CheckOutcome) -> str | None:
        if baseline.passed and not current.passed:
            return f"passed in the baseline, fails now ({current.describe_error()})"
        return None


def _past(error: float | None, tolerance: float | None) -> bool:
    """Whether ``error`` exceeds ``tolerance`` (a NaN error counts as past it)."""
    if error is None or tolerance is None:
        return False
    return math.isnan(error) or error > tolerance


@dataclass(frozen=True)
class ErrorPastTolerance:
    """The worst error grew past its tolerance: within it in the baseline, beyond it now."""

    name: str = "error-past-tolerance"

    def fails(self, current: CheckOutcome, baseline: CheckOutcome) -> str | None:
        if _past(current.worst_error, current.tolerance) and not _past(
            baseline.worst_error, baseline.tolerance
        ):
            before = f"{baseline.worst_error:.2e}" if baseline.worst_error is not None else "unknown"
            return f"worst error grew from {before} to {current.worst_error:.2e}, past its tolerance {current.tolerance:.1e}"
        return None


# --------------------------------------------------------------------------------------------
# Stability
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HorizonShorter:
    """The longest recall horizon solved got shorter (None: no horizon solved)."""

    name: str = "horizon-shorter"

    def fails(self, current: int | None, baseline: int | None) -> str | None:
        if baseline is None:
            return None
        if current is None:
            return f"solved T={baseline} in the baseline, no horizon now"
        if current < baseline:
            return f"longest horizon solved fell from T={baseline} to T={current}"
        return None


@dataclass(frozen=True)
class GradNormRatioMoved:
    """The gradient-norm log10 ratio log10(||dL/dh_1|| / ||dL/dh_T||) moved by more than log10(factor).

    Either direction counts: more decay (vanishing) and less decay (towards exploding) both mean
    the backward pass changed. -inf (underflow) equals -inf; NaN is never compared.
    """

    factor: float = 10.0
    name: str = "grad-norm-ratio-moved"

    def fails(self, current: float, baseline: float) -> str | None:
        if math.isnan(current) or math.isnan(baseline) or current == baseline:
            return None
        moved = abs(current - baseline)
        if moved > math.log10(self.factor):
            return (
                f"log10 gradient-norm ratio moved from {baseline:.2f} to {current:.2f} "
                f"(a factor of 10^{moved:.2f} > {self.factor:g})"
            )
        return None


def apply_rules(rules: Sequence[RegressionRule[T]], current: T, baseline: T) -> list[str]:
    """The messages of the rules that fail on (current, baseline), in order."""
    return [message for rule in rules if (message := rule.fails(current, baseline)) is not None]
