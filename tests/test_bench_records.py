"""BenchmarkRecord JSON round trips, derived figures, and pytest-benchmark conversion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lstm_bench.bench.records import EXTRA_INFO_KEY, BenchmarkRecord, records_from_document
from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.errors import UsageError
from lstm_bench.kinds import Kind
from lstm_bench.results import load_results, new_document, save_results

CASE = Case(Kind.GRU, Workload.FORWARD, 32, 64, 8, 10)
SAMPLES = (0.004, 0.002, 0.003, 0.0025, 0.0035, 0.003, 0.0031)


def _record(**kw: object) -> BenchmarkRecord:
    fields: dict[str, object] = {"samples_s": SAMPLES, "calls_per_round": 4, "warmup_calls": 3, "threads": 2}
    fields.update(kw)
    return BenchmarkRecord.for_case("torch-ref", CASE, "cpu", **fields)


def test_round_trip_keeps_samples_and_recomputes_statistics() -> None:
    record = _record(peak_gflops=100.0, compile_s=1.5, impl=None)
    data = json.loads(json.dumps(record.to_dict()))
    back = BenchmarkRecord.from_dict(data)
    assert back == record
    assert data["samples_s"] == list(SAMPLES)
    assert data["stats"]["median_s"] == 0.003
    flops = 6 * 10 * 8 * 64 * (32 + 64)
    assert data["flops"] == {"deepbench": 6 * 10 * 8 * 64 * 64, "full": flops}
    assert record.gflops == pytest.approx(flops / 0.003 / 1e9)
    assert record.percent_of_peak == pytest.approx(100 * record.gflops / 100.0)  # type: ignore[operator]
    assert record.case_key == "gru/forward/float32/I32-H64-B8-T10/cpu"
    assert record.name == "torch-ref/gru/forward/float32/I32-H64-B8-T10/cpu"


def test_skipped_records_have_no_figures() -> None:
    record = BenchmarkRecord.for_case(
        "torch-ref-compiled", CASE, "cpu", status="skipped", reason="no compiler"
    )
    assert record.summary is None and record.gflops is None and record.percent_of_peak is None
    data = record.to_dict()
    assert data["stats"] is None and data["reason"] == "no compiler"
    assert BenchmarkRecord.from_dict(data) == record
    with pytest.raises(ValueError):
        BenchmarkRecord.for_case("x", CASE, "cpu", status="maybe")


def test_document_round_trip_through_the_results_schema(tmp_path: Path) -> None:
    doc = new_document("bench", environment={"cpu_model": "test"})
    doc["benchmarks"] = [_record().to_dict(), _record(status="error", samples_s=(), reason="boom").to_dict()]
    loaded = load_results(save_results(tmp_path / "r.json", doc))
    records = records_from_document(loaded)
    assert [r.status for r in records] == ["ok", "error"]
    assert records[0].samples_s == SAMPLES


def _pytest_benchmark_doc(with_data: bool) -> dict[str, object]:
    ours = _record(samples_s=()).to_dict()
    stats: dict[str, object] = {
        "min": 0.002,
        "max": 0.004,
        "mean": 0.003,
        "median": 0.003,
        "q1": 0.0025,
        "q3": 0.0035,
        "rounds": 7,
        "iterations": 4,
    }
    if with_data:
        stats["data"] = list(SAMPLES)
    return {
        "machine_info": {"node": "x"},
        "benchmarks": [
            {
                "name": "test_cpu[a]",
                "fullname": "suites/benchmarks/bench_cpu.py::test_cpu[a]",
                "extra_info": {EXTRA_INFO_KEY: ours},
                "stats": stats,
            },
            {
                "name": "test_other",
                "fullname": "tests/test_x.py::test_other",
                "extra_info": {},
                "stats": stats,
            },
        ],
    }


def test_pytest_benchmark_json_converts_with_raw_data(tmp_path: Path) -> None:
    path = tmp_path / "pb.json"
    path.write_text(json.dumps(_pytest_benchmark_doc(with_data=True)))
    ours, foreign = records_from_document(load_results(path))
    assert ours.backend == "torch-ref" and ours.kind == "gru" and ours.hidden_size == 64
    assert ours.samples_s == SAMPLES and ours.calls_per_round == 4 and ours.source == "pytest-benchmark"
    assert ours.summary is not None and ours.summary.ci_coverage > 0.95
    assert (
        foreign.name == "tests/test_x.py::test_other" and foreign.kind is None and foreign.median_s == 0.003
    )
    assert foreign.case_key == foreign.name


def test_pytest_benchmark_json_without_data_keeps_its_statistics() -> None:
    ours, _ = records_from_document(_pytest_benchmark_doc(with_data=False))
    assert ours.samples_s == ()
    assert ours.summary is not None
    assert (ours.summary.median_s, ours.summary.q1_s, ours.summary.q3_s) == (0.003, 0.0025, 0.0035)
    assert ours.summary.ci_coverage == 0.0  # unknown without samples
    assert BenchmarkRecord.from_dict(ours.to_dict()).median_s == 0.003


def test_malformed_sections_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="bad benchmarks section"):
        records_from_document({"schema": "lstm-bench.results", "benchmarks": {"not": "a list"}})
    with pytest.raises(UsageError, match="malformed benchmark record"):
        records_from_document({"schema": "lstm-bench.results", "benchmarks": [{"name": "x"}]})
