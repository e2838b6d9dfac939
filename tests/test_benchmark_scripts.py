"""benchmarks/ratio_under_load.py and sweep_reproducibility.py: comparison logic, tiny end-to-end passes."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import ModuleType

import pytest
from bench_scripts import load_script

from lstm_bench.bench.paired import Speedup


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("ratio_under_load")


def _s(ratio: float, spread: float = 0.005) -> Speedup:
    return Speedup("torch-native", ratio, ratio * (1 - spread), ratio * (1 + spread), 0.96, 20)


def test_every_ratio_must_stay_within_the_tolerance(script: ModuleType) -> None:
    quiet = {"bench: a": _s(0.50), "bench: b": _s(2.0)}
    rows, ok = script.compare(quiet, {"bench: a": _s(0.54), "bench: b": _s(1.9)}, 0.10)
    assert ok and [round(r.change, 6) for r in rows] == [0.08, 0.05]
    rows, ok = script.compare(quiet, {"bench: a": _s(0.56), "bench: b": _s(2.0)}, 0.10)
    assert not ok and round(rows[0].change, 6) == 0.12 and rows[0].verdict(0.10) == "FAIL"
    rows, ok = script.compare(quiet, {"bench: a": _s(0.5)}, 0.10)  # a ratio missing under load fails
    assert not ok and rows[1].change is None
    table = script.format_rows(rows, 0.10)
    assert "0.50x [0.50, 0.50]" in table and "missing" in table and "FAIL" in table


def test_a_change_the_intervals_cannot_place_is_inconclusive_not_ok(script: ModuleType) -> None:
    # 0.50 -> 0.52 is a 4% change, but intervals of +-5% allow anything from 0% to 15%
    rows, ok = script.compare({"bench: a": _s(0.50, 0.05)}, {"bench: a": _s(0.52, 0.05)}, 0.10)
    assert not ok and rows[0].verdict(0.10) == "inconclusive"
    smallest, largest = rows[0].change_bounds
    half = math.hypot(math.log(1 / 0.95), math.log(1 / 0.95))  # the two intervals in quadrature (log scale)
    assert smallest == 0.0 and largest == pytest.approx(1.04 * math.exp(half) - 1)
    assert largest < 0.52 * 1.05 / (0.50 * 0.95) - 1  # narrower than the extremes of both intervals
    assert "inconclusive" in script.format_rows(rows, 0.10)
    # the same 4% between intervals of +-1% is placed within 10%: ok
    rows, ok = script.compare({"bench: a": _s(0.50, 0.01)}, {"bench: a": _s(0.52, 0.01)}, 0.10)
    assert ok and rows[0].verdict(0.10) == "ok"


def test_tiny_end_to_end_pass_reports_every_ratio_in_both_conditions(
    script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ratios.json"
    argv = [
        "--kind",
        "lstm",
        "--workload",
        "forward",
        "--min-time",
        "0.01",
        "--no-run-phase",
        "--json",
        str(out),
    ]
    code = script.main(argv)
    data = json.loads(out.read_text())
    names = [row["name"] for row in data["rows"]]
    # the quick suite's LSTM forward case, numpy-ref has no float32 forward: torch-ref vs torch-native
    assert names == ["bench: torch-ref/lstm/forward/float32/I64-H64-B16-T50/cpu"]
    row = data["rows"][0]
    assert row["quiet"]["baseline"] == row["loaded"]["baseline"] == "torch-native"
    assert row["change"] == pytest.approx(abs(row["loaded"]["ratio"] / row["quiet"]["ratio"] - 1))
    low, high = row["change_bounds"]
    assert low <= row["change"] <= high
    assert code == (0 if data["ok"] else 1) and data["ok"] == (row["verdict"] == "ok") == (high <= 0.10)
    expected = {"ok": "PASS", "inconclusive": "INCONCLUSIVE", "FAIL": "FAIL"}[row["verdict"]]
    assert expected in capsys.readouterr().out


def test_tiny_sweep_reproducibility_pass(capsys: pytest.CaptureFixture[str], script: ModuleType) -> None:
    """benchmarks/sweep_reproducibility.py --tiny: the same sweep quiet and beside the load, compared."""
    module = load_script("sweep_reproducibility")
    assert module.main(["--tiny"]) == 0
    out = capsys.readouterr().out
    assert "stability sections identical (times and hosts aside): True" in out and out.rstrip().endswith(
        "PASS"
    )


def test_cpu_time_drift_prints_every_workload_in_three_passes(
    capsys: pytest.CaptureFixture[str], script: ModuleType
) -> None:
    drift = load_script("cpu_time_drift")
    assert drift.main(["--reps", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split("  ")[0].strip() for line in lines[1:]] == list(drift.workloads())
    assert all("quiet again" in line and "load" in line for line in lines[1:])


def test_the_control_compares_two_quiet_passes(script: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "control.json"
    argv = ["--kind", "lstm", "--workload", "latency", "--min-time", "0.01", "--no-run-phase", "--control"]
    code = script.main([*argv, "--json", str(out)])
    data = json.loads(out.read_text())
    assert [row["verdict"] for row in data["rows"]] and code == (0 if data["ok"] else 1)


def test_spread_passes_summarizes_steps_between_neighbouring_passes(tmp_path: Path) -> None:
    module = load_script("spread_passes")
    summary = module.summarize([{"a": 1.0, "b": 2.0}, {"a": 1.2, "b": 2.0}, {"a": 1.14, "b": 2.1}], 0.10)
    assert summary["rows"]["a"]["largest_step"] == pytest.approx(0.2)
    assert summary["rows"]["a"]["spread"] == pytest.approx(0.2)
    assert summary["rows"]["b"]["largest_step"] == pytest.approx(0.05)
    assert summary["rows_beyond_tolerance"] == 1 and summary["worst_step"] == pytest.approx(0.2)
    out = tmp_path / "spread.json"
    argv = ["--plan", "Q,Q", "--kind", "rnn", "--min-time", "0.01", "--sweeps", "2", "--json", str(out)]
    assert module.main(argv) == 0
    data = json.loads(out.read_text())
    assert data["plan"] == ["Q", "Q"] and set(data["results"]) == {"case after case", "spread over 2 sweeps"}
    rows = data["results"]["spread over 2 sweeps"]["rows"]
    assert rows and all(len(r["ratios"]) == 2 for r in rows.values())


def test_block_composition_times_every_grouping_in_every_repetition(
    capsys: pytest.CaptureFixture[str],
) -> None:
    module = load_script("block_composition")
    assert module.parse_compositions("1+1,6+3") == [(1, 1), (6, 3)]
    argv = ["--kind", "rnn", "--compositions", "1+1,2+1", "--seconds", "0.01", "--reps", "2"]
    assert module.main(argv) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("rnn latency I=64 H=64 B=1 T=1")
    rows = {line.split()[0]: [float(v) for v in line.split()[1:]] for line in lines[2:4]}
    assert set(rows) == {"1+1", "2+1"} and all(len(v) == 2 and all(r > 0 for r in v) for v in rows.values())
    assert lines[-1].startswith("between compositions:")
    assert module.main([*argv[:-2], "--reps", "1", "--processes", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("per process") == 2 and "between processes" in out
