"""Keras 3 layers (the real ``keras.layers`` classes) under every check, on Keras's torch backend.

Runs when the ``keras`` extra is installed (``pip install 'lstm-bench[keras]'``), skips otherwise.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import torch

os.environ.setdefault("KERAS_BACKEND", "torch")
keras = pytest.importorskip(
    "keras", reason="the keras extra is not installed: pip install 'lstm-bench[keras]'"
)
if keras.backend.backend() != "torch":  # pragma: no cover (a session that chose another backend)
    pytest.skip("these tests need Keras on its torch backend", allow_module_level=True)

from lstm_bench.adapters import framework_of, keras_layers  # noqa: E402
from lstm_bench.conformance.runner import run_check, run_conformance  # noqa: E402
from lstm_bench.loader import load_impl  # noqa: E402

#: What a single-layer adapter cannot do: the checks of stacks, directions, packed input, dropout.
STACKED = {"contract.stack", "contract.reverse", "contract.packed", "contract.dropout"}


def _failing(spec: str, dtype: str) -> dict[str, str]:
    """Checks that neither passed nor skipped, besides the stacked contract checks (unsupported)."""
    report = run_conformance(load_impl(spec), profile="quick", dtype=dtype)
    unsupported = {r.name for r in report.results if r.status == "unsupported"}
    assert unsupported == STACKED, unsupported
    return {r.name: r.status for r in report.results if r.status not in ("pass", "skip", "unsupported")}


@pytest.mark.parametrize("spec", ["keras.layers:LSTM", "keras.layers:GRU"])
def test_lstm_and_gru_pass_every_check_in_float64(spec: str) -> None:
    assert _failing(spec, "float64") == {}
    assert "torch backend" in str(framework_of(spec))


def test_simple_rnn_passes_every_check_in_float32() -> None:
    assert _failing("keras.layers:SimpleRNN", "float32") == {}
    assert not keras_layers.KerasSimpleRNN.capabilities.float64  # Keras ops compute float64 in float32


def test_gru_without_the_gate_swap_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keras_layers, "_gru_blocks", lambda weight: weight)  # planted: r, z not swapped
    result = run_check(load_impl("keras.layers:GRU"), "equivalence.zero_state", profile="quick")
    assert result.status == "fail"
    assert result.reason is not None and "max abs" in result.reason  # a wrong value, not a crash


def test_lstm_with_the_forget_bias_dropped_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    convert = keras_layers.keras_weights

    def dropped(
        kind: object, state: dict[str, torch.Tensor], reset_after: bool = True
    ) -> dict[str, torch.Tensor]:
        native = convert(kind, state, reset_after)  # type: ignore[arg-type]
        hidden = native["bias"].shape[0] // 4
        keep = torch.ones_like(native["bias"])
        keep[hidden : 2 * hidden] = 0  # Keras gate order i, f, c, o: block 1 is f
        return {**native, "bias": native["bias"] * keep}

    monkeypatch.setattr(keras_layers, "keras_weights", dropped)
    result = run_check(load_impl("keras.layers:LSTM"), "equivalence.zero_state", profile="quick")
    assert result.status == "fail"
    assert result.reason is not None and "max abs" in result.reason  # a wrong value, not a crash


def test_jax_backend_lstm_passes_in_float32() -> None:
    pytest.importorskip("jax", reason="Keras on JAX needs the jax extra")
    env = {**os.environ, "KERAS_BACKEND": "jax", "OMP_NUM_THREADS": "1"}
    args = ["check", "--impl", "keras.layers:LSTM", "--dtype", "float32", "--profile", "quick"]
    args += ["--check", "equivalence.zero_state"]
    code = f"import sys; from lstm_bench.cli import main; sys.exit(main({args!r}))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


def test_jax_backend_declares_float64_unsupported_and_bench_skips_it() -> None:
    pytest.importorskip("jax", reason="Keras on JAX needs the jax extra")
    env = {**os.environ, "KERAS_BACKEND": "jax", "OMP_NUM_THREADS": "1"}
    code = (
        "from lstm_bench.loader import load_impl; from lstm_bench.capabilities import Feature; "
        "c = load_impl('keras.layers:LSTM').capabilities.get(Feature.FLOAT64); print(c.supported, c.source)"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert done.stdout.split() == ["False", "declared"], (
        done.stdout + done.stderr
    )  # Keras on JAX: float32 compute


def test_results_name_the_framework() -> None:
    from lstm_bench.environment import capture_environment

    load_impl("keras.layers:LSTM")
    assert f"keras {keras.__version__} (torch backend)" in capture_environment()["frameworks"]


def test_simple_rnn_as_a_relu_rnn() -> None:
    from lstm_bench.kinds import Kind

    impl = load_impl("keras.layers:SimpleRNN", Kind.RNN_RELU)
    assert impl.make(2, 3).mode == "RNN_RELU"
    assert run_check(impl, "equivalence.initial_state", profile="quick", dtype="float32").status == "pass"


def test_reset_before_gru_matches_its_own_reference_not_torch_nn() -> None:
    import numpy as np

    from lstm_bench.reference.gru_variants import gru_reset_before

    torch.manual_seed(0)
    before = keras_layers.KerasGRUResetBefore(3, 4)
    after = keras_layers.KerasGRU(3, 4)
    after.load_state_dict(before.state_dict())
    x, h0 = torch.randn(6, 2, 3), torch.randn(1, 2, 4)
    with torch.no_grad():
        out_before, _ = before(x, h0)
        out_after, _ = after(x, h0)
    weights = [p.detach().double().numpy() for p in before.torch_nn_state().values()]
    expected, _ = gru_reset_before(*weights, x.double().numpy(), h0[0].double().numpy())
    assert np.abs(out_before.double().numpy() - expected).max() < 1e-5  # float32 compute
    assert np.abs(out_after.double().numpy() - expected).max() > 1e-3  # torch.nn's variant differs


def test_reset_before_gru_passes_every_supported_check_against_its_own_variant() -> None:
    report = run_conformance(
        load_impl("lstm_bench.adapters.keras_layers:KerasGRUResetBefore"), profile="quick", dtype="float32"
    )
    statuses = {r.name: r.status for r in report.results}
    assert "fail" not in statuses.values(), statuses
    assert statuses["equivalence.zero_state"] == statuses["equivalence.gradients"] == "pass"
    assert statuses["contract.large_hidden"] == "pass"
    assert report.reference["gru_variant"] == "reset-before"
    assert report.framework == f"keras {keras.__version__} (torch backend)"


def test_reset_before_gru_built_reset_after_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # planted: the layer is built reset_after=True (and converted with two biases) but declares reset-before
    monkeypatch.setattr(keras_layers.KerasGRUResetBefore, "reset_after", lambda self: True)
    impl = load_impl("lstm_bench.adapters.keras_layers:KerasGRUResetBefore")
    for check in ("equivalence.zero_state", "equivalence.gradients"):
        result = run_check(impl, check, profile="quick", dtype="float32")
        assert result.status == "fail", result
        assert result.reason is not None and "max abs" in result.reason


def test_reset_before_gru_with_the_gate_order_unswapped_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keras_layers, "_gru_blocks", lambda weight: weight)  # planted: r, z not swapped
    impl = load_impl("lstm_bench.adapters.keras_layers:KerasGRUResetBefore")
    result = run_check(impl, "equivalence.zero_state", profile="quick", dtype="float32")
    assert result.status == "fail"
    assert result.reason is not None and "max abs" in result.reason
