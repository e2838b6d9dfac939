"""Time two workloads in one process, interleaved, and gate on the paired ratio, sequentially.

Rounds alternate A B, B A, A B, ... (each round a block of ``calls_per_round`` calls timed by
the bench ``Timer``'s ``time_block``): pair i is (a_i, b_i) taken within a few milliseconds of
each other, so machine drift slower than a pair (frequency scaling, other load coming and going)
cancels in the paired log-ratio d_i = ln(b_i / a_i), and alternating which goes first cancels
any order effect (cache warmth left by the previous block). Both workloads are warmed up and
calibrated first (``Timer.plan``); both use the larger of the two calls-per-round, so every
block lasts at least the timer's ``round_time_s``.

``gate_sequential`` (what ``bench --baseline-impl`` runs) adds pairs until a look of the
group-sequential design (``lstm_bench.gate.sequential``) reaches a verdict, or the per-case
``Budget`` (pairs, seconds) is spent: the looks are planned before the first timed pair from the
warm-up's per-call estimate (as many doubling looks as fit in the budget), the time budget is a
cap (when it runs out before the next look, the last look taken is final, which can only lose
power, never validity), and the first look is always completed. A regression or improvement at
look k is then confirmed on the next n_k pairs (``sequential.settle_change``; those of the first
look always completed, later ones within the time budget); unconfirmed, the gate goes on to the
next look, and is inconclusive at the last.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstm_bench.bench.paired import time_round
from lstm_bench.bench.timer import Timer, gc_paused
from lstm_bench.gate.compare import compare_timing
from lstm_bench.gate.config import GateConfig
from lstm_bench.gate.result import Comparison, TimingComparison
from lstm_bench.gate.sequential import (
    CHANGES,
    DEFAULT_FIRST_LOOK,
    DEFAULT_MAX_PAIRS,
    MAX_PAIRS_LIMIT,
    Confirmation,
    LookResult,
    SequentialDesign,
    decide_look,
    plan_design,
    settle_change,
)
from lstm_bench.gate.stats import Verdict, paired_log_ratios

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class PairedSamples:
    """Per-call seconds of A (baseline) and B (candidate), pair i timed back to back."""

    baseline_s: tuple[float, ...]
    candidate_s: tuple[float, ...]
    calls_per_round: int
    seconds: float  # wall time of the timed rounds

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "baseline_s": list(self.baseline_s),
            "candidate_s": list(self.candidate_s),
            "calls_per_round": self.calls_per_round,
            "seconds": self.seconds,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PairedSamples:
        """Inverse of ``to_dict``."""
        return cls(
            tuple(float(x) for x in data["baseline_s"]),
            tuple(float(x) for x in data["candidate_s"]),
            int(data["calls_per_round"]),
            float(data["seconds"]),
        )


class _Rounds:
    """Takes pair after pair: rounds AB, BA, AB, ... of ``calls`` calls each (``paired.time_round``), per-call seconds kept."""

    def __init__(
        self, baseline: Callable[[], object], candidate: Callable[[], object], timer: Timer, calls: int
    ):
        self.baseline, self.candidate, self.timer, self.calls = baseline, candidate, timer, calls
        self.a: list[float] = []
        self.b: list[float] = []
        self.spent_a = self.spent_b = 0.0

    def take(self) -> None:
        """One pair: ``paired.time_round`` of (baseline, candidate); an exception of either is raised."""
        calls = self.calls
        block_a, block_b = time_round(
            [self.baseline, self.candidate], [calls, calls], self.timer, len(self.a)
        )
        if isinstance(block_a, Exception):
            raise block_a
        if isinstance(block_b, Exception):
            raise block_b
        self.spent_a, self.spent_b = self.spent_a + block_a, self.spent_b + block_b
        self.a.append(block_a / calls)
        self.b.append(block_b / calls)

    def samples(self, seconds: float) -> PairedSamples:
        return PairedSamples(tuple(self.a), tuple(self.b), self.calls, seconds)


def time_interleaved(
    baseline: Callable[[], object],
    candidate: Callable[[], object],
    timer: Timer,
    *,
    pairs: int | None = None,
    progress: Progress | None = None,
) -> PairedSamples:
    """Warm up and calibrate both (``Timer.plan``), then time alternating rounds AB, BA, AB, ...

    A fixed-size measurement (the sequential gate is ``gate_sequential``). Without ``pairs``: as
    many pairs as ``timer.settings`` ask for, i.e. until each side has ``min_time_s`` of measured
    time and at least ``min_rounds`` rounds, at most ``max_rounds``. Returns per-call seconds,
    one sample per round and side.
    """
    settings = timer.settings
    plan_a, plan_b = timer.plan(baseline), timer.plan(candidate)
    if pairs is not None and pairs < 1:
        raise ValueError(f"pairs must be at least 1, got {pairs}")
    rounds = _Rounds(baseline, candidate, timer, max(plan_a.calls_per_round, plan_b.calls_per_round))
    limit = pairs if pairs is not None else settings.max_rounds
    start = time.perf_counter()
    with gc_paused():
        while len(rounds.a) < limit:
            if (
                pairs is None
                and len(rounds.a) >= settings.min_rounds
                and min(rounds.spent_a, rounds.spent_b) >= settings.min_time_s
            ):
                break
            rounds.take()
            if progress is not None:
                progress(len(rounds.a), limit)
    return rounds.samples(time.perf_counter() - start)


DEFAULT_CASE_SECONDS = 60.0  # a 200 ms call: 135 pairs, looks at 16, 32, 64 and 135
PLANNED_SHARE = 0.9  # looks are planned to end at 90% of the time budget: a margin for a slower machine


@dataclass(frozen=True)
class Budget:
    """What one A/B case may spend: at most ``max_pairs`` pairs and ``seconds`` of timed rounds (a cap).

    The first look (``first_look`` pairs, or more when alpha needs it) is always completed.
    """

    max_pairs: int = DEFAULT_MAX_PAIRS
    seconds: float = DEFAULT_CASE_SECONDS
    first_look: int = DEFAULT_FIRST_LOOK

    def __post_init__(self) -> None:
        if not 1 <= self.first_look <= self.max_pairs <= MAX_PAIRS_LIMIT:
            raise ValueError(
                f"need 1 <= first look ({self.first_look}) <= max pairs ({self.max_pairs}) <= {MAX_PAIRS_LIMIT}"
            )
        if not self.seconds > 0 or not math.isfinite(self.seconds):
            raise ValueError(f"the time budget must be positive seconds, got {self.seconds}")

    def cap(self, pair_estimate_s: float) -> int:
        """The planned number of pairs: ``max_pairs``, or fewer when pairs of ``pair_estimate_s`` would overrun 90% of ``seconds``."""
        if pair_estimate_s <= 0:
            return self.max_pairs
        fits = math.floor(PLANNED_SHARE * self.seconds / pair_estimate_s)
        return max(self.first_look, min(self.max_pairs, fits))


@dataclass(frozen=True)
class SequentialOutcome:
    """A sequential A/B case: every pair timed, the design, the deciding look and why it stopped."""

    samples: PairedSamples
    design: SequentialDesign
    look: int  # 0-based index of the look whose result is final
    result: LookResult
    stopped: str  # 'decided'; 'last look' (all planned pairs taken); 'time budget' (ran out before a look)
    # change verdicts of earlier looks that the fresh pairs after them did not confirm
    unconfirmed: tuple[Confirmation, ...] = ()


class _Pairs:
    """``_Rounds`` under the case's time budget: pairs taken only while the next one fits."""

    def __init__(
        self, rounds: _Rounds, budget: Budget, pair_estimate_s: float, planned: int, progress: Progress | None
    ):
        self.rounds, self.budget, self.progress = rounds, budget, progress
        self.pair_s = pair_estimate_s  # the last pair's wall time
        self.planned = planned  # the last look's pairs, for the progress line
        self.start = time.perf_counter()

    def fill(self, n: int, *, always: bool) -> bool:
        """Take pairs until there are ``n`` (``always``: whatever the budget); whether there are."""
        rounds = self.rounds
        while len(rounds.a) < n and (always or self.elapsed() + self.pair_s <= self.budget.seconds):
            before = time.perf_counter()
            rounds.take()
            self.pair_s = time.perf_counter() - before
            if self.progress is not None:
                self.progress(len(rounds.a), max(self.planned, n))
        return len(rounds.a) >= n

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def log_ratios(self, begin: int, end: int) -> np.ndarray:
        return paired_log_ratios(self.rounds.a[begin:end], self.rounds.b[begin:end])


