"""LoopLSTM's tests, written with lstm-bench's testing API (installed with ``pip install lstm-bench``)."""

from __future__ import annotations

from lstm_bench.testing import assert_learns, assert_matches_reference, parametrize_with_checks

from mylstm import LoopLSTM


@parametrize_with_checks([LoopLSTM])
def test_conformance(impl, check):
    """One test per conformance check: ids like LoopLSTM-equivalence.zero_state."""
    check(impl)


def test_matches_reference_at_a_long_horizon():
    assert_matches_reference(LoopLSTM, input_size=8, hidden_size=16, seq_len=64, batch=3)


def test_matches_reference_in_float32():
    assert_matches_reference(LoopLSTM, dtype="float32", seq_len=20)


def test_learns_first_symbol_recall():
    assert_learns(LoopLSTM, task="recall", horizon=10, steps=400)
