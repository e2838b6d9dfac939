"""The benchmark part of the report: time, GFLOP/s, % of GEMM peak, speedup vs torch-native, noise.

Reads ``BenchmarkRecord.to_dict()`` entries of the ``"benchmarks"`` section
(``lstm_bench.bench.records``): backend, case (kind, workload, sizes, dtype, device), status,
``stats`` (median, IQR, noisy), ``gflops`` and ``percent_of_peak`` under the full FLOP count;
and the ``"peak"`` section (measured GEMM peak per dtype). Speedup (above 1: faster than
torch.nn) = the record's ``speedup``: median over interleaved rounds of torch-native time /
backend time, shown with its 95% interval, "0.57× [0.55, 0.59]". Records without one (results
from before interleaving, pytest-benchmark JSON) fall back to the ratio of the two medians,
noted as not interleaved: such a ratio moves with the machine's load.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lstm_bench.formatting import as_float, fmt_gflops, fmt_percent, fmt_ratio, fmt_seconds
from lstm_bench.report import plots
from lstm_bench.report.views.common import Figure, Source, Table, first, inner, labelled, text

__all__ = ["NATIVE_BACKEND", "BenchRow", "bench_figures", "bench_rows", "peaks", "side_by_side"]

#: The backend every speedup is measured against (torch.nn's fused oneDNN / cuDNN kernels).
NATIVE_BACKEND = "torch-native"

_WORKLOAD_SHORT = {"forward": "fwd", "forward-backward": "fwd+bwd", "latency": "latency"}
_DTYPE_SHORT = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16"}


@dataclass(frozen=True)
class BenchRow:
    """One benchmark record, formatted; ``median_s`` and ``gflops_value`` are kept as numbers for sorting."""

    source: str
    kind: str
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


def _sizes(record: Mapping[str, Any]) -> str:
    names = (("I", "input_size"), ("H", "hidden_size"), ("B", "batch"), ("T", "steps"))
    return " ".join(f"{short}={record[key]}" for short, key in names if record.get(key) is not None)


def _case(record: Mapping[str, Any]) -> str:
    kind = text(record.get("kind")).upper()
    head = " ".join(
        p
        for p in (kind, _WORKLOAD_SHORT.get(text(record.get("workload")), text(record.get("workload"))))
        if p
    )
    parts = (head, _sizes(record), text(record.get("dtype")), text(record.get("device")))
    return " · ".join(p for p in parts if p) or text(record.get("name"))


def _short_case(record: Mapping[str, Any]) -> str:
    """'LSTM fwd+bwd f32 I64 H64 B16 T50': the case in one short line (the device is the run's)."""
    if record.get("kind") is None:
        return text(record.get("name"))
    workload = _WORKLOAD_SHORT.get(text(record.get("workload")), text(record.get("workload")))
    dtype = _DTYPE_SHORT.get(text(record.get("dtype")), text(record.get("dtype")))
    names = (("I", "input_size"), ("H", "hidden_size"), ("B", "batch"), ("T", "steps"))
    sizes = " ".join(f"{short}{record[key]}" for short, key in names if record.get(key) is not None)
    return f"{text(record.get('kind')).upper()} {workload} {dtype} {sizes}"


def _records(source: Source) -> list[Mapping[str, Any]]:
    return [r for r in source.document.get("benchmarks") or () if isinstance(r, Mapping)]


def _median_s(record: Mapping[str, Any]) -> float | None:
    return as_float(first(inner(record, "stats"), "median_s", "median"))


def _note(record: Mapping[str, Any]) -> str:
    notes = [text(record["framework"])] if record.get("framework") else []  # per implementation
    if record.get("status") not in (None, "ok"):
        notes.append(f"{record['status']}: {text(record.get('reason'))}")
    compile_s = as_float(record.get("compile_s"))
    if compile_s is not None:
        notes.append(f"compile {fmt_seconds(compile_s)}")
    return "; ".join(notes)


def _paired(record: Mapping[str, Any]) -> tuple[float, float, float] | None:
    """(ratio, low, high) of the record's interleaved speed-up over torch-native, if it has one."""
    speedup = record.get("speedup")
    if not isinstance(speedup, Mapping) or text(speedup.get("baseline")) != NATIVE_BACKEND:
        return None
    values = [as_float(speedup.get(key)) for key in ("ratio", "low", "high")]
    if any(v is None for v in values):
        return None
    ratio, low, high = (float(v) for v in values if v is not None)
    return ratio, low, high


def bench_rows(source: Source) -> list[BenchRow]:
    """One row per benchmark record of ``source``, with the speedup over torch-native on the same case."""
    records = _records(source)
    native = {_case(r): _median_s(r) for r in records if r.get("backend") == NATIVE_BACKEND}
    rows = []
    for record in records:
        case = _case(record)
        median = _median_s(record)
        stats = inner(record, "stats")
        spread = as_float(stats.get("relative_iqr"))
        if spread is None:
            iqr = as_float(stats.get("iqr_s"))
            spread = iqr / median if iqr is not None and median else None
        base = native.get(case)
        paired = _paired(record)
        speedup = paired[0] if paired else (base / median if base and median else None)
        shown = fmt_ratio(speedup)
        note = _note(record)
        if paired:
            shown += f" [{paired[1]:.2f}, {paired[2]:.2f}]"
        elif speedup is not None and record.get("backend") != NATIVE_BACKEND:
            note = "; ".join(n for n in (note, "speedup not interleaved (ratio of medians)") if n)
        gflops = as_float(record.get("gflops"))
        rows.append(
            BenchRow(
                source=source.label,
                kind=text(record.get("kind")),
                case=case,
                short_case=_short_case(record),
                backend=text(record.get("backend") or record.get("name")),
                status=text(record.get("status") or "ok"),
                median=fmt_seconds(median),
                median_s=median if median is not None else math.nan,
                spread=fmt_percent(spread, fraction=True),
                gflops=fmt_gflops(gflops),
                gflops_value=gflops if gflops is not None else math.nan,
                peak=fmt_percent(record.get("percent_of_peak")),
                speedup=shown,
                speedup_value=speedup if speedup is not None else math.nan,
                noisy=bool(stats.get("noisy", spread is not None and spread > 0.10)),
                note=note,
            )
        )
    return rows


def peaks(source: Source) -> dict[str, float]:
    """Measured GEMM peak GFLOP/s per dtype (the ``"peak"`` section)."""
    out = {}
    for peak in source.document.get("peak") or ():
        if isinstance(peak, Mapping) and as_float(peak.get("gflops")) is not None:
            out[text(peak.get("dtype"))] = float(peak["gflops"])
    return out


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
            peak = peaks(source).get("float32")
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
    for row in rows:
        table.setdefault((row.case, row.backend), {})[row.source] = row.median_s
    out = []
    for (case, backend), times in table.items():
        old, new = times.get(labels[0]), times.get(labels[-1])
        ratio = new / old if old and new and math.isfinite(old) and math.isfinite(new) else None
        out.append((case, backend, *(fmt_seconds(times.get(label)) for label in labels), fmt_ratio(ratio)))
    header = ("benchmark", "backend", *labels, f"{labels[-1]} / {labels[0]}")
    return Table(header, tuple(out), tuple(range(2, len(header))))
