"""Statistics of the regression gate: ratios of timings, their intervals, their tests, the verdict.

Pure functions over plain sequences of seconds (NumPy, the standard library and the shared
binomial table and median interval of ``lstm_bench.bench.stats``).

Two designs, two estimators:

* **independent samples** (two results files, e.g. a saved baseline against a fresh run):
  the ratio of medians r = med(B) / med(A), a seeded percentile-bootstrap interval for
  log r, and the two-sided Mann-Whitney U test (rank based, so the same on times or log times).
* **paired samples** (A and B timed interleaved in one process, pair i = (a_i, b_i)):
  the paired log-ratios d_i = ln(b_i / a_i), the median paired ratio r = exp(med d), the
  distribution-free order-statistics interval for med d (from Binomial(n, 1/2)) and the
  two-sided exact sign test on d (the Wilcoxon signed-rank test is available too).

The verdict (``decide``): a **regression** only when the change is statistically significant
(p < alpha) *and* beyond the threshold (r > 1 + max_slowdown); an **improvement** when
p < alpha and r < 1 / (1 + max_slowdown); **unchanged** ("ok") only when the interval lies
inside (1 / (1 + max_slowdown), 1 + max_slowdown), i.e. a change beyond the threshold is
excluded; otherwise **inconclusive**. ``classify`` is the first half (significance and the
threshold, three-way). Significance guards against noise, the threshold against real but
irrelevant changes and against slow drift between runs, which no test on the samples of one run
can see. The interleaved A/B gate applies the same rule at the looks of a group-sequential
design (``lstm_bench.gate.sequential``).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from lstm_bench.bench.stats import binomial_half_cdf, median_ci

Samples = Sequence[float] | NDArray[np.float64]  # times in seconds, or log-ratios

# Exact null distributions are used below these sizes (and when there are no ties); beyond
# them the normal approximation with tie and continuity corrections is accurate to ~1e-3.
EXACT_MANN_WHITNEY_MAX_N = 50  # n_a + n_b
EXACT_WILCOXON_MAX_N = 50  # non-zero paired differences
DEFAULT_RESAMPLES = 2000


class Verdict(str, enum.Enum):
    """What the gate concludes about one benchmark."""

    REGRESSION = "regression"
    IMPROVEMENT = "improvement"
    UNCHANGED = "unchanged"  # decided: within the threshold ("ok")
    INCONCLUSIVE = "inconclusive"  # the samples cannot tell unchanged from a change beyond the threshold


@dataclass(frozen=True)
class TestResult:
    """A test statistic and its p-value (two-sided unless ``method`` says '-greater'); ``method`` names the
    test and its null distribution."""

    __test__ = False  # not a pytest test class

    statistic: float
    p_value: float
    method: str


@dataclass(frozen=True)
class RatioEstimate:
    """Candidate / baseline time ratio (> 1 means slower) with its interval and test."""

    ratio: float
    low: float
    high: float
    confidence: float
    p_value: float
    method: str
    paired: bool
    n_baseline: int
    n_candidate: int
    nominal_alpha: float | None = None  # sequential designs: the two-sided level of this look's interval

    @property
    def change(self) -> float:
        """Relative change r - 1 (+0.05 is 5% slower)."""
        return self.ratio - 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "ratio": self.ratio,
            "low": self.low,
            "high": self.high,
            "confidence": self.confidence,
            "p_value": self.p_value,
            "method": self.method,
            "paired": self.paired,
            "n_baseline": self.n_baseline,
            "n_candidate": self.n_candidate,
            "nominal_alpha": self.nominal_alpha,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RatioEstimate:
        """Inverse of ``to_dict``."""
        return cls(
            ratio=float(data["ratio"]),
            low=float(data["low"]),
            high=float(data["high"]),
            confidence=float(data["confidence"]),
            p_value=float(data["p_value"]),
            method=str(data["method"]),
            paired=bool(data["paired"]),
            n_baseline=int(data["n_baseline"]),
            n_candidate=int(data["n_candidate"]),
            nominal_alpha=None if data.get("nominal_alpha") is None else float(data["nominal_alpha"]),
        )


@dataclass(frozen=True)
class Decision:
    """The verdict on one estimate and the one-line reason for it."""

    verdict: Verdict
    reason: str


# --------------------------------------------------------------------------------------------
# Input checking
# --------------------------------------------------------------------------------------------


def _positive_times(values: Samples, what: str) -> NDArray[np.float64]:
    """``values`` as a float64 array; ValueError unless non-empty, finite and > 0 (times in seconds)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{what}: need a non-empty list of times, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise ValueError(f"{what}: times must be finite and > 0 seconds")
    return arr


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")


