"""lstm_bench.testing called directly: resolution of implementations, check_implementation,
assert_matches_reference (assert_close-style messages) and assert_learns (step budgets)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from lstm_bench.conformance import CHECK_NAMES, CheckResult
from lstm_bench.errors import ImplementationLoadError
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl
from lstm_bench.testing import (
    FEATURES,
    ConformanceCheck,
    ConformanceFailure,
    DidNotLearn,
    ReferenceMismatch,
    assert_learns,
    assert_matches_reference,
    check_implementation,
    parametrize_with_checks,
    resolve_impl,
)
from lstm_bench.testing.conformance import raise_for_result, skip_reason

IMPLS = Path(__file__).parent / "impls"


@pytest.fixture(autouse=True)
def _broken_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(IMPLS))


def module_level_factory(input_size: int, hidden_size: int) -> torch.nn.Module:
    return torch.nn.GRU(input_size, hidden_size)


# --- resolving what the user passes ---------------------------------------------------------------


def test_a_class_a_factory_a_spec_and_a_loaded_impl_resolve_to_the_same_contract() -> None:
    assert resolve_impl(torch.nn.LSTM).spec == "torch.nn.modules.rnn:LSTM"
    assert resolve_impl(module_level_factory).spec == f"{__name__}:module_level_factory"
    assert resolve_impl("torch.nn:RNN", kind="rnn-relu").kind is Kind.RNN_RELU
    loaded = load_impl("torch.nn:GRU")
    assert resolve_impl(loaded) is loaded


def test_unresolvable_impls_are_one_line_load_errors() -> None:
    with pytest.raises(ImplementationLoadError, match="cannot be imported by name"):
        resolve_impl(lambda i, h: torch.nn.LSTM(i, h))
    with pytest.raises(ImplementationLoadError, match="loaded as gru, not lstm"):
        resolve_impl(load_impl("torch.nn:GRU"), kind="lstm")
    with pytest.raises(ImplementationLoadError, match="expected a class or factory"):
        resolve_impl(42)  # type: ignore[arg-type]
    with pytest.raises(ImplementationLoadError, match="missing parameter"):
        resolve_impl("bad_loaders:WrongNames")


# --- parametrize_with_checks without pytest running it --------------------------------------------


def test_parametrize_builds_one_param_per_impl_dtype_and_check_with_readable_ids() -> None:
    mark = parametrize_with_checks([torch.nn.LSTM, "torch.nn:GRU"], dtypes=("float64", "float32"))
    argnames, params = mark.args
    assert argnames == "impl, check"
    ids = [p.id for p in params]
    assert len(ids) == 2 * 2 * len(CHECK_NAMES) == len(set(ids))
    assert "LSTM-float64-equivalence.zero_state" in ids and "GRU-float32-invariants.finite" in ids


def test_colliding_names_fall_back_to_the_spec_and_load_errors_get_one_param() -> None:
    mark = parametrize_with_checks([torch.nn.LSTM, "nope_xyz:LSTM"], checks=["invariants"])
    ids = [p.id for p in mark.args[1]]
    assert ids[0] == "torch.nn.modules.rnn:LSTM-invariants.causality"
    assert ids[-1] == "nope_xyz:LSTM-load" and len(ids) == 5 + 1


def test_bad_arguments_are_reported_when_the_decorator_is_built() -> None:
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        parametrize_with_checks([torch.nn.LSTM], profile="fast")
    with pytest.raises(ValueError, match="unknown feature"):
        parametrize_with_checks([torch.nn.LSTM], features={"bidirectional": False})
    with pytest.raises(ValueError, match="unknown check"):
        parametrize_with_checks([torch.nn.LSTM], checks=["equivalence.nope"])


def test_a_status_other_than_pass_or_fail_is_a_skip_with_its_reason() -> None:
    odd = CheckResult("equivalence.batch_first", "unsupported", 0.0, reason="no batch_first")  # type: ignore[arg-type]
    assert skip_reason(odd) == "equivalence.batch_first: unsupported: no batch_first"
    with pytest.raises(pytest.skip.Exception, match="unsupported: no batch_first"):
        raise_for_result(odd)
    with pytest.raises(pytest.skip.Exception, match="declares features"):
        ConformanceCheck("equivalence.batch_first", unsupported="unsupported: declares features")(
            torch.nn.LSTM
        )
    assert set(FEATURES["batch_first"]) <= set(CHECK_NAMES)


# --- check_implementation ---------------------------------------------------------------------------


def test_check_implementation_returns_the_report_of_a_correct_module() -> None:
    report = check_implementation(
        torch.nn.GRU, profile="quick", checks=["equivalence", "invariants.causality"]
    )
    assert report.passed and report.count("pass") == 6
    declared = check_implementation(
        torch.nn.GRU,
        profile="quick",
        checks=["equivalence", "invariants.causality"],
        features={"batch_first": False},
    )
    assert [r.name for r in declared.results] == [r.name for r in report.results]  # order kept
    assert [r.name for r in declared.results if r.status == "skip"] == ["equivalence.batch_first"]


def test_check_implementation_lists_every_failing_check_with_its_counterexample() -> None:
    with pytest.raises(ConformanceFailure) as info:
        check_implementation(
            "broken.state_bugs:UnbatchedWrongAxis",
            profile="quick",
            checks=["equivalence.unbatched", "equivalence.zero_state"],
        )
    message = str(info.value)
    assert isinstance(info.value, AssertionError)
    assert message.startswith(
        "UnbatchedWrongAxis (broken.state_bugs:UnbatchedWrongAxis, lstm): 1 of 2 conformance checks failed"
    )
    assert "  equivalence.unbatched: " in message and "minimal counterexample" in message
    assert "replay('broken.state_bugs:UnbatchedWrongAxis', 'equivalence.unbatched'" in message
    assert [r.name for r in info.value.results] == ["equivalence.unbatched"]


def test_declared_unsupported_features_are_skipped_not_run() -> None:
    report = check_implementation(
        "broken.state_bugs:UnbatchedWrongAxis", profile="quick", checks=["equivalence.unbatched"],
        features={"unbatched": False},
    )  # fmt: skip
    (result,) = report.results
    assert result.status == "skip" and "features={'unbatched': False}" in result.reason


# --- assert_matches_reference -----------------------------------------------------------------------


def test_assert_matches_reference_passes_for_torch_nn_in_both_dtypes() -> None:
    assert_matches_reference(torch.nn.LSTM, input_size=4, hidden_size=6, seq_len=9, batch=3)
    assert_matches_reference("torch.nn:GRU", dtype="float32", initial_state=False)


def test_assert_matches_reference_names_the_worst_element_both_values_and_the_tolerance() -> None:
    with pytest.raises(ReferenceMismatch) as info:
        assert_matches_reference("broken.forward_bugs:OffByOneOutputs", seq_len=4, gradients=False)
    lines = str(info.value).splitlines()
    assert lines[0] == (
        "OffByOneOutputs does not match the float64 reference (T=4 B=2 I=3 H=5 seed=0, float64, cpu, "
        "initial state given):"
    )
    assert lines[1].startswith("  output: not close; worst element output[") and ", expected " in lines[1]
    assert "greatest absolute difference" in lines[2] and "allowed there: 1e-10 + 1e-10·|ref|" in lines[2]
    assert not any(line.startswith("  h_n") for line in lines)  # h_n = h_T is right; only the outputs shift
    assert set(info.value.outcomes) == {"equivalence.initial_state"}


def test_assert_matches_reference_checks_the_backward_too() -> None:
    with pytest.raises(ReferenceMismatch, match=r"d/d \w+: not close"):
        assert_matches_reference("broken.backward_bugs:MissingForgetInCellGrad", seq_len=3)


def test_assert_matches_reference_rejects_empty_sizes() -> None:
    with pytest.raises(ValueError, match="seq_len must be >= 1"):
        assert_matches_reference(torch.nn.LSTM, seq_len=0)


# --- assert_learns ----------------------------------------------------------------------------------


def test_assert_learns_returns_the_solved_run() -> None:
    result = assert_learns(torch.nn.LSTM, task="recall", horizon=5, steps=300)
    assert result.solved and result.steps <= 300 and result.accuracy >= 0.99


def test_assert_learns_raises_with_accuracy_against_chance_when_the_budget_runs_out() -> None:
    with pytest.raises(DidNotLearn) as info:
        assert_learns(torch.nn.LSTM, task="recall", horizon=40, steps=25)
    message = str(info.value)
    assert message.startswith("LSTM did not learn recall at T=40 in 25 steps (seed 0): held-out accuracy")
    assert "(chance 12.5%, target 99%)" in message and "stopped: steps" in message
    assert not info.value.result.solved and info.value.result.steps == 25
