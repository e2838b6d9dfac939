"""Time two workloads in one process, interleaved, and gate on the paired ratio.

Rounds alternate A B, B A, A B, ... (each round a block of ``calls_per_round`` calls timed by
the bench ``Timer``'s ``time_block``): pair i is (a_i, b_i) taken within a few milliseconds of
each other, so machine drift slower than a pair (frequency scaling, other load coming and going)
cancels in the paired log-ratio d_i = ln(b_i / a_i), and alternating which goes first cancels
any order effect (cache warmth left by the previous block). Both workloads are warmed up and
calibrated first (``Timer.plan``); both use the larger of the two calls-per-round, so every
block lasts at least the timer's ``round_time_s``.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lstm_bench.bench.timer import Timer
from lstm_bench.gate.compare import compare_timing
from lstm_bench.gate.config import GateConfig
from lstm_bench.gate.result import Comparison, TimingComparison

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


def time_interleaved(
    baseline: Callable[[], object],
    candidate: Callable[[], object],
    timer: Timer,
    *,
    pairs: int | None = None,
    progress: Progress | None = None,
) -> PairedSamples:
    """Warm up and calibrate both (``Timer.plan``), then time alternating rounds AB, BA, AB, ...

    Without ``pairs``: as many pairs as ``timer.settings`` ask for, i.e. until each side has
    ``min_time_s`` of measured time and at least ``min_rounds`` rounds, at most ``max_rounds``.
    Returns per-call seconds, one sample per round and side.
    """
    settings = timer.settings
    plan_a, plan_b = timer.plan(baseline), timer.plan(candidate)
    calls = max(plan_a.calls_per_round, plan_b.calls_per_round)
    if pairs is not None and pairs < 1:
        raise ValueError(f"pairs must be at least 1, got {pairs}")
    limit = pairs if pairs is not None else settings.max_rounds
    a: list[float] = []
    b: list[float] = []
    spent_a = spent_b = 0.0
    enabled = gc.isenabled()
    gc.disable()
    start = time.perf_counter()
    try:
        while len(a) < limit:
            if (
                pairs is None
                and len(a) >= settings.min_rounds
                and min(spent_a, spent_b) >= settings.min_time_s
            ):
                break
            if len(a) % 2 == 0:
                block_a = timer.time_block(baseline, calls)
                block_b = timer.time_block(candidate, calls)
            else:
                block_b = timer.time_block(candidate, calls)
                block_a = timer.time_block(baseline, calls)
            spent_a, spent_b = spent_a + block_a, spent_b + block_b
            a.append(block_a / calls)
            b.append(block_b / calls)
            if progress is not None:
                progress(len(a), limit)
    finally:
        if enabled:
            gc.enable()
    return PairedSamples(tuple(a), tuple(b), calls, time.perf_counter() - start)


def gate_paired(name: str, samples: PairedSamples, config: GateConfig) -> TimingComparison:
    """The verdict on one interleaved A/B measurement (median paired ratio, sign test)."""
    return compare_timing(name, samples.baseline_s, samples.candidate_s, config, paired=True)


def paired_comparison(
    timings: list[TimingComparison], config: GateConfig, *, baseline: str, candidate: str
) -> Comparison:
    """A ``Comparison`` of interleaved A/B timings, rendered like ``lstm-bench compare``'s."""
    return Comparison(
        baseline=baseline, candidate=candidate, config=config, timings=tuple(timings), paired=True
    )