def gate_sequential(
    baseline: Callable[[], object],
    candidate: Callable[[], object],
    timer: Timer,
    *,
    alpha: float,
    max_slowdown: float,
    budget: Budget | None = None,
    progress: Progress | None = None,
) -> SequentialOutcome:
    """Warm up and calibrate both, plan the looks, then take pairs until a look decides or the budget is spent.

    A change verdict at look k stands once the next n_k pairs confirm it (``settle_change``).
    """
    budget = budget or Budget()
    plan_a, plan_b = timer.plan(baseline), timer.plan(candidate)
    calls = max(plan_a.calls_per_round, plan_b.calls_per_round)
    pair_estimate = calls * (plan_a.per_call_estimate_s + plan_b.per_call_estimate_s)
    design = plan_design(alpha, budget.cap(pair_estimate), budget.first_look)
    rounds = _Rounds(baseline, candidate, timer, calls)
    pairs = _Pairs(rounds, budget, pair_estimate, design.looks[-1], progress)
    look, stopped = 0, "last look"
    result: LookResult | None = None  # the verdict should the case end now
    unconfirmed: list[Confirmation] = []
    with gc_paused():
        for k, n in enumerate(design.looks):
            if not pairs.fill(n, always=k == 0):
                stopped = "time budget"  # before look k: the previous look's result is final
                break
            look = k
            # final=True: 'inconclusive' here is what the case says should it end at this look
            result = decide_look(pairs.log_ratios(0, n), design, k, max_slowdown, final=True)
            if result.verdict in CHANGES:
                complete = pairs.fill(2 * n, always=k == 0)
                result = settle_change(result, pairs.log_ratios(n, 2 * n))
                if result.verdict is not Verdict.INCONCLUSIVE:
                    stopped = "decided"
                    break
                if result.confirmation is not None:
                    unconfirmed.append(result.confirmation)
                if not complete:
                    stopped = "time budget"
                    break
            elif result.verdict is Verdict.UNCHANGED:
                stopped = "decided"
                break
    assert result is not None  # the first look is always taken
    samples = rounds.samples(pairs.elapsed())
    return SequentialOutcome(samples, design, look, result, stopped, tuple(unconfirmed))


