"""The timer's warm-up, calibration, rounds and device synchronisation, on a fake clock (no timing asserts)."""

from __future__ import annotations

import gc

import pytest

from lstm_bench.bench.timer import CudaEventClock, Timer, TimerSettings, WallClock, clock_for_device

CALL = 2.0**-9  # one fake call lasts exactly this (binary fractions keep the arithmetic exact)


class FakeWorld:
    """A fake clock that advances only when the workload runs, and a log of syncs, reads and calls."""

    def __init__(self) -> None:
        self.now = 0.0
        self.log: list[str] = []

    def read(self) -> float:
        self.log.append("read")
        return self.now

    def sync(self) -> None:
        self.log.append("sync")

    def call(self) -> None:
        self.log.append("call")
        self.now += CALL


def _settings(**kw: object) -> TimerSettings:
    base: dict[str, object] = {
        "min_time_s": 2.0**-4,
        "min_rounds": 3,
        "round_time_s": 2.0**-6,
        "warmup_s": 2.0**-7,
        "min_warmup_calls": 2,
    }
    base.update(kw)
    return TimerSettings(**base)  # type: ignore[arg-type]


def test_warmup_calibration_and_rounds_follow_the_settings() -> None:
    world = FakeWorld()
    timer = Timer(_settings(), WallClock(sync=world.sync, clock=world.read))
    m = timer.measure(world.call)
    assert m.warmup_calls == 4  # 2^-7 s of warm-up at 2^-9 s per call
    assert m.calls_per_round == 8  # 2^-6 s per round / 2^-9 s per call
    assert len(m.samples_s) == 4  # 2^-4 s of measured time / 2^-6 s per round (> min_rounds = 3)
    assert set(m.samples_s) == {CALL}
    assert m.first_call_s == CALL
    assert world.log.count("call") == m.warmup_calls + m.total_calls
    summary = m.summary
    assert summary.median_s == CALL and summary.iqr_s == 0.0 and not summary.noisy


def test_min_rounds_wins_over_min_time() -> None:
    world = FakeWorld()
    m = Timer(_settings(min_time_s=0.0, min_rounds=9), WallClock(world.sync, world.read)).measure(world.call)
    assert len(m.samples_s) == 9
    m = Timer(
        _settings(min_time_s=10.0, max_rounds=5, min_rounds=5), WallClock(world.sync, world.read)
    ).measure(world.call)
    assert len(m.samples_s) == 5  # max_rounds caps a long min_time


def test_sync_hook_brackets_every_timed_block() -> None:
    world = FakeWorld()
    timer = Timer(_settings(), WallClock(sync=world.sync, clock=world.read))
    timer.measure(world.call)
    blocks = "".join("S" if e == "sync" else ("R" if e == "read" else "c") for e in world.log)
    # every block is: sync, read the clock, the calls, sync, read the clock; nothing runs unsynchronised
    import re

    assert re.fullmatch(r"(SRc+SR)+", blocks), blocks
    assert blocks.count("S") == 2 * blocks.count("SRc")


def test_cuda_event_clock_waits_for_the_end_event_and_returns_seconds() -> None:
    world = FakeWorld()

    class FakeEvent:
        def __init__(self) -> None:
            self.at: float | None = None
            self.synced = False

        def record(self) -> None:
            world.log.append("record")
            self.at = world.now

        def synchronize(self) -> None:
            world.log.append("event-sync")
            self.synced = True

        def elapsed_time(self, end: FakeEvent) -> float:
            assert end.synced, "elapsed_time read before the end event finished"
            assert self.at is not None and end.at is not None
            return (end.at - self.at) * 1e3  # milliseconds, like torch.cuda.Event

    timer = Timer(_settings(), CudaEventClock(event_factory=FakeEvent))
    m = timer.measure(world.call)
    assert set(m.samples_s) == {CALL}
    assert world.log[:4] == ["record", "call", "record", "event-sync"]


def test_gc_is_paused_during_rounds_and_restored() -> None:
    seen: list[bool] = []
    world = FakeWorld()

    def call() -> None:
        seen.append(gc.isenabled())
        world.call()

    assert gc.isenabled()
    Timer(_settings(), WallClock(clock=world.read)).measure(call)
    assert gc.isenabled()
    assert seen[0] is True and seen[-1] is False  # warm-up with gc, rounds without


def test_plan_matches_measure_and_settings_validate() -> None:
    world = FakeWorld()
    plan = Timer(_settings(), WallClock(clock=world.read)).plan(world.call)
    assert (plan.calls_per_round, plan.rounds, plan.warmup_calls) == (8, 4, 4)
    assert plan.per_call_estimate_s == CALL
    with pytest.raises(ValueError):
        TimerSettings(min_rounds=0)
    with pytest.raises(ValueError):
        TimerSettings(min_rounds=5, max_rounds=4)
    with pytest.raises(ValueError):
        TimerSettings(min_time_s=-1)
    s = TimerSettings()
    assert TimerSettings.from_dict(s.to_dict()) == s
    assert s.scaled(0.5).min_time_s == s.min_time_s / 2


def test_clock_for_device() -> None:
    assert isinstance(clock_for_device("cpu"), WallClock)
    with pytest.raises(ValueError):
        clock_for_device("tpu")
    sync_clock = clock_for_device("cuda", cuda_timing="synchronize")  # built without touching the GPU
    assert isinstance(sync_clock, WallClock)
    with pytest.raises(ValueError):
        clock_for_device("cuda", cuda_timing="guess")


def test_real_clock_times_real_work() -> None:
    m = Timer(_settings(min_time_s=0.002, round_time_s=0.0005, warmup_s=0.0)).measure(lambda: sum(range(100)))
    assert len(m.samples_s) >= 3 and all(s > 0 for s in m.samples_s)


def test_process_time_clock_does_not_count_waiting_but_keeps_the_wall_time() -> None:
    import time as _time

    from lstm_bench.bench.timer import ProcessTimeClock

    clock = ProcessTimeClock()
    clock.start()
    _time.sleep(0.05)  # off the CPU, like a slice given to another process
    cpu = clock.stop()
    assert cpu < 0.02 <= 0.05 <= clock.last_wall_s
    clock.start()
    begin = _time.process_time()
    while _time.process_time() - begin < 0.02:  # on the CPU for 20 ms of CPU time, however busy the machine
        pass
    busy = clock.stop()
    assert 0.02 <= busy <= clock.last_wall_s + 1e-3  # CPU time never exceeds the wall time on one thread


def test_clock_for_the_cpu_follows_cpu_timing_and_the_thread_count() -> None:
    from lstm_bench.bench.timer import CPU_TIMINGS, ProcessTimeClock, clock_for_device, clock_name
    from lstm_bench.commands.bench import add_arguments

    assert isinstance(clock_for_device("cpu", cpu_timing="auto", threads=1), ProcessTimeClock)
    assert isinstance(clock_for_device("cpu", cpu_timing="auto", threads=2), WallClock)
    assert isinstance(clock_for_device("cpu", cpu_timing="process", threads=2), ProcessTimeClock)
    assert clock_name(clock_for_device("cpu")) == "wall"  # the default for callers that do not choose
    with pytest.raises(ValueError, match="cpu_timing"):
        clock_for_device("cpu", cpu_timing="cycles")
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args([]).cpu_timing == "auto"
    action = next(a for a in parser._actions if a.dest == "cpu_timing")
    assert action.choices is not None and tuple(action.choices) == CPU_TIMINGS