# --------------------------------------------------------------------------------------------
# Ranks and the normal tail
# --------------------------------------------------------------------------------------------


def midranks(values: NDArray[np.float64]) -> tuple[NDArray[np.float64], float]:
    """Ranks 1..N with ties given their average rank, and the tie term sum(t^3 - t) over tie groups."""
    order = np.argsort(values, kind="mergesort")
    sorted_vals = values[order]
    ranks = np.empty(values.size, dtype=np.float64)
    # Boundaries of runs of equal values in sorted order.
    starts = np.flatnonzero(np.r_[True, sorted_vals[1:] != sorted_vals[:-1]])
    ends = np.r_[starts[1:], values.size]
    counts = (ends - starts).astype(np.float64)
    avg = (starts + ends + 1) / 2.0  # mean of the 1-based ranks start+1 .. end
    ranks[order] = np.repeat(avg, ends - starts)
    return ranks, float(np.sum(counts**3 - counts))


def _two_sided_normal(deviation: float, sd: float) -> float:
    """Two-sided normal tail 2 (1 - Φ(|deviation| / sd)) after a 0.5 continuity correction."""
    if sd <= 0.0:
        return 1.0
    z = max(abs(deviation) - 0.5, 0.0) / sd
    return min(1.0, math.erfc(z / math.sqrt(2.0)))


def _two_sided_from_counts(counts: NDArray[np.float64], observed: int) -> float:
    """Two-sided exact p, 2 min(P(S <= s), P(S >= s)), from the null counts of an integer statistic S."""
    total = counts.sum()
    lower = counts[: observed + 1].sum() / total
    upper = counts[observed:].sum() / total
    return float(min(1.0, 2.0 * min(lower, upper)))


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------


def _mann_whitney_counts(n_a: int, n_b: int) -> NDArray[np.float64]:
    """Null counts of U over all C(n_a + n_b, n_a) orderings: c[u] for u = 0..n_a n_b.

    Recurrence on the largest observation: it belongs to B (adding n_a to U) or to A.
    """
    # table[i][j] = counts for sizes (i, j); built row by row in floats (exact up to 2^53).
    prev = [np.ones(1) for _ in range(n_b + 1)]  # i = 0: U is 0 whatever j
    for i in range(1, n_a + 1):
        row = [np.ones(1)]  # j = 0
        for j in range(1, n_b + 1):
            size = i * j + 1
            counts = np.zeros(size)
            from_a = prev[j]  # largest is an A: U unchanged
            counts[: from_a.size] += from_a
            from_b = row[j - 1]  # largest is a B: it beats all i A's
            counts[i : i + from_b.size] += from_b
            row.append(counts)
        prev = row
    return prev[n_b]


def mann_whitney_u(baseline: Samples, candidate: Samples) -> TestResult:
    """Two-sided Mann-Whitney U test that candidate and baseline come from one distribution.

    U = #{(i, j): b_j > a_i} + 0.5 #{(i, j): b_j = a_i} = R_B - n_b (n_b + 1) / 2, where R_B is
    the candidate's rank sum (midranks). Under H0, E U = n_a n_b / 2 and
    Var U = n_a n_b / 12 (N + 1 - sum(t^3 - t) / (N (N - 1))). Exact null distribution when
    N <= 50 without ties, else the normal approximation with continuity correction.
    """
    a = _positive_times(baseline, "baseline")
    b = _positive_times(candidate, "candidate")
    n_a, n_b = a.size, b.size
    ranks, tie_term = midranks(np.concatenate([a, b]))
    u = float(ranks[n_a:].sum() - n_b * (n_b + 1) / 2.0)
    n = n_a + n_b
    if tie_term == 0.0 and n <= EXACT_MANN_WHITNEY_MAX_N:
        return TestResult(
            u, _two_sided_from_counts(_mann_whitney_counts(n_a, n_b), int(u)), "mann-whitney-exact"
        )
    var = n_a * n_b / 12.0 * ((n + 1) - tie_term / (n * (n - 1)))
    return TestResult(
        u, _two_sided_normal(u - n_a * n_b / 2.0, math.sqrt(max(var, 0.0))), "mann-whitney-normal"
    )


