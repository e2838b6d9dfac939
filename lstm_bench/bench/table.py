"""Readable text tables of benchmark records: time, spread, GFLOP/s, % of peak, speedup vs torch-native."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

from lstm_bench.bench.peak import PeakResult
from lstm_bench.bench.records import BenchmarkRecord
from lstm_bench.bench.registry import BASELINE
from lstm_bench.bench.section import speedups as section_speedups
from lstm_bench.formatting import fmt_seconds


def format_seconds(seconds: float | None) -> str:
    """'1.23 ms', '456 µs', '2.00 s' (``formatting.fmt_seconds``: 3 significant digits); '-' for None."""
    return fmt_seconds(seconds, missing="-")


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)


def speedups(records: Iterable[BenchmarkRecord], baseline: str = BASELINE) -> dict[str, float]:
    """record.name -> speed-up over ``baseline`` on the same case (``section.speedups``' ratios)."""
    return {name: speed.ratio for name, speed in section_speedups(records, baseline).items()}


def speedup_text(record: BenchmarkRecord, ratios: dict[str, float], baseline: str = BASELINE) -> str:
    """'0.57x [0.55, 0.59]' (paired, with its interval), '1.00x' (the baseline), '0.67x~' (unpaired), '-'."""
    if record.speedup is not None and record.speedup.baseline == baseline:
        return record.speedup.text()
    ratio = ratios.get(record.name)
    if ratio is None:
        return "-"
    return f"{ratio:.2f}x" + ("" if record.backend == baseline else "~")


def format_table(records: Sequence[BenchmarkRecord], baseline: str = BASELINE) -> str:
    """One row per measured record, then the skipped and failed ones grouped by reason."""
    measured = [r for r in records if r.status == "ok" and r.summary is not None]
    ratio = speedups(measured, baseline)
    header = (
        "kind",
        "workload",
        "I",
        "H",
        "B",
        "T",
        "dtype",
        "backend",
        "median",
        "±IQR",
        "GFLOP/s",
        "%peak",
        f"vs {baseline}",
    )
    rows: list[tuple[str, ...]] = [header]
    any_noisy = False
    for r in measured:
        summary = r.summary
        assert summary is not None
        any_noisy |= summary.noisy
        spread = f"{100 * summary.relative_iqr:.0f}%" + ("*" if summary.noisy else "")
        rows.append(
            (
                r.kind or "?",
                r.workload or r.name,
                *(str(v) if v is not None else "-" for v in (r.input_size, r.hidden_size, r.batch, r.steps)),
                r.dtype or "-",
                r.backend,
                format_seconds(summary.median_s),
                spread,
                _fmt(r.gflops, "{:.1f}"),
                _fmt(r.percent_of_peak, "{:.1f}%"),
                speedup_text(r, ratio, baseline),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    numeric = set(range(2, 6)) | set(range(8, len(header)))
    lines = [
        "  ".join(
            cell.rjust(w) if i in numeric else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if any(r.speedup is not None for r in measured):
        lines.append(
            f"vs {baseline}: median of per-round ratios {baseline} time / backend time, timed interleaved "
            "in the same rounds [95% interval]"
        )
    if any(speedup_text(r, ratio, baseline).endswith("~") for r in measured):
        lines.append(
            f"~ ratio of two medians not timed together: drifts with the machine's load; rerun to pair with {baseline}"
        )
    if any_noisy:
        lines.append("* noisy: IQR above 10% of the median; rerun on a quieter machine before trusting it")
    lines += _not_measured(records)
    return "\n".join(line.rstrip() for line in lines)


def _not_measured(records: Iterable[BenchmarkRecord]) -> list[str]:
    groups: dict[tuple[str, str, str], int] = defaultdict(int)
    for r in records:
        if r.status != "ok":
            groups[(r.status, r.backend, r.reason or "no reason given")] += 1
    return [
        f"{status}: {backend} ({n} case{'s' if n > 1 else ''}): {reason}"
        for (status, backend, reason), n in sorted(groups.items())
    ]


def format_peaks(peaks: Iterable[PeakResult], threads: int | None = None) -> str:
    """'GEMM peak on cpu (2 threads): float32 190.3 GFLOP/s (n=1024), float64 ...'."""
    peaks = list(peaks)
    if not peaks:
        return "GEMM peak: not measured"
    where = f"{peaks[0].device}" + (f", {threads} thread{'s' if threads != 1 else ''}" if threads else "")
    parts = [f"{p.dtype} {p.gflops:.1f} GFLOP/s (n={p.size})" for p in peaks]
    return f"GEMM peak ({where}): " + ", ".join(parts)
