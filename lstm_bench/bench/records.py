"""Benchmark result records: one per (backend, case, device), JSON round-trippable, raw samples kept.

A record holds what a later comparison needs to judge like with like: the backend (and the
implementation spec), the case (kind, workload, sizes, dtype), the device, the thread count, the
raw per-call samples in seconds (one per timed round) and how they were taken, the FLOP counts,
the GEMM peak it is measured against, the speed-up over torch-native from rounds interleaved
with it (``speedup``: ratio, interval, pairs; None for torch-native itself, for foreign files
and when torch-native did not run the case), and a status: ``ok``, ``skipped`` (with the reason: no
GPU, no compiler...) or ``error`` (the implementation raised; the message is kept).

``records_from_document`` reads the "benchmarks" section of an lstm-bench results document, or a
pytest-benchmark ``--benchmark-json`` file (our suites store the case in ``extra_info``; foreign
benchmarks keep their name and unknown fields are None). pytest-benchmark's ``stats.data`` are
per-call seconds, one per round, like ours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from lstm_bench.bench.flops import FlopCount, gflops_per_s
from lstm_bench.bench.paired import Speedup
from lstm_bench.bench.stats import Summary, summarize
from lstm_bench.bench.workloads import Case
from lstm_bench.errors import UsageError

STATUSES = ("ok", "skipped", "error")


@dataclass(frozen=True)
class BenchmarkRecord:
    """One benchmark's outcome. Sizes and kind are None only for foreign pytest-benchmark entries."""

    name: str
    backend: str
    device: str
    kind: str | None
    workload: str | None
    dtype: str | None
    input_size: int | None
    hidden_size: int | None
    batch: int | None
    steps: int | None
    status: str = "ok"
    reason: str | None = None
    samples_s: tuple[float, ...] = ()
    calls_per_round: int = 0
    warmup_calls: int = 0
    first_call_s: float | None = None
    compile_s: float | None = None
    threads: int | None = None
    flops: FlopCount | None = None
    peak_gflops: float | None = None
    impl: str | None = None
    source: str = "lstm-bench"
    host: str | None = None  # the machine that measured it (scale-out runs grids on several hosts)
    clock: str | None = None  # the block clock: "wall", "process-cpu" (one CPU thread), "cuda-events", ...
    speedup: Speedup | None = None  # vs torch-native, from rounds interleaved with it (``bench.paired``)
    framework: str | None = None  # what computed it: 'torch 2.13.0', 'keras 3.15.1 (torch backend)', ...
    stored_summary: Summary | None = field(default=None, compare=False)  # when samples were not kept

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")

    # -- derived numbers ----------------------------------------------------------------------

    @property
    def summary(self) -> Summary | None:
        """Statistics of the samples (or those stored by a converted file without samples)."""
        if self.samples_s:
            return summarize(self.samples_s)
        return self.stored_summary

    @property
    def median_s(self) -> float | None:
        """Median seconds per call, or None when nothing was measured."""
        summary = self.summary
        return summary.median_s if summary is not None else None

    @property
    def gflops(self) -> float | None:
        """Achieved GFLOP/s under the full FLOP count (None without a time or a FLOP count)."""
        med = self.median_s
        if med is None or self.flops is None:
            return None
        return gflops_per_s(self.flops.full, med)

    @property
    def deepbench_gflops(self) -> float | None:
        """Achieved GFLOP/s under DeepBench's recurrent-only count."""
        med = self.median_s
        if med is None or self.flops is None:
            return None
        return gflops_per_s(self.flops.deepbench, med)

    @property
    def percent_of_peak(self) -> float | None:
        """100 x achieved GFLOP/s / measured GEMM peak GFLOP/s."""
        achieved = self.gflops
        if achieved is None or not self.peak_gflops:
            return None
        return 100.0 * achieved / self.peak_gflops

    @property
    def case_key(self) -> str:
        """Identifies the case across backends: kind/workload/dtype/sizes/device (the name if unknown)."""
        if self.kind is None:
            return self.name
        size = f"I{self.input_size}-H{self.hidden_size}-B{self.batch}-T{self.steps}"
        return f"{self.kind}/{self.workload}/{self.dtype}/{size}/{self.device}"

    @property
    def identity(self) -> dict[str, Any]:
        """The fields that make two records with one name the same experiment (the known ones)."""
        identity: dict[str, Any] = {
            "backend": self.backend,
            "device": self.device,
            "kind": self.kind,
            "workload": self.workload,
            "dtype": self.dtype,
            "threads": self.threads,
            "clock": self.clock,  # CPU time and wall time are not one measurement
        }
        if self.input_size is not None:
            identity["sizes"] = f"I={self.input_size} H={self.hidden_size} B={self.batch} T={self.steps}"
        return {k: v for k, v in identity.items() if v is not None}

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def for_case(cls, backend: str, case: Case, device: str, **fields: Any) -> BenchmarkRecord:
        """A record of ``case`` run by ``backend`` on ``device``; ``fields`` fill the rest."""
        return cls(
            name=f"{backend}/{case.key}/{device}",
            backend=backend,
            device=device,
            kind=case.kind.value,
            workload=case.workload.value,
            dtype=case.dtype,
            input_size=case.input_size,
            hidden_size=case.hidden_size,
            batch=case.batch,
            steps=case.steps,
            flops=case.flops,
            **fields,
        )

    def with_peak(self, peak_gflops: float | None) -> BenchmarkRecord:
        """This record measured against ``peak_gflops``."""
        return replace(self, peak_gflops=peak_gflops)

    # -- JSON -----------------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields plus the derived statistics and throughput, for readers that do not recompute."""
        summary = self.summary
        return {
            "name": self.name,
            "backend": self.backend,
            "impl": self.impl,
            "device": self.device,
            "kind": self.kind,
            "workload": self.workload,
            "dtype": self.dtype,
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "batch": self.batch,
            "steps": self.steps,
            "status": self.status,
            "reason": self.reason,
            "samples_s": list(self.samples_s),
            "calls_per_round": self.calls_per_round,
            "warmup_calls": self.warmup_calls,
            "first_call_s": self.first_call_s,
            "compile_s": self.compile_s,
            "threads": self.threads,
            "clock": self.clock,
            "flops": self.flops.to_dict() if self.flops is not None else None,
            "peak_gflops": self.peak_gflops,
            "source": self.source,
            "host": self.host,
            "speedup": self.speedup.to_dict() if self.speedup is not None else None,
            **({"framework": self.framework} if self.framework else {}),
            "stats": summary.to_dict() if summary is not None else None,
            "gflops": _finite_or_none(self.gflops),
            "deepbench_gflops": _finite_or_none(self.deepbench_gflops),
            "percent_of_peak": _finite_or_none(self.percent_of_peak),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BenchmarkRecord:
        """Inverse of ``to_dict``: statistics are recomputed from the samples when there are samples.

        Raises ValueError (with the offending field) on malformed input.
        """
        try:
            samples = tuple(float(s) for s in data.get("samples_s") or ())
            stats = data.get("stats")
            flops = data.get("flops")
            speedup = data.get("speedup")
            return cls(
                name=str(data["name"]),
                backend=str(data["backend"]),
                device=str(data["device"]),
                kind=_opt(str, data.get("kind")),
                workload=_opt(str, data.get("workload")),
                dtype=_opt(str, data.get("dtype")),
                input_size=_opt(int, data.get("input_size")),
                hidden_size=_opt(int, data.get("hidden_size")),
                batch=_opt(int, data.get("batch")),
                steps=_opt(int, data.get("steps")),
                status=str(data.get("status", "ok")),
                reason=_opt(str, data.get("reason")),
                samples_s=samples,
                calls_per_round=int(data.get("calls_per_round") or 0),
                warmup_calls=int(data.get("warmup_calls") or 0),
                framework=_opt(str, data.get("framework")),
                first_call_s=_opt(float, data.get("first_call_s")),
                compile_s=_opt(float, data.get("compile_s")),
                threads=_opt(int, data.get("threads")),
                clock=_opt(str, data.get("clock")),
                flops=FlopCount.from_dict(flops) if isinstance(flops, dict) else None,
                peak_gflops=_opt(float, data.get("peak_gflops")),
                impl=_opt(str, data.get("impl")),
                source=str(data.get("source", "lstm-bench")),
                host=_opt(str, data.get("host")),
                speedup=Speedup.from_dict(speedup) if isinstance(speedup, dict) else None,
                stored_summary=Summary.from_dict(stats) if isinstance(stats, dict) and not samples else None,
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"malformed benchmark record ({type(exc).__name__}: {exc})") from None


def _opt(convert: Any, value: Any) -> Any:
    return None if value is None else convert(value)


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


# -- pytest-benchmark ---------------------------------------------------------------------------

#: Key under a pytest-benchmark entry's ``extra_info`` where our suites store the record's fields.
EXTRA_INFO_KEY = "lstm_bench"


def records_from_pytest_benchmark(data: dict[str, Any]) -> list[BenchmarkRecord]:
    """Records from a pytest-benchmark ``--benchmark-json`` document (see the module docstring)."""
    records = []
    for entry in data.get("benchmarks", []):
        if not isinstance(entry, dict):
            raise ValueError("pytest-benchmark 'benchmarks' entries must be objects")
        stats = entry.get("stats") or {}
        samples = tuple(float(s) for s in stats.get("data") or ())
        ours = (entry.get("extra_info") or {}).get(EXTRA_INFO_KEY)
        if isinstance(ours, dict):
            base = BenchmarkRecord.from_dict({**ours, "samples_s": [], "stats": None})
        else:
            name = str(entry.get("fullname") or entry.get("name"))
            base = BenchmarkRecord(
                name, "pytest-benchmark", "unknown", None, None, None, None, None, None, None
            )
        stored = None if samples else _summary_from_pytest_stats(stats)
        records.append(
            replace(
                base,
                samples_s=samples,
                calls_per_round=int(stats.get("iterations") or base.calls_per_round or 1),
                source="pytest-benchmark",
                stored_summary=stored,
            )
        )
    return records


def _summary_from_pytest_stats(stats: dict[str, Any]) -> Summary | None:
    """Our Summary from pytest-benchmark's stats when the raw data were not saved (no CI then)."""
    try:
        med = float(stats["median"])
        return Summary(
            n=int(stats.get("rounds", 0)),
            median_s=med,
            q1_s=float(stats["q1"]),
            q3_s=float(stats["q3"]),
            min_s=float(stats["min"]),
            max_s=float(stats["max"]),
            mean_s=float(stats["mean"]),
            ci_low_s=med,
            ci_high_s=med,
            ci_coverage=0.0,  # unknown without the samples
        )
    except (KeyError, TypeError, ValueError):
        return None


def records_from_document(document: dict[str, Any], source: str = "results") -> list[BenchmarkRecord]:
    """Benchmark records of a document from ``lstm_bench.results.load_results`` (either format).

    Raises UsageError (one line, exit 2) when the benchmarks section is malformed.
    """
    try:
        if document.get("format") == "pytest-benchmark" or "machine_info" in document:
            return records_from_pytest_benchmark(document)
        section = document.get("benchmarks", [])
        if not isinstance(section, list):
            raise ValueError("'benchmarks' is not a list")
        return [BenchmarkRecord.from_dict(item) for item in section]
    except (ValueError, TypeError, AttributeError) as exc:
        raise UsageError(f"{source}: bad benchmarks section: {exc}") from None