def _wilcoxon_counts(n: int) -> NDArray[np.float64]:
    """Null counts of W+ over the 2^n sign patterns of ranks 1..n: c[w] for w = 0..n(n+1)/2."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    top = 0
    for rank in range(1, n + 1):
        counts[rank : top + rank + 1] += counts[: top + 1].copy()
        top += rank
    return counts


def wilcoxon_signed_rank(differences: Samples) -> TestResult:
    """Two-sided Wilcoxon signed-rank test that the differences are symmetric about 0.

    Zeros are dropped (Wilcoxon's convention); W+ = sum of the midranks of |d_i| over d_i > 0.
    Under H0, E W+ = n (n + 1) / 4 and Var W+ = n (n + 1)(2n + 1) / 24 - sum(t^3 - t) / 48.
    Exact null distribution when n <= 50 without ties, else normal with continuity correction.
    """
    d = np.asarray(differences, dtype=np.float64)
    if d.ndim != 1 or not np.all(np.isfinite(d)):
        raise ValueError("differences must be a finite 1-d sequence")
    d = d[d != 0.0]
    n = d.size
    if n == 0:
        return TestResult(0.0, 1.0, "wilcoxon-all-zero")
    ranks, tie_term = midranks(np.abs(d))
    w_plus = float(ranks[d > 0].sum())
    if tie_term == 0.0 and n <= EXACT_WILCOXON_MAX_N:
        return TestResult(w_plus, _two_sided_from_counts(_wilcoxon_counts(n), int(w_plus)), "wilcoxon-exact")
    var = n * (n + 1) * (2 * n + 1) / 24.0 - tie_term / 48.0
    return TestResult(
        w_plus, _two_sided_normal(w_plus - n * (n + 1) / 4.0, math.sqrt(max(var, 0.0))), "wilcoxon-normal"
    )


def _sign_counts(differences: Samples) -> tuple[int, int]:
    """(n, S): the number of non-zero differences and how many of them are > 0."""
    d = np.asarray(differences, dtype=np.float64)
    d = d[d != 0.0]
    return int(d.size), int(np.sum(d > 0))


def _at_least(cdf: tuple[float, ...], s: int) -> float:
    """P(X >= s) from the cdf of X ~ Binomial(n, 1/2)."""
    return 1.0 - (cdf[s - 1] if s > 0 else 0.0)


def sign_test(differences: Samples) -> TestResult:
    """Two-sided exact sign test on the non-zero differences: S = #{d_i > 0} ~ Binomial(n, 1/2) under H0."""
    n, s = _sign_counts(differences)
    if n == 0:
        return TestResult(0.0, 1.0, "sign-all-zero")
    cdf = binomial_half_cdf(n)
    return TestResult(float(s), float(min(1.0, 2.0 * min(cdf[s], _at_least(cdf, s)))), "sign-exact")


def sign_test_greater(differences: Samples) -> TestResult:
    """One-sided exact sign test that the differences tend to be > 0: p = P(Binomial(n, 1/2) >= S)."""
    n, s = _sign_counts(differences)
    if n == 0:
        return TestResult(0.0, 1.0, "sign-all-zero")
    return TestResult(
        float(s), float(min(1.0, max(0.0, _at_least(binomial_half_cdf(n), s)))), "sign-exact-greater"
    )


# --------------------------------------------------------------------------------------------
# Intervals
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MedianInterval:
    """Order-statistics interval [x_(k), x_(n+1-k)] for a median and its exact coverage."""

    low: float
    high: float
    coverage: float


def median_interval(values: Samples, confidence: float) -> MedianInterval:
    """Distribution-free interval for the median: [x_(k), x_(n+1-k)] (1-based order statistics).

    ``lstm_bench.bench.stats.median_ci`` (the one implementation) as a ``MedianInterval``:
    coverage = 1 - 2 P(X <= k - 1) with X ~ Binomial(n, 1/2); k is the largest with coverage >=
    ``confidence``. When even [min, max] falls short (tiny n), returns [min, max] and its coverage.
    """
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError("median_interval of an empty sample")
    low, high, coverage = median_ci(x.tolist(), confidence)
    return MedianInterval(low, high, coverage)


def bootstrap_log_ratio_interval(
    baseline: NDArray[np.float64],
    candidate: NDArray[np.float64],
    confidence: float,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile-bootstrap interval for ln(med(B) / med(A)), resampling each sample independently.

    Seeded (``numpy.random.default_rng(seed)``), so the same inputs give the same interval.
    """
    _check_confidence(confidence)
    rng = np.random.default_rng(seed)
    log_a, log_b = np.log(baseline), np.log(candidate)
    stats = np.empty(resamples)
    chunk = max(1, 2_000_000 // max(log_a.size + log_b.size, 1))  # bound memory to ~16 MB per chunk
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        med_a = np.median(log_a[rng.integers(0, log_a.size, size=(size, log_a.size))], axis=1)
        med_b = np.median(log_b[rng.integers(0, log_b.size, size=(size, log_b.size))], axis=1)
        stats[start : start + size] = med_b - med_a
    tail = (1.0 - confidence) / 2.0
    low, high = np.quantile(stats, [tail, 1.0 - tail])
    return float(low), float(high)


# --------------------------------------------------------------------------------------------
# Estimators
# --------------------------------------------------------------------------------------------


def compare_independent(
    baseline: Samples,
    candidate: Samples,
    *,
    confidence: float = 0.99,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
) -> RatioEstimate:
    """Ratio of medians med(B) / med(A) of two independent samples of times (seconds).

    Interval: seeded percentile bootstrap of ln(med B / med A); test: Mann-Whitney U.
    """
    a = _positive_times(baseline, "baseline")
    b = _positive_times(candidate, "candidate")
    ratio = float(np.median(b) / np.median(a))
    low, high = bootstrap_log_ratio_interval(a, b, confidence, resamples=resamples, seed=seed)
    test = mann_whitney_u(a, b)
    return RatioEstimate(
        ratio=ratio,
        low=math.exp(low),
        high=math.exp(high),
        confidence=confidence,
        p_value=test.p_value,
        method=test.method,
        paired=False,
        n_baseline=int(a.size),
        n_candidate=int(b.size),
    )


def paired_log_ratios(baseline: Samples, candidate: Samples) -> NDArray[np.float64]:
    """d_i = ln(b_i / a_i) for interleaved pairs (a_i, b_i); ValueError when the lengths differ."""
    a = _positive_times(baseline, "baseline")
    b = _positive_times(candidate, "candidate")
    if a.size != b.size:
        raise ValueError(f"paired samples need equal lengths, got {a.size} baseline and {b.size} candidate")
    d: NDArray[np.float64] = np.log(b) - np.log(a)
    return d


PAIRED_TESTS = ("sign", "wilcoxon")


def compare_paired(
    baseline: Samples, candidate: Samples, *, confidence: float = 0.99, test: str = "sign"
) -> RatioEstimate:
    """Median paired ratio exp(med_i ln(b_i / a_i)) of interleaved pairs.

    Interval: order statistics of d (exact, distribution-free). Test: the exact sign test on d
    (default; it asks exactly whether med d = 0, so it agrees with the interval, and it keeps its
    power under the heavy-tailed noise of a shared machine, where a pair hit by other load is an
    outlier of either sign), or the Wilcoxon signed-rank test (``test="wilcoxon"``; more powerful
    for light tails). Machine drift slower than one pair cancels in each d_i.
    """
    if test not in PAIRED_TESTS:
        raise ValueError(f"test must be one of {PAIRED_TESTS}, got {test!r}")
    d = paired_log_ratios(baseline, candidate)
    interval = median_interval(d, confidence)
    result = sign_test(d) if test == "sign" else wilcoxon_signed_rank(d)
    return RatioEstimate(
        ratio=float(math.exp(np.median(d))),
        low=math.exp(interval.low),
        high=math.exp(interval.high),
        confidence=confidence,
        p_value=result.p_value,
        method=result.method,
        paired=True,
        n_baseline=int(d.size),
        n_candidate=int(d.size),
    )


# --------------------------------------------------------------------------------------------
# The decision rule
# --------------------------------------------------------------------------------------------


def classify(estimate: RatioEstimate, *, max_slowdown: float, alpha: float) -> Decision:
    """Regression iff p < alpha and r > 1 + max_slowdown; improvement iff p < alpha and r < 1 / (1 + max_slowdown)."""
    if max_slowdown < 0:
        raise ValueError(f"max_slowdown must be >= 0, got {max_slowdown}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    r, p = estimate.ratio, estimate.p_value
    change = f"{(r - 1.0) * 100:+.1f}%"
    if p >= alpha:
        return Decision(Verdict.UNCHANGED, f"{change}, not significant (p={p:.2g} >= alpha={alpha:g})")
    if r > 1.0 + max_slowdown:
        return Decision(
            Verdict.REGRESSION, f"{change}: slower beyond +{max_slowdown * 100:g}% (p={p:.2g} < {alpha:g})"
        )
    if r < 1.0 / (1.0 + max_slowdown):
        return Decision(Verdict.IMPROVEMENT, f"{change}: faster beyond the threshold (p={p:.2g} < {alpha:g})")
    return Decision(Verdict.UNCHANGED, f"{change}, significant but within ±{max_slowdown * 100:g}%")


def within_threshold(low: float, high: float, max_slowdown: float) -> bool:
    """Whether the ratio interval [low, high] lies inside (1 / (1 + max_slowdown), 1 + max_slowdown)."""
    limit = 1.0 + max_slowdown
    return 1.0 / limit < low and high < limit


def decide(estimate: RatioEstimate, *, max_slowdown: float, alpha: float) -> Decision:
    """``classify``, then an unchanged verdict stands only when the interval excludes a change beyond the threshold.

    Regression / improvement: as ``classify``. Unchanged: [low, high] inside
    (1 / (1 + max_slowdown), 1 + max_slowdown). Otherwise inconclusive: these samples cannot
    tell an unchanged benchmark from one changed beyond the threshold.
    """
    decision = classify(estimate, max_slowdown=max_slowdown, alpha=alpha)
    if decision.verdict is not Verdict.UNCHANGED:
        return decision
    interval = f"[{(estimate.low - 1) * 100:+.1f}%, {(estimate.high - 1) * 100:+.1f}%]"
    change = f"{(estimate.ratio - 1.0) * 100:+.1f}%"
    if within_threshold(estimate.low, estimate.high, max_slowdown):
        return Decision(Verdict.UNCHANGED, f"{change}, interval {interval} inside ±{max_slowdown * 100:g}%")
    return Decision(
        Verdict.INCONCLUSIVE,
        f"{decision.reason}, but the interval {interval} reaches beyond ±{max_slowdown * 100:g}%: "
        f"cannot decide from {estimate.n_candidate} samples",
    )


def parse_fraction(text: str | float) -> float:
    """'5%' -> 0.05 and '0.05' (or 0.05) -> 0.05; ValueError otherwise (a bare number must be below 1)."""
    raw = str(text).strip()
    percent = raw.endswith("%")
    try:
        value = float(raw[:-1]) / 100.0 if percent else float(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a percentage like 5% or a fraction like 0.05") from None
    if isinstance(text, bool) or not math.isfinite(value) or value < 0:
        raise ValueError(f"{raw!r} must be a non-negative percentage like 5%")
    if not percent and value >= 1.0:
        raise ValueError(f"{raw!r} is ambiguous: write {raw}% for percent or a fraction below 1")
    return value
