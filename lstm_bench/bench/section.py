"""The benchmark part of a results document, typed: ``"benchmarks"``, ``"peak"`` and ``"benchmark_run"``.

``BenchmarkSection`` holds the records (``records.BenchmarkRecord``), the GEMM peaks they are
measured against (``peak.PeakResult``) and the run's conditions (``BenchmarkConditions``), with
one ``to_dict`` (the three top-level keys) and one ``from_dict`` (ValueError naming the entry
on a record that does not match the schema). The derived figures every reader shows are here:
``speedups`` (interleaved ratio where the record has one, else the ratio of medians).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lstm_bench.bench.peak import PeakResult
from lstm_bench.bench.records import BenchmarkRecord
from lstm_bench.bench.registry import BASELINE

__all__ = ["BenchmarkConditions", "BenchmarkSection", "Speed", "speedups"]


@dataclass(frozen=True)
class BenchmarkConditions:
    """``"benchmark_run"``: the warnings and FLOP model a reader shows, and the recorded conditions.

    ``details`` keeps the rest as written (suite, device, threads, seed, timer settings, load
    before/after, wall time; a scale-out grid adds executor and hosts), for people reading the file.
    """

    warnings: tuple[str, ...] = ()
    flop_model: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            **dict(self.details),
            "warnings": list(self.warnings),
            **({"flop_model": self.flop_model} if self.flop_model is not None else {}),
        }

    def timing_note(self) -> str | None:
        """'Timed on 1 torch thread, process CPU time (...)', or None for a run that did not record its clock."""
        from lstm_bench.bench.timer import CLOCK_MEANINGS

        clock, threads = self.details.get("clock"), self.details.get("threads")
        if not isinstance(clock, str):
            return None
        on = f" on {threads} torch thread{'s' if threads != 1 else ''}" if isinstance(threads, int) else ""
        sweeps = self.details.get("sweeps")
        spread = (
            f" Each case's rounds were spread over {sweeps} sweeps of its window of cases, so a ratio"
            " samples the whole run rather than one stretch of it."
            if isinstance(sweeps, int) and sweeps > 1
            else ""
        )
        return f"Timed{on}, {CLOCK_MEANINGS.get(clock, clock)}.{spread}"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BenchmarkConditions:
        """Inverse of ``to_dict``."""
        if not isinstance(data, Mapping):
            raise TypeError("'benchmark_run' is not an object")
        details = {k: v for k, v in data.items() if k not in ("warnings", "flop_model")}
        flop_model = data.get("flop_model")
        return cls(
            tuple(str(w) for w in data.get("warnings") or ()),
            None if flop_model is None else str(flop_model),
            details,
        )


@dataclass(frozen=True)
class Speed:
    """A record's speed relative to the baseline backend: above 1, faster.

    ``paired`` when timed in rounds interleaved with the baseline (``low`` / ``high`` its interval);
    otherwise the ratio of two medians, which drifts with the machine's load.
    """

    ratio: float
    paired: bool
    low: float | None = None
    high: float | None = None


def speedups(records: Iterable[BenchmarkRecord], baseline: str = BASELINE) -> dict[str, Speed]:
    """record.name -> its ``Speed`` over ``baseline`` on the same case (``case_key``), where one is known."""
    records = list(records)
    base = {r.case_key: r.median_s for r in records if r.backend == baseline and r.median_s}
    out: dict[str, Speed] = {}
    for r in records:
        if r.speedup is not None and r.speedup.baseline == baseline:
            out[r.name] = Speed(r.speedup.ratio, True, r.speedup.low, r.speedup.high)
            continue
        reference = base.get(r.case_key)
        if reference and r.median_s:
            out[r.name] = Speed(reference / r.median_s, False)
    return out


@dataclass(frozen=True)
class BenchmarkSection:
    """Every benchmark of a document, the peaks they are measured against, and the conditions."""

    records: tuple[BenchmarkRecord, ...] = ()
    peaks: tuple[PeakResult, ...] = ()
    conditions: BenchmarkConditions | None = None

    def speedups(self, baseline: str = BASELINE) -> dict[str, Speed]:
        """record.name -> speed over ``baseline`` (see ``speedups``)."""
        return speedups(self.records, baseline)

    def peak_gflops(self, dtype: str) -> float | None:
        """The best measured GEMM peak of ``dtype`` (GFLOP/s), or None."""
        found = [p.gflops for p in self.peaks if p.dtype == dtype]
        return max(found) if found else None

    def to_dict(self) -> dict[str, Any]:
        """The document's ``"benchmarks"``, ``"peak"`` and (when known) ``"benchmark_run"`` keys."""
        out: dict[str, Any] = {
            "benchmarks": [r.to_dict() for r in self.records],
            "peak": [p.to_dict() for p in self.peaks],
        }
        if self.conditions is not None:
            out["benchmark_run"] = self.conditions.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BenchmarkSection:
        """Read those keys of a document; ValueError naming the entry that does not match the schema."""
        records = data.get("benchmarks") or []
        peaks = data.get("peak") or []
        if not isinstance(records, list):
            raise ValueError("'benchmarks' is not a list")
        if not isinstance(peaks, list):
            raise ValueError("'peak' is not a list")
        out_records = []
        for i, item in enumerate(records):
            try:
                out_records.append(BenchmarkRecord.from_dict(item))
            except (TypeError, ValueError, AttributeError) as exc:
                raise ValueError(f"benchmarks[{i}]: {exc}") from None
        out_peaks = []
        for i, item in enumerate(peaks):
            try:
                out_peaks.append(PeakResult.from_dict(item))
            except KeyError as exc:
                raise ValueError(f"peak[{i}]: missing field {exc}") from None
            except (TypeError, ValueError, AttributeError) as exc:
                raise ValueError(f"peak[{i}]: {exc}") from None
        run = data.get("benchmark_run")
        return cls(
            tuple(out_records), tuple(out_peaks), None if run is None else BenchmarkConditions.from_dict(run)
        )
