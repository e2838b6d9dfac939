"""The training monitor raises each warning sign as a structured event: on planted NaN and exploding runs too."""

from __future__ import annotations

import dataclasses
import math

import torch

from lstm_bench import init
from lstm_bench.kinds import Kind
from lstm_bench.stability.gradient_norms import GradientProfile
from lstm_bench.stability.models import ModelSpec, SequenceModel, build_model
from lstm_bench.stability.monitor import MonitorConfig, MonitorEvent, TrainingMonitor
from lstm_bench.stability.remedies import Remedies
from lstm_bench.stability.tasks import Task, make_task
from lstm_bench.stability.trainer import TrainConfig, train_model


def _kinds(events: list[MonitorEvent] | tuple[MonitorEvent, ...]) -> list[str]:
    return [e.kind for e in events]


def test_nonfinite_values_are_errors() -> None:
    monitor = TrainingMonitor()
    assert monitor.observe_step(0, 1.0, 0.5, 10.0) == []
    raised = monitor.observe_step(1, math.nan, math.inf, 10.0)
    assert _kinds(raised) == ["nonfinite_loss", "nonfinite_gradients"]
    assert all(e.severity == "error" for e in raised) and monitor.failed
    assert _kinds(monitor.observe_step(2, 1.0, 1.0, math.nan)) == ["nonfinite_weights"]


def test_exploding_needs_patience_and_is_raised_once_per_episode() -> None:
    monitor = TrainingMonitor(MonitorConfig(explode_norm=1.0, explode_patience=5))
    steps = [monitor.observe_step(s, 1.0, 3.0, 1.0) for s in range(5)]
    assert [bool(r) for r in steps] == [False, False, False, False, True]
    assert steps[4][0].kind == "exploding_gradients" and steps[4][0].step == 4 and not monitor.failed
    assert monitor.observe_step(5, 1.0, 3.0, 1.0) == []  # still the same episode
    monitor.observe_step(6, 1.0, 0.5, 1.0)  # the sign clears
    again = [monitor.observe_step(s, 1.0, 3.0, 1.0) for s in range(7, 12)]
    assert _kinds(again[-1]) == ["exploding_gradients"]
    assert _kinds(monitor.events) == ["exploding_gradients", "exploding_gradients"]


def test_weights_growing_fast_within_the_window() -> None:
    monitor = TrainingMonitor(MonitorConfig(weight_growth=4.0, growth_window=10))
    slow = [monitor.observe_step(s, 1.0, 0.1, 1.0 + 0.1 * s) for s in range(30)]  # 4x over 30 steps: fine
    assert not any(slow)
    fast = TrainingMonitor(MonitorConfig(weight_growth=4.0, growth_window=10))
    raised = [fast.observe_step(s, 1.0, 0.1, 1.5**s) for s in range(10)]
    first = next(i for i, r in enumerate(raised) if r)
    assert first == 4  # 1.5^4 = 5.06 > 4 times the norm at step 0
    assert raised[first][0].kind == "weights_growing" and raised[first][0].value > 4


def test_vanishing_when_early_step_gradients_collapse() -> None:
    monitor = TrainingMonitor()
    assert monitor.observe_profile(0, GradientProfile(Kind.LSTM, (1e-3, 1e-2, 1.0))) == []
    (event,) = monitor.observe_profile(100, GradientProfile(Kind.LSTM, (1e-9, 1e-2, 1.0)))
    assert event.kind == "vanishing_gradients" and event.value == -9.0 and "10^-9.0" in event.message


def test_event_round_trip() -> None:
    event = MonitorEvent(3, "exploding_gradients", "warning", "m", 2.5)
    assert MonitorEvent.from_dict(event.to_dict()) == event


def _exploding_irnn(task_horizon: int) -> tuple[SequenceModel, Task]:
    """A ReLU RNN with W_hh = 1.2 I: ||dL/dh_1|| is 1.2^(T-1) times ||dL/dh_T|| at the start."""
    task = make_task("recall", task_horizon)
    model = build_model(ModelSpec(Kind.RNN_RELU, "identity", 16), task, seed=0)
    init.identity(model.recurrent, torch.Generator().manual_seed(0), scale=1.2, input_std=0.5)
    return model, task


def test_planted_divergence_stops_training_with_nan_events_and_clipping_prevents_it() -> None:
    model, task = _exploding_irnn(40)
    config = TrainConfig(optimizer="sgd", lr=0.01, max_steps=60, max_seconds=60, remedies=Remedies())
    result = train_model(model, task, config, seed=0)
    assert result.stop_reason == "nonfinite" and not result.solved and result.steps < 5
    assert {"nonfinite_loss", "weights_growing"} <= set(_kinds(result.events))
    assert result.initial_profile is not None and result.initial_profile.log10_ratio > 2  # exploding at init
    model, task = _exploding_irnn(40)
    clipped = train_model(model, task, dataclasses.replace(config, remedies=Remedies(clip_norm=1.0)), 0)
    assert clipped.stop_reason == "steps" and clipped.steps == 60
    assert not any(e.severity == "error" for e in clipped.events)


def test_monitor_sees_exploding_gradients_that_clipping_hides() -> None:
    model, task = _exploding_irnn(40)
    config = TrainConfig(
        optimizer="sgd", lr=0.001, max_steps=220, max_seconds=60, remedies=Remedies(clip_norm=1.0)
    )
    result = train_model(model, task, config, seed=0)
    exploding = [e for e in result.events if e.kind == "exploding_gradients"]
    assert exploding and exploding[0].step == config.monitor.explode_patience - 1
    assert exploding[0].value > 1.0


def test_planted_nan_weight_is_caught_at_the_first_step() -> None:
    task = make_task("recall", 10)
    model = build_model(ModelSpec(Kind.LSTM, "default", 8), task, seed=0)
    with torch.no_grad():
        model.recurrent.weight_hh_l0[0, 0] = math.nan
    result = train_model(model, task, TrainConfig(max_steps=20, profiles=False), seed=0)
    assert result.stop_reason == "nonfinite" and result.steps == 0
    assert _kinds(result.events)[:2] == ["nonfinite_loss", "nonfinite_gradients"]
    assert result.final_profile is None
