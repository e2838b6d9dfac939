"""``lstm-bench compare``: results documents in, verdicts, findings, renderings and exit codes out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import report_docs
from gate_helpers import CASE, lognormal_samples

from lstm_bench.bench.records import BenchmarkRecord
from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.cli import main
from lstm_bench.conformance.result import CheckResult, Status
from lstm_bench.conformance.tolerances import Tolerance
from lstm_bench.errors import UsageError
from lstm_bench.gate.compare import Comparison, Severity, compare_documents
from lstm_bench.gate.config import GateConfig
from lstm_bench.gate.format import format_seconds, render, to_markdown, to_text
from lstm_bench.gate.stats import Verdict
from lstm_bench.kinds import Kind
from lstm_bench.results import load_results, new_document, save_results

ENV = {
    "cpu_model": "Test CPU",
    "hostname": "ci-1",
    "torch": "2.13.0",
    "torch_threads": 1,
    "git_commit": "abc123",
}
CONFIG = GateConfig(max_slowdown=0.03, alpha=0.01)


def _record(median: float, seed: int, case: Case = CASE, **fields: Any) -> dict[str, Any]:
    record = BenchmarkRecord.for_case(
        "torch-native", case, "cpu", samples_s=lognormal_samples(median, seed), threads=1
    )
    return {**record.to_dict(), **fields}


def _check(name: str, status: Status, error: float) -> dict[str, Any]:
    tolerance = Tolerance(1e-9, 1e-9, "test")
    return CheckResult(name, status, 0.1, examples=25, worst_error=error, tolerance=tolerance).to_dict()


def _conformance(*checks: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"spec": "torch.nn:LSTM", "kind": "lstm", "dtype": "float64", "device": "cpu", "profile": "ci",
             "seed": 0, "seconds": 1.0, "checks": list(checks)}]  # fmt: skip


def _doc(tmp_path: Path, name: str, env: dict[str, Any] | None = None, **sections: Any) -> Path:
    doc = new_document("run", environment={**ENV, **(env or {})})
    doc.update(sections)
    return save_results(tmp_path / name, doc)


def _compare(base: Path, cand: Path, config: GateConfig = CONFIG) -> Comparison:
    return compare_documents(load_results(base), load_results(cand), config)


def test_slower_benchmark_is_a_regression_and_same_is_not(tmp_path: Path) -> None:
    base = _doc(tmp_path, "base.json", benchmarks=[_record(1e-3, 0)])
    slow = _doc(tmp_path, "slow.json", benchmarks=[_record(1.10e-3, 1)])
    same = _doc(tmp_path, "same.json", benchmarks=[_record(1e-3, 2)])
    faster = _doc(tmp_path, "fast.json", benchmarks=[_record(0.8e-3, 3)])
    result = _compare(base, slow)
    (timing,) = result.timings
    assert timing.verdict is Verdict.REGRESSION and result.exit_code == 1
    assert timing.ratio == pytest.approx(1.10, abs=0.02)
    assert timing.estimate is not None and timing.estimate.low > 1.0
    assert _compare(base, same).exit_code == 0
    improved = _compare(base, faster)
    assert improved.timings[0].verdict is Verdict.IMPROVEMENT and improved.exit_code == 0


def test_per_benchmark_threshold_from_config(tmp_path: Path) -> None:
    base = _doc(tmp_path, "base.json", benchmarks=[_record(1e-3, 0)])
    slow = _doc(tmp_path, "slow.json", benchmarks=[_record(1.10e-3, 1)])
    lenient = GateConfig(max_slowdown=0.03, alpha=0.01, thresholds=(("torch-native/lstm/*", 0.20),))
    result = _compare(base, slow, lenient)
    assert result.timings[0].verdict is Verdict.UNCHANGED and result.timings[0].max_slowdown == 0.20


def test_same_name_other_dtype_is_not_compared(tmp_path: Path) -> None:
    base = _doc(
        tmp_path, "base.json", benchmarks=[_record(1e-3, 0), _record(2e-3, 5, CASE.with_dtype("float64"))]
    )
    other = _record(1e-3, 1, dtype="float64")  # same name as the float32 record, but float64
    cand = _doc(tmp_path, "cand.json", benchmarks=[other, _record(2e-3, 6, CASE.with_dtype("float64"))])
    result = _compare(base, cand)
    errors = result.of_severity(Severity.ERROR)
    assert len(errors) == 1 and "dtype: baseline 'float32', candidate 'float64'" in errors[0].message
    assert len(result.timings) == 1  # the float64 benchmark is still compared


def test_cpu_time_and_wall_time_are_not_compared(tmp_path: Path) -> None:
    base = _doc(
        tmp_path,
        "base.json",
        benchmarks=[_record(1e-3, 0, clock="wall"), _record(2e-3, 5, CASE.with_dtype("float64"))],
    )
    cand = _doc(
        tmp_path,
        "cand.json",
        benchmarks=[_record(1e-3, 1, clock="process-cpu"), _record(2e-3, 6, CASE.with_dtype("float64"))],
    )
    result = _compare(base, cand)
    errors = result.of_severity(Severity.ERROR)
    assert len(errors) == 1 and "clock: baseline 'wall', candidate 'process-cpu'" in errors[0].message
    assert len(result.timings) == 1


def test_nothing_in_common_is_a_usage_error(tmp_path: Path) -> None:
    base = _doc(tmp_path, "base.json", benchmarks=[_record(1e-3, 0)])
    cand = _doc(tmp_path, "cand.json", benchmarks=[_record(1e-3, 0, threads=2)])
    with pytest.raises(
        UsageError, match=r"no benchmark, check or stability entry in common .*threads: baseline 1"
    ):
        _compare(base, cand)


def test_environment_differences_are_explained(tmp_path: Path) -> None:
    base = _doc(tmp_path, "base.json", benchmarks=[_record(1e-3, 0)])
    cand = _doc(
        tmp_path,
        "cand.json",
        env={"torch": "2.14.0", "cpu_model": "Other CPU"},
        benchmarks=[_record(1e-3, 1)],
    )
    messages = [f.message for f in _compare(base, cand).of_severity(Severity.WARNING)]
    assert "different torch version: baseline '2.13.0', candidate '2.14.0'" in messages
    assert "different CPU: baseline 'Test CPU', candidate 'Other CPU'" in messages


def test_missing_new_and_failing_benchmarks(tmp_path: Path) -> None:
    gru = Case(Kind.GRU, Workload.FORWARD, 64, 64, 16, 50)
    rnn = Case(Kind.RNN_TANH, Workload.FORWARD, 64, 64, 16, 50)
    base = _doc(tmp_path, "base.json", benchmarks=[_record(1e-3, 0), _record(1e-3, 1, gru)])
    broken = _record(1e-3, 2, status="error", reason="RuntimeError: boom", samples_s=[])
    cand = _doc(tmp_path, "cand.json", benchmarks=[broken, _record(1e-3, 3, rnn)])
    result = _compare(base, cand)
    by_severity = {s: [f.subject for f in result.of_severity(s)] for s in Severity}
    assert by_severity[Severity.REGRESSION] == [CASE.key.join(["torch-native/", "/cpu"])]
    assert by_severity[Severity.WARNING] == [f"torch-native/{gru.key}/cpu"]
    assert by_severity[Severity.NOTE] == [f"torch-native/{rnn.key}/cpu"]
    assert result.exit_code == 1


def test_conformance_regressions(tmp_path: Path) -> None:
    base = _doc(tmp_path, "base.json", conformance=_conformance(
        _check("equivalence", "pass", 1e-12), _check("gradients", "pass", 1e-12), _check("ranges", "fail", 0.5)))  # fmt: skip
    cand = _doc(tmp_path, "cand.json", conformance=_conformance(
        _check("equivalence", "pass", 1e-12), _check("gradients", "fail", 1e-3), _check("ranges", "pass", 0.0)))  # fmt: skip
    result = _compare(base, cand)
    (regression,) = result.of_severity(Severity.REGRESSION)
    assert regression.subject == "torch.nn:LSTM (lstm, float64, cpu) :: gradients"
    assert (
        "passed in the baseline, fails now" in regression.message
        and "past its tolerance" in regression.message
    )
    assert [f.subject.split(" :: ")[1] for f in result.of_severity(Severity.IMPROVEMENT)] == ["ranges"]
    assert result.exit_code == 1


def test_pytest_benchmark_json_is_accepted(tmp_path: Path) -> None:
    def pb(median: float, seed: int) -> dict[str, Any]:
        data = list(lognormal_samples(median, seed))
        stats = {"data": data, "median": float(np.median(data)), "mean": float(np.mean(data)), "min": min(data),
                 "max": max(data), "q1": data[0], "q3": data[1], "rounds": len(data), "iterations": 1}  # fmt: skip
        return {"machine_info": {"node": "ci"}, "commit_info": {"id": "f00d"},
                "benchmarks": [{"name": "test_lstm", "fullname": "suite.py::test_lstm", "stats": stats}]}  # fmt: skip

    (tmp_path / "a.json").write_text(json.dumps(pb(1e-3, 0)))
    (tmp_path / "b.json").write_text(json.dumps(pb(1.2e-3, 1)))
    result = _compare(tmp_path / "a.json", tmp_path / "b.json")
    assert result.timings[0].name == "suite.py::test_lstm"
    assert result.timings[0].verdict is Verdict.REGRESSION
    # Saved without --benchmark-save-data: medians only, no test (inconclusive), and a warning that says so.
    bare = pb(1.2e-3, 1)
    del bare["benchmarks"][0]["stats"]["data"]
    (tmp_path / "c.json").write_text(json.dumps(bare))
    result = _compare(tmp_path / "a.json", tmp_path / "c.json")
    (timing,) = result.timings
    assert (
        timing.estimate is None and timing.verdict is Verdict.INCONCLUSIVE and "not tested" in timing.reason
    )
    assert timing.ratio == pytest.approx(
        bare["benchmarks"][0]["stats"]["median"] / np.median(lognormal_samples(1e-3, 0))
    )
    assert "raw samples missing" in result.of_severity(Severity.WARNING)[0].message


def test_renderings(tmp_path: Path) -> None:
    base = _doc(
        tmp_path,
        "base.json",
        benchmarks=[_record(1e-3, 0)],
        conformance=_conformance(_check("gradients", "pass", 0)),
    )
    cand = _doc(
        tmp_path,
        "cand.json",
        benchmarks=[_record(1.1e-3, 1)],
        conformance=_conformance(_check("gradients", "fail", 1)),
    )
    result = _compare(base, cand)
    text = to_text(result)
    assert "REGRESSION (> 3%)" in text and "result: 2 regressions" in text and "1 ms" in text
    markdown = to_markdown(result)
    assert markdown.startswith("### ❌ lstm-bench: 2 regressions")
    assert "| benchmark | baseline | candidate | change | 99% interval | p | verdict |" in markdown
    assert "**conformance** `torch.nn:LSTM (lstm, float64, cpu) :: gradients`" in markdown
    back = Comparison.from_dict(json.loads(render(result, "json")))
    assert back.to_dict() == result.to_dict()
    with pytest.raises(ValueError, match="unknown format"):
        render(result, "html")


@pytest.mark.parametrize(
    ("seconds", "text"), [(1.234, "1.23 s"), (0.00123, "1.23 ms"), (4.5e-6, "4.5 µs"), (8e-8, "80 ns")]
)
def test_format_seconds(seconds: float, text: str) -> None:
    assert format_seconds(seconds) == text


# --------------------------------------------------------------------------------------------
# The command line
# --------------------------------------------------------------------------------------------


def test_cli_exit_codes_and_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no pyproject.toml here: built-in defaults
    base = _doc(tmp_path, "base.json", benchmarks=[_record(1e-3, 0)])
    slow = _doc(tmp_path, "slow.json", benchmarks=[_record(1.10e-3, 1)])
    assert main(["compare", str(base), str(base)]) == 0
    assert "result: no regression" in capsys.readouterr().out
    assert main(["compare", str(base), str(slow), "--format", "markdown", "--output", "comment.md"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("### ❌") and (tmp_path / "comment.md").read_text() == out
    assert main(["compare", str(base), str(slow), "--max-slowdown", "20%"]) == 0
    capsys.readouterr()
    assert main(["compare", str(base), str(slow), "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["regressed"] is True


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema": "lstm-bench.results", "schema_version": 1, "benchm', "not valid JSON"),
        ('{"hello": "world"}', "not an lstm-bench results file"),
        ('{"schema": "lstm-bench.results", "schema_version": 7}', "schema version 7 is not supported"),
        ("\x00\x01", "not valid JSON"),
    ],
)
def test_cli_bad_input_is_one_line_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str
) -> None:
    good = _doc(tmp_path, "good.json", benchmarks=[_record(1e-3, 0)])
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["compare", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_cli_bad_flags_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = _doc(tmp_path, "good.json", benchmarks=[_record(1e-3, 0)])
    assert main(["compare", str(good), str(good), "--max-slowdown", "5"]) == 2
    assert "ambiguous" in capsys.readouterr().err
    assert main(["compare", str(good), str(tmp_path / "absent.json")]) == 2
    assert "no such file" in capsys.readouterr().err


# --------------------------------------------------------------------------------------------
# Stability
# --------------------------------------------------------------------------------------------


def _stability(
    horizons: dict[str, list[int]], decay: float, cell: float, profile: str = "quick"
) -> dict[str, Any]:
    """A "stability" section: ``horizons`` maps a model label to the horizons it solved of 10, 20, 40."""
    from lstm_bench.stability.gradient_norms import GradientProfile
    from lstm_bench.stability.models import ModelSpec
    from lstm_bench.stability.result import GroupSummary, HorizonOutcome

    summary = [
        GroupSummary(
            model, "recall", tuple(HorizonOutcome(h, 3, 3, 3 if h in solved else 0) for h in (10, 20, 40))
        ).to_dict()
        for model, solved in horizons.items()
    ]
    grad = GradientProfile(Kind.LSTM, (10.0**decay, 1.0), (10.0**cell, 1.0))
    spec = ModelSpec(Kind.LSTM, "chrono", 32, None)
    diagnostics = [
        {
            "model": spec.to_dict(),
            "task": "recall",
            "horizon": 100,
            "seed": 0,
            "status": "ok",
            "profile": grad.to_dict(),
        }
    ]
    return report_docs.stability_report(summary, diagnostics, [spec.to_dict()], profile)


def test_stability_regressions(tmp_path: Path) -> None:
    base = _doc(
        tmp_path,
        "base.json",
        stability=_stability({"LSTM (chrono)": [10, 20, 40], "tanh RNN": [10]}, -1.0, -0.5),
    )
    cand = _doc(
        tmp_path,
        "cand.json",
        stability=_stability({"LSTM (chrono)": [10, 20], "tanh RNN": [10, 20]}, -3.0, -0.8),
    )
    result = _compare(base, cand, GateConfig(grad_norm_factor=10.0))
    regressions = {f.subject: f.message for f in result.of_severity(Severity.REGRESSION)}
    assert regressions == {
        "LSTM (chrono) / recall": "longest horizon solved fell from T=40 to T=20",
        "LSTM (chrono) H=32 / recall T=100 seed 0": "log10 gradient-norm ratio moved from -1.00 to -3.00 (a factor of 10^2.00 > 10)",
    }  # the cell ratio moved 0.3 decades only; the tanh RNN got better
    assert [f.subject for f in result.of_severity(Severity.IMPROVEMENT)] == ["tanh RNN / recall"]
    assert result.exit_code == 1
    assert _compare(base, base).exit_code == 0


def test_stability_of_another_profile_is_not_compared(tmp_path: Path) -> None:
    base = _doc(
        tmp_path, "base.json", benchmarks=[_record(1e-3, 0)], stability=_stability({"GRU": [10]}, -1, -1)
    )
    cand = _doc(
        tmp_path,
        "cand.json",
        benchmarks=[_record(1e-3, 1)],
        stability=_stability({"GRU": []}, -1, -1, "full"),
    )
    result = _compare(base, cand)
    (error,) = result.of_severity(Severity.ERROR)
    assert error.message == "not compared: sweep profile 'quick' in the baseline, 'full' in the candidate"
    assert result.exit_code == 0


def test_stability_of_the_same_profile_name_but_other_settings_is_not_compared(tmp_path: Path) -> None:
    """`stability --profile quick` and `run --profile quick` are both 'quick' sweeps, of different budgets."""
    section = _stability({"GRU": [10, 20]}, -1, -1)
    base = _doc(
        tmp_path,
        "base.json",
        benchmarks=[_record(1e-3, 0)],
        stability={**section, "settings": {**section["settings"], "max_steps": 600}},
    )
    shorter = _stability({"GRU": [10]}, -1, -1)
    cand = _doc(
        tmp_path,
        "cand.json",
        benchmarks=[_record(1e-3, 1)],
        stability={**shorter, "settings": {**shorter["settings"], "max_steps": 800, "max_seconds": 1.0}},
    )
    result = _compare(base, cand)
    (error,) = result.of_severity(Severity.ERROR)
    assert error.message.startswith(
        "not compared: the two 'quick' sweeps were run with different settings (max_steps 600 vs 800)"
    )  # the wall-clock safety cap alone would not matter
    assert not result.of_severity(Severity.REGRESSION) and result.exit_code == 0
    same = _doc(
        tmp_path,
        "same.json",
        benchmarks=[_record(1e-3, 1)],
        stability={**shorter, "settings": {**section["settings"], "max_steps": 600}},
    )
    assert [f.subject for f in _compare(base, same).of_severity(Severity.REGRESSION)] == ["GRU / recall"]


def test_drift_of_the_unchanged_reference_is_pointed_out(tmp_path: Path) -> None:
    def run(name: str, factor: float, seed: int) -> Path:
        records = [_record(1e-3 * factor, seed)]  # torch-native
        ref = BenchmarkRecord.for_case(
            "torch-ref", CASE, "cpu", samples_s=lognormal_samples(2e-3 * factor, seed + 1), threads=1
        )
        return _doc(tmp_path, name, benchmarks=[*records, ref.to_dict()])

    result = _compare(run("base.json", 1.0, 0), run("cand.json", 1.2, 10))
    assert all(t.verdict is Verdict.REGRESSION for t in result.timings)
    warnings = {f.subject.split("/")[0]: f.message for f in result.of_severity(Severity.WARNING)}
    assert "machine drifted between the runs" in warnings["torch-native"]
    assert warnings["torch-ref"].startswith("torch-native (unchanged code) moved +1")
    steady = _compare(run("base.json", 1.0, 0), run("same.json", 1.0, 20))
    assert not steady.of_severity(Severity.WARNING)
