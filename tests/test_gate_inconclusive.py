"""'inconclusive' as a verdict of its own: the rule, text / markdown / JSON / HTML, and exit codes."""

from __future__ import annotations

import argparse
import itertools
import json
import math
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from gate_helpers import CASE, Machine, lognormal_samples

from lstm_bench.bench.records import BenchmarkRecord
from lstm_bench.bench.registry import Backend, Prepared
from lstm_bench.bench.timer import TimerSettings
from lstm_bench.bench.workloads import Case
from lstm_bench.cli import main
from lstm_bench.errors import UsageError
from lstm_bench.gate import ab
from lstm_bench.gate.config import GateConfig
from lstm_bench.gate.interleave import Budget
from lstm_bench.gate.result import Comparison, TimingComparison
from lstm_bench.gate.stats import RatioEstimate, Verdict, decide
from lstm_bench.kinds import Kind
from lstm_bench.report.views.comparison import comparison_rows
from lstm_bench.results import new_document, save_results


def _estimate(ratio: float, low: float, high: float, p: float) -> RatioEstimate:
    return RatioEstimate(ratio, low, high, 0.99, p, "test", False, 10, 10)


def test_ab_command_shows_a_regression_with_its_confirmation(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _command(monkeypatch, tmp_path, 1.2e-3, 0.01)  # +20%: decided at the first look, then confirmed
    assert run() == 1
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith(CASE.key))
    assert "16+16" in row and "REGRESSION" in row
    data = json.loads((tmp_path / "ab.json").read_text())
    (timing,) = data["timings"]
    assert timing["pairs"] == 16 and timing["stopped"] == "decided"
    assert timing["confirmation"] == {
        "verdict": "regression", "pairs": 16, "agreeing": 16, "p_value": 0.5**16, "alpha": 0.05, "confirmed": True,
    }  # fmt: skip
    assert "confirmed on 16 fresh pairs, 16 slower" in timing["reason"]
    back = Comparison.from_dict(data)
    assert back.to_dict() == data
    rows, _ = comparison_rows(back)
    assert rows is not None and rows[0].change.endswith("16 pairs + 16 to confirm")


@pytest.mark.parametrize(
    ("low", "high", "p", "verdict"),
    [
        (0.98, 1.02, 0.5, Verdict.UNCHANGED),  # inside ±3%: decided ok
        (0.90, 1.10, 0.5, Verdict.INCONCLUSIVE),  # not significant, and +10% not excluded
        (1.005, 1.04, 0.001, Verdict.INCONCLUSIVE),  # significant, within the threshold, +4% not excluded
        (1.001, 1.02, 0.001, Verdict.UNCHANGED),  # significant but inside ±3%
        (1.04, 1.06, 0.001, Verdict.REGRESSION),
    ],
)
def test_decide_needs_the_interval_inside_the_threshold_for_ok(
    low: float, high: float, p: float, verdict: Verdict
) -> None:
    ratio = math.sqrt(low * high)
    assert decide(_estimate(ratio, low, high, p), max_slowdown=0.03, alpha=0.01).verdict is verdict


def _doc(tmp_path: Path, name: str, median: float, sigma: float, n: int, seed: int) -> Path:
    samples = lognormal_samples(median, seed, n, sigma)
    record = BenchmarkRecord.for_case("torch-native", CASE, "cpu", samples_s=samples, threads=1)
    doc = new_document("bench", environment={"cpu_model": "Test CPU", "torch_threads": 1})
    doc["benchmarks"] = [record.to_dict()]
    return save_results(tmp_path / name, doc)


def test_compare_exits_1_on_inconclusive_unless_allowed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    base = _doc(tmp_path, "base.json", 1e-3, 0.3, 8, 0)  # 8 noisy rounds a side: cannot decide
    cand = _doc(tmp_path, "cand.json", 1e-3, 0.3, 8, 1)
    assert main(["compare", str(base), str(cand)]) == 1
    out = capsys.readouterr().out
    assert "INCONCLUSIVE (±3% not excluded)" in out and "result: 1 inconclusive" in out
    assert "INCONCLUSIVE [timing] torch-native/" in out and "cannot decide from 8 samples" in out
    assert main(["compare", str(base), str(cand), "--allow-inconclusive"]) == 0
    capsys.readouterr()
    assert main(["compare", str(base), str(cand), "--format", "json"]) == 1
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    (timing,) = data["timings"]
    assert timing["verdict"] == "inconclusive" and data["inconclusive"] == [timing["name"]]
    assert timing["interval"] == [timing["estimate"]["low"], timing["estimate"]["high"]]
    assert data["regressed"] is False and "1 inconclusive" in captured.err
    back = Comparison.from_dict(data)
    assert back.to_dict() == data and back.exit_code == 1 and back.exit_code_for(allow_inconclusive=True) == 0
    assert main(["compare", str(base), str(cand), "--format", "markdown"]) == 1
    markdown = capsys.readouterr().out
    assert markdown.startswith("### ❔ lstm-bench: 1 inconclusive") and "❔ inconclusive |" in markdown


