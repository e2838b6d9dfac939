"""The conformance checks inside a user's own pytest run: ``parametrize_with_checks`` and ``check_implementation``.

The pattern is scikit-learn's ``parametrize_with_checks`` / ``check_estimator``::

    from lstm_bench.testing import parametrize_with_checks

    @parametrize_with_checks([MyLSTM, "mypkg.cells:MyGRU"])
    def test_conformance(impl, check):
        check(impl)

gives one test per implementation and check, ids like ``MyLSTM-equivalence.zero_state``. A
failing check raises ``ConformanceFailure`` with the minimal counterexample and a replay snippet;
a check that does not apply (or that the implementation declares unsupported through
``features``) is a pytest skip with the reason. Building the list loads each implementation
(import and a tiny probe forward) and runs no check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pytest

from lstm_bench.conformance import CHECK_SIZES, CheckResult, ConformanceReport, run_check, run_conformance
from lstm_bench.conformance.render import failure_block
from lstm_bench.conformance.runner import dtype_of, select_checks
from lstm_bench.conformance.search import CHECK_SIZE_OF_HYPOTHESIS
from lstm_bench.errors import UsageError
from lstm_bench.kinds import Kind
from lstm_bench.testing.errors import ConformanceFailure
from lstm_bench.testing.impls import ImplLike, as_kind, display_name, full_name, resolve_impl

#: Features an implementation may declare it lacks (``features={"batch_first": False}``), and the
#: checks that need each one: those become skips saying so instead of failures.
FEATURES: dict[str, tuple[str, ...]] = {
    "batch_first": ("equivalence.batch_first",),
    "unbatched": ("equivalence.unbatched",),
    "initial_state": ("equivalence.initial_state",),
    "deterministic": ("invariants.determinism",),
}


def current_profile() -> str:
    """quick, default or thorough: the conformance profile behind the Hypothesis profile now loaded.

    Under pytest the lstm-bench plugin loads it from ``--lstm-bench-profile`` (default: ci when
    ``$CI`` is set, else dev), so ``dev`` gives quick and ``ci`` gives default.
    """
    from hypothesis import settings

    return CHECK_SIZE_OF_HYPOTHESIS.get(settings.get_current_profile_name(), "default")


def _validate(profile: str | None, features: Mapping[str, bool] | None, dtypes: Sequence[str]) -> None:
    if profile is not None and profile not in CHECK_SIZES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(CHECK_SIZES)}")
    unknown = sorted(set(features or {}) - set(FEATURES))
    if unknown:
        raise ValueError(f"unknown feature(s) {', '.join(unknown)}; known: {', '.join(FEATURES)}")
    for dtype in dtypes:
        dtype_of(dtype)


def declared_unsupported(check: str, features: Mapping[str, bool] | None) -> str | None:
    """Why ``check`` is skipped by the declared ``features``, or None when it runs."""
    lacking = [name for name, has in (features or {}).items() if not has and check in FEATURES[name]]
    return f"unsupported: the implementation declares features={{{lacking[0]!r}: False}}" if lacking else None


def skip_reason(result: CheckResult) -> str:
    """The pytest skip reason of a result that neither passed nor failed ('skip', 'unsupported', ...)."""
    prefix = (
        ""
        if result.status == "skip" or result.reason.startswith(f"{result.status}:")
        else f"{result.status}: "
    )
    return f"{result.name}: {prefix}{result.reason}"


def raise_for_result(result: CheckResult) -> CheckResult:
    """Return a passed ``result``; raise ConformanceFailure for a failed one; skip the test otherwise."""
    __tracebackhide__ = True
    if result.status == "fail":
        raise ConformanceFailure(failure_block(result), [result])
    if result.status != "pass":
        pytest.skip(skip_reason(result))
    return result


@dataclass(frozen=True)
class ConformanceCheck:
    """One named check with its settings; call it on an implementation: ``check(impl)``."""

    name: str
    profile: str | None = None  # None: current_profile() when the test runs
    dtype: str = "float64"
    device: str = "cpu"
    seed: int = 0
    kind: Kind | None = None
    unsupported: str | None = None  # set when the declared features rule the check out

    def __call__(self, impl: ImplLike) -> CheckResult:
        """Run the check; fail with the counterexample and replay snippet, or skip with the reason."""
        __tracebackhide__ = True
        if self.unsupported is not None:
            pytest.skip(f"{self.name}: {self.unsupported}")
        loaded = resolve_impl(impl, self.kind)
        result = run_check(
            loaded,
            self.name,
            profile=self.profile or current_profile(),
            dtype=self.dtype,
            device=self.device,
            seed=self.seed,
        )
        return raise_for_result(result)


@dataclass(frozen=True)
class LoadFailure:
    """Stands in for every check of an implementation that did not load: its test fails with the reason."""

    reason: str

    def __call__(self, impl: object) -> None:
        pytest.fail(self.reason, pytrace=False)


def _names(impls: Sequence[ImplLike]) -> list[str]:
    """Short names for the ids; the full spec where two short names would collide."""
    names = [display_name(i) for i in impls]
    return [n if names.count(n) == 1 else full_name(i) for i, n in zip(impls, names, strict=True)]


def parametrize_with_checks(
    impls: Sequence[ImplLike],
    *,
    kind: str | Kind | None = None,
    profile: str | None = None,
    checks: Sequence[str] | None = None,
    features: Mapping[str, bool] | None = None,
    dtypes: Sequence[str] = ("float64",),
    device: str = "cpu",
    seed: int = 0,
) -> pytest.MarkDecorator:
    """``pytest.mark.parametrize("impl, check", ...)``: one test per implementation × dtype × check.

    ``impls``: classes or factories, ``"pkg.module:Name"`` specs or loaded implementations;
    ``kind`` for those without a ``mode``; ``profile`` quick, default or thorough (default: the
    plugin's ``--lstm-bench-profile``); ``checks`` names or families (default all);
    ``features`` declares what the implementations lack (see ``FEATURES``); ``dtypes`` adds a
    dtype to each id when there is more than one. An implementation that cannot load gets one
    failing test, ``Name-load``, with the loader's one-line reason.
    """
    _validate(profile, features, dtypes)
    wanted = as_kind(kind)
    selected = [c.name for c in select_checks(checks)]
    params = []
    for impl, name in zip(impls, _names(impls), strict=True):
        try:
            loaded: ImplLike = resolve_impl(impl, wanted)
        except UsageError as exc:
            params.append(pytest.param(impl, LoadFailure(str(exc)), id=f"{name}-load"))
            continue
        for dtype in dtypes:
            tag = f"{name}-{dtype}" if len(dtypes) > 1 else name
            params.extend(
                pytest.param(
                    loaded,
                    ConformanceCheck(
                        check, profile, dtype, device, seed, wanted, declared_unsupported(check, features)
                    ),
                    id=f"{tag}-{check}",
                )
                for check in selected
            )
    return pytest.mark.parametrize("impl, check", params)


def check_implementation(
    impl: ImplLike,
    *,
    kind: str | Kind | None = None,
    profile: str | None = None,
    checks: Sequence[str] | None = None,
    features: Mapping[str, bool] | None = None,
    dtype: str = "float64",
    device: str = "cpu",
    seed: int = 0,
) -> ConformanceReport:
    """Run every selected check on ``impl``; raise one ConformanceFailure listing each failing check.

    Returns the report when nothing failed (skipped and unsupported checks are not failures).
    Arguments as for ``parametrize_with_checks``; ``profile`` defaults to ``current_profile()``.
    """
    __tracebackhide__ = True
    _validate(profile, features, (dtype,))
    loaded = resolve_impl(impl, kind)
    chosen = profile or current_profile()
    names = [c.name for c in select_checks(checks)]
    declared = {n: r for n in names if (r := declared_unsupported(n, features)) is not None}
    runnable = [n for n in names if n not in declared]
    if runnable:
        report = run_conformance(
            loaded, profile=chosen, dtype=dtype, device=device, seed=seed, checks=runnable
        )
    else:  # every selected check declared unsupported: nothing to run
        report = ConformanceReport(loaded.spec, loaded.kind.value, chosen, dtype, device, seed, 0.0)
    by_name = {r.name: r for r in report.results}
    results = [by_name.get(n) or CheckResult(n, "skip", 0.0, reason=declared[n]) for n in names]
    report = dataclasses.replace(report, results=tuple(results))
    failures = [r for r in results if r.status == "fail"]
    if failures:
        head = (
            f"{display_name(loaded)} ({loaded.spec}, {loaded.kind.value}): {len(failures)} of {len(results)} "
            f"conformance checks failed (profile {chosen}, {dtype}, {device}, seed {seed})"
        )
        listing = [f"  {r.name}: {r.reason}" for r in failures]
        blocks = [failure_block(r) for r in failures]
        raise ConformanceFailure("\n".join([head, *listing, "", *blocks]), failures)
    return report
