"""Rounds spread over windows of cases: an episode of a slower machine no longer decides one case's ratio."""

from __future__ import annotations

import pytest

from lstm_bench.bench.paired import paired_speedup, time_rounds
from lstm_bench.bench.registry import get_backend
from lstm_bench.bench.runner import run_benchmarks
from lstm_bench.bench.spread import VISIT_MIN_ROUNDS, time_cases, visit_sweeps, windows
from lstm_bench.bench.timer import Measurement, Timer, TimerSettings, WallClock
from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.kinds import Kind


class _Episodes:
    """A fake clock on which, between ``start`` and ``stop`` seconds, 'python' code runs 1.6x and 'gemm' 1.3x slower."""

    def __init__(self, start: float, stop: float) -> None:
        self.now = 0.0
        self.window = (start, stop)

    def clock(self) -> float:
        return self.now

    def step(self, price: float, slowdown: float):  # type: ignore[no-untyped-def]
        def run() -> None:
            inside = self.window[0] <= self.now < self.window[1]
            self.now += price * (slowdown if inside else 1.0)

        return run


SETTINGS = TimerSettings(min_time_s=0.05, min_rounds=7, round_time_s=0.01, warmup_s=0.0)


def _ratios(machine: _Episodes, cases: int, sweeps: int) -> list[float]:
    groups = [[machine.step(1e-3, 1.6), machine.step(0.5e-3, 1.3)] for _ in range(cases)]
    results = time_cases(groups, Timer(SETTINGS, WallClock(clock=machine.clock)), sweeps)
    ratios = []
    for python, gemm in results:
        assert isinstance(python, Measurement) and isinstance(gemm, Measurement)
        ratios.append(paired_speedup("python", python.samples_s, gemm.samples_s).ratio)
    return ratios


def test_an_episode_moves_the_case_it_covers_when_cases_run_in_turn_and_none_when_spread() -> None:
    # 4 cases x 2 workloads x 0.05 s: the run lasts ~0.4 s, the slow episode covers 0.1-0.2 s
    in_turn = _ratios(_Episodes(0.1, 0.2), 4, sweeps=1)
    assert min(in_turn) == pytest.approx(2.0) and max(in_turn) == pytest.approx(2.0 * 1.6 / 1.3)
    spread = _ratios(_Episodes(0.1, 0.2), 4, sweeps=10)
    assert spread == pytest.approx(
        [2.0] * 4
    )  # a quarter of each case's visits in the episode: the median holds


def test_spreading_keeps_the_measured_time_and_rounds_of_one_stretch() -> None:
    machine = _Episodes(1.0, 1.0)
    timer = Timer(SETTINGS, WallClock(clock=machine.clock))
    alone = time_rounds([machine.step(1e-3, 1.0), machine.step(0.5e-3, 1.0)], timer)
    groups = [[machine.step(1e-3, 1.0), machine.step(0.5e-3, 1.0)] for _ in range(3)]
    spread = time_cases(groups, timer, 10)
    for python, gemm in spread:
        assert (
            isinstance(python, Measurement)
            and isinstance(gemm, Measurement)
            and isinstance(alone[0], Measurement)
        )
        assert len(python.samples_s) == len(gemm.samples_s)
        # the same rounds as one stretch, give or take the last round of each visit
        assert len(alone[0].samples_s) <= len(python.samples_s) <= len(alone[0].samples_s) + 10


def test_visits_are_spread_evenly_and_few_rounds_mean_one_visit() -> None:
    assert visit_sweeps(10, 10) == list(range(10))
    assert visit_sweeps(3, 10) == [0, 3, 6]
    assert visit_sweeps(1, 10) == [0]
    with pytest.raises(ValueError):
        visit_sweeps(11, 10)
    seen: list[tuple[int, int]] = []
    machine = _Episodes(1.0, 1.0)
    slow = TimerSettings(min_time_s=0.007, min_rounds=7, round_time_s=0.01, warmup_s=0.0)  # 7 rounds expected
    fast = [machine.step(1e-4, 1.0), machine.step(1e-4, 1.0)]
    long = [machine.step(1e-3, 1.0), machine.step(1e-3, 1.0)]
    time_cases([fast, long], Timer(slow, WallClock(clock=machine.clock)), 4, lambda i, s: seen.append((i, s)))
    assert 7 // VISIT_MIN_ROUNDS == 0  # so each case gets one visit
    assert seen == [(0, 0), (1, 0)]
    seen.clear()
    time_cases(
        [fast, long], Timer(SETTINGS, WallClock(clock=machine.clock)), 4, lambda i, s: seen.append((i, s))
    )
    assert seen == [
        (0, 0),
        (1, 0),
        (1, 1),
        (0, 1),
        (0, 2),
        (1, 2),
        (1, 3),
        (0, 3),
    ]  # order reversed every other sweep


def test_a_workload_that_fails_in_a_later_visit_gets_its_exception() -> None:
    machine = _Episodes(1.0, 1.0)
    calls = {"n": 0}

    def flaky() -> None:
        calls["n"] += 1
        machine.now += 1e-3
        if calls["n"] > 40:
            raise RuntimeError("late failure")

    groups = [[machine.step(1e-3, 1.0), flaky], [machine.step(1e-3, 1.0), machine.step(1e-3, 1.0)]]
    (good, failed), other = time_cases(groups, Timer(SETTINGS, WallClock(clock=machine.clock)), 10)
    assert isinstance(failed, RuntimeError) and "late failure" in str(failed)
    assert isinstance(good, Measurement) and len(good.samples_s) >= 7
    assert all(isinstance(m, Measurement) for m in other)


def test_windows_cut_by_count_and_by_bytes() -> None:
    assert windows([1] * 5, max_cases=2, max_bytes=100) == [range(0, 2), range(2, 4), range(4, 5)]
    assert windows([60, 50, 10, 200, 1], max_cases=16, max_bytes=100) == [
        range(0, 1),
        range(1, 3),
        range(3, 4),
        range(4, 5),
    ]
    assert windows([], max_cases=4, max_bytes=10) == []
    with pytest.raises(ValueError):
        windows([1], max_cases=0)


def test_bench_spreads_the_cases_and_records_the_sweeps() -> None:
    cases = [Case(Kind.LSTM, Workload.FORWARD, 4, 8, 2, 3), Case(Kind.GRU, Workload.FORWARD, 4, 8, 2, 3)]
    settings = TimerSettings(min_time_s=0.05, min_rounds=7, round_time_s=0.0005, warmup_s=0.0)
    backends = [get_backend("torch-ref"), get_backend("torch-native")]
    labels: list[str] = []
    run = run_benchmarks(
        cases, backends, "cpu", settings, 1, 0, False, lambda d, t, label: labels.append(label), sweeps=3
    )
    assert run.sweeps == 3 and run.sections()["benchmark_run"]["sweeps"] == 3
    assert any("(sweep 2/3)" in label for label in labels)  # each case visited again after the other
    assert all(r.speedup is not None for r in run.records if r.backend == "torch-ref")
    assert Case(Kind.LSTM, Workload.FORWARD, 4, 8, 2, 3).footprint_bytes == 4 * (
        2 * 3 * 4 + 2 * 4 * 8 * (4 + 8 + 2)
    )
    with pytest.raises(ValueError, match="sweeps"):
        run_benchmarks(cases, backends, "cpu", settings, 1, 0, False, sweeps=0)
