"""``lstm-bench bench`` end to end on tiny selections, and its one-line usage errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lstm_bench.bench.records import records_from_document
from lstm_bench.cli import main
from lstm_bench.results import load_results

FAST = ["--suite", "quick", "--workload", "latency", "--min-time", "0.001", "--threads", "1"]


def test_bench_prints_a_table_and_writes_the_results_document(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "sub" / "bench.json"
    code = main(["bench", *FAST, "--kind", "lstm,gru", "--impl", "torch.nn:LSTM", "--json", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "GEMM peak (cpu, 1 thread): float32" in captured.out
    assert "vs torch-native" in captured.out and "impl:torch.nn:LSTM" in captured.out
    assert "timing 5 benchmarks" in captured.err  # phase lines when stderr is not a terminal
    doc = load_results(out)
    assert doc["command"] == "bench" and doc["format"] == "lstm-bench"
    records = records_from_document(doc)
    assert {(r.kind, r.backend) for r in records} == {
        ("lstm", "torch-ref"),
        ("lstm", "torch-native"),
        ("lstm", "impl:torch.nn:LSTM"),
        ("gru", "torch-ref"),
        ("gru", "torch-native"),
    }
    assert all(r.status == "ok" and r.samples_s and r.threads == 1 for r in records)
    assert [p["dtype"] for p in doc["peak"]] == ["float32"]
    assert doc["benchmark_run"]["suite"] == "quick" and doc["environment"]["torch_threads"] == 1
    assert all(r.percent_of_peak is not None for r in records)


def test_skipped_backends_are_listed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from lstm_bench.bench import registry

    monkeypatch.setattr(registry, "compile_unavailable", lambda device: "no compiler here (test)")
    code = main(
        ["bench", *FAST, "--kind", "rnn", "--backends", "torch-ref-compiled,torch-native", "--no-peak"]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "skipped: torch-ref-compiled (1 case): no compiler here (test)" in out
    assert "GEMM peak: not measured" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--suite", "huge"], "unknown suite 'huge'"),
        (["--kind", "transformer"], "unknown kind 'transformer'"),
        (["--workload", "training"], "--workload 'training'"),
        (["--dtype", "float16"], "--dtype 'float16'"),
        (["--backends", "fastest"], "unknown backend 'fastest'"),
        (["--impl", "nowhere_xyz:LSTM"], "cannot import module"),
        (["--min-time", "0"], "--min-time must be positive"),
        (["--min-time", "nan"], "--min-time must be positive seconds, got nan"),
        (["--min-time", "inf"], "--min-time must be positive seconds, got inf"),
        (["--seed", "-1"], "--seed must be >= 0, got -1"),
        (["--kind", ","], "--kind: no value given (',')"),
        (["--backends", ""], "--backends: no value given ('')"),
        (["--threads", "0"], "--threads must be at least 1"),
        (["--sweeps", "0"], "--sweeps must be at least 1"),
        (["--backends", "numpy-ref", "--dtype", "float32"], "nothing to run"),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["bench", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown when CUDA is absent")
def test_cuda_absent_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "--device", "cuda", *FAST]) == 2
    assert "--device cuda: CUDA is not available" in capsys.readouterr().err


def test_help_lists_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lstm_bench", "bench", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    for flag in ("--impl", "--backends", "--device", "--suite", "--kind", "--json", "--threads"):
        assert flag in result.stdout
