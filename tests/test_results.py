"""Results files: versioned, atomic, and every bad input is one clear UsageError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lstm_bench.errors import UsageError
from lstm_bench.results import SCHEMA_VERSION, load_results, new_document, save_results


def test_round_trip_records_environment(tmp_path: Path) -> None:
    doc = new_document("check")
    doc["conformance"] = [{"impl": "torch.nn:LSTM"}]
    save_results(tmp_path / "r.json", doc)
    back = load_results(tmp_path / "r.json")
    assert back["format"] == "lstm-bench"
    assert back["conformance"] == [{"impl": "torch.nn:LSTM"}]
    assert back["environment"]["torch"] and back["environment"]["cpu_count"] >= 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"schema": "lstm-bench.results", "schema_ver', "not valid JSON"),
        ("[1, 2]", "top level is list"),
        ('{"hello": 1}', "no 'schema' key"),
        ('{"schema": "lstm-bench.results", "schema_version": 99}', "version 99 is not supported"),
    ],
)
def test_bad_files_are_usage_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(UsageError, match=message):
        load_results(path)


def test_missing_file_and_pytest_benchmark_json(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such file"):
        load_results(tmp_path / "absent.json")
    pb = tmp_path / "pb.json"
    pb.write_text(json.dumps({"machine_info": {}, "benchmarks": [], "version": "4.0.0"}))
    assert load_results(pb)["format"] == "pytest-benchmark"
    assert new_document("x", environment={})["schema_version"] == SCHEMA_VERSION
