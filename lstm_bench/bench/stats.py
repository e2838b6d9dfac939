"""Statistics of timing samples: median, quartiles, IQR, min and a confidence interval for the median.

Pure functions over plain sequences of seconds (standard library only), tested against exact
numbers. Definitions, for n samples sorted as x_(1) <= ... <= x_(n):

* quantile q(p): linear interpolation between order statistics (NumPy's default, Hyndman-Fan
  type 7): with h = (n - 1) p and j = floor(h), q(p) = x_(j+1) + (h - j) (x_(j+2) - x_(j+1)).
  The median is q(1/2); the quartiles q(1/4), q(3/4); IQR = q(3/4) - q(1/4).
* confidence interval for the median, distribution-free: [x_(l), x_(n+1-l)] covers the true
  median with probability P(l <= K <= n - l), K ~ Binomial(n, 1/2) (the number of samples below
  it). The narrowest symmetric interval whose coverage reaches the confidence is chosen; with
  too few samples even [x_(1), x_(n)] falls short, and the coverage it has is reported.
* noise: a measurement is flagged when IQR / median > 10%, torch.utils.benchmark's rule.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

NOISE_THRESHOLD = 0.10  # IQR / median above this: the samples are too spread to trust one number
DEFAULT_CONFIDENCE = 0.95


def quantile(sorted_values: Sequence[float], p: float) -> float:
    """q(p) of already sorted values by linear interpolation (type 7); ValueError when empty."""
    if not sorted_values:
        raise ValueError("quantile of no samples")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"quantile level must be in [0, 1], got {p}")
    h = (len(sorted_values) - 1) * p
    j = math.floor(h)
    if j + 1 >= len(sorted_values):
        return float(sorted_values[-1])
    lo, hi = sorted_values[j], sorted_values[j + 1]
    return float(lo + (h - j) * (hi - lo))


def median(values: Sequence[float]) -> float:
    """The sample median (mean of the two middle values when n is even)."""
    return quantile(sorted(values), 0.5)


@functools.lru_cache(maxsize=64)  # the looks and sample sizes in use; one table of n = 2^16 is about 2 MB
def binomial_half_cdf(n: int) -> tuple[float, ...]:
    """P(K <= k) for K ~ Binomial(n, 1/2), k = 0..n: exact integer sums up to n = 5000, log space beyond.

    The one binomial table of lstm-bench: the median interval below, the gate's sign test and
    its group-sequential boundaries all read it (cached: the gate asks for the same n often).
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if n <= 5000:
        total, running, comb, cdf = 1 << n, 0, 1, []
        for k in range(n + 1):
            running += comb
            cdf.append(running / total)  # int / int rounds correctly however large
            comb = comb * (n - k) // (k + 1)
        return tuple(cdf)
    log_half = n * math.log(2.0)
    lg = math.lgamma(n + 1)
    acc, out = 0.0, []
    for k in range(n + 1):
        acc += math.exp(lg - math.lgamma(k + 1) - math.lgamma(n - k + 1) - log_half)
        out.append(min(acc, 1.0))
    return tuple(out)


def median_interval_coverage(n: int, rank: int) -> float:
    """P(rank <= K <= n - rank) for K ~ Binomial(n, 1/2): the coverage of [x_(rank), x_(n+1-rank)]."""
    if rank < 1 or 2 * rank > n + 1:
        return 0.0
    tail = sum(math.comb(n, k) for k in range(rank))  # P(K < rank) * 2^n, exact integers
    return 1.0 - 2 * tail / (1 << n)


def median_ci_rank(n: int, confidence: float) -> tuple[int, float]:
    """(rank, coverage): the largest rank l with P(l <= K <= n - l) >= ``confidence`` (1 when none does)."""
    if n < 1:
        raise ValueError("confidence interval of no samples")
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    cdf = binomial_half_cdf(n)
    tail = (1.0 - confidence) / 2.0
    rank = 1
    while 2 * (rank + 1) <= n + 1 and cdf[rank] <= tail + 1e-12:  # cdf[rank] = P(K < rank + 1)
        rank += 1
    coverage = 1.0 - 2.0 * cdf[rank - 1] if 2 * rank <= n + 1 else 0.0
    return rank, max(coverage, 0.0)


def median_ci(values: Sequence[float], confidence: float = DEFAULT_CONFIDENCE) -> tuple[float, float, float]:
    """(low, high, coverage): the order-statistics confidence interval for the median (see module doc)."""
    if not values:
        raise ValueError("confidence interval of no samples")
    ordered = sorted(values)
    n = len(ordered)
    rank, coverage = median_ci_rank(n, confidence)
    return float(ordered[rank - 1]), float(ordered[n - rank]), coverage


@dataclass(frozen=True)
class Summary:
    """Order statistics of one benchmark's per-call times, in seconds."""

    n: int
    median_s: float
    q1_s: float
    q3_s: float
    min_s: float
    max_s: float
    mean_s: float
    ci_low_s: float
    ci_high_s: float
    ci_coverage: float  # the interval's actual coverage; below the asked confidence when n is small

    @property
    def iqr_s(self) -> float:
        """Interquartile range q3 - q1."""
        return self.q3_s - self.q1_s

    @property
    def relative_iqr(self) -> float:
        """IQR / median (inf when the median is 0)."""
        return self.iqr_s / self.median_s if self.median_s > 0 else math.inf

    @property
    def noisy(self) -> bool:
        """True when IQR / median exceeds NOISE_THRESHOLD (10%)."""
        return self.relative_iqr > NOISE_THRESHOLD

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, with the derived iqr_s, relative_iqr and noisy for readers."""
        return {
            "n": self.n,
            "median_s": self.median_s,
            "q1_s": self.q1_s,
            "q3_s": self.q3_s,
            "iqr_s": self.iqr_s,
            "relative_iqr": self.relative_iqr,
            "min_s": self.min_s,
            "max_s": self.max_s,
            "mean_s": self.mean_s,
            "ci_low_s": self.ci_low_s,
            "ci_high_s": self.ci_high_s,
            "ci_coverage": self.ci_coverage,
            "noisy": self.noisy,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Summary:
        """Inverse of ``to_dict`` (derived fields are recomputed, not read)."""
        names = (
            "median_s",
            "q1_s",
            "q3_s",
            "min_s",
            "max_s",
            "mean_s",
            "ci_low_s",
            "ci_high_s",
            "ci_coverage",
        )
        return cls(int(data["n"]), *(float(data[name]) for name in names))


def summarize(samples: Sequence[float], confidence: float = DEFAULT_CONFIDENCE) -> Summary:
    """Summary of per-call times in seconds; ValueError when there are none or any is negative or not finite."""
    if not samples:
        raise ValueError("no samples to summarize")
    if any(not math.isfinite(s) or s < 0 for s in samples):
        raise ValueError("timing samples must be finite and non-negative seconds")
    ordered = sorted(float(s) for s in samples)
    low, high, coverage = median_ci(ordered, confidence)
    return Summary(
        n=len(ordered),
        median_s=quantile(ordered, 0.5),
        q1_s=quantile(ordered, 0.25),
        q3_s=quantile(ordered, 0.75),
        min_s=ordered[0],
        max_s=ordered[-1],
        mean_s=math.fsum(ordered) / len(ordered),
        ci_low_s=low,
        ci_high_s=high,
        ci_coverage=coverage,
    )
