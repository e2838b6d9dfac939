"""``lstm-bench run --profile quick`` end to end: every phase, a report folder, exit 0.

About 70 s on 2 cores, so marked ``slow`` and run only when asked for: ``pytest -m slow``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from report_html import parse_strict

from lstm_bench.cli import main


@pytest.mark.slow
def test_quick_run_writes_a_complete_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], request: pytest.FixtureRequest
) -> None:
    if "slow" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("a full quick run (about 70 s): select it with -m slow")
    assert main(["run", "--profile", "quick", "--device", "cpu", "--out", str(tmp_path)]) == 0
    latest = tmp_path / "latest"
    assert latest.is_symlink()
    results = json.loads((latest / "results.json").read_text())
    phases = {p["name"]: p["status"] for p in results["run"]["phases"]}
    assert phases == {"conformance": "ok", "stability": "ok", "gates": "ok", "benchmarks": "ok"}
    assert results["stability"]["summary"] and results["benchmarks"] and results["gates"]["models"]
    assert {r["spec"] for r in results["conformance"]} == {
        "lstm_bench.reference.torch_ref:LSTM",
        "torch.nn:LSTM",
    }
    longest = {g["model"]: g["longest_horizon"] for g in results["stability"]["summary"]}
    # budgets in steps: the quick sweep's verdict is the machine's-load-free 40 vs 10 (stability.budgets)
    assert (longest["LSTM (chrono)"] or 0) > (longest["tanh RNN"] or 0)
    assert all(g["timed_out_at"] is None for g in results["stability"]["summary"])
    speedups = [
        r["speedup"] for r in results["benchmarks"] if r["backend"] != "torch-native" and r["status"] == "ok"
    ]
    assert speedups and all(s is not None and s["low"] <= s["ratio"] <= s["high"] for s in speedups)
    html = (latest / "index.html").read_text()
    assert parse_strict(html).errors == []
    out = capsys.readouterr().out
    assert "All 2 implementations passed every conformance check." in out
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
