"""``lstm-bench check`` and ``pytest suites/conformance`` end to end: output, exit codes, JSON, repro snippets."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from lstm_bench.cli import main
from lstm_bench.conformance import ConformanceReport
from lstm_bench.results import load_results

ROOT = Path(__file__).parent.parent
IMPLS = Path(__file__).parent / "impls"
ENV = {
    **os.environ,
    "PYTHONPATH": os.pathsep.join([str(IMPLS), os.environ.get("PYTHONPATH", "")]),
    "OMP_NUM_THREADS": "1",
}


@pytest.fixture(autouse=True)
def _broken_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(IMPLS))


def test_passing_implementation_prints_one_line_per_check_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(
        [
            "check",
            "--impl",
            "torch.nn:RNN",
            "--profile",
            "quick",
            "--check",
            "equivalence",
            "--check",
            "ranges.gates",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out[0] == "torch.nn:RNN (rnn, float64, cpu, profile quick, seed 0)"
    checks = [line.split()[1] for line in out[1:-1]]
    assert checks == [
        "equivalence.zero_state",
        "equivalence.initial_state",
        "equivalence.batch_first",
        "equivalence.unbatched",
        "equivalence.gradients",
        "ranges.gates",
    ]
    assert all(line.split()[0] == "PASS" and " vs tol " in line and " s  (" in line for line in out[1:-2])
    assert out[-2].split()[:2] == ["skip", "ranges.gates"]
    assert out[-1].startswith("torch.nn:RNN: 5 passed, 0 failed, 1 skipped in ")


def test_failing_implementation_shows_counterexample_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out" / "check.json"
    spec = "broken.state_bugs:BatchFirstIgnored"
    code = main(
        [
            "check",
            "--impl",
            spec,
            "--check",
            "equivalence.batch_first",
            "--profile",
            "quick",
            "--json",
            str(target),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1
    assert "  FAIL  equivalence.batch_first" in out
    assert (
        "minimal counterexample" in out
        and "reproduce:" in out
        and "from lstm_bench.conformance import replay" in out
    )
    assert re.search(r"BatchFirstIgnored: 0 passed, 1 failed, 0 skipped in [0-9.]+ s$", out.rstrip())
    document = load_results(target)
    assert document["command"] == "check" and len(document["conformance"]) == 1
    report = ConformanceReport.from_dict(document["conformance"][0])
    assert report.spec == spec and not report.passed
    result = report.result("equivalence.batch_first")
    assert result.counterexample is not None and result.counterexample.case["steps"] >= 1
    # The snippet runs as printed and reproduces the failure.
    snippet = result.counterexample.repro
    proc = subprocess.run(
        [sys.executable, "-c", snippet], capture_output=True, text=True, env=ENV, cwd=ROOT, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == result.counterexample.outcome.detail


def test_same_seed_gives_the_same_counterexample() -> None:
    from lstm_bench.conformance import run_conformance
    from lstm_bench.loader import load_impl

    impl = load_impl("broken.numerical_bugs:RaisesForLongSequences")
    runs = [run_conformance(impl, profile="quick", seed=s, checks=["equivalence.zero_state"]) for s in (5, 5)]
    first, second = (r.results[0] for r in runs)
    assert first.counterexample is not None and second.counterexample is not None
    assert first.counterexample.to_dict() == second.counterexample.to_dict()
    assert first.counterexample.case["steps"] == 33


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--impl", "no_such_module_xyz:LSTM"], "cannot import module 'no_such_module_xyz'"),
        (["--impl", "torch.nn:LSTM", "--seed", "-1"], "--seed must be >= 0"),
        (["--impl", "torch.nn:LSTM", "--check", "gradient"], "--check gradient: unknown check"),
        (["--impl", "torch.nn:LSTM", "--kind", "gru"], "does not match the module's mode 'LSTM'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["check", *argv])
    captured = capsys.readouterr()
    assert code == 2
    assert captured.err.startswith("lstm-bench: error: ") and message in captured.err
    assert captured.err.count("\n") == 1 and captured.out == ""


def test_bad_flag_value_is_one_line_and_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["check", "--impl", "torch.nn:LSTM", "--profile", "fast"])
    err = capsys.readouterr().err
    assert exited.value.code == 2 and "invalid choice: 'fast'" in err and err.count("\n") == 1


def test_json_into_a_directory_is_a_usage_error_before_any_checking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--impl", "torch.nn:LSTM", "--json", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "is a directory" in captured.err and captured.out == ""


def test_cuda_without_cuda_is_one_line_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["check", "--impl", "torch.nn:LSTM", "--device", "cuda"]) == 2
    err = capsys.readouterr().err
    assert (
        err.startswith("lstm-bench: error: --device cuda: CUDA is not available here")
        and err.count("\n") == 1
    )


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_run_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--impl", "torch.nn:LSTM", "--device", "cuda", "--profile", "quick"]) == 0


def test_console_script_never_prints_a_traceback_for_a_failing_implementation() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_bench", "check", "--impl", "broken.numerical_bugs:Float32Only", "--profile", "quick",
         "--check", "invariants.finite"],
        capture_output=True, text=True, env=ENV, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "raised TypeError: Float32Only supports float32 input only" in proc.stdout


def test_pytest_suite_reports_the_counterexample_for_an_impl() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/conformance", "-q", "-p", "no:cacheprovider",
         "--impl", "broken.state_bugs:UnbatchedWrongAxis", "-k", "equivalence.unbatched or invariants.determinism"],
        capture_output=True, text=True, env=ENV, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "1 failed, 1 passed" in proc.stdout
    assert "FAIL equivalence.unbatched" in proc.stdout and "minimal counterexample" in proc.stdout


def test_pytest_suite_load_error_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "suites/conformance", "-q", "-p", "no:cacheprovider", "--impl", "nope_xyz:LSTM"],
        capture_output=True, text=True, env=ENV, cwd=ROOT, check=False,
    )  # fmt: skip
    assert proc.returncode == 4
    assert "cannot import module 'nope_xyz'" in proc.stderr and "Traceback" not in proc.stderr


def test_results_document_is_strict_json(tmp_path: Path) -> None:
    target = tmp_path / "r.json"
    assert (
        main(
            [
                "check",
                "--impl",
                "torch.nn:GRU",
                "--profile",
                "quick",
                "--check",
                "invariants",
                "--json",
                str(target),
            ]
        )
        == 0
    )
    data = json.loads(target.read_text())
    assert data["conformance"][0]["counts"] == {"pass": 5, "fail": 0, "skip": 0}
