"""Run a grid of cases on a set of backends and return records: the engine behind ``lstm-bench bench``.

Order of work: fix the thread count; sample the machine's load; measure the GEMM peak of every
dtype in the grid; then, window of cases by window (``spread.windows``), prepare every backend of
every case in it and time them: each case's backends in the same interleaved rounds
(``paired.CaseRounds``: round i holds one block of each backend, order reversed every other
round), the rounds of each case divided into visits spread over sweeps of the window
(``spread.time_cases``), so each backend's speed-up over torch-native is the median of paired
ratios (``record.speedup``, with its interval), drift within a pair cancels and an episode of a
slower machine moves a ratio only by the share of its visits it covers; sample the load again. A backend that
cannot run here gives ``skipped`` records with its reason; a workload that raises gives an
``error`` record with the message; Ctrl-C propagates (nothing is written by this module).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from lstm_bench.bench.flops import FLOP_MODEL
from lstm_bench.bench.load import MachineLoad, machine_load
from lstm_bench.bench.paired import paired_speedup
from lstm_bench.bench.peak import PeakResult, measure_gemm_peak
from lstm_bench.bench.records import BenchmarkRecord
from lstm_bench.bench.registry import BASELINE, Backend, BackendUnavailable, Prepared
from lstm_bench.bench.section import BenchmarkConditions, BenchmarkSection
from lstm_bench.bench.spread import SPREAD_VISITS, time_cases, windows
from lstm_bench.bench.timer import BlockClock, Measurement, Timer, TimerSettings, clock_for_device, clock_name
from lstm_bench.bench.workloads import Case

#: progress(done, total, label): called before each unit of work and once at the end (done == total).
ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class BenchmarkRun:
    """Everything one run produced: the records, the peaks they are measured against, and the conditions."""

    suite: str
    device: str
    threads: int
    settings: TimerSettings
    records: tuple[BenchmarkRecord, ...]
    peaks: tuple[PeakResult, ...]
    load_before: MachineLoad
    load_after: MachineLoad
    warnings: tuple[str, ...]
    wall_s: float
    seed: int
    clock: str = "wall"  # the run's block clock; a record's own ``clock`` says when its case used wall time
    sweeps: int = 1  # each case's rounds spread over this many sweeps of its window (``bench.spread``)

    def section(self) -> BenchmarkSection:
        """The run as the results document's benchmark part (records, peaks, conditions)."""
        conditions = BenchmarkConditions(
            warnings=self.warnings,
            flop_model=FLOP_MODEL,
            details={
                "suite": self.suite,
                "device": self.device,
                "threads": self.threads,
                "seed": self.seed,
                "timer": self.settings.to_dict(),
                "clock": self.clock,
                "sweeps": self.sweeps,
                "load_before": self.load_before.to_dict(),
                "load_after": self.load_after.to_dict(),
                "wall_s": self.wall_s,
            },
        )
        return BenchmarkSection(self.records, self.peaks, conditions)

    def sections(self) -> dict[str, Any]:
        """The results document's "benchmarks" section, plus "peak" and "benchmark_run"."""
        return self.section().to_dict()


def _one_line(exc: BaseException, limit: int = 300) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {text[:limit]}"


def _record_fields(backend: Backend, threads: int) -> dict[str, Any]:
    """The fields every record of ``backend`` carries, whatever its status."""
    return {"threads": threads, "impl": backend.impl_spec, "framework": backend.framework}


def _prepare(backend: Backend, case: Case, device: str, seed: int, common: dict[str, Any]) -> Any:
    """The backend's prepared workload for ``case``, or the skipped / error record that replaces it."""
    try:
        return backend.prepare(case, device, seed)
    except BackendUnavailable as exc:
        return BenchmarkRecord.for_case(
            backend.name, case, device, status="skipped", reason=str(exc), **common
        )
    except Exception as exc:
        reason = f"setup raised {_one_line(exc)}"
        return BenchmarkRecord.for_case(backend.name, case, device, status="error", reason=reason, **common)


