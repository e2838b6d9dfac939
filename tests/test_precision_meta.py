"""Reduced precision end to end: torch.nn passes in bfloat16 and float16 without a false alarm, and
planted precision bugs fail with an accuracy figure far beyond the bound (tests/impls/broken)."""

from __future__ import annotations

from pathlib import Path

import pytest
from impls.broken.catalogue import PRECISION_CATALOGUE, PrecisionPlanted

from lstm_bench.conformance import replay, run_check, run_conformance
from lstm_bench.conformance.render import render_report
from lstm_bench.conformance.tolerances import median_bound
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl

IMPLS = Path(__file__).parent / "impls"
TORCH_NN = [
    ("torch.nn:LSTM", "lstm"),
    ("torch.nn:GRU", "gru"),
    ("torch.nn:RNN", "rnn"),
    ("torch.nn:RNN", "rnn-relu"),
]


@pytest.fixture(autouse=True)
def _broken_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(IMPLS))


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize(("spec", "kind"), TORCH_NN, ids=[k for _, k in TORCH_NN])
def test_torch_nn_passes_every_check_in_reduced_precision(spec: str, kind: str, dtype: str) -> None:
    report = run_conformance(load_impl(spec, Kind.parse(kind)), profile="quick", dtype=dtype)
    assert report.passed, render_report(report)
    for result in report.results:
        if result.status == "pass" and result.accuracy is not None and result.accuracy.bound is not None:
            assert result.accuracy.worst <= result.accuracy.bound, result.name
    figures = {r.name: r.accuracy for r in report.results if r.status == "pass"}
    forward = figures["equivalence.zero_state"]
    assert forward is not None and forward.worst > 0 and forward.median < forward.worst  # a real figure
    if kind == "rnn-relu":  # a ReLU kink flips in reduced precision: gradients not applicable, with why
        skipped = report.result("equivalence.gradients")
        assert skipped.status == "skip" and "ReLU" in skipped.reason


@pytest.mark.parametrize(
    "planted", PRECISION_CATALOGUE, ids=[p.spec.split(":")[1] for p in PRECISION_CATALOGUE]
)
def test_planted_precision_bug_fails_in_its_dtype_with_a_figure_beyond_the_bound(
    planted: PrecisionPlanted,
) -> None:
    impl = load_impl(planted.spec, Kind.parse(planted.kind))
    assert run_check(impl, planted.check, profile="quick").status == "pass"  # right in float64
    result = run_check(impl, planted.check, profile="quick", dtype=planted.dtype)
    assert result.status == "fail", f"{planted.spec} ({planted.bug}) passed in {planted.dtype}"
    acc = result.accuracy
    assert acc is not None and acc.dtype == planted.dtype
    example = result.counterexample
    assert example is not None and f"dtype={planted.dtype!r}" in example.repro
    unit, limit = acc.unit, median_bound("equivalence", planted.dtype)
    failing = [t for t in example.outcome.tensors if not t.passed]
    beyond_worst = acc.bound is not None and acc.worst > acc.bound
    beyond_median = limit is not None and any(t.scaled_median / unit > limit for t in failing)
    assert beyond_worst or beyond_median or acc.worst > 100, acc.describe()  # float32: fixed table, 100s of u
    replayed = replay(planted.spec, planted.check, example.case, kind=planted.kind, dtype=planted.dtype)
    assert not replayed.passed


def test_the_float32_bug_is_thousands_of_roundoffs_off() -> None:
    impl = load_impl("broken.precision_bugs:Bfloat16CellState", Kind.LSTM)
    result = run_check(impl, "equivalence.zero_state", profile="quick", dtype="float32")
    assert result.accuracy is not None and result.accuracy.worst > 1000  # 2^-8 / 2^-24 = 65536 at most


def test_torch_nn_float32_has_an_accuracy_figure_in_float32_units() -> None:
    report = run_conformance(
        load_impl("torch.nn:LSTM"), profile="quick", dtype="float32", checks=["equivalence"]
    )
    assert report.passed, render_report(report)
    acc = report.result("equivalence.zero_state").accuracy
    assert acc is not None and acc.dtype == "float32" and acc.bound is None and 0 < acc.worst < 1000


def test_reduced_gradient_checks_use_the_reference_backward_and_catch_a_backward_bug() -> None:
    impl = load_impl("broken.backward_bugs:MissingForgetInCellGrad", Kind.LSTM)
    result = run_check(impl, "gradients.jacobian", profile="quick", dtype="bfloat16")
    assert result.status == "fail", result.reason
    assert (
        result.tolerance is not None and "√T" in result.tolerance.describe()
    )  # the model, not finite differences


@pytest.mark.parametrize(
    "spec", ["broken.base:LoopLSTM", "torch.nn:GRU", "lstm_bench.reference.torch_ref:LSTM"]
)  # the reference: its fused recurrence steps aside under autocast
def test_autocast_bfloat16_on_cpu_passes_for_correct_implementations(spec: str) -> None:
    report = run_conformance(
        load_impl(spec), profile="quick", dtype="float32", autocast="bfloat16",
        checks=["equivalence", "gradients", "invariants.determinism"],
    )  # fmt: skip
    assert report.passed, render_report(report)
    assert report.autocast == "bfloat16" and report.to_dict()["autocast"] == "bfloat16"
    acc = report.result("equivalence.zero_state").accuracy
    assert acc is not None and acc.dtype == "bfloat16"
