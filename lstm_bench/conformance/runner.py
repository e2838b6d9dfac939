"""Run the named checks on one implementation: ``run_conformance`` -> ``ConformanceReport``.

Also ``run_check`` (one check, for the pytest suite) and ``replay`` (one check on one case: what
the repro snippet of a failure calls).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import torch

from lstm_bench.capabilities import Feature, Support
from lstm_bench.conformance import contract, equivalence, gradients, invariants, ranges
from lstm_bench.conformance import device as device_checks
from lstm_bench.conformance.accuracy import summarise
from lstm_bench.conformance.cases import Case
from lstm_bench.conformance.checks import Check, Context
from lstm_bench.conformance.result import CheckResult, ConformanceReport, Counterexample, Outcome, Status
from lstm_bench.conformance.search import (
    CHECK_SIZES,
    SearchResult,
    check_seed,
    check_size_examples,
    safe_evaluate,
    search,
)
from lstm_bench.conformance.tolerances import REDUCED, model_bound
from lstm_bench.dtypes import NAMED_DTYPES
from lstm_bench.kinds import Kind
from lstm_bench.loader import LoadedImpl, load_impl
from lstm_bench.reference.choice import UnsupportedReference, reference_summary

#: Every check, in the order they run and print.
CHECKS: tuple[Check, ...] = (
    *ranges.CHECKS,
    *equivalence.CHECKS,
    *gradients.CHECKS,
    *invariants.CHECKS,
    *contract.CHECKS,
)
CHECK_NAMES: tuple[str, ...] = tuple(check.name for check in CHECKS)

#: Dtypes ``--autocast`` can ask for (the implementation then runs in float32 under torch.autocast).
AUTOCAST_DTYPES = REDUCED

#: Seconds a failing check may spend shrinking its counterexample, per profile.
SHRINK_SECONDS = {"quick": 5.0, "default": 15.0, "thorough": 60.0}

Progress = Callable[[str, int, int], None]


def get_check(name: str) -> Check:
    """The check called ``name``; ValueError listing the names otherwise."""
    for check in (*CHECKS, *device_checks.CHECKS):
        if check.name == name:
            return check
    raise ValueError(f"unknown check {name!r}; checks: {', '.join(CHECK_NAMES)}")


def select_checks(names: Sequence[str] | None) -> tuple[Check, ...]:
    """The named checks (all when ``names`` is None); a name may be a family ('gradients')."""
    if not names:
        return CHECKS
    chosen = []
    for name in names:
        family = [c for c in CHECKS if c.family == name]
        chosen.extend(family or [get_check(name)])
    return tuple(dict.fromkeys(chosen))


def dtype_of(name: str) -> torch.dtype:
    """torch dtype for 'float64', 'float32', 'bfloat16' or 'float16'."""
    try:
        return NAMED_DTYPES[name]
    except KeyError:
        raise ValueError(f"unsupported dtype {name!r}; expected one of {', '.join(NAMED_DTYPES)}") from None


def needed_features(check: Check, dtype: torch.dtype) -> tuple[Feature, ...]:
    """The optional features a check's cases use in ``dtype`` (every check needs float64 in float64)."""
    return (*check.requires, *((Feature.FLOAT64,) if dtype == torch.float64 else ()))


def _runs_anyway(support: Support) -> bool:
    """float64 is the run's dtype, not a case option: a probe that finds it failing does not turn
    every check off (a float64 run would check nothing and exit 0); the checks run and fail with
    the implementation's exception. Declared or flagged (--unsupported float64), it is unsupported."""
    return support.feature is Feature.FLOAT64 and support.source == "probe"


def against_float64(check: Check, ctx: Context) -> bool:
    """Whether ``check`` compares with the float64 reference, so its accuracy figure means "vs float64":
    the equivalence family, and the gradient family in reduced precision (float64 autograd of the
    reference there; finite differences, measuring the step's error, otherwise)."""
    return check.family == "equivalence" or (check.family == "gradients" and ctx.reduced)


def needs_reference(check: Check, ctx: Context) -> bool:
    """Whether ``check`` compares with the float64 reference (``ctx.reference``) in this context."""
    return check.reference or against_float64(check, ctx)


def make_context(impl: LoadedImpl, dtype: str, device: str, autocast: str | None = None) -> Context:
    """The Context of a run; ``autocast`` ('bfloat16' or 'float16') needs ``dtype`` float32."""
    if autocast is not None:
        if autocast not in AUTOCAST_DTYPES:
            raise ValueError(
                f"unsupported autocast dtype {autocast!r}; expected one of {', '.join(AUTOCAST_DTYPES)}"
            )
        if dtype != "float32":
            raise ValueError(f"autocast runs a float32 implementation; got dtype {dtype!r}")
    return Context(impl, dtype_of(dtype), device, autocast=autocast)


def repro_snippet(
    spec: str, kind: Kind, check: str, case: Case, dtype: str, device: str, autocast: str | None = None
) -> str:
    """A short Python snippet that replays ``check`` on ``case`` and prints what went wrong."""
    cast = "" if autocast is None else f", autocast={autocast!r}"
    return (
        "from lstm_bench.conformance import replay\n"
        f"outcome = replay({spec!r}, {check!r}, {case.to_dict()!r},\n"
        f"                 kind={kind.value!r}, dtype={dtype!r}, device={device!r}{cast})\n"
        "print(outcome.detail)\n"
    )


