"""Compare two results documents (baseline, candidate) into one ``Comparison``.

Per benchmark present in both: the timing rule (ratio of medians, interval, Mann-Whitney U,
verdict). Per conformance check: "passed before, fails now" and "worst error grew past its
tolerance". Per stability entry: "recall horizon shorter" and "gradient-norm log ratio moved
past a factor". Inputs that do not match are explained as findings, never silently compared:
another machine or torch version is a warning; the same benchmark name with another dtype,
device or sizes is not compared (an error-level finding), and when nothing at all could be
compared the input is rejected (UsageError, exit 2).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lstm_bench.bench.records import BenchmarkRecord
from lstm_bench.bench.stats import median
from lstm_bench.documents import ResultsDocument, as_document
from lstm_bench.errors import UsageError
from lstm_bench.gate.config import GateConfig
from lstm_bench.gate.documents import (
    StabilityEntry,
    bench_entries,
    conformance_outcomes,
    stability_entries,
    stability_profile,
    stability_settings,
)
from lstm_bench.gate.result import Comparison, Finding, Severity, TimingComparison
from lstm_bench.gate.rules import (
    CheckNowFails,
    CheckOutcome,
    ErrorPastTolerance,
    GradNormRatioMoved,
    HorizonShorter,
    TimingRule,
    apply_rules,
)
from lstm_bench.gate.stats import Verdict

__all__ = [
    "Comparison",
    "Finding",
    "Severity",
    "TimingComparison",
    "compare_benchmarks",
    "compare_conformance",
    "compare_documents",
    "compare_stability",
    "compare_timing",
    "drift_findings",
    "environment_findings",
]

# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------

# (key in "environment", what to call it, severity when the two documents differ)
_ENVIRONMENT_KEYS: tuple[tuple[str, str, Severity], ...] = (
    ("cpu_model", "CPU", Severity.WARNING),
    ("hostname", "machine", Severity.NOTE),
    ("torch", "torch version", Severity.WARNING),
    ("numpy", "numpy version", Severity.NOTE),
    ("python", "Python version", Severity.NOTE),
    ("torch_threads", "torch threads", Severity.WARNING),
)


def environment_findings(
    baseline: Mapping[str, Any], candidate: Mapping[str, Any], *, timed: bool = True
) -> list[Finding]:
    """Differences between two ``environment`` records that make timings less comparable.

    ``timed=False`` (no benchmarks to compare) leaves out the notes about a busy machine.
    """
    findings: list[Finding] = []
    for key, what, severity in _ENVIRONMENT_KEYS:
        old, new = baseline.get(key), candidate.get(key)
        if old is not None and new is not None and old != new:
            findings.append(
                Finding(
                    "input", "environment", severity, f"different {what}: baseline {old!r}, candidate {new!r}"
                )
            )
    old_cuda, new_cuda = baseline.get("cuda") or {}, candidate.get("cuda") or {}
    old_gpu, new_gpu = old_cuda.get("device_name"), new_cuda.get("device_name")
    if old_gpu != new_gpu and (old_gpu or new_gpu):
        findings.append(
            Finding(
                "input",
                "environment",
                Severity.WARNING,
                f"different GPU: baseline {old_gpu!r}, candidate {new_gpu!r}",
            )
        )
    old_load, new_load = baseline.get("load_average"), candidate.get("load_average")
    cpus = candidate.get("cpu_count") or baseline.get("cpu_count")
    for side, load in (("baseline", old_load), ("candidate", new_load)):
        if timed and load and cpus and float(load[0]) > 0.5 * float(cpus):
            findings.append(
                Finding(
                    "input",
                    "environment",
                    Severity.NOTE,
                    f"{side} ran with 1-minute load {float(load[0]):.1f} on {cpus} CPUs: timings may be perturbed",
                )
            )
    return findings


# --------------------------------------------------------------------------------------------
# Timings
# --------------------------------------------------------------------------------------------


def compare_timing(
    name: str,
    baseline: Sequence[float],
    candidate: Sequence[float],
    config: GateConfig,
    *,
    paired: bool = False,
    medians: tuple[float, float] | None = None,
) -> TimingComparison:
    """Apply the timing rule to two sets of raw samples (seconds) of benchmark ``name``.

    With fewer than 2 samples on a side nothing can be tested: the recorded ``medians``
    (baseline, candidate) are shown and the verdict is INCONCLUSIVE (a measurement that cannot
    decide), with that reason.
    """
    max_slowdown = config.max_slowdown_for(name)
    if len(baseline) < 2 or len(candidate) < 2:
        old, new = medians if medians is not None else (median(baseline), median(candidate))
        return TimingComparison(
            name,
            old,
            new,
            None,
            Verdict.INCONCLUSIVE,
            f"{(new / old - 1) * 100:+.1f}%, not tested: fewer than 2 raw samples on a side",
            max_slowdown,
        )
    rule = TimingRule(max_slowdown=max_slowdown, alpha=config.alpha, paired=paired, seed=config.seed)
    estimate, decision = rule.assess(candidate, baseline)
    return TimingComparison(
        name, median(baseline), median(candidate), estimate, decision.verdict, decision.reason, max_slowdown
    )


def _status_finding(name: str, old: BenchmarkRecord, new: BenchmarkRecord) -> Finding | None:
    """A benchmark that ran before and raises now is a regression; other non-ok statuses are warnings."""
    if new.status == "error" and old.status != "error":
        return Finding(
            "benchmarks", name, Severity.REGRESSION, f"ran in the baseline, fails now: {new.reason}"
        )
    for side, entry in (("baseline", old), ("candidate", new)):
        if entry.status != "ok":
            return Finding(
                "benchmarks",
                name,
                Severity.WARNING,
                f"not compared: {entry.status} in the {side} ({entry.reason})",
            )
    return None


def compare_benchmarks(
    baseline: Mapping[str, BenchmarkRecord], candidate: Mapping[str, BenchmarkRecord], config: GateConfig
) -> tuple[list[TimingComparison], list[Finding]]:
    """Timing comparisons of benchmarks in both; findings for mismatched, failed, missing or new ones."""
    timings: list[TimingComparison] = []
    findings: list[Finding] = []
    for name, old in baseline.items():
        new = candidate.get(name)
        if new is None:
            findings.append(
                Finding(
                    "benchmarks", name, Severity.WARNING, "in the baseline only: not run by the candidate"
                )
            )
            continue
        if old.identity != new.identity:
            keys = sorted(old.identity.keys() | new.identity.keys())
            changed = [k for k in keys if old.identity.get(k) != new.identity.get(k)]
            detail = "; ".join(
                f"{k}: baseline {old.identity.get(k)!r}, candidate {new.identity.get(k)!r}" for k in changed
            )
            findings.append(
                Finding("benchmarks", name, Severity.ERROR, f"not compared: same name, different {detail}")
            )
            continue
        status = _status_finding(name, old, new)
        if status is not None:
            findings.append(status)
            continue
        if len(old.samples_s) < 2 or len(new.samples_s) < 2:
            if old.median_s is None or new.median_s is None:
                findings.append(
                    Finding(
                        "benchmarks", name, Severity.WARNING, "not compared: no samples or median recorded"
                    )
                )
                continue
            findings.append(
                Finding(
                    "benchmarks",
                    name,
                    Severity.WARNING,
                    "raw samples missing: medians shown, no significance test",
                )
            )
        medians = (
            (old.median_s, new.median_s) if old.median_s is not None and new.median_s is not None else None
        )
        timings.append(compare_timing(name, old.samples_s, new.samples_s, config, medians=medians))
    for name in sorted(candidate.keys() - baseline.keys()):
        findings.append(
            Finding("benchmarks", name, Severity.NOTE, "new in the candidate: no baseline to compare with")
        )
    findings += drift_findings(timings, baseline)
    return timings, findings


REFERENCE_BACKEND = "torch-native"  # code that does not change between a baseline and a candidate run


def drift_findings(
    timings: Sequence[TimingComparison], entries: Mapping[str, BenchmarkRecord]
) -> list[Finding]:
    """Warnings where the reference backend, whose code did not change, moved as much as a regression did.

    Two runs see different machines (other load, frequency): when ``torch-native`` on the same
    case moved beyond its threshold too, a regression there may be the machine's, not the code's.
    """
    by_case: dict[tuple[tuple[str, Any], ...], dict[str, TimingComparison]] = {}
    for timing in timings:
        identity = dict(entries[timing.name].identity)
        backend = str(identity.pop("backend", ""))
        by_case.setdefault(tuple(sorted(identity.items())), {})[backend] = timing
    findings = []
    for backends in by_case.values():
        reference = backends.get(REFERENCE_BACKEND)
        if reference is None or abs(math.log(reference.ratio)) <= math.log1p(reference.max_slowdown):
            continue
        moved = f"{(reference.ratio - 1) * 100:+.1f}%"
        for backend, timing in backends.items():
            if timing.verdict is not Verdict.REGRESSION:
                continue
            if backend == REFERENCE_BACKEND:
                message = f"{REFERENCE_BACKEND}'s code did not change, yet it moved {moved}: the machine drifted between the runs"
            else:
                message = (
                    f"{REFERENCE_BACKEND} (unchanged code) moved {moved} on the same case: "
                    "the machine, not the code, may have changed between the runs"
                )
            findings.append(Finding("benchmarks", timing.name, Severity.WARNING, message))
    return findings


# --------------------------------------------------------------------------------------------
# Conformance and stability
# --------------------------------------------------------------------------------------------


def compare_conformance(baseline: Iterable[CheckOutcome], candidate: Iterable[CheckOutcome]) -> list[Finding]:
    """Regressions of conformance checks (by ``impl :: check``), and checks no longer run."""
    rules = (CheckNowFails(), ErrorPastTolerance())
    new_by_key = {c.key: c for c in candidate}
    findings: list[Finding] = []
    for old in baseline:
        new = new_by_key.get(old.key)
        if new is None:
            findings.append(Finding("conformance", old.key, Severity.WARNING, "not run by the candidate"))
            continue
        messages = apply_rules(rules, new, old)
        if messages:
            findings.append(Finding("conformance", old.key, Severity.REGRESSION, "; ".join(messages)))
        elif not old.passed and new.passed:
            findings.append(
                Finding("conformance", old.key, Severity.IMPROVEMENT, "failed in the baseline, passes now")
            )
    return findings


def compare_stability(
    baseline: Mapping[str, StabilityEntry], candidate: Mapping[str, StabilityEntry], config: GateConfig
) -> list[Finding]:
    """Horizon and gradient-norm regressions of stability entries matched by subject (see ``documents``)."""
    horizon_rule, ratio_rule = HorizonShorter(), GradNormRatioMoved(config.grad_norm_factor)
    findings: list[Finding] = []
    for subject, old in baseline.items():
        new = candidate.get(subject)
        if new is None:
            findings.append(Finding("stability", subject, Severity.WARNING, "not run by the candidate"))
            continue
        messages: list[str] = []
        if old.has_horizon and new.has_horizon:
            messages += apply_rules([horizon_rule], new.horizon, old.horizon)
            if old.horizon is not None and new.horizon is not None and new.horizon > old.horizon:
                message = f"horizon T={old.horizon} -> T={new.horizon}"
                findings.append(Finding("stability", subject, Severity.IMPROVEMENT, message))
        if old.log10_ratio is not None and new.log10_ratio is not None:
            a, b = old.log10_ratio, new.log10_ratio
            if math.isnan(a) != math.isnan(b):
                findings.append(
                    Finding("stability", subject, Severity.WARNING, "gradient-norm ratio is NaN on one side")
                )
            messages += apply_rules([ratio_rule], b, a)
        if messages:
            findings.append(Finding("stability", subject, Severity.REGRESSION, "; ".join(messages)))
    return findings


# --------------------------------------------------------------------------------------------
# Documents
# --------------------------------------------------------------------------------------------


def compare_documents(
    baseline: ResultsDocument | Mapping[str, Any],
    candidate: ResultsDocument | Mapping[str, Any],
    config: GateConfig,
    *,
    baseline_name: str = "baseline",
    candidate_name: str = "candidate",
) -> Comparison:
    """Compare two results documents (typed, or as ``results.load_results`` loaded them; pytest-benchmark JSON too).

    UsageError (exit 2) when a document does not match the schema, or the two have nothing in
    common to compare.
    """
    old_doc, new_doc = as_document(baseline, baseline_name), as_document(candidate, candidate_name)
    findings = [Finding("input", "config", Severity.WARNING, w) for w in config.warnings]
    old_bench, new_bench = bench_entries(old_doc), bench_entries(new_doc)
    timed = bool(old_bench.keys() & new_bench.keys())
    findings += environment_findings(old_doc.environment, new_doc.environment, timed=timed)
    timings, bench_findings = compare_benchmarks(old_bench, new_bench, config)
    findings += bench_findings
    old_checks, new_checks = conformance_outcomes(old_doc), conformance_outcomes(new_doc)
    findings += compare_conformance(old_checks, new_checks)
    old_stab, new_stab = stability_entries(old_doc), stability_entries(new_doc)
    old_profile, new_profile = stability_profile(old_doc), stability_profile(new_doc)
    old_settings, new_settings = stability_settings(old_doc), stability_settings(new_doc)
    differ = sorted(
        k for k in old_settings.keys() | new_settings.keys() if old_settings.get(k) != new_settings.get(k)
    )
    if old_stab and new_stab and (old_profile != new_profile or differ):
        if old_profile != new_profile:
            message = f"not compared: sweep profile {old_profile!r} in the baseline, {new_profile!r} in the candidate"
        else:
            shown = "; ".join(f"{k} {old_settings.get(k)!r} vs {new_settings.get(k)!r}" for k in differ)
            message = (
                f"not compared: the two {old_profile!r} sweeps were run with different settings ({shown}); "
                "`stability --profile` and `run --profile` size their sweeps differently"
            )
        findings.append(Finding("stability", "sweep", Severity.ERROR, message))
        old_stab, new_stab = {}, {}
    if new_doc.stability is not None and new_doc.stability.interrupted:
        findings.append(
            Finding("stability", "sweep", Severity.WARNING, "the candidate's sweep was interrupted")
        )
    findings += compare_stability(old_stab, new_stab, config)
    matched = [
        n for n in old_bench.keys() & new_bench.keys() if old_bench[n].identity == new_bench[n].identity
    ]
    matched += [c.key for c in old_checks if c.key in {n.key for n in new_checks}]
    matched += list(old_stab.keys() & new_stab.keys())
    if not matched:
        errors = [f for f in bench_findings if f.severity is Severity.ERROR]
        why = f" ({errors[0].subject}: {errors[0].message})" if errors else ""
        raise UsageError(
            f"{baseline_name} and {candidate_name} have no benchmark, check or stability entry in common{why}"
        )
    return Comparison(
        baseline=baseline_name,
        candidate=candidate_name,
        config=config,
        timings=tuple(timings),
        findings=tuple(findings),
        labels=_labels(old_doc, new_doc),
    )


def _labels(baseline: ResultsDocument, candidate: ResultsDocument) -> dict[str, str]:
    labels: dict[str, str] = {}
    for side, doc in (("baseline", baseline), ("candidate", candidate)):
        commit = doc.environment.get("git_commit")
        if commit:
            labels[side] = str(commit)[:12] + ("-dirty" if str(commit).endswith("-dirty") else "")
    return labels
