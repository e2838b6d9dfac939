"""Read the sections of a results document into the gate's inputs.

* ``bench_entries``: the "benchmarks" section (or pytest-benchmark JSON, through the bench
  converter) -> name -> ``BenchEntry`` (identity fields and raw samples in seconds).
* ``conformance_outcomes``: the "conformance" section -> ``CheckOutcome`` per implementation
  and check.
* ``stability_entries``: the "stability" section -> subject -> {"horizon": ...} or {"log10_ratio": ...};
  ``stability_profile`` its sweep profile (horizons of different profiles are not comparable).

Each section's owner defines its records; this module only picks out what the rules compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lstm_bench.errors import UsageError
from lstm_bench.gate.rules import CheckOutcome

if TYPE_CHECKING:
    from lstm_bench.bench.records import BenchmarkRecord


@dataclass(frozen=True)
class BenchEntry:
    """One benchmark of a document: what was timed (identity), its status, raw per-call samples (s).

    ``median_s`` is the recorded median, for files that kept statistics but not samples.
    """

    name: str
    samples: tuple[float, ...]
    identity: Mapping[str, Any] = field(default_factory=dict)
    status: str = "ok"
    reason: str | None = None
    median_s: float | None = None


def _identity(record: BenchmarkRecord) -> dict[str, Any]:
    """The fields that make two benchmarks with one name the same experiment."""
    identity: dict[str, Any] = {
        "backend": record.backend,
        "device": record.device,
        "kind": record.kind,
        "workload": record.workload,
        "dtype": record.dtype,
        "threads": record.threads,
    }
    if record.input_size is not None:
        identity["sizes"] = f"I={record.input_size} H={record.hidden_size} B={record.batch} T={record.steps}"
    return {k: v for k, v in identity.items() if v is not None}


def bench_entries(document: Mapping[str, Any], source: str = "results") -> dict[str, BenchEntry]:
    """name -> BenchEntry of every benchmark of a loaded document (lstm-bench or pytest-benchmark JSON).

    Reads through ``lstm_bench.bench.records.records_from_document``; UsageError when malformed.
    """
    from lstm_bench.bench.records import records_from_document

    entries: dict[str, BenchEntry] = {}
    for record in records_from_document(dict(document), source):
        entries[record.name] = BenchEntry(
            name=record.name,
            samples=record.samples_s,
            identity=_identity(record),
            status=record.status,
            reason=record.reason,
            median_s=record.median_s,
        )
    return entries


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _tolerance_scalar(tolerance: Any) -> float | None:
    """A conformance tolerance as one number: atol + rtol (the bound at |reference| = 1)."""
    if isinstance(tolerance, Mapping):
        atol, rtol = _float_or_none(tolerance.get("atol")), _float_or_none(tolerance.get("rtol"))
        if atol is None and rtol is None:
            return None
        return (atol or 0.0) + (rtol or 0.0)
    return _float_or_none(tolerance)


def conformance_outcomes(document: Mapping[str, Any]) -> list[CheckOutcome]:
    """One CheckOutcome per (implementation run, check) of the "conformance" section.

    An implementation run is named ``spec (kind, dtype, device)`` so float32 and float64 runs of
    one implementation are compared separately. A skipped check counts as passed.
    """
    reports = document.get("conformance") or []
    if not isinstance(reports, list):
        raise UsageError("results 'conformance' section is not a list")
    outcomes: list[CheckOutcome] = []
    for report in reports:
        if not isinstance(report, Mapping):
            raise UsageError("results 'conformance' section has an entry that is not an object")
        details = ", ".join(str(report[k]) for k in ("kind", "dtype", "device") if report.get(k))
        impl = f"{report.get('spec', '?')}" + (f" ({details})" if details else "")
        for check in report.get("checks") or []:
            status = check.get("status", "pass" if check.get("passed", True) else "fail")
            outcomes.append(
                CheckOutcome(
                    impl=impl,
                    name=str(check.get("name")),
                    passed=status != "fail",
                    worst_error=_float_or_none(check.get("worst_error")),
                    tolerance=_tolerance_scalar(check.get("tolerance")),
                )
            )
    return outcomes


def stability_profile(document: Mapping[str, Any]) -> str | None:
    """The profile (quick, default, full) of the document's stability sweep, or None without one."""
    section = document.get("stability")
    if not isinstance(section, Mapping):
        return None
    profile = section.get("profile")
    return None if profile is None else str(profile)


def stability_entries(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """subject -> {"horizon": int | None} and/or {"log10_ratio": float} from the "stability" section.

    Horizons come from ``summary`` (``longest_horizon`` per model and task; subject
    ``'LSTM (chrono) / recall'``); gradient-norm log10 ratios from ``diagnostics`` that ran
    (subject ``'tanh RNN H=64 / recall T=100 seed 0'``, plus ``' cell'`` for the LSTM's C_t).
    """
    section = document.get("stability")
    if not isinstance(section, Mapping):
        return {}
    entries: dict[str, dict[str, Any]] = {}
    for group in section.get("summary") or []:
        if not isinstance(group, Mapping):
            raise UsageError("results 'stability' summary has an entry that is not an object")
        horizon = group.get("longest_horizon")
        entries[f"{group.get('model')} / {group.get('task')}"] = {
            "horizon": None if horizon is None else int(horizon)
        }
    for diag in section.get("diagnostics") or []:
        profile = diag.get("profile") if isinstance(diag, Mapping) else None
        if not isinstance(profile, Mapping) or diag.get("status", "ok") != "ok":
            continue
        model = diag.get("model") or {}
        subject = f"{model.get('label')} H={model.get('hidden')} / {diag.get('task')} T={diag.get('horizon')} seed {diag.get('seed')}"
        for key, suffix in (("log10_ratio", ""), ("cell_log10_ratio", " cell")):
            value = _float_or_none(profile.get(key))
            if value is not None:
                entries[subject + suffix] = {"log10_ratio": value}
    return entries
