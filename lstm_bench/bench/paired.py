"""Time several workloads of one case in interleaved rounds, and speed-ups from the paired samples.

Two medians timed seconds or minutes apart are not comparable on a shared machine: between-run
drift (frequency scaling, other load coming and going) moves one backend's median 2x while
each run's own spread stays at 1-2%. So every backend of a case is timed in the same rounds:
round r times one block of each workload back to back, in the order 0, 1, ..., k-1 when r is
even and k-1, ..., 0 when r is odd (AB, BA, AB, ... for two), and sample i of every workload
comes from round i. Drift slower than a round touches both members of a pair alike and cancels
in the paired ratio

    s_i = a_i / b_i        (a: the baseline's seconds per call, b: the backend's; s > 1: faster),

and the reported speed-up is med_i s_i with the distribution-free order-statistics interval of
a median (``stats.median_ci``): [s_(l), s_(n+1-l)], coverage P(l <= K <= n - l), K ~ Bin(n, 1/2).

Round length. Each workload is warmed up by the bench ``Timer`` (``Timer.plan``), then one
untimed round of all of them back to back measures their per-call times under the same
conditions; each workload's block in a round lasts about
R = max(min(round_time_s, PAIRED_BLOCK_S), min(slowest call, min_time_s / min_rounds)) (calls per block =
ceil(R / its per-call time)), so the workloads spend comparable time per
round and all reach ``min_time_s`` of measured time together, while one very slow workload (a
NumPy reference at a large size) does not stretch everybody's rounds beyond its own call.
Rounds go on until every workload has ``min_rounds`` samples and ``min_time_s`` of measured
time, at most ``max_rounds``. A workload that raises is dropped from the remaining rounds and
its exception returned in its place.

Clock. On a CPU at one torch thread the bench times on process CPU time
(``timer.ProcessTimeClock``): beside other load, a block's wall time grows by the scheduler
slices given away (about 3 ms each), which on blocks of a few milliseconds pulls every ratio
towards 1, while its CPU time does not. CPU time is a speed only for a workload on one thread,
so the calibration round also reads each block's wall time, and when a workload used more than
``MULTITHREADED`` CPU seconds per wall second (NumPy's BLAS threads, an XLA thread pool) the
whole case is timed on wall time instead, all its workloads alike; ``Measurement.clock`` says
which clock each case used.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from lstm_bench.bench.stats import DEFAULT_CONFIDENCE, median_ci, quantile
from lstm_bench.bench.timer import (
    Measurement,
    Plan,
    ProcessTimeClock,
    Timer,
    WallClock,
    clock_name,
    gc_paused,
)

__all__ = [
    "MULTITHREADED",
    "PAIRED_BLOCK_S",
    "CaseRounds",
    "Speedup",
    "paired_speedup",
    "time_round",
    "time_rounds",
]

#: The shortest block of calls (seconds). Short blocks make many pairs, and most of them fit
#: between two of the scheduler's time slices on a busy machine, so a pair hit by other load is
#: one outlier among many rather than a share of every pair (the A/B gate's rounds are as short).
PAIRED_BLOCK_S = 5e-4

#: A visit after other work first runs untimed rounds: at least this many...
REWARM_ROUNDS = 2
#: ...and until every workload has run this long (seconds): caches and allocators warm again.
REWARM_S = 5e-3

#: CPU seconds per wall second above which a workload counts as running on several threads.
MULTITHREADED = 1.25


@dataclass(frozen=True)
class Speedup:
    """Baseline time / backend time, as the median of ratios of interleaved pairs, with its interval."""

    baseline: str  # the backend every ratio is against (torch-native)
    ratio: float  # med_i a_i / b_i; above 1: faster than the baseline
    low: float
    high: float
    coverage: float  # the interval's actual coverage (below the asked confidence when pairs are few)
    pairs: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Speedup:
        """Inverse of ``to_dict``."""
        return cls(
            str(data["baseline"]),
            float(data["ratio"]),
            float(data["low"]),
            float(data["high"]),
            float(data["coverage"]),
            int(data["pairs"]),
        )

    def text(self, mark: str = "x") -> str:
        """'0.57x [0.55, 0.59]' (``mark`` is the multiplication sign to use)."""
        return f"{self.ratio:.2f}{mark} [{self.low:.2f}, {self.high:.2f}]"


def paired_speedup(
    baseline: str,
    baseline_s: Sequence[float],
    samples_s: Sequence[float],
    confidence: float = DEFAULT_CONFIDENCE,
) -> Speedup:
    """The speed-up over ``baseline`` from pairs (baseline_s[i], samples_s[i]) timed in the same round.

    ValueError when the lengths differ, there are no pairs, or a time is not positive.
    """
    if len(baseline_s) != len(samples_s):
        raise ValueError(f"paired samples need equal lengths, got {len(baseline_s)} and {len(samples_s)}")
    if not samples_s:
        raise ValueError("no pairs")
    if any(not (t > 0 and math.isfinite(t)) for t in (*baseline_s, *samples_s)):
        raise ValueError("paired times must be positive and finite")
    ratios = sorted(a / b for a, b in zip(baseline_s, samples_s, strict=True))
    low, high, coverage = median_ci(ratios, confidence)
    return Speedup(baseline, quantile(ratios, 0.5), low, high, coverage, len(ratios))


def time_round(
    steps: Sequence[Callable[[], object]], calls: Sequence[int], timer: Timer, index: int
) -> list[float | Exception]:
    """Round ``index`` of interleaved blocks: the seconds of ``calls[j]`` calls of ``steps[j]``, for each j.

    The blocks run back to back in the order 0, 1, ..., k-1 when ``index`` is even and k-1, ...,
    0 when it is odd (AB, BA, AB, ... for two), so every pair of neighbouring rounds cancels an
    order effect. The one round of lstm-bench's interleaving: the bench's ``CaseRounds`` and the
    A/B gate (``gate.interleave``) both take theirs here. A step that raises gets its exception
    in its place, and the other steps of the round are still timed.
    """
    order = range(len(steps)) if index % 2 == 0 else range(len(steps) - 1, -1, -1)
    out: list[float | Exception] = [0.0] * len(steps)
    for j in order:
        try:
            out[j] = timer.time_block(steps[j], calls[j])
        except Exception as exc:
            out[j] = exc
    return out


def _block_calls(per_call_s: Sequence[float], timer: Timer) -> list[int]:
    """Calls per block so that every workload's block lasts about R (see the module docstring)."""
    s = timer.settings
    shortest = min(s.round_time_s, PAIRED_BLOCK_S)
    target = max(shortest, min(max(per_call_s), s.min_time_s / s.min_rounds))
    return [max(1, math.ceil(target / t)) if t > 0 else 1 for t in per_call_s]