def sequential_timing(name: str, outcome: SequentialOutcome, max_slowdown: float) -> TimingComparison:
    """The ``TimingComparison`` of a sequential case: medians of the pairs used, the look's estimate and verdict."""
    n = outcome.design.looks[outcome.look]
    a, b = outcome.samples.baseline_s[:n], outcome.samples.candidate_s[:n]
    confirmation = outcome.result.confirmation
    return TimingComparison(
        name,
        float(np.median(a)),
        float(np.median(b)),
        outcome.result.estimate,
        outcome.result.verdict or Verdict.INCONCLUSIVE,
        outcome.result.reason,
        max_slowdown,
        pairs=n,
        seconds=outcome.samples.seconds,
        stopped=outcome.stopped,
        design=outcome.design.to_dict(),
        confirmation=None if confirmation is None else confirmation.to_dict(),
    )


def gate_paired(name: str, samples: PairedSamples, config: GateConfig) -> TimingComparison:
    """The verdict on one fixed-size interleaved A/B measurement (median paired ratio, sign test, ``stats.decide``)."""
    return compare_timing(name, samples.baseline_s, samples.candidate_s, config, paired=True)


def paired_comparison(
    timings: list[TimingComparison], config: GateConfig, *, baseline: str, candidate: str
) -> Comparison:
    """A ``Comparison`` of interleaved A/B timings, rendered like ``lstm-bench compare``'s."""
    return Comparison(
        baseline=baseline, candidate=candidate, config=config, timings=tuple(timings), paired=True
    )
