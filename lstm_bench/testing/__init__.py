"""Checks to call from your own tests, installed with lstm-bench.

* ``parametrize_with_checks([MyLSTM, "pkg.mod:MyGRU"])``: one pytest test per implementation and
  conformance check (``def test_conformance(impl, check): check(impl)``), ids like
  ``MyLSTM-equivalence.zero_state``; failures show the minimal counterexample and a replay
  snippet, checks that do not apply are skips with the reason.
* ``check_implementation(impl)``: every check, one ``ConformanceFailure`` listing the failures.
* ``assert_matches_reference(impl, input_size=..., hidden_size=..., seq_len=..., batch=...)``: one
  configuration against the float64 reference, a message like ``torch.testing.assert_close``'s.
* ``assert_learns(impl, task="recall", horizon=40, steps=800)``: trains with the shipped recipe and
  a step budget; ``DidNotLearn`` when the held-out target is not reached.

Every error is an ``AssertionError`` subclass (``CheckFailed``); an implementation that cannot be
loaded raises ``lstm_bench.errors.ImplementationLoadError`` with one line.
"""

from lstm_bench.testing.conformance import (
    FEATURES,
    ConformanceCheck,
    check_implementation,
    current_profile,
    parametrize_with_checks,
)
from lstm_bench.testing.errors import CheckFailed, ConformanceFailure, DidNotLearn, ReferenceMismatch
from lstm_bench.testing.impls import ImplLike, resolve_impl
from lstm_bench.testing.learning import DEFAULT_HORIZON, DEFAULT_STEPS, assert_learns
from lstm_bench.testing.reference import assert_matches_reference

__all__ = [
    "DEFAULT_HORIZON",
    "DEFAULT_STEPS",
    "FEATURES",
    "CheckFailed",
    "ConformanceCheck",
    "ConformanceFailure",
    "DidNotLearn",
    "ImplLike",
    "ReferenceMismatch",
    "assert_learns",
    "assert_matches_reference",
    "check_implementation",
    "current_profile",
    "parametrize_with_checks",
    "resolve_impl",
]
