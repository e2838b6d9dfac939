"""Text tables: units, speedups against torch-native, skipped and failed rows."""

from __future__ import annotations

from lstm_bench.bench.peak import PeakResult
from lstm_bench.bench.records import BenchmarkRecord
from lstm_bench.bench.table import format_peaks, format_seconds, format_table, speedups
from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.kinds import Kind

CASE = Case(Kind.LSTM, Workload.FORWARD_BACKWARD, 256, 256, 32, 100)


def _rec(backend: str, median: float, **kw: object) -> BenchmarkRecord:
    samples = (median * 0.99, median, median * 1.01, median, median * 1.02)
    return BenchmarkRecord.for_case(backend, CASE, "cpu", samples_s=samples, peak_gflops=200.0, **kw)


def test_format_seconds() -> None:
    assert format_seconds(1.234) == "1.23 s"
    assert format_seconds(0.0701) == "70.1 ms"
    assert format_seconds(0.000456) == "456 µs"
    assert format_seconds(3e-8) == "30.0 ns"
    assert format_seconds(None) == "-"


def test_table_rows_speedups_and_not_measured() -> None:
    native, ref = _rec("torch-native", 0.07), _rec("torch-ref", 0.105)
    noisy = BenchmarkRecord.for_case("impl:x:Y", CASE, "cpu", samples_s=(0.05, 0.1, 0.2, 0.07, 0.3))
    skipped = BenchmarkRecord.for_case(
        "torch-ref-compiled", CASE, "cpu", status="skipped", reason="no compiler"
    )
    ratios = speedups([native, ref])
    assert ratios[native.name] == 1.0 and abs(ratios[ref.name] - 0.07 / 0.105) < 1e-12
    text = format_table([native, ref, noisy, skipped])
    lines = text.splitlines()
    assert lines[0].split()[:8] == ["kind", "workload", "I", "H", "B", "T", "dtype", "backend"]
    native_row = next(line for line in lines[2:] if "torch-native" in line)
    ref_row = next(line for line in lines if " torch-ref " in line)
    assert "70.0 ms" in native_row and "1.00x" in native_row
    assert "105 ms" in ref_row and "0.67x" in ref_row
    gflops = CASE.flops.full / 0.07 / 1e9
    assert f"{gflops:.1f}" in native_row and f"{100 * gflops / 200:.1f}%" in native_row
    assert any("*" in line and "impl:x:Y" in line for line in lines)
    assert "* noisy" in text
    assert lines[-1] == "skipped: torch-ref-compiled (1 case): no compiler"


def test_format_peaks() -> None:
    peaks = [PeakResult("cpu", "float32", 1024, 190.26, 0.0113, (0.0113,))]
    assert format_peaks(peaks, 2) == "GEMM peak (cpu, 2 threads): float32 190.3 GFLOP/s (n=1024)"
    assert format_peaks([]) == "GEMM peak: not measured"
