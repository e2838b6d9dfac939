"""The pytest plugin and lstm_bench.testing end to end with ``pytester``: options, ids, skips, failure output.

Runs are in-process in a temporary folder (so the bundled suites are found by ``--pyargs``, not
by a path into this repository); the Hypothesis profile a run loads is restored afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

pytest_plugins = ["pytester"]

IMPLS = Path(__file__).parent / "impls"

USER_TESTS = """
import torch
from lstm_bench.testing import parametrize_with_checks

CHECKS = ["ranges.gates", "equivalence.unbatched", "equivalence.batch_first"]


@parametrize_with_checks([torch.nn.LSTM, "broken.state_bugs:UnbatchedWrongAxis", "nope_xyz:GRU"], checks=CHECKS)
def test_conformance(impl, check):
    check(impl)


@parametrize_with_checks(["torch.nn:GRU"], checks=["equivalence.batch_first"], features={"batch_first": False})
def test_declared(impl, check):
    check(impl)
"""


@pytest.fixture(autouse=True)
def _isolated(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """tests/impls importable (planted bugs), no $CI, and the outer run's Hypothesis profile kept."""
    pytester.syspathinsert(IMPLS)
    monkeypatch.delenv("CI", raising=False)
    profile = settings.get_current_profile_name()
    yield
    settings.load_profile(profile)


def test_bundled_suite_runs_by_pyargs_with_readable_ids_and_skip_reasons(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--pyargs", "lstm_bench.suites.conformance", "--impl", "torch.nn:LSTM",
        "-k", "ranges.gates or equivalence.zero_state", "-v", "-rs", "-p", "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "*test_check?torch.nn:LSTM?lstm?-ranges.gates? SKIPPED*",
            "*test_check?torch.nn:LSTM?lstm?-equivalence.zero_state? PASSED*",
            "SKIPPED*ranges.gates: no trace() method*",
        ]
    )


def test_bundled_suite_failure_shows_the_counterexample_and_the_replay_snippet(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest(
        "--pyargs", "lstm_bench.suites.conformance", "--impl", "broken.state_bugs:UnbatchedWrongAxis",
        "-k", "equivalence.unbatched", "-p", "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*FAIL equivalence.unbatched: *",
            "*minimal counterexample (* cases tried): T=1 B=1 I=1 H=1 seed=0*",
            "*from lstm_bench.conformance import replay*",
            "*replay('broken.state_bugs:UnbatchedWrongAxis', 'equivalence.unbatched', *",
        ]
    )
    assert "lstm_bench/conformance/runner.py" not in result.stdout.str()  # the traceback stays the user's


def test_kind_option_selects_the_relu_rnn_and_shows_in_the_id(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--pyargs", "lstm_bench.suites.conformance", "--impl", "torch.nn:RNN", "--kind", "rnn-relu",
        "-k", "invariants.causality", "-v", "-p", "no:cacheprovider",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_check?torch.nn:RNN?rnn-relu?-invariants.causality? PASSED*"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--impl", "nope_xyz:LSTM"], "ERROR: --impl nope_xyz:LSTM: cannot import module 'nope_xyz'*"),
        (["--impl", "torch.nn:LSTM", "--kind", "lstn"], "ERROR: *lstn*"),
        (["--impl", "bad_loaders:WrongNames"], "ERROR: --impl bad_loaders:WrongNames: missing parameter*"),
    ],
)
def test_an_unloadable_impl_is_a_one_line_usage_error_before_collection(
    pytester: pytest.Pytester, args: list[str], message: str
) -> None:
    result = pytester.runpytest("--pyargs", "lstm_bench.suites.conformance", *args, "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in result.stderr.str() + result.stdout.str()


@pytest.mark.parametrize(
    ("args", "env_ci", "expected"),
    [([], False, "quick"), ([], True, "default"), (["--lstm-bench-profile", "thorough"], True, "thorough")],
)
def test_profile_option_and_ci_choose_the_conformance_profile(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, args: list[str], env_ci: bool, expected: str
) -> None:
    if env_ci:
        monkeypatch.setenv("CI", "1")
    pytester.makepyfile(
        test_profile=f"""
        from lstm_bench.testing import current_profile

        def test_profile():
            assert current_profile() == {expected!r}
        """
    )
    pytester.runpytest(*args, "-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_user_file_gets_one_test_per_impl_and_check_with_failures_skips_and_load_errors(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("-v", "-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, failed=2, skipped=3)
    result.stdout.fnmatch_lines_random(
        [
            "*test_conformance?LSTM-ranges.gates? SKIPPED*",
            "*test_conformance?LSTM-equivalence.unbatched? PASSED*",
            "*test_conformance?LSTM-equivalence.batch_first? PASSED*",
            "*test_conformance?UnbatchedWrongAxis-equivalence.unbatched? FAILED*",
            "*test_conformance?UnbatchedWrongAxis-equivalence.batch_first? PASSED*",
            "*test_conformance?GRU-load? FAILED*",
            "*test_declared?GRU-equivalence.batch_first? SKIPPED*",
            "*ConformanceFailure: FAIL equivalence.unbatched: *",
            "*minimal counterexample*",
            "*replay('broken.state_bugs:UnbatchedWrongAxis', 'equivalence.unbatched', *",
            "*--impl nope_xyz:GRU: cannot import module 'nope_xyz'*",
            "SKIPPED*ranges.gates: no trace() method*",
            "SKIPPED*equivalence.batch_first: unsupported: the implementation declares features={'batch_first': False}*",
        ]
    )


def test_building_the_tests_runs_no_check(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_runs(*args: object, **kwargs: object) -> None:
        raise AssertionError("a check ran at collection")

    monkeypatch.setattr("lstm_bench.testing.conformance.run_check", no_runs)
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest("--collect-only", "-q", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*8 tests collected*"])


def test_a_dtype_family_in_the_ids_and_the_plugin_profile_in_the_run(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_dtypes="""
        from lstm_bench.testing import parametrize_with_checks

        @parametrize_with_checks(["torch.nn:GRU"], checks=["invariants.causality"], dtypes=["float64", "float32"])
        def test_conformance(impl, check):
            result = check(impl)
            assert result.status == "pass" and result.examples > 0
        """
    )
    result = pytester.runpytest("-v", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines_random(
        ["*GRU-float64-invariants.causality? PASSED*", "*GRU-float32-invariants.causality? PASSED*"]
    )
