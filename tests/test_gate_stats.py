"""The gate's statistics against exact hand-computed numbers (and scipy where it is installed)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from gate_helpers import scipy_stats

from lstm_bench.gate import stats
from lstm_bench.gate.stats import RatioEstimate, Verdict


def test_midranks_average_ties_and_tie_term() -> None:
    ranks, tie_term = stats.midranks(np.array([3.0, 1.0, 3.0, 2.0, 3.0]))
    assert ranks.tolist() == [4.0, 1.0, 4.0, 2.0, 4.0]
    assert tie_term == 3**3 - 3  # one group of three ties


def test_mann_whitney_exact_small_cases() -> None:
    # Complete separation of 3 vs 3: U = 9, P(U = 9) = 1 / C(6, 3) = 1/20, two-sided 2/20.
    result = stats.mann_whitney_u([1.0, 2.0, 3.0], [4.0, 5.0, 6.0])
    assert result.statistic == 9.0
    assert result.p_value == pytest.approx(0.1, abs=1e-15)
    assert result.method == "mann-whitney-exact"
    # One inversion: b = (2.5, 5, 6) beats a = (1, 2, 3) in 8 of 9 pairs, U = 2 + 3 + 3 = 8,
    # P(U >= 8) = #{U = 8, 9} / 20 = 2/20, two-sided 4/20.
    result = stats.mann_whitney_u([1.0, 2.0, 3.0], [2.5, 5.0, 6.0])
    assert result.statistic == 8.0
    assert result.p_value == pytest.approx(0.2, abs=1e-15)


def test_mann_whitney_counts_sum_to_binomial() -> None:
    counts = stats._mann_whitney_counts(4, 6)
    assert counts.sum() == math.comb(10, 4)
    assert counts.size == 4 * 6 + 1
    assert np.array_equal(counts, counts[::-1])  # U is symmetric about n_a n_b / 2


def test_mann_whitney_normal_with_ties_by_hand() -> None:
    a = [1.0] * 30 + [2.0] * 30
    b = [2.0] * 30 + [3.0] * 30
    result = stats.mann_whitney_u(a, b)
    # Midranks: 1.0 -> 15.5 (30 ties), 2.0 -> 60.5 (60 ties), 3.0 -> 105.5 (30 ties).
    u = 30 * 60.5 + 30 * 105.5 - 60 * 61 / 2
    assert result.statistic == u == 3150.0
    n = 120
    tie_term = 2 * (30**3 - 30) + (60**3 - 60)
    sd = math.sqrt(60 * 60 / 12 * ((n + 1) - tie_term / (n * (n - 1))))
    expected = math.erfc((abs(u - 1800) - 0.5) / sd / math.sqrt(2))
    assert result.method == "mann-whitney-normal"
    assert result.p_value == pytest.approx(expected, rel=1e-12)


def test_wilcoxon_exact_by_hand() -> None:
    # All five differences positive: W+ = 15 = max, P = 1/32, two-sided 2/32.
    result = stats.wilcoxon_signed_rank([0.1, 0.2, 0.3, 0.4, 0.5])
    assert (result.statistic, result.p_value) == (15.0, 0.0625)
    # Zeros are dropped: the same four non-zero positives give 2/16.
    assert stats.wilcoxon_signed_rank([0.0, 0.1, 0.2, 0.3, 0.4]).p_value == 0.125
    assert stats.wilcoxon_signed_rank([0.0, 0.0]).p_value == 1.0


def test_wilcoxon_counts_are_subset_sums() -> None:
    counts = stats._wilcoxon_counts(4)  # subsets of {1,2,3,4} by sum
    assert counts.tolist() == [1, 1, 1, 2, 2, 2, 2, 2, 1, 1, 1]


def test_sign_test_exact() -> None:
    assert stats.sign_test([1.0, 2.0, 3.0, 4.0, 5.0]).p_value == 0.0625
    # 7 of 9 positive: P(X >= 7) = (36 + 9 + 1) / 512, two-sided 92/512.
    assert stats.sign_test([1, -2, 3, 4, 5, 6, 7, -1, 3]).p_value == 92 / 512


def test_median_interval_order_statistics() -> None:
    # n = 10, 95%: P(X <= 1) = 11/1024 <= 0.025 < P(X <= 2) = 56/1024, so k = 2: [x(2), x(9)].
    interval = stats.median_interval(np.arange(10, 0, -1, dtype=float), 0.95)
    assert (interval.low, interval.high) == (2.0, 9.0)
    assert interval.coverage == 1 - 22 / 1024
    # Too few values for 95%: [min, max] with its coverage 1 - 2/2^3.
    assert stats.median_interval([3.0, 1.0, 2.0], 0.95) == stats.MedianInterval(1.0, 3.0, 0.75)


@pytest.mark.parametrize(("n_a", "n_b"), [(3, 4), (8, 9), (20, 25), (150, 200)])
def test_mann_whitney_matches_scipy(n_a: int, n_b: int) -> None:
    sps = scipy_stats()
    rng = np.random.default_rng(n_a)
    a, b = rng.lognormal(0, 0.1, n_a), rng.lognormal(0.05, 0.1, n_b)
    ours = stats.mann_whitney_u(a, b)
    method = "exact" if n_a + n_b <= stats.EXACT_MANN_WHITNEY_MAX_N else "asymptotic"
    theirs = sps.mannwhitneyu(b, a, alternative="two-sided", method=method)
    assert ours.statistic == theirs.statistic
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)


@pytest.mark.parametrize("n", [6, 30, 400])
def test_wilcoxon_matches_scipy(n: int) -> None:
    sps = scipy_stats()
    d = np.random.default_rng(n).normal(0.1, 0.3, n)
    ours = stats.wilcoxon_signed_rank(d)
    method = "exact" if n <= stats.EXACT_WILCOXON_MAX_N else "approx"
    theirs = sps.wilcoxon(d, method=method, correction=True)
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9)


@pytest.mark.parametrize(("n", "positives"), [(8, 8), (9, 7), (40, 29), (301, 170), (1000, 470)])
def test_sign_test_matches_scipy_binomtest(n: int, positives: int) -> None:
    sps = scipy_stats()
    d = np.r_[np.full(positives, 0.01), np.full(n - positives, -0.02), 0.0]  # the zero is dropped
    assert stats.sign_test(d).p_value == pytest.approx(sps.binomtest(positives, n, 0.5).pvalue, rel=1e-9)


def test_compare_paired_point_and_interval() -> None:
    base = np.full(11, 1.0e-3)
    factors = np.array([1.01, 1.02, 1.03, 1.04, 1.05, 1.06, 1.07, 1.08, 1.09, 1.10, 1.11])
    est = stats.compare_paired(base, base * factors, confidence=0.95)
    assert est.ratio == pytest.approx(1.06, rel=1e-12)  # median paired ratio
    # n = 11, 95%: k = 2 (P(X <= 1) = 12/2048), so [d(2), d(10)] = [ln 1.02, ln 1.10].
    assert est.low == pytest.approx(1.02, rel=1e-12) and est.high == pytest.approx(1.10, rel=1e-12)
    assert est.p_value == 2 / 2**11  # every pair slower: exact sign test
    assert est.method == "sign-exact"
    wilcoxon = stats.compare_paired(base, base * factors, confidence=0.95, test="wilcoxon")
    assert (wilcoxon.method, wilcoxon.p_value) == ("wilcoxon-exact", 2 / 2**11)
    assert est.paired and est.n_baseline == est.n_candidate == 11
    with pytest.raises(ValueError, match="equal lengths"):
        stats.compare_paired([1.0, 2.0], [1.0])


def test_compare_independent_is_seeded_and_brackets_the_ratio() -> None:
    rng = np.random.default_rng(0)
    a = rng.lognormal(math.log(1e-3), 0.05, 300)
    b = rng.lognormal(math.log(1.1e-3), 0.05, 300)
    one = stats.compare_independent(a, b, confidence=0.99, seed=3)
    assert one == stats.compare_independent(a, b, confidence=0.99, seed=3)
    assert one.ratio == pytest.approx(np.median(b) / np.median(a), rel=1e-12)
    assert one.low < one.ratio < one.high
    assert one.low > 1.0 and one.p_value < 1e-10
    # Constant samples: every bootstrap median is the same, so the interval is the point.
    flat = stats.compare_independent([2.0] * 5, [3.0] * 5)
    assert flat.ratio == 1.5
    assert flat.low == pytest.approx(1.5, rel=1e-15) and flat.high == pytest.approx(1.5, rel=1e-15)


@pytest.mark.parametrize("bad", [[], [1.0, -1.0], [1.0, float("nan")], [0.0]])
def test_bad_samples_are_rejected(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="baseline"):
        stats.compare_independent(bad, [1.0])


def _estimate(ratio: float, p: float) -> RatioEstimate:
    return RatioEstimate(ratio, ratio, ratio, 0.99, p, "test", True, 10, 10)


@pytest.mark.parametrize(
    ("ratio", "p", "verdict", "words"),
    [
        (1.10, 0.001, Verdict.REGRESSION, "slower"),
        (1.10, 0.02, Verdict.UNCHANGED, "not significant"),
        (1.04, 0.001, Verdict.UNCHANGED, "within"),
        (1.05, 0.001, Verdict.UNCHANGED, "within"),  # the threshold itself is tolerated
        (0.90, 0.001, Verdict.IMPROVEMENT, "faster"),
        (0.96, 0.001, Verdict.UNCHANGED, "within"),
    ],
)
def test_classify_needs_significance_and_threshold(
    ratio: float, p: float, verdict: Verdict, words: str
) -> None:
    decision = stats.classify(_estimate(ratio, p), max_slowdown=0.05, alpha=0.01)
    assert decision.verdict is verdict
    assert words in decision.reason


def test_estimate_round_trip() -> None:
    est = _estimate(1.2, 0.5)
    assert RatioEstimate.from_dict(est.to_dict()) == est


@pytest.mark.parametrize(("text", "value"), [("5%", 0.05), ("0.05", 0.05), (" 2.5% ", 0.025), (0.1, 0.1)])
def test_parse_fraction(text: str | float, value: float) -> None:
    assert stats.parse_fraction(text) == pytest.approx(value)


@pytest.mark.parametrize(
    ("text", "message"), [("5", "ambiguous"), ("fast", "not a percentage"), ("-1%", "non-negative")]
)
def test_parse_fraction_rejects(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        stats.parse_fraction(text)
