"""No false alarms: torch.nn's modules, the full-contract references and a correct
hand-written-backward LSTM pass under many seeds.

The fast test gives each of the seven implementations its own seed (1..7) in the quick profile;
the slow one runs all 20 seeds (0..19) in the default profile, only when asked for with
``pytest -m slow`` (about 8 minutes on 2 cores).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_bench.conformance import run_conformance
from lstm_bench.conformance.render import render_report
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl

IMPLS = Path(__file__).parent / "impls"
CORRECT = (
    ("torch.nn:LSTM", "lstm"),
    ("torch.nn:GRU", "gru"),
    ("torch.nn:RNN", "rnn"),
    ("torch.nn:RNN", "rnn-relu"),
    ("broken.handwritten:HandWrittenLSTM", "lstm"),
    ("lstm_bench.reference.torch_ref:LSTM", "lstm"),  # full contract: every contract.* axis
    ("lstm_bench.reference.torch_ref:GRU", "gru"),
)
IDS = [f"{'ref-' if 'reference' in spec else ''}{spec.split(':')[1]}-{kind}" for spec, kind in CORRECT]


@pytest.fixture(autouse=True)
def _broken_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(IMPLS))


@pytest.fixture(autouse=True)
def _slow_only_when_asked(request: pytest.FixtureRequest) -> None:
    """Slow tests run only when selected with ``-m slow`` (about 8 minutes on 2 cores)."""
    if request.node.get_closest_marker("slow") and "slow" not in (request.config.getoption("-m") or ""):
        pytest.skip("slow (140 conformance runs, ~8 min): select with -m slow")


@pytest.mark.parametrize(
    ("spec", "kind", "seed"), [(s, k, i + 1) for i, (s, k) in enumerate(CORRECT)], ids=IDS
)
def test_correct_code_passes_with_another_seed(spec: str, kind: str, seed: int) -> None:
    report = run_conformance(load_impl(spec, Kind.parse(kind)), profile="quick", seed=seed)
    assert report.passed, render_report(report)


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize(("spec", "kind"), CORRECT, ids=IDS)
def test_correct_code_passes_under_20_seeds(spec: str, kind: str, seed: int) -> None:
    report = run_conformance(load_impl(spec, Kind.parse(kind)), profile="default", seed=seed)
    assert report.passed, render_report(report)
