"""The science lstm-bench's stability claims rest on, asserted with CI-sized, step-counted budgets.

* A tanh RNN's gradient vanishes: log10 ||dL/dh_1|| / ||dL/dh_T|| < -10 at T = 100 with torch's
  default init, although sigma_max(W_hh) > 1 there (Pascanu et al.'s sufficient condition
  sigma_max < 1/gamma does not hold: saturation, tanh' < 1, does the rest).
* Chrono-initialised LSTMs and the IRNN keep it; an IRNN with W_hh = 1.2 I explodes.
* An LSTM trained with the shipped recipe learns a horizon the tanh RNN does not, with the same
  optimiser, learning rate, batch, clipping and step budget.
* Every implementation under test learns what its torch.nn counterpart learns.
"""

from __future__ import annotations

import functools
import math

import pytest
import torch

from lstm_bench import init
from lstm_bench.kinds import Kind
from lstm_bench.loader import LoadedImpl
from lstm_bench.stability.classify import Regime, classify_profile
from lstm_bench.stability.gradient_norms import model_profile
from lstm_bench.stability.jacobian import whh_spectrum
from lstm_bench.stability.models import ModelSpec, build_model
from lstm_bench.stability.recipes import DEFAULT_LSTM_RECIPE
from lstm_bench.stability.sweep import impl_model
from lstm_bench.stability.tasks import make_task
from lstm_bench.stability.trainer import TrainResult, train
from lstm_bench.testing.learning import DEFAULT_HORIZON, DEFAULT_STEPS, assert_learns

SEEDS = (0, 1, 2)


def _profile(spec: ModelSpec, horizon: int, seed: int) -> tuple[float, Regime]:
    task = make_task("recall", horizon)
    profile = model_profile(build_model(spec, task, seed), task, batch_size=16, seed=seed)
    return profile.log10_ratio, classify_profile(profile)


@pytest.mark.parametrize("hidden", [32, 64])
@pytest.mark.parametrize("seed", SEEDS)
def test_tanh_rnn_gradient_vanishes_at_T100_with_default_init(hidden: int, seed: int) -> None:
    spec = ModelSpec(Kind.RNN_TANH, "default", hidden)
    ratio, regime = _profile(spec, 100, seed)
    assert ratio < -10, (
        f"log10 ||dL/dh_1|| / ||dL/dh_T|| = {ratio:.1f}, but should be < -10 for a tanh RNN at T=100"
    )
    assert regime is Regime.VANISHING


def test_tanh_rnn_vanishes_even_where_pascanus_sufficient_condition_does_not_hold() -> None:
    """torch's default init gives sigma_max(W_hh) about 2/sqrt(3) > 1: the bound says nothing, tanh' < 1 does."""
    spec = ModelSpec(Kind.RNN_TANH, "default", 64)
    model = build_model(spec, make_task("recall", 100), seed=0)
    (block,) = whh_spectrum(model.recurrent, Kind.RNN_TANH).blocks
    assert not block.vanishing_guaranteed and block.sigma_max > 1
    assert _profile(spec, 100, 0)[1] is Regime.VANISHING


@pytest.mark.parametrize(
    "spec", [ModelSpec(Kind.LSTM, "default"), ModelSpec(Kind.GRU, "default")], ids=lambda s: s.label
)
def test_default_initialised_gated_cells_vanish_too_at_T100(spec: ModelSpec) -> None:
    ratio, regime = _profile(spec, 100, 0)
    assert regime is Regime.VANISHING, f"{spec.label}: log10 ratio {ratio:.1f}"


@pytest.mark.parametrize(
    "spec",
    [
        ModelSpec(Kind.LSTM, "chrono", 32),
        DEFAULT_LSTM_RECIPE.model(),
        ModelSpec(Kind.RNN_RELU, "identity", 32),
    ],
    ids=lambda s: s.label,
)
@pytest.mark.parametrize("horizon", [100, 200])
def test_chrono_lstms_and_the_irnn_keep_the_gradient(spec: ModelSpec, horizon: int) -> None:
    ratio, regime = _profile(spec, horizon, 0)
    assert regime is Regime.STABLE, f"{spec.label} at T={horizon}: log10 ratio {ratio:.1f}, expected stable"


def test_irnn_with_recurrent_gain_above_one_explodes() -> None:
    task = make_task("recall", 40)
    model = build_model(ModelSpec(Kind.RNN_RELU, "identity", 16), task, seed=0)
    init.identity(model.recurrent, torch.Generator().manual_seed(0), scale=1.2, input_std=0.5)
    profile = model_profile(model, task, batch_size=16, seed=0)
    assert classify_profile(profile) is Regime.EXPLODING, f"log10 ratio {profile.log10_ratio:.1f}"


def test_lstm_recipe_learns_a_horizon_the_tanh_rnn_does_not() -> None:
    task = make_task("recall", 40)
    config = DEFAULT_LSTM_RECIPE.train_config(max_seconds=120, max_steps=800, profiles=False)
    lstm = train(DEFAULT_LSTM_RECIPE.model(), task, config, seed=0)
    rnn = train(ModelSpec(Kind.RNN_TANH, "default", DEFAULT_LSTM_RECIPE.hidden), task, config, seed=0)
    assert lstm.solved, f"the recipe LSTM reached {lstm.accuracy:.1%} at T=40 in {lstm.steps} steps"
    assert not rnn.solved and rnn.accuracy < 0.5, f"the tanh RNN reached {rnn.accuracy:.1%} at T=40"


def test_the_monitor_flags_the_tanh_rnn_before_it_trains() -> None:
    task = make_task("recall", 100)
    config = DEFAULT_LSTM_RECIPE.train_config(max_seconds=60, max_steps=1)
    result = train(ModelSpec(Kind.RNN_TANH, "default", 32), task, config, seed=0)
    assert [e.kind for e in result.events if e.step == 0] == ["vanishing_gradients"]


@functools.cache
def _torch_nn_run(spec: ModelSpec, horizon: int) -> TrainResult:
    config = DEFAULT_LSTM_RECIPE.train_config(max_seconds=math.inf, max_steps=DEFAULT_STEPS, profiles=False)
    return train(spec, make_task("recall", horizon), config, seed=0)


def test_implementation_learns_what_torch_nn_learns(impl: LoadedImpl) -> None:
    """Recall with the same init, recipe, data and step budget as torch.nn's module of the same kind."""
    spec = impl_model(impl.spec, impl.kind)
    horizon = DEFAULT_HORIZON[impl.kind]
    twin = ModelSpec(spec.kind, spec.init, spec.hidden)
    expected = _torch_nn_run(twin, horizon)
    assert expected.solved, (
        f"torch.nn's {twin.label} should learn T={horizon} (accuracy {expected.accuracy:.1%})"
    )
    __tracebackhide__ = True
    assert_learns(impl, task="recall", horizon=horizon, steps=DEFAULT_STEPS, seed=0)
