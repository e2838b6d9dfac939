"""The group-sequential A/B rule: schedule, exact boundaries, decisions, error rates, and the driver."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from gate_helpers import Machine, scipy_stats

from lstm_bench.bench.stats import binomial_half_cdf, median_ci_rank
from lstm_bench.bench.timer import Timer, TimerSettings
from lstm_bench.gate import interleave
from lstm_bench.gate.interleave import Budget, gate_sequential, sequential_timing
from lstm_bench.gate.sequential import (
    CONFIRM_ALPHA,
    confirm_change,
    decide_look,
    look_schedule,
    min_pairs_to_reject,
    plan_design,
    sequential_design,
    sequential_verdict,
)
from lstm_bench.gate.stats import Verdict

SETTINGS = TimerSettings(min_time_s=0.0, min_rounds=1, max_rounds=10**6, round_time_s=0.0, warmup_s=0.0)


def test_the_sign_test_needs_8_pairs_at_alpha_0_01() -> None:
    # 2 * 0.5^7 = 0.0156 > 0.01 (the issue's 7 rounds could never reject), 2 * 0.5^8 = 0.0078.
    assert min_pairs_to_reject(0.01) == 8
    assert min_pairs_to_reject(0.05) == 6
    with pytest.raises(ValueError, match="alpha"):
        min_pairs_to_reject(0.0)


def test_look_schedule_doubles_to_the_cap() -> None:
    assert look_schedule(16, 4096) == (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
    assert look_schedule(16, 150) == (16, 32, 64, 150)  # 150 < 1.25 x 128: replaces 128
    assert look_schedule(16, 200) == (16, 32, 64, 128, 200)
    assert look_schedule(16, 10) == (16,)  # the first look is a floor
    with pytest.raises(ValueError, match="at least 1 pair"):
        look_schedule(0, 10)


@pytest.mark.parametrize("n", [8, 16, 40, 301])
def test_one_look_is_the_fixed_sample_order_statistics_interval(n: int) -> None:
    design = sequential_design(0.01, (n,))
    rank, coverage = median_ci_rank(n, 0.99)
    assert design.ranks == (rank,)
    assert design.nominal_alphas[0] == pytest.approx(1.0 - coverage, abs=1e-15)
    assert design.spent[0] == pytest.approx(design.nominal_alphas[0], rel=1e-9) and design.spent[0] <= 0.01


def _miss_probability_by_enumeration(looks: tuple[int, ...], ranks: tuple[int, ...]) -> float:
    """P(some look's interval misses m) over all 2^n sign patterns of the walk W (exact)."""
    n, misses = looks[-1], 0
    for steps in itertools.product((0, 1), repeat=n):
        walk = np.cumsum(steps)
        if any(
            r and (walk[k - 1] <= r - 1 or walk[k - 1] >= k + 1 - r)
            for k, r in zip(looks, ranks, strict=True)
        ):
            misses += 1
    return misses / 2**n


def test_boundaries_are_exact_against_enumeration() -> None:
    design = sequential_design(0.25, (5, 10, 14))
    assert all(r >= 1 for r in design.ranks)
    assert design.spent[-1] == pytest.approx(
        _miss_probability_by_enumeration(design.looks, design.ranks), abs=1e-12
    )
    assert all(s <= 0.25 * (k + 1) / 3 + 1e-12 for k, s in enumerate(design.spent))
    # Each rank is the largest that fits its share: one more would overspend.
    for k in range(3):
        bigger = tuple(r + (i == k) for i, r in enumerate(design.ranks[: k + 1]))
        assert _miss_probability_by_enumeration(design.looks[: k + 1], bigger) > 0.25 * (k + 1) / 3


def test_nominal_levels_match_scipy_binomtest() -> None:
    sps = scipy_stats()
    design = plan_design(0.01, 4096)
    assert design.looks == (16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
    assert design.spent[-1] <= 0.01
    for n, rank, nominal in zip(design.looks, design.ranks, design.nominal_alphas, strict=True):
        assert nominal == pytest.approx(sps.binomtest(rank - 1, n, 0.5).pvalue, rel=1e-9)
        assert binomial_half_cdf(n)[rank - 1] == pytest.approx(sps.binom.cdf(rank - 1, n, 0.5), rel=1e-9)
    # Spending over 9 looks costs about half of each look's level, far less than Bonferroni's ninth.
    assert min(design.nominal_alphas[2:]) > 0.01 / 9


def test_walk_simulation_agrees_with_the_exact_error() -> None:
    design = plan_design(0.05, 256)
    rng = np.random.default_rng(1)
    walks = np.cumsum(rng.integers(0, 2, size=(20_000, 256)), axis=1)
    missed = np.zeros(20_000, dtype=bool)
    for n, r in zip(design.looks, design.ranks, strict=True):
        w = walks[:, n - 1]
        missed |= (w <= r - 1) | (w >= n + 1 - r)
    sd = math.sqrt(design.spent[-1] * (1 - design.spent[-1]) / 20_000)
    assert abs(missed.mean() - design.spent[-1]) < 4 * sd


def test_decide_look_by_the_interval_with_exact_numbers() -> None:
    design = sequential_design(0.01, (16,))  # 2 P(X <= 2) = 2 (1 + 16 + 120) / 2^16 <= 0.01: [d(3), d(14)]
    assert design.ranks == (3,) and design.nominal_alphas[0] == 2 * 137 / 2**16
    spread = np.array(
        [0.90, 0.95, 0.99, 1.00, 1.01, 1.02, 1.03, 1.04, 1.04, 1.05, 1.06, 1.07, 1.08, 1.10, 1.15, 1.30]
    )
    slower = decide_look(np.log(spread * 1.05), design, 0, 0.03, final=False)
    assert slower.verdict is Verdict.REGRESSION
    assert (slower.estimate.low, slower.estimate.high) == pytest.approx((0.99 * 1.05, 1.10 * 1.05), rel=1e-12)
    assert slower.estimate.ratio == pytest.approx(1.04 * 1.05, rel=1e-12)
    assert slower.estimate.nominal_alpha == 2 * 137 / 2**16 and "look 1/1, 16 pairs" in slower.reason
    faster = decide_look(-np.log(spread * 1.05), design, 0, 0.03, final=False)
    assert faster.verdict is Verdict.IMPROVEMENT
    # [0.99, 1.10]: neither significant nor inside ±3%: look again, or inconclusive at the last look.
    assert decide_look(np.log(spread), design, 0, 0.03, final=False).verdict is None
    undecided = decide_look(np.log(spread), design, 0, 0.03, final=True)
    assert undecided.verdict is Verdict.INCONCLUSIVE and "cannot decide" in undecided.reason
    narrow = np.array([0.9, 0.95, 0.99, *[1.0] * 10, 1.01, 1.02, 1.2])
    same = decide_look(np.log(narrow), design, 0, 0.03, final=False)
    assert same.verdict is Verdict.UNCHANGED and (same.estimate.low, same.estimate.high) == pytest.approx(
        (0.99, 1.01)
    )
    with pytest.raises(ValueError, match="needs 16 log-ratios"):
        decide_look(np.zeros(10), design, 0, 0.03, final=True)


def _heavy_tailed(rng: np.random.Generator, n: int) -> np.ndarray:
    """Shared-machine noise: Student t (2 d.o.f.) at 5%, and 5% of pairs hit by load, of either sign."""
    x = 0.05 * rng.standard_t(2, n)
    hit = rng.random(n) < 0.05
    x[hit] += rng.choice([-1.0, 1.0], int(hit.sum())) * rng.exponential(0.5, int(hit.sum()))
    return x


def _simulate(effect: float, trials: int, seed: int) -> dict[Verdict, int]:
    design = plan_design(0.01, 1024)
    rng = np.random.default_rng(seed)
    counts = dict.fromkeys(Verdict, 0)
    for _ in range(trials):  # 2048: a change at the last look has its fresh pairs too
        _, result = sequential_verdict(math.log1p(effect) + _heavy_tailed(rng, 2048), design, 0.03)
        assert result.verdict is not None
        counts[result.verdict] += 1
    return counts


def test_simulated_error_rates_under_heavy_tailed_noise() -> None:
    same = _simulate(0.0, 2000, seed=0)
    assert same[Verdict.REGRESSION] + same[Verdict.IMPROVEMENT] <= 20  # false alarms <= 1%
    assert same[Verdict.UNCHANGED] >= 1900  # and identical code is decided ok, not left open
    slower5 = _simulate(0.05, 500, seed=1)
    assert slower5[Verdict.REGRESSION] >= 0.95 * 500
    slower10 = _simulate(0.10, 500, seed=2)
    assert slower10[Verdict.REGRESSION] >= 0.99 * 500


def test_sequential_verdict_stops_at_the_first_decision() -> None:
    design = plan_design(0.01, 64)
    look, result = sequential_verdict(np.full(64, math.log(1.2)), design, 0.03)
    assert (look, result.verdict, result.estimate.n_candidate) == (0, Verdict.REGRESSION, 16)
    assert result.confirmation is not None and result.confirmation.pairs == 16
    with pytest.raises(ValueError, match="first look needs 16"):
        sequential_verdict(np.zeros(3), design, 0.03)


def test_confirm_change_is_the_exact_one_sided_sign_test() -> None:
    # P(Binomial(16, 1/2) >= 12) = 2517 / 65536 = 0.0384 <= 0.05; >= 11: 0.105
    twelve = np.r_[np.full(12, 0.1), np.full(4, -0.1)]
    check = confirm_change(twelve, Verdict.REGRESSION)
    assert check.p_value == pytest.approx(2517 / 65536) and check.confirmed and check.agreeing == 12
    assert not confirm_change(np.r_[np.full(11, 0.1), np.full(5, -0.1)], Verdict.REGRESSION).confirmed
    assert confirm_change(-twelve, Verdict.IMPROVEMENT).confirmed
    assert not confirm_change(twelve, Verdict.IMPROVEMENT).confirmed  # the other direction: p ~ 0.99
    assert confirm_change(np.zeros(16), Verdict.REGRESSION).p_value == 1.0  # ties carry no direction
    assert check.alpha == CONFIRM_ALPHA
    with pytest.raises(ValueError, match="only a regression or an improvement"):
        confirm_change(twelve, Verdict.UNCHANGED)


@pytest.mark.parametrize("agreeing", [0, 5, 12, 16])
def test_confirm_change_matches_scipy_binomtest(agreeing: int) -> None:
    sps = scipy_stats()
    d = np.r_[np.full(agreeing, 0.1), np.full(16 - agreeing, -0.1)]
    expected = sps.binomtest(agreeing, 16, 0.5, alternative="greater").pvalue
    assert confirm_change(d, Verdict.REGRESSION).p_value == pytest.approx(expected)


def _transient(rng: np.random.Generator, n: int, hit: int) -> np.ndarray:
    """Identical code whose first ``hit`` pairs were all slowed by other load: +8% each, then 1% noise."""
    d = 0.01 * rng.standard_normal(n)
    d[:hit] = math.log(1.08) + 0.005 * rng.standard_normal(hit)
    return d


def test_a_transient_at_the_first_look_is_not_confirmed() -> None:
    design = plan_design(0.01, 1024)
    d = _transient(np.random.default_rng(0), 2048, 16)
    # without the confirmation, the first look alone is a false regression
    assert decide_look(d, design, 0, 0.03, final=False).verdict is Verdict.REGRESSION
    look, result = sequential_verdict(d, design, 0.03)
    assert result.verdict is Verdict.UNCHANGED and look >= 1
    # a real +8% of the same size is confirmed at once
    real = math.log(1.08) + 0.01 * np.random.default_rng(1).standard_normal(2048)
    assert sequential_verdict(real, design, 0.03)[1].verdict is Verdict.REGRESSION


def test_an_unconfirmed_change_at_the_last_look_is_inconclusive() -> None:
    design = plan_design(0.01, 16)  # one look
    d = _transient(np.random.default_rng(0), 32, 16)
    look, result = sequential_verdict(d, design, 0.03)
    assert (look, result.verdict) == (0, Verdict.INCONCLUSIVE)
    assert result.confirmation is not None and not result.confirmation.confirmed
    assert result.reason.startswith("cannot decide:") and "not confirmed on 16 fresh pairs" in result.reason


# --------------------------------------------------------------------------------------------
# The driver on a simulated clock
# --------------------------------------------------------------------------------------------


def simulated_time(monkeypatch: pytest.MonkeyPatch) -> Machine:
    """A ``Machine`` that is also the driver's wall clock: the time budget counts simulated seconds."""
    machine = Machine()

    class Clock:
        @staticmethod
        def perf_counter() -> float:
            return machine.now

    monkeypatch.setattr(interleave, "time", Clock)
    return machine


def test_gate_sequential_decides_a_clear_slowdown_at_the_first_look() -> None:
    machine = Machine()
    outcome = gate_sequential(
        machine.workload(1e-3),
        machine.workload(1.2e-3),
        Timer(SETTINGS, machine),
        alpha=0.01,
        max_slowdown=0.03,
    )
    assert outcome.result.verdict is Verdict.REGRESSION and outcome.stopped == "decided"
    # the first look's 16 pairs decide, the next 16 confirm
    assert outcome.look == 0 and len(outcome.samples.baseline_s) == 32
    timing = sequential_timing("case", outcome, 0.03)
    assert timing.pairs == 16 and timing.design is not None and timing.estimate is not None
    assert timing.confirmation is not None and timing.confirmation["pairs"] == 16
    assert timing.confirmation["agreeing"] == 16 and timing.confirmation["confirmed"] is True
    assert timing.to_dict()["interval"] == [pytest.approx(1.2), pytest.approx(1.2)]
    assert "confirmed on 16 fresh pairs, 16 slower" in timing.reason


def test_gate_sequential_is_inconclusive_when_the_budget_is_spent() -> None:
    machine = Machine()
    rng = np.random.default_rng(0)
    jitter = rng.lognormal(0.0, 0.2, 10**5)
    outcome = gate_sequential(
        machine.workload(1e-3),
        machine.workload(1.03e-3, lambda i: float(jitter[i])),
        Timer(SETTINGS, machine),
        alpha=0.01,
        max_slowdown=0.03,
        budget=Budget(max_pairs=64),
    )
    assert outcome.result.verdict is Verdict.INCONCLUSIVE and outcome.stopped == "last look"
    assert outcome.design.looks == (16, 32, 64) and len(outcome.samples.baseline_s) == 64
    assert "cannot decide" in outcome.result.reason


def test_the_time_budget_is_a_cap_and_the_last_look_taken_is_final(monkeypatch: pytest.MonkeyPatch) -> None:
    machine = simulated_time(monkeypatch)
    rng = np.random.default_rng(0)
    jitter = rng.lognormal(0.0, 0.2, 10**5)
    slow_later = lambda i: float(jitter[i]) * (1.0 if i < 40 else 10.0)  # noqa: E731 - the machine slows down
    outcome = gate_sequential(
        machine.workload(1e-3),
        machine.workload(1.03e-3, slow_later),
        Timer(SETTINGS, machine),
        alpha=0.01,
        max_slowdown=0.03,
        budget=Budget(max_pairs=1024, seconds=0.2),  # planned from warm-up: about 100 pairs
    )
    assert outcome.stopped == "time budget" and outcome.result.verdict is Verdict.INCONCLUSIVE
    n = outcome.design.looks[outcome.look]
    assert n < len(outcome.samples.baseline_s) < outcome.design.looks[outcome.look + 1]
    assert outcome.result.estimate.n_candidate == n


def test_the_driver_filters_a_transient_and_keeps_the_record(monkeypatch: pytest.MonkeyPatch) -> None:
    machine = Machine()
    rng = np.random.default_rng(0)
    jitter_a, jitter_b = rng.lognormal(0.0, 0.01, 10**5), rng.lognormal(0.0, 0.01, 10**5)
    start: list[float] = []

    def transient(i: int) -> float:  # the candidate is slowed by 10% for its first 40 ms of pairs
        if not start:
            start.append(machine.now)
        return float(jitter_b[i]) * (1.10 if machine.now - start[0] < 0.04 else 1.0)

    timer = Timer(SETTINGS, machine)
    outcome = gate_sequential(
        machine.workload(1e-3, lambda i: float(jitter_a[i])),
        machine.workload(1e-3, transient),
        timer,
        alpha=0.01,
        max_slowdown=0.03,
        budget=Budget(max_pairs=256),
    )
    assert outcome.unconfirmed and not any(c.confirmed for c in outcome.unconfirmed)  # looks 1 and 2 crossed
    assert outcome.result.verdict is Verdict.UNCHANGED and outcome.look >= 1


def test_a_confirmation_cut_by_the_time_budget_is_inconclusive(monkeypatch: pytest.MonkeyPatch) -> None:
    machine = simulated_time(monkeypatch)
    plan_calls = 2  # Timer.plan's calls of each workload before pair 0

    def baseline_noise(i: int) -> float:  # from pair 32 on the machine is 50x slower
        return 50.0 if i - plan_calls >= 32 else 1.0

    def candidate_noise(i: int) -> float:  # 20% slower but every 4th of the first 16 pairs faster, then equal
        j = i - plan_calls
        return 0.7 if j < 16 and j % 4 == 0 else (50.0 / 1.2 if j >= 32 else 1.0)

    outcome = gate_sequential(
        machine.workload(1e-3, baseline_noise),
        machine.workload(1.2e-3, candidate_noise),
        Timer(SETTINGS, machine),
        alpha=0.01,
        max_slowdown=0.03,
        budget=Budget(max_pairs=1024, seconds=0.3),
    )
    assert outcome.look == 1 and outcome.stopped == "time budget"  # look 2 found the regression
    assert (
        outcome.result.verdict is Verdict.INCONCLUSIVE
        and "not confirmed on 2 fresh pairs" in outcome.result.reason
    )
    assert len(outcome.samples.baseline_s) == 34
    # the first look and its confirmation are always completed, however small the budget
    quick = gate_sequential(
        machine.workload(1e-3),
        machine.workload(1.2e-3),
        Timer(SETTINGS, machine),
        alpha=0.01,
        max_slowdown=0.03,
        budget=Budget(max_pairs=1024, seconds=1e-3),
    )
    assert quick.result.verdict is Verdict.REGRESSION and len(quick.samples.baseline_s) == 32


def test_budget_validation_and_cap() -> None:
    assert Budget(max_pairs=4096, seconds=60).cap(0.4) == 135  # 200 ms calls: 90% of 60 s
    assert Budget(max_pairs=4096, seconds=60).cap(1e-3) == 4096
    assert Budget(seconds=1.0).cap(10.0) == 16  # the first look is a floor
    with pytest.raises(ValueError, match="first look"):
        Budget(max_pairs=8)
    with pytest.raises(ValueError, match="positive seconds"):
        Budget(seconds=0.0)


def _simulated_case(
    monkeypatch: pytest.MonkeyPatch, cost: float, slowdown: float, sigma: float, seed: int
) -> interleave.SequentialOutcome:
    """One A/B case on simulated time (the time budget counts simulated seconds), lognormal noise per call."""
    machine = simulated_time(monkeypatch)
    rng = np.random.default_rng(seed)
    noise_a, noise_b = rng.lognormal(0.0, sigma, 10**4), rng.lognormal(0.0, sigma, 10**4)
    return gate_sequential(
        machine.workload(cost, lambda i: float(noise_a[i])),
        machine.workload(cost * (1 + slowdown), lambda i: float(noise_b[i])),
        Timer(SETTINGS, machine),
        alpha=0.01,
        max_slowdown=0.03,
    )


def test_the_issue_case_is_caught_a_70_ms_call_20_percent_slower(monkeypatch: pytest.MonkeyPatch) -> None:
    # forward-backward I256-H256-B32-T100, about 70 ms a call, 20% slower: the fixed 1 s per side got 7
    # pairs and could not reject; the sequential gate takes at least 16 and decides.
    outcome = _simulated_case(monkeypatch, 0.07, 0.20, 0.05, seed=0)
    assert outcome.result.verdict is Verdict.REGRESSION and outcome.stopped == "decided"
    assert 16 <= outcome.result.estimate.n_candidate <= 64


@pytest.mark.parametrize("seed", range(5))
def test_the_default_budget_lets_a_200_ms_case_decide(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    # 200 ms calls with 3% noise per call: identical code is decided ok, +5% a regression, within 60 s.
    same = _simulated_case(monkeypatch, 0.2, 0.0, 0.03, seed)
    assert same.result.verdict is Verdict.UNCHANGED and same.samples.seconds <= 60.0
    slower = _simulated_case(monkeypatch, 0.2, 0.05, 0.03, seed + 10)
    assert slower.result.verdict is Verdict.REGRESSION and slower.samples.seconds <= 60.0
    assert (
        same.design.looks[:3] == (16, 32, 64) and 120 <= same.design.looks[3] <= 150
    )  # 0.9 x 60 s / 0.4 s a pair
