"""The gate's inputs, read from typed results documents (``lstm_bench.documents.ResultsDocument``).

* ``bench_entries``: the benchmark records by name (identity fields, status, raw samples in
  seconds); pytest-benchmark JSON was converted when the document was read.
* ``conformance_outcomes``: the conformance reports -> ``CheckOutcome`` per implementation run and check.
* ``stability_entries``: the stability report -> subject -> ``StabilityEntry``;
  ``stability_profile`` its sweep size and ``stability_settings`` what decides its results (horizons
  of different sweeps are not comparable).

Each section's owner defines its records and derived numbers; this module only picks out what
the rules compare.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstm_bench.bench.records import BenchmarkRecord
from lstm_bench.documents import ResultsDocument
from lstm_bench.gate.rules import CheckOutcome


def bench_entries(document: ResultsDocument) -> dict[str, BenchmarkRecord]:
    """name -> record of every benchmark of ``document`` (``BenchmarkRecord.identity`` says what was timed)."""
    records = document.benchmarks.records if document.benchmarks is not None else ()
    return {record.name: record for record in records}


def conformance_outcomes(document: ResultsDocument) -> list[CheckOutcome]:
    """One CheckOutcome per (implementation run, check) of the conformance reports.

    An implementation run is named ``spec (kind, dtype, device)`` (``ConformanceReport.run_name``)
    so float32 and float64 runs of one implementation are compared separately. A skipped or
    unsupported check counts as passed.
    """
    return [
        CheckOutcome(
            impl=report.run_name,
            name=check.name,
            passed=check.passed,
            worst_error=check.worst_error,
            tolerance=None if check.tolerance is None else check.tolerance.at_unit_reference,
        )
        for report in document.conformance or ()
        for check in report.results
    ]


def stability_profile(document: ResultsDocument) -> str | None:
    """The sweep size (quick, default, full) of the document's stability sweep, or None without one."""
    return None if document.stability is None else document.stability.profile


#: Sweep settings that do not decide its results: the wall-clock safety cap (a job it stops is
#: 'timed out', never 'not learned') and the size's name (compared on its own).
_NOT_DECIDING = frozenset({"max_seconds", "name"})


def stability_settings(document: ResultsDocument) -> dict[str, Any]:
    """The settings that decide the sweep's results (horizons, seeds, step budget, seed, ...); {} without one.

    ``stability --profile quick`` and ``run --profile quick`` size their sweeps differently under
    the same name, so two sweeps are comparable only when these agree too.
    """
    if document.stability is None:
        return {}
    return {k: v for k, v in document.stability.settings.items() if k not in _NOT_DECIDING}


@dataclass(frozen=True)
class StabilityEntry:
    """One compared stability figure: a longest horizon (None: none solved) or a gradient-norm log10 ratio."""

    horizon: int | None = None
    log10_ratio: float | None = None
    has_horizon: bool = False


def stability_entries(document: ResultsDocument) -> dict[str, StabilityEntry]:
    """subject -> StabilityEntry from the stability report.

    Horizons come from the summary (``longest_horizon`` per model and task; subject
    ``'LSTM (chrono) / recall'``); gradient-norm log10 ratios from diagnostics that ran
    (subject ``'tanh RNN H=64 / recall T=100 seed 0'``, plus ``' cell'`` for the LSTM's C_t).
    """
    report = document.stability
    if report is None:
        return {}
    entries: dict[str, StabilityEntry] = {
        f"{group.model} / {group.task}": StabilityEntry(horizon=group.longest_horizon, has_horizon=True)
        for group in report.summary
    }
    for diag in report.diagnostics:
        if diag.profile is None or diag.status != "ok":
            continue
        job = diag.job
        subject = f"{job.model.label} H={job.model.hidden} / {job.task} T={job.horizon} seed {job.seed}"
        entries[subject] = StabilityEntry(log10_ratio=diag.profile.log10_ratio)
        if diag.profile.cell_log10_ratio is not None:
            entries[subject + " cell"] = StabilityEntry(log10_ratio=diag.profile.cell_log10_ratio)
    return entries
