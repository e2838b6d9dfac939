"""``lstm-bench stability``: usage errors are one line and exit 2; a run prints its tables and writes the section."""

from __future__ import annotations

import json
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from torch import nn

from lstm_bench.cli import main
from lstm_bench.kinds import Kind
from lstm_bench.stability import sweep
from lstm_bench.stability.models import ModelSpec
from lstm_bench.stability.sweep import SweepSize


@pytest.fixture
def tiny_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``--profile quick`` a seconds-long sweep of two small built-in models."""
    profile = SweepSize("quick", (5, 10), seeds=1, max_seconds=60, max_steps=10, diagnostic_horizons=(6,))
    monkeypatch.setitem(sweep.SWEEP_SIZES, "quick", profile)
    monkeypatch.setattr(
        sweep,
        "BUILTIN_MODELS",
        (ModelSpec(Kind.RNN_TANH, "default", 8), ModelSpec(Kind.LSTM, "xavier+chrono", 32)),
    )


class _CrashesWhenTrained(nn.LSTM):
    def forward(self, x, hx=None):  # type: ignore[no-untyped-def, override]
        if x.shape[0] > 4:  # the loader's probe uses 4 steps
            raise RuntimeError("kernel fault")
        return super().forward(x, hx)


@pytest.fixture
def crashing_impl() -> Iterator[str]:
    module = types.ModuleType("stability_cli_impls")
    module.Crashes = _CrashesWhenTrained  # type: ignore[attr-defined]
    sys.modules["stability_cli_impls"] = module
    yield "stability_cli_impls:Crashes"
    del sys.modules["stability_cli_impls"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--impl", "nonexistent.module:LSTM"], "cannot import module 'nonexistent.module'"),
        (["--seed", "-1"], "--seed must be >= 0"),
        (["--task", "sorting"], "invalid choice: 'sorting'"),
        (["--profile", "huge"], "invalid choice: 'huge'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        code = main(["stability", *argv])
        raise SystemExit(code)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_json_path_that_is_a_folder_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["stability", "--json", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_a_run_prints_the_tables_and_writes_the_stability_section(
    tiny_sweep: None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_path = tmp_path / "out" / "stability.json"
    assert (
        main(
            [
                "stability",
                "--profile",
                "quick",
                "--impl",
                "torch.nn:LSTM",
                "--json",
                str(out_path),
                "--seed",
                "2",
            ]
        )
        == 0
    )
    out, err = capsys.readouterr()
    assert "recall: longest horizon solved" in out and "torch.nn:LSTM" in out
    assert "gradient-norm profiles at initialisation" in out and "training monitor" in out
    assert "diagnostics" in err and "horizon 5" in err  # phase lines
    document = json.loads(out_path.read_text())
    assert document["schema"] == "lstm-bench.results" and document["command"] == "stability"
    section = document["stability"]
    assert {m["label"] for m in section["models"]} == {"tanh RNN", "LSTM (xavier+chrono)", "torch.nn:LSTM"}
    import torch

    # what computed each model, as the conformance and benchmark sections say
    assert {m["framework"] for m in section["models"]} == {f"torch {torch.__version__}"}
    assert section["settings"]["seed"] == 2 and section["profile"] == "quick"
    assert {j["seed"] for j in section["jobs"]} == {2}


def test_a_crashing_impl_fails_the_command(
    tiny_sweep: None, crashing_impl: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["stability", "--profile", "quick", "--impl", crashing_impl, "--kind", "lstm", "--workers", "1"]
    assert main(argv) == 1  # --workers 1: a module made in memory cannot be imported by worker processes
    out = capsys.readouterr().out
    assert f"FAIL {crashing_impl}: recall T=5 seed 0 crashed: RuntimeError: kernel fault" in out
