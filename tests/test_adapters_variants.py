"""GRU variants: each implementation is checked against the reference of the variant it declares.

``adapters.variants`` (tests/impls) is a plain-torch original GRU (reset gate before the
recurrent matmul) written independently of lstm_bench.reference, so this runs without extras.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_bench.adapters import GRU_RESET_AFTER, GRU_RESET_BEFORE
from lstm_bench.cli import main
from lstm_bench.conformance.runner import run_check, run_conformance
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl
from lstm_bench.reference.choice import UnsupportedReference, reference_for
from lstm_bench.reference.gru_variants import gru_reset_before
from lstm_bench.reference.interop import to_numpy
from lstm_bench.reference.torch_ref import GRU, GRUResetBefore

ORIGINAL = "adapters.variants:OriginalGRUAdapter"
#: Checks that compare with a reference (the ones the declared variant decides).
REFERENCE_CHECKS = (
    "equivalence.zero_state",
    "equivalence.initial_state",
    "equivalence.batch_first",
    "equivalence.unbatched",
    "equivalence.gradients",
    "contract.partial_loss",
    "contract.large_hidden",
)

pytestmark = pytest.mark.usefixtures("impls_on_path")  # tests/impls importable (conftest)


def _weights_and_inputs(seed: int = 0) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    gen = np.random.default_rng(seed)
    hid, inp = 4, 3
    weights = [
        gen.uniform(-0.6, 0.6, shape) for shape in ((3 * hid, inp), (3 * hid, hid), (3 * hid,), (3 * hid,))
    ]
    return weights, gen.standard_normal((5, 2, inp)), gen.uniform(-1, 1, (2, hid))


def test_torch_reference_of_the_reset_before_gru_matches_the_numpy_one_and_not_torch_nn() -> None:
    weights, x, h0 = _weights_and_inputs()
    expected, h_n = gru_reset_before(*weights, x, h0)
    before, after = GRUResetBefore(3, 4, dtype=torch.float64), GRU(3, 4, dtype=torch.float64)
    with torch.no_grad():
        for module in (before, after):
            for name, value in zip(
                ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), weights, strict=True
            ):
                getattr(module, name).copy_(torch.from_numpy(value))
        out_before, h_before = before(torch.from_numpy(x), torch.from_numpy(h0)[None])
        out_after, _ = after(torch.from_numpy(x), torch.from_numpy(h0)[None])
    assert np.abs(out_before.numpy() - expected).max() < 1e-14
    assert np.abs(h_before[0].numpy() - h_n).max() < 1e-14
    assert np.abs(out_after.numpy() - expected).max() > 1e-3  # the variants differ on these weights


def test_reset_before_reference_gradients_match_finite_differences() -> None:
    weights, x, h0 = _weights_and_inputs(1)
    module = GRUResetBefore(3, 4, dtype=torch.float64)
    with torch.no_grad():
        for name, value in zip(
            ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), weights, strict=True
        ):
            getattr(module, name).copy_(torch.from_numpy(value))
    params = to_numpy(module)
    gen = np.random.default_rng(2)
    v = {"output": gen.standard_normal((5, 2, 4)), "h_n": gen.standard_normal((2, 4))}
    ref = reference_for(Kind.GRU, GRU_RESET_BEFORE)
    grads = ref.gradients(params, x, h0, None, v)

    def loss(w_hh: np.ndarray) -> float:
        out, h_n = gru_reset_before(weights[0], w_hh, weights[2], weights[3], x, h0)
        return float((out * v["output"]).sum() + (h_n * v["h_n"]).sum())

    eps, numeric = 1e-6, np.zeros_like(weights[1])
    for index in np.ndindex(*weights[1].shape):
        plus, minus = weights[1].copy(), weights[1].copy()
        plus[index] += eps
        minus[index] -= eps
        numeric[index] = (loss(plus) - loss(minus)) / (2 * eps)
    assert np.abs(grads["weight_hh_l0"] - numeric).max() < 1e-8
    assert set(grads) == {"x", "h0", "weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}


def test_one_place_picks_the_reference() -> None:
    assert reference_for(Kind.GRU).gru_variant == GRU_RESET_AFTER
    assert reference_for(Kind.GRU, GRU_RESET_BEFORE).describe().startswith("gru reset-before")
    assert reference_for(Kind.LSTM, GRU_RESET_BEFORE).torch_nn_variant  # the variant is a GRU matter
    with pytest.raises(UnsupportedReference, match="minimal-gated"):
        reference_for(Kind.GRU, "minimal-gated")


def test_declared_reset_before_gru_passes_every_supported_check() -> None:
    impl = load_impl(ORIGINAL)
    assert impl.gru_variant == GRU_RESET_BEFORE
    report = run_conformance(impl, profile="quick")
    statuses = {r.name: r.status for r in report.results}
    assert {statuses[name] for name in REFERENCE_CHECKS} == {"pass"}, statuses
    assert "fail" not in statuses.values(), statuses
    assert report.reference["gru_variant"] == GRU_RESET_BEFORE
    assert report.framework == "origlib 0.1"


@pytest.mark.parametrize(
    ("spec", "check"),
    [
        ("adapters.variants:UndeclaredOriginalGRU", "equivalence.zero_state"),  # declared reset-after
        ("adapters.variants:UndeclaredOriginalGRU", "contract.large_hidden"),
        ("adapters.variants:SwappedGatesOriginalGRU", "equivalence.zero_state"),  # z and r swapped
        ("adapters.variants:SwappedGatesOriginalGRU", "equivalence.gradients"),
    ],
)
def test_planted_variant_bug_is_caught_by_the_named_check(spec: str, check: str) -> None:
    result = run_check(load_impl(spec), check, profile="quick")
    assert result.status == "fail", result
    assert result.reason is not None and "max abs" in result.reason


def test_a_variant_without_reference_is_unsupported_never_failed() -> None:
    report = run_conformance(load_impl("adapters.variants:UnknownVariantGRU"), profile="quick")
    statuses = {r.name: r for r in report.results}
    for name in REFERENCE_CHECKS:
        assert statuses[name].status == "unsupported", statuses[name]
        assert "no reference for the GRU variant 'minimal-gated'" in (statuses[name].reason or "")
    assert statuses["gradients.jacobian"].status == "pass"  # its own backward vs its own forward
    assert report.passed and not report.strict_passed
    assert "unsupported" in report.reference


def test_json_and_text_name_the_variant_and_framework(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "check.json"
    args = ["check", "--impl", ORIGINAL, "--profile", "quick", "--check", "equivalence.zero_state"]
    assert main([*args, "--json", str(target)]) == 0
    err = capsys.readouterr().err
    assert "computed by origlib 0.1, checked against gru reset-before" in err
    (entry,) = json.loads(target.read_text())["conformance"]
    assert entry["framework"] == "origlib 0.1"
    assert entry["reference"]["gru_variant"] == GRU_RESET_BEFORE
    assert entry["adapter_capabilities"]["gru_variant"] == GRU_RESET_BEFORE
    assert (
        main(["check", "--impl", "torch.nn:GRU", "--profile", "quick", "--check", "equivalence.zero_state"])
        == 0
    )
    assert f"computed by torch {torch.__version__}, checked against gru reset-after (torch.nn)" in (
        capsys.readouterr().err
    )
