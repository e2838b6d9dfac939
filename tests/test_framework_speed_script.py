"""benchmarks/framework_speed.py: the table, skipped frameworks, and a tiny end-to-end pass."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest
from bench_scripts import load_script


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return load_script("framework_speed")


def test_rows_come_from_adapted_records_with_their_interval(script: ModuleType) -> None:
    document = {
        "benchmarks": [
            {"impl": None, "backend": "torch-native", "kind": "lstm"},
            {
                "impl": "equinox.nn:LSTMCell",
                "framework": "equinox 0.13.8 (jax 0.10.2)",
                "kind": "lstm",
                "workload": "forward",
                "input_size": 64,
                "hidden_size": 64,
                "batch": 16,
                "steps": 50,
                "dtype": "float32",
                "speedup": {"ratio": 0.5, "low": 0.45, "high": 0.55},
                "compile_s": 0.3,
            },
        ]
    }
    (row,) = script.rows_of(document, "equinox")
    table = script.format_table([row])
    assert "equinox 0.13.8 (jax 0.10.2)" in table
    assert "forward I=64 H=64 B=16 T=50 float32" in table
    assert "0.50x [0.45, 0.55]" in table and "0.30 s" in table


def test_a_framework_that_is_not_installed_is_skipped_with_the_reason(
    script: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    group = script.Group("nothing", ("no_such_framework_xyz",), {}, {"lstm": ("no_such_framework_xyz:LSTM",)})
    rows = script.run_group(group, ["lstm", "gru"], None)
    assert rows == [
        {
            "group": "nothing",
            "impl": "no_such_framework_xyz:LSTM",
            "kind": "lstm",
            "status": "skipped",
            "reason": "no_such_framework_xyz is not installed",
        }
    ]
    assert "skipped: no_such_framework_xyz is not installed" in script.format_table(rows)


def test_tiny_end_to_end_pass(script: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("equinox", reason="the jax extra is not installed: pip install 'lstm-bench[jax]'")
    out = tmp_path / "rows.json"
    argv = ["--group", "equinox", "--kind", "lstm", "--workload", "forward", "--min-time", "0.01"]
    code = script.main([*argv, "--threads", "1", "--json", str(out)])
    assert code == 0
    (row,) = json.loads(out.read_text())["rows"]
    assert row["impl"] == "equinox.nn:LSTMCell" and row["framework"].startswith("equinox ")
    assert row["ratio"] is not None and row["low"] <= row["ratio"] <= row["high"]
    assert row["compile_s"] is not None and row["compile_s"] > 0  # the first call, apart from the timings
    assert "equinox.nn:LSTMCell" in capsys.readouterr().out