def _calibrate(
    steps: Sequence[Callable[[], object]],
    live: list[int],
    plans: dict[int, Plan],
    timer: Timer,
    out: list[Measurement | Exception | None],
) -> tuple[dict[int, int], dict[int, float], float]:
    """Calls per block from one untimed round of all workloads back to back (the same conditions for all).

    Warm-ups run one after another, so a load spike during one of them would make its blocks too
    short or too long; blocks of unequal length are hit unequally by the scheduler's time slices
    on a busy machine, which biases the ratios. One round of blocks sized from the warm-ups is
    run, and the per-call times it measured side by side size the blocks of the timed rounds.
    Also returns those per-call times and the largest CPU-seconds per wall second of a block
    under a ``ProcessTimeClock`` (1.0 under other clocks): above ``MULTITHREADED``, a workload
    ran on several threads.
    """
    calls = dict(zip(live, _block_calls([plans[i].per_call_estimate_s for i in live], timer), strict=True))
    measured: dict[int, float] = {}
    clock = timer.clock
    threads = 1.0
    for index in live:
        try:
            elapsed = timer.time_block(steps[index], calls[index])
        except Exception as exc:
            out[index] = exc
            continue
        measured[index] = elapsed / calls[index]
        if isinstance(clock, ProcessTimeClock) and clock.last_wall_s > 0:
            threads = max(threads, elapsed / clock.last_wall_s)
    alive = [i for i in live if out[i] is None]
    if not alive:
        return calls, measured, threads
    blocks = dict(zip(alive, _block_calls([measured[i] for i in alive], timer), strict=True))
    return blocks, measured, threads


