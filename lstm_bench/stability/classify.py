"""Classify a gradient-norm profile as vanishing, stable or exploding, by documented thresholds.

The classification reads the profile's log10 ratio r = log10(||dL/dh_1|| / ||dL/dh_T||):

* **exploding** when r > ``EXPLODING_LOG10`` (+2: step 1 receives more than 100x the gradient of
  step T), or when any norm is NaN or infinite (the backward pass overflowed);
* **vanishing** when r < ``VANISHING_LOG10`` (-4: step 1 receives less than 1/10^4 of it), or when
  ||dL/dh_1|| underflowed to exactly 0 (r = -inf);
* **stable** otherwise.

Why these values (measured on the recall task, see ``lstm-bench stability``): well-posed models
lose a few orders of magnitude in the last step or two whatever the horizon (a chrono-initialised
LSTM: r = -3.0 at T = 100 and -3.4 at T = 200, the carried gradient then flat), while the tanh RNN
and the default-initialised LSTM lose about 0.2 orders per step (r = -21 and -20 at T = 100). The
asymmetry is deliberate: growth is never benign, so 100x is already a warning.
"""

from __future__ import annotations

import math
from enum import Enum

from lstm_bench.stability.gradient_norms import GradientProfile

__all__ = ["EXPLODING_LOG10", "VANISHING_LOG10", "Regime", "classify_profile", "classify_ratio"]

VANISHING_LOG10 = -4.0
EXPLODING_LOG10 = 2.0


class Regime(str, Enum):
    """What the gradient does on its way back in time."""

    VANISHING = "vanishing"
    STABLE = "stable"
    EXPLODING = "exploding"


def classify_ratio(log10_ratio: float) -> Regime:
    """The regime of a log10(first / last) gradient-norm ratio (NaN counts as exploding: an overflow)."""
    if math.isnan(log10_ratio) or log10_ratio > EXPLODING_LOG10:
        return Regime.EXPLODING
    if log10_ratio < VANISHING_LOG10:
        return Regime.VANISHING
    return Regime.STABLE


def classify_profile(profile: GradientProfile) -> Regime:
    """The regime of ``profile``: exploding if any norm is not finite, else by its log10 ratio."""
    if not all(math.isfinite(v) for v in profile.hidden_norms):
        return Regime.EXPLODING
    return classify_ratio(profile.log10_ratio)
