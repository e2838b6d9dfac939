"""Reduced precision: the tolerance model, accuracy figures, their serialisation and rendering, the flags."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from bench_scripts import load_script

from lstm_bench.cli import main
from lstm_bench.conformance.accuracy import Accuracy, scaled_errors, summarise, worst_and_median
from lstm_bench.conformance.cases import Case
from lstm_bench.conformance.checks import Autocast, Context
from lstm_bench.conformance.compare import compare
from lstm_bench.conformance.render import accuracy_note, check_line
from lstm_bench.conformance.result import CheckResult, TensorError
from lstm_bench.conformance.runner import make_context
from lstm_bench.conformance.tolerances import (
    EXACT,
    SAFETY,
    UNIT_ROUNDOFF,
    median_bound,
    model_bound,
    reduced_tolerance,
    scaled_tolerance,
    tolerance,
)
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl
from lstm_bench.report.views.conformance import _check_row


def test_unit_roundoff_is_two_to_minus_the_significand_bits() -> None:
    for name, dtype in (("float32", torch.float32), ("bfloat16", torch.bfloat16), ("float16", torch.float16)):
        assert UNIT_ROUNDOFF[name] == torch.finfo(dtype).eps / 2


def test_model_bound_has_a_floor_then_grows_like_sqrt_t() -> None:
    short = model_bound("equivalence", "bfloat16", 1)
    assert short == model_bound("equivalence", "bfloat16", 2)  # the floor
    long_64, long_256 = (
        model_bound("equivalence", "bfloat16", 64),
        model_bound("equivalence", "bfloat16", 256),
    )
    assert long_256 == pytest.approx(2 * long_64)  # √(4·T) = 2·√T
    assert long_64 > short
    assert model_bound("finite-difference", "float16", 64) == model_bound(
        "gradient-equivalence", "float16", 64
    )
    assert model_bound("bound", "bfloat16", 64) == model_bound("bound", "bfloat16", 1)  # no growth


def test_scaled_tolerance_is_bound_times_u_on_the_tensor_scale() -> None:
    tol = scaled_tolerance("equivalence", "float16", 64, scale=3.0)
    bound = model_bound("equivalence", "float16", 64) * 2.0**-11
    assert tol.rtol == pytest.approx(bound) and tol.atol == pytest.approx(3 * bound)
    assert "√T" in reduced_tolerance("equivalence", "bfloat16").describe()
    assert reduced_tolerance("exact", "bfloat16") is EXACT
    with pytest.raises(ValueError, match="√T model"):
        tolerance("equivalence", "bfloat16")  # the fixed table has no reduced dtypes


def test_scaled_errors_divide_by_entry_plus_tensor_scale() -> None:
    expected = torch.tensor([2.0, -1.0, 0.0], dtype=torch.float64)
    got = torch.tensor([2.5, -1.0, 0.25], dtype=torch.float64)
    errors = scaled_errors(got, expected)  # scale max|ref| = 2
    assert errors.tolist() == pytest.approx([0.5 / 4, 0.0, 0.25 / 2])
    assert worst_and_median(errors) == pytest.approx((0.125, 0.125))
    floored = scaled_errors(got, expected / 100, floor=1.0)  # scale max(0.02, 1) = 1
    assert float(floored[2]) == pytest.approx(0.25)
    nan = scaled_errors(torch.tensor([math.nan]), torch.tensor([1.0]))
    assert math.isinf(float(nan[0]))


def test_summarise_reports_worst_and_median_in_units_of_u() -> None:
    u = 2.0**-8
    acc = summarise([(3 * u, 0.5 * u), (10 * u, 1.0 * u), (2 * u, 0.25 * u)], "bfloat16", bound=30.0)
    assert acc is not None
    assert (acc.worst, acc.median, acc.bound) == pytest.approx((10.0, 0.5, 30.0))
    assert summarise([], "bfloat16") is None
    assert Accuracy.from_dict(acc.to_dict()) == acc
    assert "worst 10u" in acc.describe() and "2^-8" in acc.describe()


def test_compare_attaches_the_accuracy_figure_and_old_documents_still_load() -> None:
    report = compare("out", torch.tensor([1.0, 2.0]), torch.tensor([1.0, 2.5]), EXACT)
    assert report.scaled_worst == pytest.approx(0.5 / 5.0) and not report.passed
    assert TensorError.from_dict(report.to_dict()) == report
    old = {k: v for k, v in report.to_dict().items() if not k.startswith("scaled")}
    assert math.isnan(TensorError.from_dict(old).scaled_worst)


def test_check_result_round_trips_accuracy_and_notes() -> None:
    result = CheckResult(
        "equivalence.zero_state",
        "pass",
        0.5,
        examples=3,
        tolerance=reduced_tolerance("equivalence", "bfloat16"),
        accuracy=Accuracy("bfloat16", 3.5, 0.25, 22.4),
        notes=("cudnn.deterministic=False",),
    )
    data = result.to_dict()
    assert data["accuracy"]["worst_u"] == 3.5 and data["accuracy"]["unit"] == 2.0**-8
    assert CheckResult.from_dict(data) == result
    assert "worst 3.5u median 0.25u, bound 22.4u; bfloat16 u=2^-8" in accuracy_note(result)
    assert check_line(result).endswith(accuracy_note(result))
    plain = CheckResult("invariants.determinism", "pass", 0.1)
    assert "accuracy" not in plain.to_dict() and accuracy_note(plain) == ""


def test_report_view_shows_the_accuracy_column_and_model_share() -> None:
    result = CheckResult(
        "equivalence.zero_state",
        "pass",
        0.5,
        tolerance=reduced_tolerance("equivalence", "bfloat16"),
        accuracy=Accuracy("bfloat16", 5.0, 0.25, 20.0),
    )
    row = _check_row(result)
    assert row.accuracy == "5 / 0.25"
    assert "bound 20u" in row.accuracy_title
    assert row.headroom == "25.0 %"  # 5u of a 20u bound
    assert "√T" in row.tolerance


def _systematic(offset_u: float) -> TensorError:
    impl = load_impl("torch.nn:LSTM")
    ctx = Context(impl, torch.bfloat16)
    expected = torch.linspace(-1, 1, 64, dtype=torch.float64)
    got = expected * (1 + offset_u * 2.0**-8)  # every entry off by the same relative amount
    return ctx.compare("output", got.to(torch.bfloat16), expected, "equivalence", Case(8, 1, 1, 1, 0))


def test_median_criterion_catches_a_systematic_error_below_the_worst_bound() -> None:
    limit = median_bound("equivalence", "bfloat16")
    assert limit is not None
    assert model_bound("equivalence", "bfloat16", 8) > 4 * limit  # the worst-entry bound alone would pass
    assert _systematic(0.0).passed
    caught = _systematic(4 * limit)
    assert not caught.passed and "systematic" in caught.where


def test_reduced_context_and_autocast_wrapper() -> None:
    impl = load_impl("torch.nn:GRU")
    ctx = make_context(impl, "float32", "cpu", autocast="bfloat16")
    assert ctx.reduced and ctx.precision == "bfloat16" and ctx.dtype_name == "float32"
    module = ctx.build(Case(2, 1, 3, 4, 0))
    assert isinstance(module, Autocast)
    assert module.weight_hh_l0.dtype == torch.float32  # attributes fall through to the implementation
    assert not make_context(impl, "float64", "cpu").reduced
    with pytest.raises(ValueError, match="float32"):
        make_context(impl, "float64", "cpu", autocast="bfloat16")
    assert SAFETY >= 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--device", "cuda"], "--device cuda: CUDA is not available here (torch "),
        (["--autocast", "float16"], "--autocast float16: CPU autocast is bfloat16 only"),
        (
            ["--autocast", "bfloat16", "--dtype", "float16"],
            "--autocast bfloat16 runs a float32 implementation",
        ),
        (  # asked for explicitly, float64 is a conflict too (only the default gives way to float32)
            ["--autocast", "bfloat16", "--dtype", "float64"],
            "--autocast bfloat16 runs a float32 implementation; drop --dtype float64",
        ),
    ],
)
def test_check_flags_fail_early_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if argv[:2] == ["--device", "cuda"] and torch.cuda.is_available():
        pytest.skip("CUDA is available here")
    assert main(["check", "--impl", "torch.nn:LSTM", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_check_cli_bfloat16_prints_and_saves_accuracy(
    tmp_path: object, capsys: pytest.CaptureFixture[str]
) -> None:
    from pathlib import Path

    out = Path(str(tmp_path)) / "check.json"
    code = main(
        ["check", "--impl", "torch.nn:LSTM", "--dtype", "bfloat16", "--profile", "quick",
         "--check", "equivalence.zero_state", "--json", str(out)]
    )  # fmt: skip
    assert code == 0
    text = capsys.readouterr().out
    assert "[vs float64: worst" in text and "bfloat16 u=2^-8" in text
    import json

    check = json.loads(out.read_text())["conformance"][0]["checks"][0]
    assert (
        check["accuracy"]["dtype"] == "bfloat16"
        and 0 < check["accuracy"]["worst_u"] < check["accuracy"]["bound_u"]
    )
    assert Kind.LSTM.value == "lstm"


REPO = Path(__file__).resolve().parent.parent


def test_calibration_script_prints_the_table_and_fitted_constants(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = load_script("precision_calibration")
    argv = [
        "--dtypes",
        "bfloat16",
        "--kinds",
        "lstm",
        "--steps",
        "1,8",
        "--sizes",
        "2",
        "--batches",
        "2",
        "--seeds",
        "1",
    ]
    assert script.main(argv) == 0  # torch.nn's errors lie within the stored model
    out = capsys.readouterr().out
    assert "worst u" in out and "median u" in out and "margin" in out
    assert "CALIBRATED entries" in out and '("equivalence", "bfloat16"): (' in out
    rows = [line for line in out.splitlines() if line.startswith("bfloat16 ")]
    assert len(rows) == 2 * 3  # T in {1, 8} x three topics


@pytest.mark.skipif(
    torch.cuda.is_available(), reason="CUDA is available: the smoke script would run for real"
)
def test_gpu_smoke_script_says_skipped_without_cuda() -> None:
    done = subprocess.run(
        ["bash", str(REPO / "benchmarks/gpu_smoke.sh")],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHON": sys.executable},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"gpu_smoke: skipped: no CUDA (torch {torch.__version__})"


def test_accuracy_figures_only_for_checks_against_the_float64_reference() -> None:
    from lstm_bench.conformance import run_conformance

    checks = ["equivalence.zero_state", "gradients.jacobian", "invariants.determinism"]
    wide = run_conformance(load_impl("torch.nn:LSTM"), profile="quick", dtype="float32", checks=checks)
    assert [r.accuracy is not None for r in wide.results] == [
        True,
        False,
        False,
    ]  # finite differences: no figure
    low = run_conformance(load_impl("torch.nn:LSTM"), profile="quick", dtype="bfloat16", checks=checks)
    assert [r.accuracy is not None for r in low.results] == [True, True, False]  # float64 autograd: a figure
