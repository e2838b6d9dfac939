"""The benchmark part of the report: time, GFLOP/s, % of GEMM peak, speedup vs torch-native, noise.

Reads the typed benchmark section (``lstm_bench.bench.section.BenchmarkSection``): each
``BenchmarkRecord``'s case, status, ``summary`` (median, IQR, the 10 % noise rule), ``gflops``
and ``percent_of_peak``; the measured GEMM peaks; and the speed-ups ``BenchmarkSection.speedups``
computes (above 1: faster than torch.nn): the median over interleaved rounds of torch-native
time / backend time, shown with its 95% interval, "0.57× [0.55, 0.59]"; records without one
(results from before interleaving, pytest-benchmark JSON) get the ratio of the two medians,
noted as not interleaved: such a ratio moves with the machine's load.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lstm_bench.bench.records import BenchmarkRecord
from lstm_bench.bench.registry import BASELINE as NATIVE_BACKEND
from lstm_bench.bench.section import Speed
from lstm_bench.formatting import fmt_gflops, fmt_percent, fmt_ratio, fmt_seconds
from lstm_bench.report import plots
from lstm_bench.report.views.common import Figure, Source, Table, labelled

__all__ = ["NATIVE_BACKEND", "BenchRow", "bench_figures", "bench_rows", "side_by_side"]

_WORKLOAD_SHORT = {"forward": "fwd", "forward-backward": "fwd+bwd", "latency": "latency"}
_DTYPE_SHORT = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16"}


@dataclass(frozen=True)
class BenchRow:
    """One benchmark record, formatted; ``median_s`` and ``gflops_value`` are kept as numbers for sorting."""

    source: str
    kind: str
    case_key: str  # ``BenchmarkRecord.case_key``: joins a case across backends and sources
    case: str  # 'LSTM fwd+bwd · I=256 H=256 B=32 T=100 · float32 · cpu'
    short_case: str  # 'LSTM fwd+bwd f32 H256 B32 T100', for chart axes
    backend: str
    status: str  # 'ok' | 'skipped' | 'error'
    median: str
    median_s: float
    spread: str  # IQR as % of the median
    gflops: str
    gflops_value: float
    peak: str
    speedup: str  # '0.57× [0.55, 0.59]' when interleaved, '0.57×' otherwise
    speedup_value: float
    noisy: bool
    note: str


def _sizes(record: BenchmarkRecord, sep: str = "=") -> str:
    sizes = (("I", record.input_size), ("H", record.hidden_size), ("B", record.batch), ("T", record.steps))
    return " ".join(f"{short}{sep}{value}" for short, value in sizes if value is not None)


def _case(record: BenchmarkRecord) -> str:
    kind = (record.kind or "").upper()
    workload = _WORKLOAD_SHORT.get(record.workload or "", record.workload or "")
    head = " ".join(p for p in (kind, workload) if p)
    parts = (head, _sizes(record), record.dtype or "", record.device)
    return " · ".join(p for p in parts if p) or record.name


def _short_case(record: BenchmarkRecord) -> str:
    """'LSTM fwd+bwd f32 I64 H64 B16 T50': the case in one short line (the device is the run's)."""
    if record.kind is None:
        return record.name
    workload = _WORKLOAD_SHORT.get(record.workload or "", record.workload or "")
    dtype = _DTYPE_SHORT.get(record.dtype or "", record.dtype or "")
    return f"{record.kind.upper()} {workload} {dtype} {_sizes(record, '')}"


def _note(record: BenchmarkRecord, speed: Speed | None) -> str:
    notes = [record.framework] if record.framework else []  # what computed it, per implementation
    if record.status != "ok":
        notes.append(f"{record.status}: {record.reason or ''}")
    if record.compile_s is not None:
        notes.append(f"compile {fmt_seconds(record.compile_s)}")
    if speed is not None and not speed.paired and record.backend != NATIVE_BACKEND:
        notes.append("speedup not interleaved (ratio of medians)")
    return "; ".join(notes)


def _speed_text(speed: Speed | None) -> str:
    if speed is None:
        return fmt_ratio(None)
    interval = (
        f" [{speed.low:.2f}, {speed.high:.2f}]" if speed.low is not None and speed.high is not None else ""
    )
    return fmt_ratio(speed.ratio) + interval


def bench_rows(source: Source) -> list[BenchRow]:
    """One row per benchmark record of ``source``, with the speedup over torch-native on the same case."""
    section = source.results.benchmarks
    if section is None:
        return []
    speeds = section.speedups(NATIVE_BACKEND)
    rows = []
    for record in section.records:
        summary, speed = record.summary, speeds.get(record.name)
        median = record.median_s
        gflops = record.gflops
        rows.append(
            BenchRow(
                source=source.label,
                kind=record.kind or "",
                case_key=record.case_key,
                case=_case(record),
                short_case=_short_case(record),
                backend=record.backend,
                status=record.status,
                median=fmt_seconds(median),
                median_s=median if median is not None else math.nan,
                spread=fmt_percent(None if summary is None else summary.relative_iqr, fraction=True),
                gflops=fmt_gflops(gflops),
                gflops_value=gflops if gflops is not None else math.nan,
                peak=fmt_percent(record.percent_of_peak),
                speedup=_speed_text(speed),
                speedup_value=speed.ratio if speed is not None else math.nan,
                noisy=summary is not None and summary.noisy,
                note=_note(record, speed),
            )
        )
    return rows


def bench_figures(rows: Sequence[BenchRow], sources: Sequence[Source]) -> list[Figure]:
    """Per source: achieved GFLOP/s per case and backend (with the GEMM peak), and speedups vs torch-native."""
    figures = []
    many = len(sources) > 1
    known = ("numpy-ref", "torch-ref", "torch-ref-compiled", NATIVE_BACKEND)
    colours = plots.series_colours([*known, *sorted({r.backend for r in rows} - set(known))])
    for source in sources:
        mine = [r for r in rows if r.source == source.label and r.status == "ok"]
        throughput = [
            plots.Bar(r.short_case, r.backend, r.gflops_value) for r in mine if math.isfinite(r.gflops_value)
        ]
        if throughput:
            section = source.results.benchmarks
            peak = section.peak_gflops("float32") if section is not None else None
            title = labelled(source.label, "Achieved GFLOP/s", many)
            note = (
                f"; dashed: float32 GEMM peak measured in the same run ({peak:.0f} GFLOP/s)" if peak else ""
            )
            figures.append(
                Figure(
                    f"{title} per case and backend (higher is better{note}).",
                    plots.benchmark_svg(throughput, "GFLOP/s", title, peak, colours),
                )
            )
        speed = [
            plots.Bar(r.short_case, r.backend, r.speedup_value)
            for r in mine
            if r.backend != NATIVE_BACKEND and math.isfinite(r.speedup_value)
        ]
        if speed:
            title = labelled(source.label, "Speed relative to torch-native", many)
            figures.append(
                Figure(
                    f"{title}: torch-native time / backend time, log scale (right of 1×: faster than torch.nn).",
                    plots.speedup_svg(speed, title, colours),
                )
            )
    return figures


def side_by_side(rows: Sequence[BenchRow], sources: Sequence[Source]) -> Table | None:
    """Median time of each benchmark in each source, and the last source over the first."""
    if len(sources) < 2:
        return None
    labels = [s.label for s in sources]
    table: dict[tuple[str, str], dict[str, float]] = {}
    cases: dict[str, str] = {}
    for row in rows:
        table.setdefault((row.case_key, row.backend), {})[row.source] = row.median_s
        cases.setdefault(row.case_key, row.case)
    out = []
    for (key, backend), times in table.items():
        case = cases[key]
        old, new = times.get(labels[0]), times.get(labels[-1])
        ratio = new / old if old and new and math.isfinite(old) and math.isfinite(new) else None
        out.append((case, backend, *(fmt_seconds(times.get(label)) for label in labels), fmt_ratio(ratio)))
    header = ("benchmark", "backend", *labels, f"{labels[-1]} / {labels[0]}")
    return Table(header, tuple(out), tuple(range(2, len(header))))
