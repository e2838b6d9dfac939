"""The one timer of lstm-bench: warm-up, calibrated rounds, raw samples kept, device-synchronised blocks.

How a measurement goes (``Timer.measure``):

1. **Warm-up**: call the workload until ``warmup_s`` has passed and at least
   ``min_warmup_calls`` calls were made, each timed alone. The first call (lazy initialisation,
   oneDNN primitive creation, compilation) is kept apart as ``first_call_s``.
2. **Calibration**: from the median warm-up call, choose ``calls_per_round`` so that one round
   lasts at least ``round_time_s``: the clock's resolution and the loop's overhead then stay far
   below 1% of a round.
3. **Rounds**: time blocks of ``calls_per_round`` calls until ``min_time_s`` of measured time and
   ``min_rounds`` rounds are reached, or ``max_rounds``. Each round gives one sample: its time / calls_per_round, in seconds per call.

A ``BlockClock`` times each block and owns device synchronisation, so a GPU is never timed by
unsynchronised wall time: ``WallClock(sync)`` synchronises before reading the host clock at both
ends (CPU: no sync; MPS: ``torch.mps.synchronize``); ``CudaEventClock`` records CUDA events on
the stream around the block and waits for the end event. On a CPU at one thread,
``ProcessTimeClock`` reads the process's CPU time instead: the time a workload spends waiting
for a core that another process holds is not counted, so a single-threaded measurement (and a
ratio of two) does not move when the machine gets busy, while wall time on a shared core grows
by whatever the scheduler gives away (see ``clock_for_device``). The garbage collector is paused
during rounds, as in ``timeit``.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, Protocol

from lstm_bench.bench.stats import DEFAULT_CONFIDENCE, Summary, summarize

Clock = Callable[[], float]


class BlockClock(Protocol):
    """Times one block of calls: ``start()`` before the first, ``stop()`` -> seconds once the last finished."""

    def start(self) -> None: ...

    def stop(self) -> float: ...


class WallClock:
    """The host's monotonic clock, read after ``sync()`` (the device hook) at both ends of a block."""

    def __init__(self, sync: Callable[[], None] | None = None, clock: Clock = time.perf_counter) -> None:
        self._sync = sync
        self._clock = clock
        self._start = 0.0
        self.name = "wall" if sync is None else "wall-synchronised"

    def start(self) -> None:
        if self._sync is not None:
            self._sync()
        self._start = self._clock()

    def stop(self) -> float:
        if self._sync is not None:
            self._sync()
        return self._clock() - self._start


class ProcessTimeClock:
    """CPU seconds this process (all its threads) spent in the block; the block's wall time is kept too.

    ``t_cpu = user + system time of the process`` (``time.process_time``). For a workload on one
    thread, ``t_cpu`` is its wall time on an idle machine and stays so on a busy one, where the
    wall time also counts the slices the scheduler gave to other processes. A workload that runs
    on several threads has ``t_cpu`` above its wall time (work summed over threads, plus spinning
    at barriers): ``last_wall_s`` lets the caller see that and time it on wall time instead.
    """

    name = "process-cpu"

    def __init__(self) -> None:
        self._cpu = 0.0
        self._wall = 0.0
        self.last_wall_s = 0.0

    def start(self) -> None:
        self._wall = time.perf_counter()
        self._cpu = time.process_time()

    def stop(self) -> float:
        cpu = time.process_time() - self._cpu
        self.last_wall_s = time.perf_counter() - self._wall
        return cpu


class Event(Protocol):
    """The part of ``torch.cuda.Event`` the event clock uses."""

    def record(self) -> None: ...

    def synchronize(self) -> None: ...

    def elapsed_time(self, end_event: Any) -> float: ...


class CudaEventClock:
    """Device time between two CUDA events recorded on the current stream around the block.

    ``stop`` waits for the end event, so the block's kernels have all finished; ``elapsed_time``
    is in milliseconds. ``event_factory`` defaults to ``torch.cuda.Event(enable_timing=True)``
    and is a parameter so the logic is tested without a GPU.
    """

    def __init__(self, event_factory: Callable[[], Event] | None = None) -> None:
        if event_factory is None:
            import torch

            def event_factory() -> Event:
                return torch.cuda.Event(enable_timing=True)  # type: ignore[no-any-return]

        self._begin = event_factory()
        self._end = event_factory()
        self.name = "cuda-events"

    def start(self) -> None:
        self._begin.record()

    def stop(self) -> float:
        self._end.record()
        self._end.synchronize()
        return self._begin.elapsed_time(self._end) / 1e3


CPU_TIMINGS = ("auto", "process", "wall")


#: What each clock's samples are, in words (the report's note under the benchmark table).
CLOCK_MEANINGS = {
    "process-cpu": "process CPU time (time spent waiting for a core is not counted)",
    "wall": "wall-clock time",
    "wall-synchronised": "wall-clock time, the device synchronised at both ends of a block",
    "cuda-events": "CUDA events on the device's stream",
}


def clock_name(clock: BlockClock) -> str:
    """The clock's name as recorded with measurements ("wall", "process-cpu", "cuda-events"; "custom" for others)."""
    return str(getattr(clock, "name", "custom"))


