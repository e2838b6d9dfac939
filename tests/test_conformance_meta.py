"""Meta-tests: each planted bug is caught by the check we expect, and correct code passes.

The catalogue (tests/impls/broken/catalogue.py) names, for each broken implementation, the
check that must catch it; the failure must come with a counterexample that ``replay`` reproduces.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from impls.broken.catalogue import CATALOGUE, CORRECT, Planted

from lstm_bench.conformance import replay, run_check, run_conformance
from lstm_bench.conformance.render import render_report
from lstm_bench.conformance.search import CHECK_SIZE_OF_HYPOTHESIS
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl

IMPLS = Path(__file__).parent / "impls"
#: quick under the dev profile, default under CI (the ci profile): as the suite does.
PROFILE = CHECK_SIZE_OF_HYPOTHESIS["ci" if os.environ.get("CI") else "dev"]


@pytest.fixture(autouse=True)
def _broken_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(IMPLS))


def test_catalogue_is_large_and_covers_every_family() -> None:
    assert len(CATALOGUE) >= 20
    assert len({p.spec for p in CATALOGUE}) == len(CATALOGUE)
    assert {p.check.split(".")[0] for p in CATALOGUE} == {"ranges", "equivalence", "gradients", "invariants"}


@pytest.mark.parametrize("planted", CATALOGUE, ids=[p.spec.split(":")[1] for p in CATALOGUE])
def test_planted_bug_is_caught_by_the_expected_check(planted: Planted) -> None:
    impl = load_impl(planted.spec, Kind.parse(planted.kind))
    result = run_check(impl, planted.check, profile=PROFILE)
    assert result.status == "fail", f"{planted.spec} ({planted.bug}) passed {planted.check}"
    example = result.counterexample
    assert example is not None and planted.check in example.repro and planted.spec in example.repro
    replayed = replay(planted.spec, planted.check, example.case, kind=planted.kind)
    assert not replayed.passed
    assert replayed.detail == example.outcome.detail


@pytest.mark.parametrize(("spec", "kind"), CORRECT, ids=[s.split(":")[1] for s, _ in CORRECT])
def test_correct_implementations_pass_every_check(spec: str, kind: str) -> None:
    report = run_conformance(load_impl(spec, Kind.parse(kind)), profile=PROFILE)
    assert report.passed, render_report(report)
    skipped = [r.name for r in report.results if r.status == "skip"]
    assert skipped == ([] if "Traced" in spec else ["ranges.gates"])  # gates are visible only with trace()


def test_a_float32_only_implementation_passes_in_float32_and_fails_in_float64() -> None:
    impl = load_impl("broken.numerical_bugs:Float32Only", Kind.LSTM)
    assert run_conformance(impl, profile="quick", dtype="float32").passed
    failed = run_check(impl, "equivalence.zero_state", profile="quick")
    assert failed.status == "fail" and "supports float32 input only" in failed.reason


def test_truncated_backward_passes_short_sequences_and_fails_long_ones() -> None:
    """Why long sequences are checked: a truncated BPTT is exact for T <= 16."""
    impl = load_impl("broken.backward_bugs:TruncatedBackward", Kind.LSTM)
    assert run_check(impl, "gradients.jacobian", profile=PROFILE).status == "pass"
    result = run_check(impl, "gradients.long_horizon", profile=PROFILE)
    assert result.status == "fail" and result.counterexample is not None
    assert result.counterexample.case["steps"] == 32  # shrunk to the shortest long sequence


FLOAT32_CAUGHT = (
    "MissingForgetInCellGrad",
    "SigmoidDerivativeWrong",
    "BiasGradFirstSample",
    "DropsOutputGradient",
)


@pytest.mark.parametrize("name", FLOAT32_CAUGHT)
def test_backward_bugs_are_caught_at_float32_tolerances(name: str) -> None:
    """The looser float32 finite differences still see a wrong backward."""
    impl = load_impl(f"broken.backward_bugs:{name}", Kind.LSTM)
    assert run_check(impl, "gradients.jacobian", profile="quick", dtype="float32").status == "fail"
