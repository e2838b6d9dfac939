"""The pytest-benchmark suites in suites/benchmarks run, skip GPU work with a reason, and convert to records."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

from lstm_bench.bench.records import records_from_document
from lstm_bench.results import load_results

ROOT = Path(__file__).resolve().parents[1]


def test_suites_write_benchmark_json_that_converts_to_records(tmp_path: Path) -> None:
    out = tmp_path / "pb.json"
    env = {
        **os.environ,
        "LSTM_BENCH_SUITE": "quick",
        "LSTM_BENCH_MIN_TIME": "0.001",
        "LSTM_BENCH_BACKENDS": "torch-ref,torch-native",
        "OMP_NUM_THREADS": "1",
    }
    only = ["-k", "lstm and latency", "-p", "no:cacheprovider", "-q", "-rs"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/benchmarks", *only, f"--benchmark-json={out}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    if not torch.cuda.is_available():
        assert "CUDA is not available" in result.stdout  # the GPU suite skipped with its reason
    records = records_from_document(load_results(out))
    assert {r.backend for r in records} == {"torch-ref", "torch-native"}
    assert {r.device for r in records} <= {"cpu", "cuda"}
    for r in records:
        assert r.kind == "lstm" and r.workload == "latency" and (r.batch, r.steps) == (1, 1)
        assert r.source == "pytest-benchmark" and len(r.samples_s) >= 7 and r.calls_per_round >= 1
        assert r.flops is not None and r.gflops is not None


def test_each_benchmark_is_collected_once_whether_named_by_folder_or_file() -> None:
    def collected(*paths: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *paths, "--collect-only", "-q", "-p", "no:cacheprovider"],
            cwd=ROOT,
            env={**os.environ, "LSTM_BENCH_SUITE": "quick"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout[-2000:]
        return [line for line in result.stdout.splitlines() if "::" in line]

    by_folder = collected("suites/benchmarks")
    by_file = collected("suites/benchmarks/bench_cpu.py", "suites/benchmarks/bench_gpu.py")
    assert by_folder and len(set(by_folder)) == len(by_folder)
    assert sorted(by_file) == sorted(by_folder)


def test_the_installed_suite_runs_by_pyargs_from_any_folder(tmp_path: Path) -> None:
    """``pytest --pyargs lstm_bench.suites.benchmarks`` outside this repository times the same cases."""
    env = {**os.environ, "LSTM_BENCH_SUITE": "quick", "LSTM_BENCH_MIN_TIME": "0.001", "OMP_NUM_THREADS": "1",
           "LSTM_BENCH_BACKENDS": "torch-native"}  # fmt: skip
    out = tmp_path / "pb.json"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "lstm_bench.suites.benchmarks", "-q", "-p", "no:cacheprovider",
         "-k", "gru and latency", "--impl", "torch.nn:GRU", f"--benchmark-json={out}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    records = records_from_document(load_results(out))
    assert {r.backend for r in records} == {"torch-native", "impl:torch.nn:GRU"}
