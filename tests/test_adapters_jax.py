"""Flax NNX and Equinox cells (the real library classes), scanned in JAX, against the float64 reference.

Runs when the ``jax`` extra is installed (``pip install 'lstm-bench[jax]'``), skips otherwise.
Every JAX shape compiles once, so each test evaluates checks on two fixed cases rather than a
search; ``lstm-bench check --impl flax.nnx:LSTMCell`` runs the full search (docs/adapters.md).
"""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("jax", reason="the jax extra is not installed: pip install 'lstm-bench[jax]'")
pytest.importorskip("flax.nnx", reason="the jax extra is not installed: pip install 'lstm-bench[jax]'")
pytest.importorskip("equinox", reason="the jax extra is not installed: pip install 'lstm-bench[jax]'")

from lstm_bench.adapters import BUILTINS, framework_of, jax_cells
from lstm_bench.conformance.cases import Case
from lstm_bench.conformance.checks import Context
from lstm_bench.conformance.runner import get_check
from lstm_bench.loader import load_impl

JAX_SPECS = [spec for spec, b in BUILTINS.items() if b.extra == "jax"]
CHECKS = ("equivalence.initial_state", "equivalence.gradients", "invariants.batch_independence")
CASES = (Case(1, 1, 1, 1, 0), Case(6, 3, 4, 5, 1))


def _outcomes(spec: str, dtype: torch.dtype = torch.float64) -> dict[str, str]:
    ctx = Context(load_impl(spec), dtype)
    found = {}
    for name in CHECKS:
        for case in CASES:
            outcome = get_check(name).evaluate(ctx, case)
            if not outcome.passed:
                found[f"{name} {case}"] = outcome.detail
    return found


@pytest.mark.parametrize("spec", JAX_SPECS)
def test_cell_matches_the_reference_in_float64(spec: str) -> None:
    assert _outcomes(spec) == {}
    assert "jax" in str(framework_of(spec))


def test_float32_runs_in_float32() -> None:
    assert _outcomes("equinox.nn:LSTMCell", torch.float32) == {}


def test_equinox_gru_with_the_candidate_bias_outside_the_reset_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def wrong(self: jax_cells.EquinoxGRUCell) -> list[torch.Tensor]:
        s = self.torch_nn_state()
        zero = torch.zeros_like(s["bias_hh_l0"][: self.hidden_size])
        return [s["weight_ih_l0"], s["weight_hh_l0"], s["bias_ih_l0"] + s["bias_hh_l0"], zero]  # planted

    monkeypatch.setattr(jax_cells.EquinoxGRUCell, "to_native", wrong)
    ctx = Context(load_impl("equinox.nn:GRUCell"))
    assert not get_check("equivalence.initial_state").evaluate(ctx, CASES[1]).passed


def test_compile_time_is_kept_apart() -> None:
    module = load_impl("flax.nnx:OptimizedLSTMCell").make(2, 3)
    assert isinstance(module, jax_cells.JaxCell)
    module(torch.zeros(4, 2, 2, dtype=torch.float64))
    assert module.compile_seconds > 0


def test_bench_reports_compile_time_apart_and_names_the_framework() -> None:
    from lstm_bench.bench.registry import ImplBackend
    from lstm_bench.bench.workloads import Case as BenchCase
    from lstm_bench.bench.workloads import Workload
    from lstm_bench.kinds import Kind

    backend = ImplBackend(load_impl("equinox.nn:LSTMCell"))
    assert "equinox" in backend.description
    case = BenchCase(Kind.LSTM, Workload.FORWARD_BACKWARD, 3, 7, 2, 5)  # a shape no other test compiles
    prepared = backend.prepare(case, "cpu", 0)
    assert prepared.compile_s is not None and prepared.compile_s > 0
    prepared.step()  # already compiled: runs


def test_flax_gru_holds_the_missing_candidate_bias_at_zero() -> None:
    impl = load_impl("flax.nnx:GRUCell")
    assert impl.adapter_capabilities["candidate_bias"] is False  # reported with the results
    module = impl.make(2, 3)
    assert torch.count_nonzero(module.bias_hh_l0[6:]) == 0  # b_hn, drawn and initialised as 0
    with torch.no_grad():
        module.bias_hh_l0[7] = 0.5
    with pytest.raises(ValueError, match="no recurrent candidate bias"):  # never silently dropped
        module(torch.zeros(4, 2, 2, dtype=torch.float64))


def test_flax_gru_full_jacobian_passes_without_perturbing_b_hn() -> None:
    ctx = Context(load_impl("flax.nnx:GRUCell"))
    outcome = get_check("gradients.jacobian").evaluate(ctx, Case(3, 2, 2, 3, 4))
    assert outcome.passed, outcome.detail


def test_flax_gru_with_the_gate_order_swapped_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    original = jax_cells.FlaxGRUCell.native_arrays

    def swapped(self: jax_cells.FlaxGRUCell) -> dict[str, torch.Tensor]:
        def zrn(t: torch.Tensor) -> torch.Tensor:
            r, z, n = t.chunk(3, dim=-1)
            return torch.cat([z, r, n], dim=-1)

        return {name: zrn(value) for name, value in original(self).items()}  # planted: Keras's z, r order

    monkeypatch.setattr(jax_cells.FlaxGRUCell, "native_arrays", swapped)
    ctx = Context(load_impl("flax.nnx:GRUCell"))
    assert not get_check("equivalence.initial_state").evaluate(ctx, CASES[1]).passed


def test_stability_models_keep_the_flax_gru_b_hn_at_zero() -> None:
    from lstm_bench.kinds import Kind
    from lstm_bench.stability.models import ModelSpec, build_recurrent

    spec = ModelSpec(Kind.GRU, "default", 4, impl="flax.nnx:GRUCell")
    module = build_recurrent(spec, input_size=3, steps=5, seed=0)  # torch's default init draws every bias
    assert torch.count_nonzero(module.bias_hh_l0[8:]) == 0
    assert torch.count_nonzero(module.bias_hh_l0[:8]) == 8
    module(torch.zeros(5, 2, 3))  # runs: nothing to refuse
