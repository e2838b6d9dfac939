"""The trainer: deterministic for a seed, budgets honoured, early stop at the target, curves and L2."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from lstm_bench.kinds import Kind
from lstm_bench.stability.models import ModelSpec, build_model, check_init
from lstm_bench.stability.recipes import DEFAULT_LSTM_RECIPE
from lstm_bench.stability.remedies import Remedies, global_norm
from lstm_bench.stability.tasks import make_task
from lstm_bench.stability.trainer import TrainConfig, TrainResult, derive_seed, train, train_model

SMALL = ModelSpec(Kind.LSTM, "xavier+chrono", 16)


def _config(**overrides: object) -> TrainConfig:
    return dataclasses.replace(
        TrainConfig(max_steps=30, max_seconds=120, eval_every=10, profiles=False), **overrides
    )


def test_same_seed_same_run_other_seed_other_run() -> None:
    task = make_task("recall", 12)
    a, b = (train(SMALL, task, _config(), seed=4) for _ in range(2))
    c = train(SMALL, task, _config(), seed=5)
    assert [p.train_loss for p in a.curve] == [p.train_loss for p in b.curve]
    assert (a.loss, a.accuracy, a.steps) == (b.loss, b.accuracy, b.steps)
    assert [p.train_loss for p in a.curve] != [p.train_loss for p in c.curve]


def test_models_are_built_from_the_seed_alone() -> None:
    task = make_task("copy", 10)
    torch.manual_seed(123)  # the global generator must not matter
    first = build_model(SMALL, task, seed=9).state_dict()
    torch.manual_seed(456)
    second = build_model(SMALL, task, seed=9).state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)
    assert not torch.equal(
        first["head.weight"], build_model(SMALL, task, seed=10).state_dict()["head.weight"]
    )


def test_step_budget_and_learning_curve() -> None:
    result = train(SMALL, make_task("adding", 10), _config(max_steps=25, eval_every=10), seed=0)
    assert result.stop_reason == "steps" and result.steps == 25 and not result.solved
    assert [p.step for p in result.curve] == [10, 20, 25]
    assert result.curve[-1].loss is not None and result.curve[-1].accuracy is not None  # the end is held-out
    assert result.loss == result.curve[-1].loss and result.seconds_to_target is None


def test_wall_clock_budget() -> None:
    result = train(SMALL, make_task("recall", 50), _config(max_steps=100_000, max_seconds=0.3), seed=0)
    assert result.stop_reason == "seconds"
    assert 0.3 <= result.seconds < 5


def test_early_stop_at_the_target_on_held_out_data() -> None:
    config = DEFAULT_LSTM_RECIPE.train_config(max_seconds=120, max_steps=2000, profiles=False)
    result = train(DEFAULT_LSTM_RECIPE.model(), make_task("recall", 10), config, seed=0)
    assert result.solved and result.stop_reason == "target"
    assert result.accuracy >= 0.99 and result.steps < 2000
    assert result.steps_to_target == result.steps and result.seconds_to_target == result.seconds
    assert result.steps % config.eval_every == 0


def test_l2_shrinks_the_weights() -> None:
    task = make_task("recall", 10)
    plain = build_model(SMALL, task, seed=0)
    decayed = build_model(SMALL, task, seed=0)
    train_model(plain, task, _config(max_steps=40), seed=0)
    train_model(decayed, task, _config(max_steps=40, remedies=Remedies(clip_norm=1.0, l2=0.5)), seed=0)
    assert global_norm(list(decayed.parameters())) < 0.9 * global_norm(list(plain.parameters()))


def test_profiles_before_and_after_and_round_trip() -> None:
    result = train(
        SMALL, make_task("recall", 12), _config(max_steps=10, profiles=True, probe_every=5), seed=1
    )
    assert result.initial_profile is not None and result.final_profile is not None
    assert result.initial_profile.steps == 12 and result.initial_profile.cell_norms is not None
    assert result.initial_profile != result.final_profile
    assert TrainResult.from_dict(result.to_dict()) == result


def test_config_validation_and_round_trip() -> None:
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        TrainConfig(optimizer="adamw")
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        TrainConfig(batch_size=0)
    config = TrainConfig(remedies=Remedies(clip_value=0.5, l2=1e-3))
    assert TrainConfig.from_dict(config.to_dict()) == config


def test_inits_and_composites_are_checked() -> None:
    check_init("xavier+chrono", Kind.LSTM)
    with pytest.raises(ValueError, match="applies to the LSTM only"):
        ModelSpec(Kind.GRU, "chrono")
    with pytest.raises(ValueError, match="only chrono, forget-bias may follow"):
        ModelSpec(Kind.LSTM, "xavier+he")
    with pytest.raises(ValueError, match="unknown initialisation 'magic'"):
        ModelSpec(Kind.RNN_TANH, "magic")


def test_derive_seed_is_stable() -> None:
    assert derive_seed(1, "train", 3) == derive_seed(1, "train", 3)
    assert derive_seed(1, "train", 3) != derive_seed(1, "train", 4)
    assert 0 <= derive_seed("x") < 2**63


def test_training_restores_the_callers_thread_count() -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        seen: list[int] = []
        config = _config(max_steps=2, eval_every=1, threads=1)
        train(
            SMALL,
            make_task("recall", 5),
            config,
            seed=0,
            on_progress=lambda _: seen.append(torch.get_num_threads()),
        )
        assert seen == [1, 1] and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
