"""Interleaved A/B timing and the ``bench --baseline-impl`` engine, on a simulated clock (no real timing)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lstm_bench.bench.registry import Backend, Prepared
from lstm_bench.bench.timer import Timer, TimerSettings
from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.errors import ImplementationMisbehaved, UsageError
from lstm_bench.gate import ab
from lstm_bench.gate.compare import Comparison
from lstm_bench.gate.config import GateConfig
from lstm_bench.gate.interleave import PairedSamples, gate_paired, time_interleaved
from lstm_bench.gate.stats import Verdict, compare_independent, compare_paired
from lstm_bench.kinds import Kind

SETTINGS = TimerSettings(min_time_s=0.2, min_rounds=7, max_rounds=10_000, round_time_s=0.0, warmup_s=0.0)
CONFIG = GateConfig(max_slowdown=0.05, alpha=0.01)


class SimulatedMachine:
    """A clock that only moves when a workload runs: a call costs ``cost x speed``, and the machine
    turns twice as slow at ``step_at`` seconds (another job starting), the drift interleaving must cancel."""

    def __init__(self, step_at: float = 0.3) -> None:
        self.now = 0.0
        self.step_at = step_at
        self.log: list[str] = []
        self._start = 0.0

    def start(self) -> None:
        self._start = self.now

    def stop(self) -> float:
        return self.now - self._start

    def workload(self, name: str, cost: float) -> Callable[[], None]:
        def run() -> None:
            self.log.append(name)
            self.now += cost * (2.0 if self.now >= self.step_at else 1.0)

        return run


def test_interleaving_alternates_and_cancels_a_step_in_machine_speed() -> None:
    machine = SimulatedMachine()
    a, b = machine.workload("A", 1e-3), machine.workload("B", 1.1e-3)
    pairs = time_interleaved(a, b, Timer(SETTINGS, machine))
    timed = machine.log[-2 * len(pairs.baseline_s) :]
    assert "".join(timed[:8]) == "ABBAABBA"  # AB, BA, AB, BA: the order alternates
    assert len(pairs.baseline_s) == len(pairs.candidate_s) >= 7
    assert sum(pairs.baseline_s) >= SETTINGS.min_time_s  # each side got its measured time
    paired = compare_paired(pairs.baseline_s, pairs.candidate_s)
    assert paired.ratio == pytest.approx(1.1, rel=1e-9)  # every pair but the one across the step
    # The same samples timed as two sequential runs would mix speeds; pairs make that irrelevant.
    assert compare_independent(pairs.baseline_s, pairs.candidate_s).ratio == pytest.approx(1.1, rel=0.05)


def test_fixed_number_of_pairs_and_progress() -> None:
    machine = SimulatedMachine(step_at=1e9)
    seen: list[tuple[int, int]] = []
    pairs = time_interleaved(
        machine.workload("A", 1e-3), machine.workload("B", 1e-3), Timer(SETTINGS, machine), pairs=5,
        progress=lambda done, total: seen.append((done, total)),
    )  # fmt: skip
    assert len(pairs.baseline_s) == 5 and seen[-1] == (5, 5)
    assert PairedSamples.from_dict(pairs.to_dict()) == pairs
    with pytest.raises(ValueError, match="pairs must be at least 1"):
        time_interleaved(
            machine.workload("A", 1e-3), machine.workload("B", 1e-3), Timer(SETTINGS, machine), pairs=0
        )


def test_gate_paired_verdicts() -> None:
    base = tuple(1e-3 * (1 + 0.01 * (i % 5)) for i in range(40))
    slow = PairedSamples(base, tuple(x * 1.08 for x in base), 1, 0.1)
    same = PairedSamples(base, base[1:] + base[:1], 1, 0.1)
    assert gate_paired("x", slow, CONFIG).verdict is Verdict.REGRESSION
    assert gate_paired("x", same, CONFIG).verdict is Verdict.UNCHANGED


# --------------------------------------------------------------------------------------------
# run_ab over fake backends
# --------------------------------------------------------------------------------------------


class FakeBackend(Backend):
    """A backend whose workload costs ``cost`` simulated seconds per call (or raises)."""

    def __init__(self, name: str, machine: SimulatedMachine, cost: float, kind: Kind = Kind.LSTM) -> None:
        self.name, self.description = name, f"fake {name}"
        self.machine, self.cost, self.kind = machine, cost, kind

    def supports(self, case: Case, device: str) -> bool:
        return case.kind is self.kind

    def prepare(self, case: Case, device: str, seed: int) -> Prepared:
        if self.cost < 0:
            raise RuntimeError("kernel exploded")
        return Prepared(self.machine.workload(self.name, self.cost * case.steps))


CASES = (
    Case(Kind.LSTM, Workload.FORWARD, 8, 8, 2, 3),
    Case(Kind.LSTM, Workload.FORWARD_BACKWARD, 8, 8, 2, 3),
    Case(Kind.GRU, Workload.FORWARD, 8, 8, 2, 3),
)


def _ab(candidate_cost: float, kind: Kind = Kind.LSTM) -> Comparison:
    machine = SimulatedMachine(step_at=1e9)
    return ab.run_ab(
        FakeBackend("cand", machine, candidate_cost, kind),
        FakeBackend("base", machine, 1e-4),
        CASES,
        CONFIG,
        settings=SETTINGS,
        clock=machine,
    )


def test_run_ab_gates_every_shared_case() -> None:
    slow = _ab(1.2e-4)
    assert [t.name for t in slow.timings] == [f"{c.key}/cpu" for c in CASES[:2]]  # the GRU case is not shared
    assert all(t.verdict is Verdict.REGRESSION for t in slow.timings) and slow.exit_code == 1 and slow.paired
    assert _ab(1e-4).exit_code == 0


def test_run_ab_errors_are_usage_errors_and_a_raising_workload_a_finding() -> None:
    with pytest.raises(UsageError, match="no case of the selected suite is run by both cand and base"):
        _ab(1e-4, kind=Kind.RNN_TANH)
    with pytest.raises(
        ImplementationMisbehaved,
        match="lstm/forward/float32/I8-H8-B2-T3/cpu: a workload raised RuntimeError: kernel exploded",
    ):
        _ab(-1.0)


def test_ab_backend_names() -> None:
    assert ab.ab_backend("torch-native", Kind.LSTM).name == "torch-native"
    assert ab.ab_backend("torch.nn:LSTM", None).name == "impl:torch.nn:LSTM"
    assert ab.ab_timer_settings(0.1).min_time_s == ab.AB_MIN_TIME_S
    assert ab.ab_timer_settings(3.0).min_time_s == 3.0


def test_run_ab_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    machine = SimulatedMachine(step_at=1e9)
    backends = {
        "mine:LSTM": FakeBackend("cand", machine, 1.2e-4),
        "theirs:LSTM": FakeBackend("base", machine, 1e-4),
    }
    monkeypatch.setattr(ab, "ab_backend", lambda spec, kind: backends[spec])
    monkeypatch.setattr(ab, "ab_timer_settings", lambda min_time=None: SETTINGS)
    monkeypatch.setattr(ab, "clock_for_device", lambda device, timing: machine)
    monkeypatch.chdir(tmp_path)
    args = argparse.Namespace(
        impl=["mine:LSTM"], baseline_impl="theirs:LSTM", device="cpu", threads=None, seed=0, min_time=0.5,
        cuda_timing="events", json=str(tmp_path / "ab.json"), max_slowdown="5%", alpha=None, format="markdown",
    )  # fmt: skip
    assert ab.run_ab_command(ab.ABOptions.from_args(args), CASES, Kind.LSTM) == 1
    out = capsys.readouterr().out
    assert out.startswith("### ❌ lstm-bench: 2 regressions") and "median paired ratio" in out
    assert json.loads((tmp_path / "ab.json").read_text())["paired"] is True
    args.impl = ["a:LSTM", "b:LSTM"]
    with pytest.raises(UsageError, match="exactly one --impl"):
        ab.ABOptions.from_args(args)