@contextlib.contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread: the checks use small tensors, where a second thread only adds
    overhead and, beside other load, slows every op several times (see shared/MEASURED.md)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def run_check(
    impl: LoadedImpl,
    check: Check | str,
    *,
    profile: str = "default",
    dtype: str = "float64",
    device: str = "cpu",
    seed: int = 0,
    progress: Progress | None = None,
    context: Context | None = None,
    autocast: str | None = None,
) -> CheckResult:
    """Run one check over the profile's cases and return its result (never raises for the implementation)."""
    check = get_check(check) if isinstance(check, str) else check
    ctx = context or make_context(impl, dtype, device, autocast)
    start = time.perf_counter()
    drawn = [f for f in check.uses if impl.capabilities.supports(f) and f not in check.requires]
    features = tuple(f.value for f in (*needed_features(check, ctx.dtype), *drawn))
    absent = [a for a in impl.capabilities.missing(needed_features(check, ctx.dtype)) if not _runs_anyway(a)]
    if absent:
        status: Status = "skip" if all(a.source == "not applicable" for a in absent) else "unsupported"
        why = "; ".join(f"needs {a.feature.value}: {a.describe()}" for a in absent)
        return CheckResult(check.name, status, time.perf_counter() - start, reason=why, features=features)
    if needs_reference(check, ctx):
        try:
            ctx.reference  # noqa: B018 (resolving it is the test)
        except UnsupportedReference as exc:
            return CheckResult(check.name, "unsupported", time.perf_counter() - start, reason=str(exc))
    try:
        reason = check.skip(ctx)
    except Exception as exc:  # building a probe instance failed: that is a finding, not a crash
        return CheckResult(
            check.name, "fail", time.perf_counter() - start, reason=f"could not prepare: {exc}"
        )
    if reason is not None:
        return CheckResult(check.name, "skip", time.perf_counter() - start, reason=reason)
    planned = check.examples(check_size_examples(profile))
    with single_thread():
        found = _search(check, ctx, planned, profile, seed, progress)
    topic = (check.reduced_topic or check.topic) if ctx.reduced else check.topic
    tol = ctx.tol(topic)
    modelled = ctx.reduced and topic not in ("exact", "finite")
    bound = model_bound(topic, ctx.precision, found.longest) if modelled else None
    common: dict[str, Any] = {
        "examples": found.examples,
        "worst_error": found.worst_error,
        "tolerance": tol,
        "tensors": tuple(found.tensors.values()),
        "accuracy": summarise(found.scaled, ctx.precision, bound) if against_float64(check, ctx) else None,
        "notes": (*found.notes, *ctx._cache.get(f"notes:{check.name}", ())),
    }
    if found.failure is None:
        return CheckResult(check.name, "pass", time.perf_counter() - start, features=features, **common)
    case, outcome = found.failure
    snippet = repro_snippet(impl.spec, impl.kind, check.name, case, ctx.dtype_name, ctx.device, ctx.autocast)
    return CheckResult(
        check.name,
        "fail",
        time.perf_counter() - start,
        reason=outcome.detail,
        counterexample=Counterexample(case.to_dict(), outcome, snippet),
        features=features,
        **common,
    )


def _search(
    check: Check, ctx: Context, planned: int, profile: str, seed: int, progress: Progress | None
) -> SearchResult:
    return search(
        lambda case: check.evaluate(ctx, case),
        check.strategy(ctx),
        explicit=check.explicit(ctx),
        max_examples=planned,
        seed=check_seed(seed, check.name),
        profile=profile,
        shrink_seconds=SHRINK_SECONDS[profile],
        progress=None if progress is None else (lambda done: progress(check.name, done, planned)),
    )


def run_conformance(
    impl: LoadedImpl,
    *,
    profile: str = "default",
    dtype: str = "float64",
    device: str = "cpu",
    seed: int = 0,
    checks: Sequence[str] | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
    progress: Progress | None = None,
    autocast: str | None = None,
) -> ConformanceReport:
    """Run the selected checks (default: all) on ``impl`` and collect a report.

    ``profile`` is quick, default or thorough (Hypothesis profiles dev, ci, thorough); ``seed``
    makes the drawn cases reproducible. ``on_result`` sees each result as soon as it is ready.
    On a device other than the CPU the device checks (``device``) run too; ``autocast``
    ('bfloat16' or 'float16', with dtype float32) runs the implementation under torch.autocast.
    """
    if profile not in CHECK_SIZES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(CHECK_SIZES)}")
    ctx = make_context(impl, dtype, device, autocast)
    start = time.perf_counter()
    results = []
    selected = select_checks(checks)
    if device.split(":")[0] != "cpu" and not checks:
        selected = (*selected, *device_checks.CHECKS)
    for check in selected:
        result = run_check(
            impl, check, profile=profile, seed=seed, device=device, progress=progress, context=ctx
        )
        results.append(result)
        if on_result is not None:
            on_result(result)
    return ConformanceReport(
        spec=impl.spec,
        kind=impl.kind.value,
        profile=profile,
        dtype=dtype,
        device=device,
        seed=seed,
        seconds=time.perf_counter() - start,
        results=tuple(results),
        capabilities=impl.capabilities.to_dict(),
        layout=dict(impl.native),
        preconditions=dict(impl.preconditions),
        autocast=autocast,
        framework=impl.framework,
        reference=reference_summary(ctx.kind, ctx.impl.gru_variant),
        adapter_capabilities=dict(impl.adapter_capabilities),
    )


def replay(
    spec: str,
    check: str,
    case: Mapping[str, Any],
    *,
    kind: str | None = None,
    dtype: str = "float64",
    device: str = "cpu",
    autocast: str | None = None,
) -> Outcome:
    """Run ``check`` on one ``case`` (as a failure's counterexample prints it) and return the outcome."""
    impl = load_impl(spec, None if kind is None else Kind.parse(kind))
    ctx = make_context(impl, dtype, device, autocast)
    return safe_evaluate(lambda c: get_check(check).evaluate(ctx, c), Case.from_dict(case))