class CaseRounds:
    """The interleaved rounds of one case's workloads, taken in one or more visits.

    ``start()`` warms every workload up and calibrates the blocks (``_calibrate``; a
    multi-threaded case switches to wall time here); each ``visit(share)`` then times rounds
    until every workload has ``share`` of its ``min_time_s`` and of its ``min_rounds``
    (cumulative: the last visit asks for share 1, the full settings), at most ``max_rounds`` in
    all. A visit after other work first runs one untimed block of each workload, so caches and
    allocators are warm again before its rounds. ``results()`` gives one Measurement or
    exception per workload; a workload that raises leaves the rotation.
    """

    def __init__(self, steps: Sequence[Callable[[], object]], timer: Timer) -> None:
        self.steps = list(steps)
        self.timer = timer
        self.out: list[Measurement | Exception | None] = [None] * len(self.steps)
        self.plans: dict[int, Plan] = {}
        self.calls: dict[int, int] = {}
        self.samples: dict[int, list[float]] = {}
        self.spent: dict[int, float] = {}
        self.live: list[int] = []
        self.expected_rounds = 0  # rounds the settings ask for, from the calibration (0: nothing to time)

    def start(self) -> None:
        """Warm up and calibrate every workload (``Timer.plan``, then ``_calibrate``)."""
        for index, step in enumerate(self.steps):
            try:
                self.plans[index] = self.timer.plan(step)
            except Exception as exc:
                self.out[index] = exc
        live = sorted(self.plans)
        if not live:
            return
        calls, per_call, threads = _calibrate(self.steps, live, self.plans, self.timer, self.out)
        live = [i for i in live if self.out[i] is None]
        if live and threads > MULTITHREADED:  # CPU time is not a speed on several threads
            self.timer = Timer(self.timer.settings, WallClock())
            calls, per_call, _ = _calibrate(self.steps, live, self.plans, self.timer, self.out)
            live = [i for i in live if self.out[i] is None]
        self.live, self.calls = live, calls
        self.samples = {i: [] for i in live}
        self.spent = dict.fromkeys(live, 0.0)
        s = self.timer.settings
        if live:
            block = max(calls[i] * per_call.get(i, 0.0) for i in live)
            wanted = math.ceil(s.min_time_s / block) if block > 0 else s.min_rounds
            self.expected_rounds = min(s.max_rounds, max(s.min_rounds, wanted))

    def visit(self, share: float = 1.0, rewarm: bool = False) -> None:
        """Time rounds until every live workload has ``share`` of the settings' time and rounds."""
        s = self.timer.settings
        time_target = s.min_time_s * share
        rounds_target = min(s.min_rounds, math.ceil(s.min_rounds * share - 1e-9))

        def reached() -> bool:
            rounds = len(self.samples[self.live[0]])
            return rounds >= s.max_rounds or (
                rounds >= rounds_target and min(self.spent[i] for i in self.live) >= time_target
            )

        if not self.live or reached():
            return
        with gc_paused():
            if rewarm:
                self._rewarm()
            while self.live and not reached():
                self._round(timed=True)

    def _rewarm(self) -> None:
        """Untimed rounds, at least ``REWARM_ROUNDS`` and until every workload ran ``REWARM_S``."""
        warm = dict.fromkeys(self.live, 0.0)
        rounds = 0
        while self.live and (rounds < REWARM_ROUNDS or min(warm[i] for i in self.live) < REWARM_S):
            for index, elapsed in self._round(timed=False).items():
                warm[index] += elapsed
            rounds += 1

    def _round(self, timed: bool) -> dict[int, float]:
        """One ``time_round`` of the live workloads (numbered by timed rounds so far); their block seconds."""
        live = self.live
        blocks = time_round(
            [self.steps[i] for i in live],
            [self.calls[i] for i in live],
            self.timer,
            len(self.samples[live[0]]),
        )
        times: dict[int, float] = {}
        for index, elapsed in zip(live, blocks, strict=True):
            if isinstance(elapsed, Exception):
                self.out[index] = elapsed
                continue
            times[index] = elapsed
            if timed:
                self.spent[index] += elapsed
                self.samples[index].append(elapsed / self.calls[index])
        self.live = [i for i in live if self.out[i] is None]
        return times

    def results(self) -> list[Measurement | Exception]:
        """One Measurement (the samples of every visit, in order) or exception per workload."""
        name = clock_name(self.timer.clock)
        final: list[Measurement | Exception] = []
        for index, result in enumerate(self.out):
            if result is not None:
                final.append(result)
            elif index in self.plans and index in self.samples:
                plan = self.plans[index]
                final.append(
                    Measurement(
                        tuple(self.samples[index]),
                        self.calls[index],
                        plan.warmup_calls,
                        plan.warmup_s,
                        plan.first_call_s,
                        name,
                    )
                )
            else:
                final.append(RuntimeError("not timed"))
        return final


def time_rounds(steps: Sequence[Callable[[], object]], timer: Timer) -> list[Measurement | Exception]:
    """Time ``steps`` in interleaved rounds in one visit (module docstring); one Measurement or exception each."""
    rounds = CaseRounds(steps, timer)
    rounds.start()
    rounds.visit()
    return rounds.results()