def test_report_view_shows_inconclusive_rows() -> None:
    estimate = RatioEstimate(1.01, 0.95, 1.08, 0.95, 0.4, "test", True, 150, 150)
    timing = TimingComparison(
        "t", 1e-3, 1.01e-3, estimate, Verdict.INCONCLUSIVE, "cannot decide", 0.03, pairs=150
    )
    ok = replace(timing, name="u", verdict=Verdict.UNCHANGED, pairs=16)
    rows, summary = comparison_rows(Comparison("b", "c", GateConfig(), timings=(ok, timing)))
    assert rows is not None and [r.verdict for r in rows] == ["inconclusive", "unchanged"]
    assert "1 inconclusive" in summary and rows[0].change.endswith("150 pairs")


# --------------------------------------------------------------------------------------------
# bench --baseline-impl: the sequential A/B command
# --------------------------------------------------------------------------------------------


class NoisyBackend(Backend):
    """Each call costs ``cost x jitter`` simulated seconds (lognormal jitter of s.d. ``sigma``)."""

    def __init__(self, name: str, machine: Machine, cost: float, sigma: float, seed: int) -> None:
        self.name, self.description, self.kind = name, f"fake {name}", Kind.LSTM
        self.machine, self.cost = machine, cost
        self.jitter = np.random.default_rng(seed).lognormal(0.0, sigma, 10**5)

    def supports(self, case: Case, device: str) -> bool:
        return case.kind is self.kind

    def prepare(self, case: Case, device: str, seed: int) -> Prepared:
        calls = itertools.count()

        def step() -> None:
            self.machine.now += self.cost * float(self.jitter[next(calls) % self.jitter.size])

        return Prepared(step)


SETTINGS = TimerSettings(min_time_s=0.0, min_rounds=1, max_rounds=10**6, round_time_s=0.0, warmup_s=0.0)


def _command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, candidate_cost: float, sigma: float
) -> Callable[..., int]:
    machine = Machine()
    backends = {
        "mine:LSTM": NoisyBackend("cand", machine, candidate_cost, sigma, 1),
        "theirs:LSTM": NoisyBackend("base", machine, 1e-3, sigma, 2),
    }
    monkeypatch.setattr(ab, "ab_backend", lambda spec, kind: backends[spec])
    monkeypatch.setattr(ab, "ab_timer_settings", lambda min_time=None: SETTINGS)
    monkeypatch.setattr(ab, "clock_for_device", lambda device, timing: machine)
    monkeypatch.chdir(tmp_path)

    def run(**flags: object) -> int:
        args = argparse.Namespace(
            impl=["mine:LSTM"], baseline_impl="theirs:LSTM", device="cpu", threads=None, seed=0,
            cuda_timing="events", json=str(tmp_path / "ab.json"), max_slowdown=None, alpha=None, format="text",
            max_pairs=64, case_seconds=None, allow_inconclusive=False,
        )  # fmt: skip
        for key, value in flags.items():
            setattr(args, key, value)
        return ab.run_ab_command(ab.ABOptions.from_args(args), [CASE], Kind.LSTM)

    return run


def test_ab_command_inconclusive_exit_codes_and_pairs(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _command(monkeypatch, tmp_path, 1.03e-3, 0.3)  # +3% under 30% noise, at most 64 pairs
    assert run() == 1
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("benchmark"))
    assert "INCONCLUSIVE" in out and header.split()[-2:] == ["pairs", "verdict"]
    data = json.loads((tmp_path / "ab.json").read_text())
    (timing,) = data["timings"]
    assert (timing["verdict"], timing["pairs"], timing["stopped"]) == ("inconclusive", 64, "last look")
    assert timing["design"]["looks"] == [16, 32, 64] and timing["estimate"]["method"] == "sign-sequential"
    assert run(allow_inconclusive=True) == 0
    capsys.readouterr()
    assert run(format="markdown") == 1
    assert "| p | pairs | verdict |" in capsys.readouterr().out


def test_ab_command_decides_identical_code_ok(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _command(monkeypatch, tmp_path, 1e-3, 0.01)
    assert run(max_pairs=None) == 0
    (timing,) = json.loads((tmp_path / "ab.json").read_text())["timings"]
    assert timing["verdict"] == "unchanged" and timing["stopped"] == "decided" and timing["pairs"] <= 64


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"max_pairs": 4}, "--max-pairs must be in 16..65536"),
        ({"case_seconds": 0.0}, "--case-seconds must be positive"),
    ],
)
def test_ab_budget_flags_are_checked(flags: dict[str, object], message: str) -> None:
    args = argparse.Namespace(impl=["a:LSTM"], baseline_impl="b:LSTM", max_pairs=None, case_seconds=None)
    for key, value in flags.items():
        setattr(args, key, value)
    with pytest.raises(UsageError, match=message):
        ab.ABOptions.from_args(args)
    assert ab.budget_from_flags(None, None) == Budget()


def test_cli_bad_budget_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["bench", "--impl", "torch.nn:LSTM", "--baseline-impl", "torch.nn:LSTM", "--kind", "lstm",
                 "--suite", "quick", "--max-pairs", "3"])  # fmt: skip
    assert code == 2 and "--max-pairs must be in" in capsys.readouterr().err


def test_threads_are_restored(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import torch

    before = torch.get_num_threads()
    run = _command(monkeypatch, tmp_path, 1e-3, 0.01)
    run(threads=1 if before != 1 else 2)
    assert torch.get_num_threads() == before
    assert isinstance(GateConfig().alpha, float)