def _prepare_case(
    case: Case,
    backends: Sequence[Backend],
    device: str,
    seed: int,
    threads: int,
    reasons: dict[str, str | None],
) -> tuple[list[BenchmarkRecord | None], list[tuple[int, Backend, Prepared]]]:
    """Every backend of one case prepared: records for those skipped or failing, and the workloads to time."""
    out: list[BenchmarkRecord | None] = []
    timed: list[tuple[int, Backend, Prepared]] = []
    for k, backend in enumerate(backends):
        common = _record_fields(backend, threads)
        reason = reasons[backend.name]
        if reason is not None:
            out.append(
                BenchmarkRecord.for_case(
                    backend.name, case, device, status="skipped", reason=reason, **common
                )
            )
            continue
        prepared = _prepare(backend, case, device, seed, common)
        out.append(prepared if isinstance(prepared, BenchmarkRecord) else None)
        if not isinstance(prepared, BenchmarkRecord):
            timed.append((k, backend, prepared))
    return out, timed


def _case_records(
    case: Case,
    device: str,
    threads: int,
    out: list[BenchmarkRecord | None],
    timed: list[tuple[int, Backend, Prepared]],
    measured: Sequence[Measurement | Exception],
    confidence: float,
) -> list[BenchmarkRecord]:
    """The records of one case from its measurements, each with its paired speed-up."""
    for (k, backend, prepared), m in zip(timed, measured, strict=True):
        common = _record_fields(backend, threads)
        if isinstance(m, Exception):
            reason = f"workload raised {_one_line(m)}"
            out[k] = BenchmarkRecord.for_case(
                backend.name, case, device, status="error", reason=reason, **common
            )
            continue
        out[k] = BenchmarkRecord.for_case(
            backend.name,
            case,
            device,
            samples_s=m.samples_s,
            calls_per_round=m.calls_per_round,
            warmup_calls=m.warmup_calls,
            first_call_s=m.first_call_s,
            compile_s=prepared.compile_s,
            clock=m.clock,
            **common,
        )
    return _with_speedups([r for r in out if r is not None], confidence)


def _time_window(
    cases: Sequence[tuple[Case, list[Backend]]],
    device: str,
    timer: Timer,
    seed: int,
    threads: int,
    reasons: dict[str, str | None],
    sweeps: int,
    report: Callable[[int, str], None],
) -> list[BenchmarkRecord]:
    """The cases of one window, their rounds spread over ``sweeps`` sweeps (``spread.time_cases``).

    ``report(slot, label)``: slot ``sweep * len(cases) + position`` of ``sweeps * len(cases)``.
    """
    prepared = [_prepare_case(case, mine, device, seed, threads, reasons) for case, mine in cases]
    sweeps = sweeps if len(cases) > 1 else 1  # visits of a lone case would follow each other

    def on_visit(index: int, sweep: int) -> None:
        position = index if sweep % 2 == 0 else len(cases) - 1 - index  # odd sweeps run backwards
        case = cases[index][0]
        label = f"{case.kind.value} {case.workload.value} {case.sizes} {case.dtype}"
        report(
            sweep * len(cases) + position,
            label if sweeps == 1 else f"{label} (sweep {sweep + 1}/{sweeps})",
        )

    groups = [[p.step for _, _, p in timed] for _, timed in prepared]
    measured = time_cases(groups, timer, sweeps, on_visit)
    records: list[BenchmarkRecord] = []
    for (case, _), (out, timed), results in zip(cases, prepared, measured, strict=True):
        records += _case_records(case, device, threads, out, timed, results, timer.settings.confidence)
    return records


def _with_speedups(records: list[BenchmarkRecord], confidence: float) -> list[BenchmarkRecord]:
    """Each measured record of one case with its paired speed-up over the baseline measured beside it."""
    base = next((r for r in records if r.backend == BASELINE and r.status == "ok" and r.samples_s), None)
    if base is None:
        return records
    return [
        replace(r, speedup=paired_speedup(BASELINE, base.samples_s, r.samples_s, confidence))
        if r is not base and r.status == "ok" and len(r.samples_s) == len(base.samples_s)
        else r
        for r in records
    ]


