"""Each bad --impl spec gives its one-line message and exit code 2, through the CLI; one whose forward misbehaves, exit 1."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lstm_bench.cli import main
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl

BAD_SPECS = [
    ("no-colon-here", "expected 'pkg.module:Name'"),
    ("torch.nn:", "expected 'pkg.module:Name'"),
    ("no_such_module_xyz:LSTM", "cannot import module 'no_such_module_xyz'"),
    ("import_fails:Thing", "RuntimeError: this module breaks on import"),
    ("bad_loaders:Missing", "has no attribute 'Missing'"),
    ("bad_loaders:NOT_CALLABLE", "is not a class or factory"),
    ("bad_loaders:ConstructorFails", "raised RuntimeError: needs a GPU"),
    ("bad_loaders:not_a_module", "not a torch.nn.Module"),
    # no mode, and the class name (LSTM) and weight shapes (GRU) disagree: --kind is needed
    ("broken.capability_bugs:LstmShapedLikeGru", "pass --kind"),
    ("bad_loaders:WrongNames", "missing parameter weight_ih_l0"),
    ("bad_loaders:WrongShape", "weight_hh_l0 has shape (15, 5), expected (20, 5)"),
    ("bad_loaders:NoHx", "forward does not accept (x, hx)"),
]

# loads, but its forward misbehaves on the first call: a finding against the implementation
MISBEHAVING = [
    ("bad_loaders:WrongStructure", "must return (output, (h_n, c_n)); its state is Tensor"),
    ("bad_loaders:RaisesInForward", "forward(x, hx) raised RuntimeError: boom in forward"),
    ("bad_loaders:ExitsInForward", "forward(x, hx) raised SystemExit: 0"),
    ("bad_loaders:OneStepShort", "forward returned shapes [(3, 2, 5), (1, 2, 5), (1, 2, 5)]"),
]


@pytest.mark.usefixtures("impls_on_path")
@pytest.mark.parametrize(("spec", "message"), BAD_SPECS)
def test_bad_spec_is_one_line_and_exit_2(spec: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["inspect", "--impl", spec])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.usefixtures("impls_on_path")
@pytest.mark.parametrize(("spec", "message"), MISBEHAVING)
@pytest.mark.parametrize("command", ["inspect", "check"])
def test_a_forward_that_misbehaves_at_once_is_a_failing_finding_exit_1(
    command: str, spec: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([command, "--impl", spec])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("lstm-bench: FAIL: --impl ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err


@pytest.mark.usefixtures("impls_on_path")
def test_kind_mismatch_and_bad_kind(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--impl", "torch.nn:LSTM", "--kind", "gru"]) == 2
    assert "does not match the module's mode 'LSTM'" in capsys.readouterr().err
    assert main(["inspect", "--impl", "torch.nn:LSTM", "--kind", "transformer"]) == 2
    assert "unknown kind 'transformer'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("spec", "kind", "expected"),
    [
        ("torch.nn:LSTM", None, Kind.LSTM),
        ("torch.nn:GRU", None, Kind.GRU),
        ("torch.nn:RNN", None, Kind.RNN_TANH),
        ("torch.nn:RNN", Kind.RNN_RELU, Kind.RNN_RELU),
        ("lstm_bench.reference:LSTM", None, Kind.LSTM),
        ("lstm_bench.reference:RNN", Kind.RNN_RELU, Kind.RNN_RELU),
    ],
)
def test_torch_nn_and_references_load_as_they_are(spec: str, kind: Kind | None, expected: Kind) -> None:
    impl = load_impl(spec, kind)
    assert impl.kind is expected
    assert impl.make(2, 3).mode == expected.torch_mode


@pytest.mark.usefixtures("impls_on_path")
def test_no_mode_loads_with_kind() -> None:
    assert load_impl("bad_loaders:NoMode", Kind.GRU).kind is Kind.GRU
    # without --kind the kind is told from its weight shapes (3H rows: a GRU)
    assert load_impl("bad_loaders:NoMode").kind is Kind.GRU


def test_inspect_agrees_with_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--impl", "torch.nn:GRU"]) == 0
    out = capsys.readouterr().out
    diff = float(out.rsplit("=", 1)[1])
    assert diff < 1e-12


def test_console_script_usage_errors_are_one_line() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_bench", "inspect"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--impl" in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_bench", "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and proc.stdout.startswith("lstm-bench ")
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_bench", "--help"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0 and "exit codes" in proc.stdout and "examples" in proc.stdout


@pytest.mark.usefixtures("impls_on_path")
def test_inspect_is_reproducible_for_a_seed_and_rejects_a_negative_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The probe instance's weights come from --seed: the same seed, the same difference to the reference."""
    lines = []
    for seed in ("3", "3", "4"):
        assert main(["inspect", "--impl", "broken.forward_bugs:SwappedGateOrder", "--seed", seed]) == 1
        out = capsys.readouterr().out
        lines.append(next(line for line in out.splitlines() if "max |diff|" in line))
    assert lines[0] == lines[1] != lines[2]
    assert main(["inspect", "--impl", "torch.nn:LSTM", "--seed", "-1"]) == 2
    captured = capsys.readouterr()
    assert "--seed must be >= 0, got -1" in captured.err and captured.out == ""