def clock_for_device(
    device: str, cuda_timing: str = "events", cpu_timing: str = "wall", threads: int | None = None
) -> BlockClock:
    """The block clock for ``device``: 'cpu', 'cuda' (``cuda_timing`` 'events' or 'synchronize') or 'mps'.

    On the CPU, ``cpu_timing`` is 'wall', 'process' (``ProcessTimeClock``) or 'auto': process
    CPU time when the workloads run on ``threads == 1`` torch thread, wall time otherwise (with
    several threads, CPU time sums the threads and counts their spinning, so it is not a speed).
    """
    kind = device.split(":")[0]
    if kind == "cpu":
        if cpu_timing not in CPU_TIMINGS:
            raise ValueError(f"cpu_timing must be one of {', '.join(CPU_TIMINGS)}, got {cpu_timing!r}")
        if cpu_timing == "process" or (cpu_timing == "auto" and threads == 1):
            return ProcessTimeClock()
        return WallClock()
    import torch

    if kind == "cuda":
        if cuda_timing == "events":
            return CudaEventClock()
        if cuda_timing == "synchronize":
            return WallClock(sync=torch.cuda.synchronize)
        raise ValueError(f"cuda_timing must be 'events' or 'synchronize', got {cuda_timing!r}")
    if kind == "mps":
        return WallClock(sync=torch.mps.synchronize)
    raise ValueError(f"unknown device {device!r}; expected cpu, cuda or mps")


@dataclass(frozen=True)
class TimerSettings:
    """How long and how often to time one benchmark. Defaults suit workloads of 10 µs to 1 s."""

    min_time_s: float = 0.5  # measured time per benchmark, summed over rounds
    min_rounds: int = 7  # at least this many samples: the 95% median interval needs n >= 6
    max_rounds: int = 1000
    round_time_s: float = 0.01  # each round lasts at least this (10 ms: clock resolution << 0.1%)
    warmup_s: float = 0.1
    min_warmup_calls: int = 2  # the first call is never representative
    confidence: float = DEFAULT_CONFIDENCE

    def __post_init__(self) -> None:
        if self.min_rounds < 1 or self.max_rounds < self.min_rounds:
            raise ValueError(f"need 1 <= min_rounds <= max_rounds, got {self.min_rounds}, {self.max_rounds}")
        if self.min_warmup_calls < 1:
            raise ValueError("min_warmup_calls must be at least 1")
        if min(self.min_time_s, self.round_time_s, self.warmup_s) < 0:
            raise ValueError("timer durations must be non-negative")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TimerSettings:
        """Inverse of ``to_dict``; unknown keys are ignored."""
        known = {name: data[name] for name in cls.__dataclass_fields__ if name in data}
        return cls(**known)

    def scaled(self, factor: float) -> TimerSettings:
        """These settings with every duration multiplied by ``factor`` (e.g. a quick profile)."""
        return TimerSettings(
            min_time_s=self.min_time_s * factor,
            min_rounds=self.min_rounds,
            max_rounds=self.max_rounds,
            round_time_s=self.round_time_s * factor,
            warmup_s=self.warmup_s * factor,
            min_warmup_calls=self.min_warmup_calls,
            confidence=self.confidence,
        )


@dataclass(frozen=True)
class Plan:
    """What warm-up and calibration decided: calls per round and the expected number of rounds."""

    calls_per_round: int
    rounds: int
    warmup_calls: int
    warmup_s: float
    first_call_s: float
    per_call_estimate_s: float


@dataclass(frozen=True)
class Measurement:
    """Raw per-call samples (seconds, one per round) and how they were taken."""

    samples_s: tuple[float, ...]
    calls_per_round: int
    warmup_calls: int
    warmup_s: float
    first_call_s: float
    clock: str = "wall"  # the BlockClock's name

    @property
    def summary(self) -> Summary:
        """Median, IQR, min and the median's confidence interval of the samples."""
        return summarize(self.samples_s)

    @property
    def total_calls(self) -> int:
        """Calls made in the timed rounds."""
        return self.calls_per_round * len(self.samples_s)


@contextmanager
def gc_paused() -> Iterator[None]:
    """The garbage collector off inside the block (timed code), restored to what it was after."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Timer:
    """Times a zero-argument workload with ``settings`` on one device's ``BlockClock``."""

    def __init__(self, settings: TimerSettings | None = None, clock: BlockClock | None = None) -> None:
        self.settings = settings or TimerSettings()
        self.clock: BlockClock = clock or WallClock()

    def time_block(self, fn: Callable[[], object], calls: int) -> float:
        """Seconds for ``calls`` consecutive calls of ``fn``, synchronised at both ends."""
        clock = self.clock
        clock.start()
        for _ in range(calls):
            fn()
        return clock.stop()

    def plan(self, fn: Callable[[], object]) -> Plan:
        """Warm up ``fn`` and calibrate calls per round (also used by the pytest-benchmark suites)."""
        s = self.settings
        first = self.time_block(fn, 1)
        times: list[float] = []
        spent = first
        while len(times) + 1 < s.min_warmup_calls or spent < s.warmup_s:
            times.append(self.time_block(fn, 1))
            spent += times[-1]
        estimate = statistics.median(times) if times else first
        calls = max(1, math.ceil(s.round_time_s / estimate)) if estimate > 0 else 1
        rounds = min(s.max_rounds, max(s.min_rounds, math.ceil(s.min_time_s / max(calls * estimate, 1e-12))))
        return Plan(calls, rounds, len(times) + 1, spent, first, estimate)

    def measure(self, fn: Callable[[], object]) -> Measurement:
        """Warm up, calibrate, then time rounds of ``fn`` (see the module docstring)."""
        s = self.settings
        plan = self.plan(fn)
        samples: list[float] = []
        total = 0.0
        with gc_paused():
            while len(samples) < s.max_rounds:
                if len(samples) >= s.min_rounds and total >= s.min_time_s:
                    break
                elapsed = self.time_block(fn, plan.calls_per_round)
                total += elapsed
                samples.append(elapsed / plan.calls_per_round)
        return Measurement(
            tuple(samples),
            plan.calls_per_round,
            plan.warmup_calls,
            plan.warmup_s,
            plan.first_call_s,
            clock_name(self.clock),
        )
