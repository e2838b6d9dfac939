"""A benchmark grid spread over a cluster's hosts, one benchmark per host at a time, merged into one run.

Benchmarks never run beside each other on one machine (timings would interfere). Without a
cluster, ``lstm-bench bench`` runs its grid in this process (``bench.runner.run_benchmarks``).
With one, the grid's cases are dealt round-robin into one *share* per host; each share is an
exclusive job (``run_jobs(..., exclusive=True)``: pinned to a host, never two on one host)
that runs ``run_benchmarks`` there, with that host's own GEMM peak and load samples. The merge
puts the records back in grid order (case by case, backends in order), each tagged with the
host that measured it. A share whose job fails twice gives an 'error' record for each of its
benchmarks, so the table still lists them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from typing import Any

from lstm_bench.bench.flops import FLOP_MODEL
from lstm_bench.bench.records import BenchmarkRecord
from lstm_bench.bench.registry import Backend, resolve_backends
from lstm_bench.bench.runner import BenchmarkRun, run_benchmarks
from lstm_bench.bench.section import BenchmarkConditions, BenchmarkSection
from lstm_bench.bench.spread import SPREAD_VISITS
from lstm_bench.bench.timer import TimerSettings, clock_for_device
from lstm_bench.bench.workloads import Case
from lstm_bench.kinds import Kind
from lstm_bench.progress import RunProgress
from lstm_bench.scaleout.executors import exclusive_slots
from lstm_bench.scaleout.runner import JobOutcome, run_jobs

__all__ = ["GridRun", "GridShare", "HostRun", "run_grid", "run_share"]


@dataclass(frozen=True)
class GridShare:
    """Part of a grid, as plain data: the cases, and how to rebuild the backends and timer on the worker."""

    cases: tuple[Case, ...]
    backends: tuple[str, ...]  # registry names; '--impl' specs travel as 'impl:SPEC'
    kind: Kind | None
    device: str
    settings: TimerSettings
    threads: int | None
    seed: int
    measure_peak: bool
    suite: str
    cuda_timing: str = "events"
    cpu_timing: str = "auto"
    sweeps: int = SPREAD_VISITS  # each case's rounds spread over this many sweeps of its window


def run_share(share: GridShare) -> BenchmarkRun:
    """Time ``share`` here (on the worker that runs it): ``run_benchmarks`` with backends resolved afresh."""
    backends = resolve_backends(list(share.backends), [], share.kind)
    cpu = share.device.split(":")[0] == "cpu"
    clock = (
        None if cpu else clock_for_device(share.device, share.cuda_timing)
    )  # the CPU's follows the threads
    return run_benchmarks(
        share.cases,
        backends,
        share.device,
        share.settings,
        share.threads,
        share.seed,
        share.measure_peak,
        None,
        share.suite,
        clock,
        share.cpu_timing,
        share.sweeps,
    )


@dataclass(frozen=True)
class HostRun:
    """One share's run and where it ran (``run`` None when the share's job failed: ``error`` says why)."""

    host: str | None
    worker: str | None
    run: BenchmarkRun | None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The host's conditions: peaks, load before/after, warnings, wall time."""
        sections = self.run.sections() if self.run is not None else {}
        return {
            "host": self.host,
            "worker": self.worker,
            "error": self.error,
            "peak": sections.get("peak", []),
            "benchmark_run": sections.get("benchmark_run"),
        }


@dataclass(frozen=True)
class GridRun:
    """The merged grid: records in grid order with the host of each, and every host's own run."""

    records: tuple[BenchmarkRecord, ...]
    hosts: tuple[str | None, ...]  # hosts[i] measured records[i]
    host_runs: tuple[HostRun, ...]
    executor: str
    wall_s: float

    @property
    def warnings(self) -> tuple[str, ...]:
        """Every host's warnings, prefixed with the host."""
        return tuple(f"{h.host}: {w}" for h in self.host_runs if h.run is not None for w in h.run.warnings)

    def section(self) -> BenchmarkSection:
        """The merged benchmark part of the document: each record and peak with its host."""
        first = next((h.run for h in self.host_runs if h.run is not None), None)
        conditions = first.section().conditions if first is not None else None
        details = {
            **(conditions.details if conditions is not None else {}),
            "executor": self.executor,
            "hosts": [h.to_dict() for h in self.host_runs],
            "wall_s": self.wall_s,
        }
        return BenchmarkSection(
            tuple(replace(r, host=h) for r, h in zip(self.records, self.hosts, strict=True)),
            tuple(replace(p, host=h.host) for h in self.host_runs if h.run is not None for p in h.run.peaks),
            BenchmarkConditions(self.warnings, FLOP_MODEL if first is not None else None, details),
        )

    def sections(self) -> dict[str, Any]:
        """The results document's "benchmarks" section (each record with its "host"), "peak" and "benchmark_run"."""
        return self.section().to_dict()


def _failed_records(share: GridShare, backends: Sequence[Backend], error: str) -> list[BenchmarkRecord]:
    reason = f"benchmark job failed on the cluster: {error}"
    return [
        BenchmarkRecord.for_case(b.name, case, share.device, status="error", reason=reason, impl=b.impl_spec)
        for case in share.cases
        for b in backends
        if b.supports(case, share.device)
    ]


def run_grid(
    cases: Sequence[Case],
    backends: Sequence[Backend],
    executor: Executor,
    device: str = "cpu",
    settings: TimerSettings | None = None,
    threads: int | None = None,
    seed: int = 0,
    measure_peak: bool = True,
    suite: str = "custom",
    cuda_timing: str = "events",
    kind: Kind | None = None,
    on_progress: Callable[[RunProgress], None] | None = None,
    cpu_timing: str = "auto",
    sweeps: int = SPREAD_VISITS,
) -> GridRun:
    """Time the grid on ``executor``'s hosts, one share per host (see the module docstring).

    ``backends`` are the resolved backends (for the grid's order and the records of a failed
    share); the workers resolve them again by name, with ``kind`` as ``resolve_backends`` got it.
    """
    started = time.perf_counter()
    slots = exclusive_slots(executor)  # None: no cluster, the one share runs in this process
    count = max(min(len(slots) if slots else 1, len(cases)), 1)
    names = tuple(b.name for b in backends)
    timer = settings or TimerSettings()
    shares = [
        GridShare(
            tuple(cases[i::count]),
            names,
            kind,
            device,
            timer,
            threads,
            seed,
            measure_peak,
            suite,
            cuda_timing,
            cpu_timing,
            sweeps,
        )
        for i in range(count)
    ]
    outcomes: list[JobOutcome[GridShare, BenchmarkRun]] = run_jobs(
        run_share, shares, executor, exclusive=True, on_progress=on_progress
    )
    measured: dict[str, tuple[BenchmarkRecord, str | None]] = {}
    host_runs = []
    for outcome in outcomes:
        run = outcome.value
        host_runs.append(HostRun(outcome.host, outcome.worker, run, outcome.error))
        records = (
            list(run.records)
            if run is not None
            else _failed_records(outcome.job, backends, outcome.error or "")
        )
        measured.update({r.name: (r, outcome.host) for r in records})
    order = [
        BenchmarkRecord.for_case(b.name, case, device).name
        for case in cases
        for b in backends
        if b.supports(case, device)
    ]
    merged = [measured[name] for name in order if name in measured]
    describe = getattr(executor, "describe", None)
    return GridRun(
        records=tuple(r for r, _ in merged),
        hosts=tuple(h for _, h in merged),
        host_runs=tuple(host_runs),
        executor=describe() if callable(describe) else type(executor).__name__,
        wall_s=time.perf_counter() - started,
    )
