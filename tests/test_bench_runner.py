"""run_benchmarks end to end on tiny cases with short settings (asserts structure, never speed)."""

from __future__ import annotations

import pytest

from lstm_bench.bench.registry import Backend, Prepared, get_backend
from lstm_bench.bench.runner import run_benchmarks
from lstm_bench.bench.timer import TimerSettings, WallClock
from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.kinds import Kind

FAST = TimerSettings(min_time_s=0.002, min_rounds=3, round_time_s=0.0005, warmup_s=0.0)
CASES = (
    Case(Kind.LSTM, Workload.FORWARD, 4, 8, 2, 3),
    Case(Kind.LSTM, Workload.FORWARD_BACKWARD, 4, 8, 2, 3, "float64"),
    Case(Kind.GRU, Workload.FORWARD, 4, 8, 2, 3),
)


class Raising(Backend):
    name = "raising"
    description = "a workload that fails on its first call"

    def prepare(self, case: Case, device: str, seed: int) -> Prepared:
        def step() -> object:
            raise RuntimeError("kernel exploded\nsecond line")

        return Prepared(step)


class Unavailable(Backend):
    name = "unavailable"
    description = "cannot run here"

    def unavailable(self, device: str) -> str | None:
        return "needs a quantum computer"

    def prepare(self, case: Case, device: str, seed: int) -> Prepared:
        raise AssertionError("never prepared")


class CountingClock(WallClock):
    """A wall clock that counts its blocks: proves the runner times through the clock it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.starts = self.stops = 0

    def start(self) -> None:
        self.starts += 1
        super().start()

    def stop(self) -> float:
        self.stops += 1
        return super().stop()


def test_records_statuses_and_sections() -> None:
    backends = [get_backend("numpy-ref"), get_backend("torch-native"), Raising(), Unavailable()]
    progress: list[tuple[int, int, str]] = []
    clock = CountingClock()
    run = run_benchmarks(
        CASES,
        backends,
        "cpu",
        FAST,
        threads=1,
        measure_peak=False,
        progress=lambda d, t, label: progress.append((d, t, label)),
        clock=clock,
    )
    by_backend: dict[str, list[str]] = {}
    for r in run.records:
        by_backend.setdefault(r.backend, []).append(r.status)
    assert by_backend["numpy-ref"] == ["ok"]  # float64 only
    assert by_backend["torch-native"] == ["ok"] * 3
    assert by_backend["raising"] == ["error"] * 3
    assert by_backend["unavailable"] == ["skipped"] * 3
    failed = next(r for r in run.records if r.backend == "raising")
    assert failed.reason == "workload raised RuntimeError: kernel exploded"
    assert next(r for r in run.records if r.backend == "unavailable").reason == "needs a quantum computer"
    ok = [r for r in run.records if r.status == "ok"]
    assert all(len(r.samples_s) >= 3 and r.threads == 1 and r.peak_gflops is None for r in ok)
    assert clock.stops > 0 and clock.starts - clock.stops == 3  # each raising block started, never stopped
    # case by case, all backends of a case in turn
    assert [r.case_key for r in run.records][:4] == [run.records[0].case_key] * 3 + [run.records[3].case_key]
    total = progress[-1][1]
    assert progress[-1] == (total, total, "done") and total == len(CASES) * run.sweeps
    assert all(t == total for _, t, _ in progress) and [d for d, _, _ in progress] == sorted(
        d for d, _, _ in progress
    )
    assert progress[0][2].startswith(f"{CASES[0].kind.value} {CASES[0].workload.value} {CASES[0].sizes}")
    sections = run.sections()
    assert set(sections) == {"benchmarks", "peak", "benchmark_run"}
    meta = sections["benchmark_run"]
    assert meta["threads"] == 1 and "8*T*N*H^2" in meta["flop_model"] and meta["timer"]["min_rounds"] == 3
    assert set(meta["load_before"]) == {"load_average", "cpu_busy", "cpu_count"}


def test_peak_is_measured_per_dtype_and_attached() -> None:
    run = run_benchmarks(CASES[:2], [get_backend("torch-native")], "cpu", FAST, threads=1)
    assert sorted(p.dtype for p in run.peaks) == ["float32", "float64"]
    assert all(p.gflops > 0 and p.size == 1024 for p in run.peaks)
    peak = {p.dtype: p.gflops for p in run.peaks}
    for r in run.records:
        assert r.peak_gflops == peak[r.dtype]  # type: ignore[index]
        assert r.percent_of_peak is not None and r.percent_of_peak > 0


def test_threads_are_validated() -> None:
    with pytest.raises(ValueError):
        run_benchmarks(CASES[:1], [get_backend("torch-native")], "cpu", FAST, threads=0, measure_peak=False)


def test_a_float64_case_of_an_implementation_without_float64_is_skipped_with_the_reason() -> None:
    from lstm_bench.bench.registry import ImplBackend
    from lstm_bench.capabilities import Feature
    from lstm_bench.loader import load_impl

    impl = ImplBackend(load_impl("torch.nn:LSTM", Kind.LSTM, unsupported=[Feature.FLOAT64]))
    cases = [Case(Kind.LSTM, Workload.FORWARD, 3, 4, 2, 3, dtype) for dtype in ("float32", "float64")]
    run = run_benchmarks(cases, [impl], "cpu", FAST, 1, 0, False)
    by_dtype = {r.dtype: r for r in run.records}
    assert by_dtype["float32"].status == "ok"
    assert by_dtype["float64"].status == "skipped" and "float64 unsupported" in (
        by_dtype["float64"].reason or ""
    )
