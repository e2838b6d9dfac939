"""Meta-tests of the whole-contract checks (``lstm_bench.conformance.contract``): each planted bug of
``broken.contract_bugs`` is caught by the check the catalogue names, correct full-contract
implementations pass, and the quick profile touches every supported axis.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from impls.broken.catalogue import CONTRACT_CATALOGUE, CONTRACT_CORRECT, Planted

from lstm_bench.capabilities import Feature
from lstm_bench.conformance import replay, run_check
from lstm_bench.conformance.cases import Case
from lstm_bench.conformance.checks import Context
from lstm_bench.conformance.contract import CHECKS, Config, boundary_cases
from lstm_bench.conformance.render import render_report
from lstm_bench.conformance.runner import run_conformance
from lstm_bench.conformance.search import CHECK_SIZE_OF_HYPOTHESIS
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl

IMPLS = Path(__file__).parent / "impls"
PROFILE = CHECK_SIZE_OF_HYPOTHESIS["ci" if os.environ.get("CI") else "dev"]
CONTRACT = [c.name for c in CHECKS] + ["gradients.directional", "invariants.determinism"]
#: Bugs on one optional axis only: every other contract check passes them.
ISOLATED = {
    "LargeHiddenTileDrop",
    "PackedFinalFromPadding",
    "PackedReverseFromPaddedEnd",
    "DropoutInEval",
    "DropoutAfterLastLayer",
    "DropoutMaskNotReused",
    "DropoutUnseeded",
    "BroadcastsHx",
    "SlicesInputWidth",
}


@pytest.fixture(autouse=True)
def _broken_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(IMPLS))


def test_contract_catalogue_covers_every_contract_check() -> None:
    assert len(CONTRACT_CATALOGUE) >= 15
    assert len({p.spec for p in CONTRACT_CATALOGUE}) == len(CONTRACT_CATALOGUE)
    assert {p.check for p in CONTRACT_CATALOGUE} == set(CONTRACT)


@pytest.mark.parametrize(
    "planted", CONTRACT_CATALOGUE, ids=[p.spec.split(":")[1] for p in CONTRACT_CATALOGUE]
)
def test_planted_contract_bug_is_caught_by_its_check(planted: Planted) -> None:
    impl = load_impl(planted.spec, Kind.parse(planted.kind))
    result = run_check(impl, planted.check, profile=PROFILE)
    assert result.status == "fail", f"{planted.spec} ({planted.bug}) passed {planted.check}"
    example = result.counterexample
    assert example is not None and planted.check in example.repro
    replayed = replay(planted.spec, planted.check, example.case, kind=planted.kind)
    assert not replayed.passed and replayed.detail == example.outcome.detail
    if planted.spec.split(":")[1] in ISOLATED:
        others = [n for n in CONTRACT if n != planted.check]
        report = run_conformance(impl, profile="quick", checks=others)
        assert report.passed, render_report(report)


@pytest.mark.parametrize(
    ("spec", "kind"), CONTRACT_CORRECT, ids=[f"{s.split(':')[1]}-{k}" for s, k in CONTRACT_CORRECT]
)
def test_full_contract_implementations_pass_every_contract_check(spec: str, kind: str) -> None:
    impl = load_impl(spec, Kind.parse(kind))
    report = run_conformance(impl, profile=PROFILE, checks=CONTRACT)
    assert report.passed, render_report(report)
    assert {r.status for r in report.results} == {"pass"}


def test_single_layer_implementation_gets_unsupported_not_failed() -> None:
    impl = load_impl("broken.handwritten:HandWrittenLSTM", Kind.LSTM)
    report = run_conformance(impl, profile="quick", checks=CONTRACT)
    status = {r.name: r.status for r in report.results}
    assert report.passed
    assert (
        status["contract.stack"] == status["contract.reverse"] == status["contract.packed"] == "unsupported"
    )
    assert status["contract.shapes"] == status["contract.partial_loss"] == "pass"


@pytest.mark.parametrize("kind", [Kind.LSTM, Kind.GRU])
def test_boundary_cases_touch_every_supported_axis(kind: Kind) -> None:
    """The explicit cases (run in every profile) reach L = 3, both directions, proj_size (LSTM),
    bias=False, batch_first, B >= 3 and I != H."""
    spec = "torch.nn:LSTM" if kind is Kind.LSTM else "torch.nn:GRU"
    ctx = Context(load_impl(spec, kind))
    found = boundary_cases(ctx)
    configs = [Config.of(c, kind) for c in found]
    assert max(c.layers for c in configs) == 3
    assert {c.bidirectional for c in configs} == {True, False}
    assert any(not c.bias for c in configs) and any(c.batch_first for c in configs)
    assert any(c.proj for c in configs) == (kind is Kind.LSTM)
    assert all(c.input_size != c.hidden_size for c in found) and any(c.batch >= 3 for c in found)
    large = next(ch for ch in CHECKS if ch.name == "contract.large_hidden").explicit(ctx)
    assert max(c.hidden_size for c in large) > 256 and min(c.hidden_size for c in large) > 128


def test_axes_follow_capabilities() -> None:
    """A feature declared unsupported is never drawn: its axis is pinned to the default."""
    from hypothesis import given, settings

    from lstm_bench.conformance.contract import config_cases

    impl = load_impl("torch.nn:LSTM", Kind.LSTM, unsupported=[Feature.BIDIRECTIONAL, Feature.PROJ_SIZE])
    ctx = Context(impl)
    seen: list[Case] = []

    @settings(max_examples=30, database=None, derandomize=True)
    @given(config_cases(ctx))
    def draw(case: Case) -> None:
        seen.append(case)

    draw()
    assert seen and not any(
        Config.of(c, Kind.LSTM).bidirectional or Config.of(c, Kind.LSTM).proj for c in seen
    )
    assert all(c.input_size != c.hidden_size for c in seen)
