"""Interleaved rounds and paired speed-ups: exact numbers on a fake clock, and the runner's records."""

from __future__ import annotations

import pytest

from lstm_bench.bench.paired import Speedup, paired_speedup, time_round, time_rounds
from lstm_bench.bench.records import BenchmarkRecord
from lstm_bench.bench.registry import get_backend
from lstm_bench.bench.runner import run_benchmarks
from lstm_bench.bench.table import format_table
from lstm_bench.bench.timer import Measurement, ProcessTimeClock, Timer, TimerSettings, WallClock
from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.kinds import Kind


def test_paired_speedup_is_the_median_ratio_with_an_order_statistics_interval() -> None:
    base = [2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    backend = [1.0, 4.0, 2.0, 1.6, 0.5, 1.0, 2.5, 8.0, 1.25]  # ratios 2, .5, 1, 1.25, 4, 2, .8, .25, 1.6
    s = paired_speedup("torch-native", base, backend)
    assert s.ratio == 1.25 and s.pairs == 9 and s.baseline == "torch-native"
    # n = 9: the 95% interval is [x_(2), x_(8)] (coverage 1 - 2 * 10/512)
    assert (s.low, s.high) == (0.5, 2.0) and s.coverage == pytest.approx(1 - 20 / 512)
    assert s.text() == "1.25x [0.50, 2.00]" and Speedup.from_dict(s.to_dict()) == s
    with pytest.raises(ValueError, match="equal lengths"):
        paired_speedup("torch-native", [1.0], [1.0, 2.0])
    with pytest.raises(ValueError, match="positive"):
        paired_speedup("torch-native", [1.0], [0.0])


class _Machine:
    """A fake clock whose load steps 1x, 2x, 3x, 1x, ... every 0.1 s: a call costs its price x the load."""

    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def step(self, price: float):  # type: ignore[no-untyped-def]
        def run() -> None:
            load = 1.0 + int(self.now / 0.1) % 3  # drift slower than a round (a few pairs straddle a step)
            self.now += price * load

        return run


def test_rounds_pair_every_backend_so_drift_cancels() -> None:
    machine = _Machine()
    settings = TimerSettings(min_time_s=0.3, min_rounds=7, round_time_s=0.002, warmup_s=0.0)
    timer = Timer(settings, WallClock(clock=machine.clock))
    native, slow, fast = machine.step(1e-3), machine.step(2e-3), machine.step(0.5e-3)

    def broken() -> None:
        raise RuntimeError("boom")

    results = time_rounds([native, slow, broken, fast], timer)
    assert isinstance(results[2], RuntimeError)
    measured = [results[0], results[1], results[3]]
    assert all(isinstance(m, Measurement) for m in measured)
    a, b, c = (m.samples_s for m in measured if isinstance(m, Measurement))
    assert len(a) == len(b) == len(c) >= 7
    assert len(set(a)) > 1  # the load moved the times...
    assert paired_speedup("n", a, b).ratio == pytest.approx(0.5)  # ...but not the paired ratios
    assert paired_speedup("n", a, b).high == pytest.approx(0.5)
    assert paired_speedup("n", a, c).ratio == pytest.approx(2.0)


FAST = TimerSettings(min_time_s=0.002, min_rounds=3, round_time_s=0.0005, warmup_s=0.0)


def test_runner_records_carry_the_paired_speedup_and_the_table_shows_its_interval() -> None:
    case = Case(Kind.LSTM, Workload.FORWARD, 4, 8, 2, 3)
    run = run_benchmarks(
        [case], [get_backend("torch-ref"), get_backend("torch-native")], "cpu", FAST, 1, 0, False
    )
    ref, native = run.records
    assert native.speedup is None and ref.speedup is not None
    assert ref.speedup.baseline == "torch-native" and ref.speedup.pairs == len(ref.samples_s) == len(
        native.samples_s
    )
    assert ref.speedup.low <= ref.speedup.ratio <= ref.speedup.high
    data = ref.to_dict()
    assert data["speedup"]["ratio"] == ref.speedup.ratio
    assert BenchmarkRecord.from_dict(data).speedup == ref.speedup
    row = next(line for line in format_table(run.records).splitlines() if " torch-ref " in line)
    assert row.endswith(ref.speedup.text())
    alone = run_benchmarks([case], [get_backend("torch-ref")], "cpu", FAST, 1, 0, False)
    assert alone.records[0].speedup is None  # no torch-native in the same rounds: no ratio at all


def test_blocks_last_about_as_long_as_the_slowest_call_within_bounds() -> None:
    from lstm_bench.bench.paired import PAIRED_BLOCK_S, _block_calls

    timer = Timer(TimerSettings(min_time_s=0.7, min_rounds=7, round_time_s=0.01))
    assert PAIRED_BLOCK_S == 5e-4
    assert _block_calls([1e-4, 2.5e-4], timer) == [5, 2]  # short blocks: many pairs
    assert _block_calls([1e-4, 0.02], timer) == [200, 1]  # equal durations: one call of the slow one
    assert _block_calls([1e-4, 1.0], timer) == [1000, 1]  # at most min_time / min_rounds = 0.1 s


class _TwoThreads(ProcessTimeClock):
    """A process clock on a workload that keeps two cores busy: CPU seconds are twice the wall seconds."""

    def stop(self) -> float:
        super().stop()
        return 2.0 * self.last_wall_s


def test_a_case_that_runs_on_several_threads_is_timed_on_wall_time() -> None:
    settings = TimerSettings(min_time_s=0.002, min_rounds=3, round_time_s=0.0005, warmup_s=0.0)
    work = [lambda: sum(range(2000)), lambda: sum(range(4000))]
    single = time_rounds(work, Timer(settings, ProcessTimeClock()))
    assert all(isinstance(m, Measurement) and m.clock == "process-cpu" for m in single)
    several = time_rounds(work, Timer(settings, _TwoThreads()))
    assert all(isinstance(m, Measurement) and m.clock == "wall" for m in several)  # the whole case alike


def test_bench_on_one_cpu_thread_records_the_process_clock_and_on_two_wall_time() -> None:
    case = Case(Kind.LSTM, Workload.FORWARD, 4, 8, 2, 3)
    backends = [get_backend("torch-ref"), get_backend("torch-native")]
    one = run_benchmarks([case], backends, "cpu", FAST, 1, 0, False)
    assert one.clock == "process-cpu" and {r.clock for r in one.records} == {"process-cpu"}
    assert one.sections()["benchmark_run"]["clock"] == "process-cpu"
    assert BenchmarkRecord.from_dict(one.records[0].to_dict()).clock == "process-cpu"
    two = run_benchmarks([case], backends, "cpu", FAST, 2, 0, False)
    assert two.clock == "wall" and {r.clock for r in two.records} == {"wall"}


def test_one_round_alternates_its_order_and_keeps_a_failing_steps_exception_in_place() -> None:
    ran: list[str] = []

    def step(name: str) -> object:
        def call() -> None:
            ran.append(name)
            if name == "c":
                raise RuntimeError("c broke")

        return call

    timer = Timer(TimerSettings(), WallClock())
    steps = [step("a"), step("b"), step("c")]
    first = time_round(steps, [1, 2, 1], timer, 0)
    assert ran == ["a", "b", "b", "c"]  # even round: in order, calls per block as asked
    assert isinstance(first[2], RuntimeError) and all(isinstance(t, float) and t >= 0 for t in first[:2])
    ran.clear()
    second = time_round(steps, [1, 1, 1], timer, 1)
    assert ran == ["c", "b", "a"]  # odd round: reversed; a step raising does not stop the others
    assert [type(t) for t in second] == [float, float, RuntimeError]