def default_threads(device: str) -> int | None:
    """The torch threads a benchmark runs on unless told: 1 on the CPU, torch's own setting (None) on a GPU.

    One thread measures the code rather than the machine (``torch.utils.benchmark`` defaults to
    one too), and, timed on process CPU time, it is not slowed by other processes' load.
    """
    return 1 if device.split(":")[0] == "cpu" else None


def run_benchmarks(
    cases: Sequence[Case],
    backends: Sequence[Backend],
    device: str = "cpu",
    settings: TimerSettings | None = None,
    threads: int | None = None,
    seed: int = 0,
    measure_peak: bool = True,
    progress: ProgressFn | None = None,
    suite: str = "custom",
    clock: BlockClock | None = None,
    cpu_timing: str = "auto",
    sweeps: int = SPREAD_VISITS,
) -> BenchmarkRun:
    """Time every supported (case, backend) pair on ``device`` with ``threads`` torch threads (restored after).

    ``clock`` replaces the device's clock; without it, CPU blocks are timed as ``cpu_timing``
    says (``timer.clock_for_device``: 'auto' is process CPU time at one thread, wall time on more).
    Each case's rounds are spread over ``sweeps`` visits of its window of cases
    (``bench.spread``; 1: case after case).
    """
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be >= 1, got {threads}")
    if sweeps < 1:
        raise ValueError(f"sweeps must be >= 1, got {sweeps}")
    from lstm_bench.threads import torch_threads

    with torch_threads(threads) as used:
        timer = Timer(
            settings or TimerSettings(),
            clock or clock_for_device(device, cpu_timing=cpu_timing, threads=used),
        )
        return _run(cases, backends, device, timer, used, seed, measure_peak, progress, suite, sweeps)


def _run(
    cases: Sequence[Case],
    backends: Sequence[Backend],
    device: str,
    timer: Timer,
    used_threads: int,
    seed: int,
    measure_peak: bool,
    progress: ProgressFn | None,
    suite: str,
    sweeps: int,
) -> BenchmarkRun:
    started = time.perf_counter()
    load_before = machine_load()
    reasons = {b.name: b.unavailable(device) for b in backends}
    runnable = [(case, mine) for case in cases if (mine := [b for b in backends if b.supports(case, device)])]
    dtypes = sorted({case.dtype for case, _ in runnable}) if measure_peak else []
    total = len(dtypes) + len(runnable) * sweeps
    report = progress or (lambda done, total, label: None)

    peaks: list[PeakResult] = []
    for k, dtype in enumerate(dtypes):
        report(k, total, f"GEMM peak, {dtype}")
        peaks.append(measure_gemm_peak(device, dtype, timer, seed=seed))
    peak_of = {p.dtype: p.gflops for p in peaks}

    records: list[BenchmarkRecord] = []
    done = len(dtypes)
    footprints = [case.footprint_bytes * len(mine) for case, mine in runnable]
    for window in windows(footprints):
        members = [runnable[i] for i in window]

        def slot(k: int, label: str, first: int = done) -> None:
            report(first + k, total, label)

        timed = _time_window(members, device, timer, seed, used_threads, reasons, sweeps, slot)
        records += [r.with_peak(peak_of.get(r.dtype or "")) for r in timed]
        done += len(members) * sweeps
    report(total, total, "done")

    load_after = machine_load()
    warnings = [w for w in (load_before.warning(), load_after.warning("after the run")) if w]
    noisy = [r for r in records if r.summary is not None and r.summary.noisy]
    if noisy:
        warnings.append(f"{len(noisy)} of {len(records)} benchmarks are noisy (IQR > 10% of the median)")
    return BenchmarkRun(
        suite=suite,
        device=device,
        threads=used_threads,
        settings=timer.settings,
        records=tuple(records),
        peaks=tuple(peaks),
        load_before=load_before,
        load_after=load_after,
        warnings=tuple(warnings),
        wall_s=time.perf_counter() - started,
        seed=seed,
        clock=clock_name(timer.clock),
        sweeps=sweeps,
    )
