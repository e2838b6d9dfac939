"""lstm_bench.bench.stats against exact numbers."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lstm_bench.bench.stats import Summary, median, median_ci, median_interval_coverage, quantile, summarize


def test_quartiles_of_one_to_ten_are_the_type_7_values() -> None:
    values = [float(v) for v in range(1, 11)]
    assert quantile(values, 0.25) == 3.25  # h = 9/4 = 2.25: 3 + 0.25 * (4 - 3)
    assert quantile(values, 0.5) == 5.5
    assert quantile(values, 0.75) == 7.75
    assert quantile(values, 0.0) == 1.0 and quantile(values, 1.0) == 10.0
    assert median([3.0, 1.0, 2.0]) == 2.0


@given(st.lists(st.floats(0, 1e3, allow_nan=False), min_size=1, max_size=40), st.floats(0, 1))
def test_quantile_equals_numpy_linear(values: list[float], p: float) -> None:
    assert quantile(sorted(values), p) == pytest.approx(float(np.quantile(values, p)), rel=1e-12, abs=1e-12)


def test_median_interval_coverage_is_the_binomial_probability() -> None:
    # n = 10: P(2 <= K <= 8) = 1 - 2 (C(10,0) + C(10,1)) / 2^10 = 1 - 22/1024
    assert median_interval_coverage(10, 2) == float(1 - Fraction(22, 1024))
    assert median_interval_coverage(10, 3) == float(1 - Fraction(2 * (1 + 10 + 45), 1024))
    assert median_interval_coverage(5, 1) == float(1 - Fraction(2, 32))
    assert median_interval_coverage(4, 3) == 0.0  # no such interval


def test_median_ci_picks_the_narrowest_interval_reaching_the_confidence() -> None:
    values = [float(v) for v in range(10, 0, -1)]  # unsorted on purpose
    low, high, coverage = median_ci(values, 0.95)
    assert (low, high) == (2.0, 9.0)  # rank 2: 0.9785 >= 0.95; rank 3: 0.8906 < 0.95
    assert coverage == pytest.approx(1002 / 1024)
    low, high, coverage = median_ci(values, 0.80)
    assert (low, high) == (3.0, 8.0)
    assert coverage == pytest.approx(1 - 112 / 1024)


def test_median_ci_with_too_few_samples_reports_the_coverage_it_has() -> None:
    low, high, coverage = median_ci([5.0, 1.0, 3.0, 2.0, 4.0], 0.95)
    assert (low, high) == (1.0, 5.0)
    assert coverage == pytest.approx(0.9375)  # below 0.95: five samples cannot do better
    assert median_ci([2.0], 0.95) == (2.0, 2.0, 0.0)


def test_summary_numbers_and_noise_rule() -> None:
    s = summarize([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    assert (s.n, s.median_s, s.q1_s, s.q3_s, s.min_s, s.max_s, s.mean_s) == (
        10,
        5.5,
        3.25,
        7.75,
        1.0,
        10.0,
        5.5,
    )
    assert s.iqr_s == 4.5
    assert s.relative_iqr == pytest.approx(4.5 / 5.5)
    assert s.noisy
    quiet = summarize([1.00, 1.01, 1.02, 1.03, 1.04])  # IQR 0.02 on 1.02: under 10%
    assert not quiet.noisy
    just_over = summarize([1.0, 1.0625, 1.125, 1.1875, 1.25])  # IQR 0.125 on 1.125: 11.1%
    assert just_over.relative_iqr == 0.125 / 1.125 and just_over.noisy


def test_summary_round_trips_and_rejects_bad_samples() -> None:
    s = summarize([0.003, 0.001, 0.002, 0.004, 0.0025, 0.0031, 0.0029])
    assert Summary.from_dict(s.to_dict()) == s
    assert s.to_dict()["noisy"] is s.noisy
    with pytest.raises(ValueError):
        summarize([])
    with pytest.raises(ValueError):
        summarize([1.0, math.nan])
    with pytest.raises(ValueError):
        summarize([-1.0])
    with pytest.raises(ValueError):
        median_ci([1.0], 1.5)
