"""--workers and --scheduler on the commands: same results on any number of workers, one-line usage errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from scaleout_helpers import comparable

from lstm_bench.cli import main
from lstm_bench.kinds import Kind
from lstm_bench.stability import sweep
from lstm_bench.stability.models import ModelSpec
from lstm_bench.stability.sweep import SweepSize


@pytest.fixture
def tiny_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    """``--profile quick`` as a seconds-long sweep of two small models (step budgets: deterministic)."""
    profile = SweepSize("quick", (5, 10), seeds=2, max_seconds=600, max_steps=40, diagnostic_horizons=(6,))
    monkeypatch.setitem(sweep.SWEEP_SIZES, "quick", profile)
    monkeypatch.setattr(
        sweep, "BUILTIN_MODELS", (ModelSpec(Kind.RNN_TANH, "default", 8), ModelSpec(Kind.LSTM, "chrono", 8))
    )


def test_a_sweep_on_two_workers_writes_the_results_of_one(tiny_sweep: None, tmp_path: Path) -> None:
    sections = {}
    for workers in ("1", "2"):
        path = tmp_path / f"w{workers}.json"
        assert main(["stability", "--profile", "quick", "--workers", workers, "--json", str(path)]) == 0
        sections[workers] = json.loads(path.read_text())["stability"]
    assert sections["1"]["executor"] == "this process"
    assert sections["2"]["executor"].startswith("local process pool, 2 workers")
    ran = [
        (comparable(one), comparable(two))
        for one, two in zip(sections["1"]["jobs"], sections["2"]["jobs"], strict=True)
        if one["status"]
        == two["status"]
        == "ok"  # a job may be skipped in one run, already running in the other
    ]
    assert ran and all(one == two for one, two in ran)
    assert comparable(sections["1"]["diagnostics"]) == comparable(sections["2"]["diagnostics"])
    longest = {w: [(g["model"], g["longest_horizon"]) for g in sections[w]["summary"]] for w in sections}
    assert longest["1"] == longest["2"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["stability", "--workers", "0"], "--workers must be at least 1, got 0"),
        (["stability", "--workers", "2", "--scheduler", "tcp://h:8786"], "give one of them"),
        (["bench", "--workers", "2"], "unrecognized arguments: --workers 2"),
    ],
)
def test_scaleout_usage_errors_are_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    assert code == 2 and message in err and err.count("\n") == 1


@pytest.fixture(scope="module")
def scheduler() -> Iterator[str]:
    distributed = pytest.importorskip(
        "distributed", reason="Dask distributed is the optional extra lstm-bench[dask]"
    )
    with distributed.LocalCluster(
        n_workers=1, processes=True, threads_per_worker=1, dashboard_address=None, silence_logs=50
    ) as cluster:
        yield str(cluster.scheduler_address)


def test_bench_on_a_cluster_names_the_host_of_every_record(
    scheduler: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LSTM_BENCH_SCHEDULER", scheduler)
    path = tmp_path / "bench.json"
    argv = [
        "bench",
        "--suite",
        "quick",
        "--kind",
        "lstm",
        "--workload",
        "forward",
        "--backends",
        "torch-native",
    ]
    assert main([*argv, "--min-time", "0.01", "--no-peak", "--json", str(path)]) == 0
    document: dict[str, Any] = json.loads(path.read_text())
    assert document["benchmarks"] and all(record["host"] for record in document["benchmarks"])
    assert document["benchmark_run"]["executor"].startswith(f"Dask scheduler {scheduler}")
    assert "one benchmark per host at a time" in capsys.readouterr().err
