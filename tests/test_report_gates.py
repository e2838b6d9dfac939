"""The gate-activation histograms the report draws: counts of every activation, in the gate's range."""

from __future__ import annotations

import pytest

from lstm_bench.stability.activations import BINS, GateModel, gate_section

STEPS, BATCH, INPUT, HIDDEN = 12, 4, 5, 8


@pytest.fixture(scope="module")
def section() -> dict[str, object]:
    models = (GateModel("lstm"), GateModel("lstm", "chrono"), GateModel("gru"))
    return gate_section(models, steps=STEPS, batch=BATCH, input_size=INPUT, hidden_size=HIDDEN, seed=3)


def _mean(hist: dict[str, list[float]]) -> float:
    centres = [(a + b) / 2 for a, b in zip(hist["edges"], hist["edges"][1:], strict=False)]
    return sum(c * n for c, n in zip(centres, hist["counts"], strict=True)) / sum(hist["counts"])


def test_every_activation_is_counted_once_within_the_gate_range(section: dict[str, object]) -> None:
    models = section["models"]
    assert isinstance(models, list)
    assert [m["label"] for m in models] == ["LSTM", "LSTM (chrono)", "GRU"]
    assert list(models[0]["histograms"]) == ["input", "forget", "candidate", "output"]
    assert list(models[2]["histograms"]) == ["reset", "update", "candidate"]
    for model in models:
        for name, hist in model["histograms"].items():
            assert len(hist["counts"]) == BINS and len(hist["edges"]) == BINS + 1
            assert sum(hist["counts"]) == STEPS * BATCH * HIDDEN
            low, high = (-1.0, 1.0) if name == "candidate" else (0.0, 1.0)
            assert (hist["edges"][0], hist["edges"][-1]) == (low, high)


def test_chrono_init_opens_the_forget_gate(section: dict[str, object]) -> None:
    """Chrono initialisation sets b_f = log U(1, T_max - 1): forget gates sit near 1, not near 1/2."""
    default, chrono = section["models"][0], section["models"][1]  # type: ignore[index]
    assert _mean(default["histograms"]["forget"]) == pytest.approx(0.5, abs=0.15)
    assert _mean(chrono["histograms"]["forget"]) > 0.75


def test_same_seed_same_histograms() -> None:
    a = gate_section((GateModel("gru"),), steps=5, batch=2, input_size=3, hidden_size=4, seed=7)
    b = gate_section((GateModel("gru"),), steps=5, batch=2, input_size=3, hidden_size=4, seed=7)
    c = gate_section((GateModel("gru"),), steps=5, batch=2, input_size=3, hidden_size=4, seed=8)
    assert a == b and a != c
