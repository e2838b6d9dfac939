"""The typed results document: real documents of check / bench / stability / run round-trip through it,
and a document that drifted from the schema is one line and exit 2 for every reader.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lstm_bench.atomic import strict_json
from lstm_bench.cli import main
from lstm_bench.documents import ResultsDocument, read_document
from lstm_bench.kinds import Kind
from lstm_bench.stability import sweep
from lstm_bench.stability.budgets import RUN_SWEEPS, SweepSize
from lstm_bench.stability.models import ModelSpec

TINY_SWEEP = SweepSize("quick", (5, 10), seeds=1, max_seconds=60, max_steps=10, diagnostic_horizons=(6,))
BENCH = [
    "--suite",
    "quick",
    "--workload",
    "latency",
    "--min-time",
    "0.001",
    "--threads",
    "1",
    "--kind",
    "lstm",
]


@pytest.fixture
def tiny_sweeps(monkeypatch: pytest.MonkeyPatch) -> None:
    """``stability --profile quick`` and ``run --profile quick``'s sweep: seconds, two small models."""
    monkeypatch.setitem(sweep.SWEEP_SIZES, "quick", TINY_SWEEP)
    monkeypatch.setitem(RUN_SWEEPS, "quick", TINY_SWEEP)
    monkeypatch.setattr(
        sweep,
        "BUILTIN_MODELS",
        (ModelSpec(Kind.RNN_TANH, "default", 8), ModelSpec(Kind.LSTM, "xavier+chrono", 8)),
    )


def _round_trip(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the file as written, the file read into a ResultsDocument and written back the same way)."""
    written = json.loads(path.read_text())
    back = json.loads(json.dumps(strict_json(read_document(path).to_dict()), allow_nan=False))
    return written, back


def test_check_bench_and_stability_documents_round_trip(tiny_sweeps: None, tmp_path: Path) -> None:
    paths = {name: tmp_path / f"{name}.json" for name in ("check", "bench", "stability")}
    argv = ["--impl", "torch.nn:LSTM", "--profile", "quick", "--check", "equivalence", "--check", "ranges"]
    assert main(["check", *argv, "--json", str(paths["check"])]) == 0
    assert main(["bench", *BENCH, "--impl", "torch.nn:LSTM", "--json", str(paths["bench"])]) == 0
    assert main(["stability", "--profile", "quick", "--json", str(paths["stability"])]) in (0, 1)
    for name, path in paths.items():
        written, back = _round_trip(path)
        assert back == written, name
    typed = {name: read_document(path) for name, path in paths.items()}
    assert typed["check"].conformance and typed["check"].conformance[0].results
    assert typed["bench"].benchmarks is not None and typed["bench"].benchmarks.records
    assert typed["stability"].stability is not None and typed["stability"].stability.summary


def test_run_document_round_trips(tiny_sweeps: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from lstm_bench.orchestration.context import RUN_SIZES

    monkeypatch.setitem(RUN_SIZES, "quick", replace(RUN_SIZES["quick"], bench_scale=0.02))
    assert main(
        ["run", "--profile", "quick", "--device", "cpu", "--workers", "1", "--out", str(tmp_path)]
    ) in (0, 1)
    path = tmp_path / "latest" / "results.json"
    written, back = _round_trip(path)
    assert back == written
    document = read_document(path)
    assert document.conformance and document.stability and document.gates and document.benchmarks
    assert document.run is not None and [p["name"] for p in document.run["phases"]] == [
        "conformance",
        "stability",
        "gates",
        "benchmarks",
    ]


def _drifted(tmp_path: Path) -> Path:
    """A check document whose first check lost its 'status' (a writer of another schema)."""
    good = tmp_path / "good.json"
    assert (
        main(
            [
                "check",
                "--impl",
                "torch.nn:LSTM",
                "--profile",
                "quick",
                "--check",
                "ranges",
                "--json",
                str(good),
            ]
        )
        == 0
    )
    data = json.loads(good.read_text())
    del data["conformance"][0]["checks"][0]["status"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    return bad


def test_a_drifted_document_is_one_line_and_exit_2_for_every_reader(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _drifted(tmp_path)
    good = tmp_path / "good.json"
    capsys.readouterr()
    for argv in (
        ["compare", str(good), str(bad)],
        ["compare", str(bad), str(good)],
        ["report", str(bad), "--output", str(tmp_path / "r.html")],
        ["report", str(good), "--baseline", str(bad), "--output", str(tmp_path / "r.html")],
    ):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "Traceback" not in err, argv
        assert f"{bad}: conformance[0]: missing field 'status'" in err, argv
    assert not (tmp_path / "r.html").exists()


def test_wrong_types_name_the_section(tmp_path: Path) -> None:
    from lstm_bench.errors import UsageError

    base = {
        "schema": "lstm-bench.results",
        "schema_version": 1,
        "created": "",
        "command": "bench",
        "environment": {},
    }
    with pytest.raises(
        UsageError, match=r"^f\.json: benchmarks: does not match the schema \(benchmarks\[0\]: "
    ):
        ResultsDocument.from_dict({**base, "benchmarks": [{"name": "x"}]}, "f.json")
    with pytest.raises(UsageError, match=r"^f\.json: stability: missing field 'train_config'$"):
        ResultsDocument.from_dict({**base, "stability": {"profile": "quick", "settings": {}}}, "f.json")
    with pytest.raises(
        UsageError, match=r"^f\.json: gates: does not match the schema \(3 edges for 1 counts\)$"
    ):
        gates = {"setting": "", "bins": 1, "models": [{"label": "LSTM", "kind": "lstm", "init": "default",
                                                       "histograms": {"input": {"edges": [0, 0.5, 1], "counts": [1]}}}]}  # fmt: skip
        ResultsDocument.from_dict({**base, "gates": gates}, "f.json")
