"""A seeded, deterministic trainer with a step budget (and a wall-clock safety cap), early stop at
the task's target, learning curves and the training monitor attached.

Determinism: ``train`` builds the model from ``derive_seed(seed, "model")``, step s trains on
``task.sample(batch_size, derive_seed(seed, "train", s))`` and every held-out evaluation uses the
same batch ``task.sample(eval_batch, derive_seed(seed, "eval"))``. With the same thread count
(``threads``, 1 by default) two runs are identical step for step, bitwise, whatever the machine's
load: the budget is ``max_steps`` optimizer steps (``steps x batch_size`` samples seen). The
wall-clock ``max_seconds`` is only a safety cap; a run it stops has ``stop_reason="seconds"``
and is *timed out* (``TrainResult.timed_out``): undecided, never read as "not learned".

Per step: loss = task loss (+ (λ/2)||W||² with L2), backward, raw gradient norm to the monitor,
clip as the remedies say, optimiser step. Every ``eval_every`` steps a curve point records the
training batches' mean loss and accuracy; when those come near the target the held-out batch is
scored too, and the run stops once ``task.solved(loss, accuracy)`` holds on it (>= 99% accuracy,
or loss below 1% of the memoryless baseline). The end of a run is always scored held-out. The
clock excludes the gradient-profile probes (diagnostics, not training).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import Tensor, nn

from lstm_bench.stability.gradient_norms import GradientProfile, model_profile
from lstm_bench.stability.models import ModelSpec, SequenceModel, build_model
from lstm_bench.stability.monitor import MonitorConfig, MonitorEvent, TrainingMonitor
from lstm_bench.stability.remedies import Remedies, apply_remedies, global_norm, l2_penalty
from lstm_bench.stability.tasks import Task, TaskBatch
from lstm_bench.threads import torch_threads

__all__ = [
    "OPTIMIZERS",
    "CurvePoint",
    "Progress",
    "TrainConfig",
    "TrainResult",
    "derive_seed",
    "make_optimizer",
    "train",
    "train_model",
]

StopReason = Literal["target", "steps", "seconds", "nonfinite"]
OPTIMIZERS = ("adam", "rmsprop", "sgd")


def derive_seed(*parts: object) -> int:
    """A 63-bit seed from ``parts`` (stable across processes and Python versions, unlike ``hash``)."""
    digest = hashlib.blake2b(repr(parts).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


@dataclass(frozen=True)
class TrainConfig:
    """How to train: optimiser, budgets, evaluation and diagnostics (defaults: the shipped LSTM recipe's)."""

    optimizer: str = "adam"
    lr: float = 3e-3
    batch_size: int = 64
    max_steps: int = 100_000
    max_seconds: float = 30.0
    eval_every: int = 25  # steps between curve points (and chances to stop at the target)
    eval_batch: int = 512  # 99% of 512 = at most 5 errors
    remedies: Remedies = field(default_factory=lambda: Remedies(clip_norm=1.0))
    probe_every: int | None = None  # steps between gradient-profile probes (None: at start and end only)
    probe_batch: int = 16
    profiles: bool = True  # record the gradient-norm profile before and after training
    threads: int = 1  # torch threads: 2 did not speed up H=32..64, B=64 steps here, and pools want 1
    monitor: MonitorConfig = field(default_factory=MonitorConfig)

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.optimizer!r}; expected one of {', '.join(OPTIMIZERS)}")
        for name in ("lr", "max_seconds"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be positive, got {getattr(self, name)}")
        for name in ("batch_size", "max_steps", "eval_every", "eval_batch", "probe_batch", "threads"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = dict(self.__dict__)
        data["remedies"] = self.remedies.to_dict()
        data["monitor"] = self.monitor.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of ``to_dict``."""
        data = dict(data)
        data["remedies"] = Remedies.from_dict(data.get("remedies", {}))
        data["monitor"] = MonitorConfig(**data.get("monitor", {}))
        return cls(**data)


@dataclass(frozen=True)
class CurvePoint:
    """One point of the learning curve, every ``eval_every`` steps.

    ``train_loss`` / ``train_accuracy`` average the training batches since the previous point
    (free: computed from outputs the step had anyway). ``loss`` / ``accuracy`` score the
    held-out batch, which is only run when the training figures come near the target (and at the
    end): None in between.
    """

    step: int
    seconds: float
    train_loss: float
    train_accuracy: float
    loss: float | None = None
    accuracy: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CurvePoint:
        """Inverse of ``to_dict``."""

        def opt(key: str) -> float | None:
            return None if data.get(key) is None else float(data[key])

        return cls(
            int(data["step"]),
            float(data["seconds"]),
            float(data["train_loss"]),
            float(data["train_accuracy"]),
            opt("loss"),
            opt("accuracy"),
        )


@dataclass(frozen=True)
class Progress:
    """What a progress display needs at each curve point (training-batch figures)."""

    step: int
    seconds: float
    accuracy: float
    loss: float


@dataclass(frozen=True)
class TrainResult:
    """The outcome of one training run (times in seconds of training, probes excluded)."""

    solved: bool
    stop_reason: StopReason
    steps: int  # optimizer steps taken (samples seen = steps x the config's batch_size)
    seconds: float
    steps_to_target: int | None
    seconds_to_target: float | None
    loss: float
    accuracy: float
    curve: tuple[CurvePoint, ...]
    events: tuple[MonitorEvent, ...]
    initial_profile: GradientProfile | None
    final_profile: GradientProfile | None
    threads: int
    breakdown: dict[str, float] = field(default_factory=dict)  # final held-out accuracy by task factor
    samples_seen: int = 0  # training sequences seen: steps x batch_size

    @property
    def timed_out(self) -> bool:
        """Stopped by the wall-clock safety cap before the step budget: undecided, not 'not learned'."""
        return self.stop_reason == "seconds"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "solved": self.solved,
            "stop_reason": self.stop_reason,
            "timed_out": self.timed_out,
            "steps": self.steps,
            "seconds": self.seconds,
            "steps_to_target": self.steps_to_target,
            "seconds_to_target": self.seconds_to_target,
            "loss": self.loss,
            "accuracy": self.accuracy,
            "curve": [p.to_dict() for p in self.curve],
            "events": [e.to_dict() for e in self.events],
            "initial_profile": None if self.initial_profile is None else self.initial_profile.to_dict(),
            "final_profile": None if self.final_profile is None else self.final_profile.to_dict(),
            "threads": self.threads,
            "breakdown": dict(self.breakdown),
            "samples_seen": self.samples_seen,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainResult:
        """Inverse of ``to_dict``."""

        def profile(key: str) -> GradientProfile | None:
            return None if data.get(key) is None else GradientProfile.from_dict(data[key])

        stop: StopReason = data["stop_reason"]
        return cls(
            solved=bool(data["solved"]),
            stop_reason=stop,
            steps=int(data["steps"]),
            seconds=float(data["seconds"]),
            steps_to_target=data.get("steps_to_target"),
            seconds_to_target=data.get("seconds_to_target"),
            loss=float(data["loss"]),
            accuracy=float(data["accuracy"]),
            curve=tuple(CurvePoint.from_dict(p) for p in data["curve"]),
            events=tuple(MonitorEvent.from_dict(e) for e in data["events"]),
            initial_profile=profile("initial_profile"),
            final_profile=profile("final_profile"),
            threads=int(data["threads"]),
            breakdown={str(k): float(v) for k, v in (data.get("breakdown") or {}).items()},
            samples_seen=int(data.get("samples_seen", 0)),
        )


def make_optimizer(name: str, params: list[nn.Parameter], lr: float) -> torch.optim.Optimizer:
    """Adam (default betas), RMSprop, or SGD with Nesterov momentum 0.9."""
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")


class _Clock:
    """Training wall time that can be paused (for diagnostics that are not training)."""

    def __init__(self) -> None:
        self._start, self._paused = time.perf_counter(), 0.0

    def seconds(self) -> float:
        return time.perf_counter() - self._start - self._paused

    def pause(self, since: float) -> None:
        self._paused += time.perf_counter() - since


@dataclass
class _Run:
    """Mutable state of one training run (kept out of ``train_model`` to keep it readable)."""

    model: SequenceModel
    task: Task
    config: TrainConfig
    seed: int
    monitor: TrainingMonitor
    eval_batch: TaskBatch
    clock: _Clock = field(default_factory=_Clock)
    curve: list[CurvePoint] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    hits: list[float] = field(default_factory=list)

    def probe(self, step: int) -> GradientProfile:
        """Profile the model now (clock paused) and show the profile to the monitor."""
        started = time.perf_counter()
        profile = model_profile(
            self.model, self.task, self.config.probe_batch, derive_seed(self.seed, "probe")
        )
        self.monitor.observe_profile(step, profile)
        self.clock.pause(started)
        return profile

    def record(self, loss: float, outputs: Tensor, batch: TaskBatch) -> None:
        """Keep one training step's loss and accuracy for the next curve point."""
        self.losses.append(loss)
        self.hits.append(self.task.accuracy(outputs.detach(), batch))

    def near_target(self, loss: float, accuracy: float) -> bool:
        """Training figures close enough to the target that the held-out batch is worth scoring."""
        task = self.task
        return (
            accuracy >= task.target_accuracy - 0.05
            or loss < 2 * task.target_loss_fraction * task.baseline_loss
        )

    def final_point(self, step: int) -> CurvePoint:
        """The last curve point, scored on the held-out batch (re-using a point already at ``step``)."""
        if self.curve and self.curve[-1].step == step and not self.losses:
            previous = self.curve.pop()
            if previous.loss is None:
                loss, accuracy = self.held_out()
                previous = dataclasses.replace(previous, loss=loss, accuracy=accuracy)
            self.curve.append(previous)
            return previous
        return self.point(step, held_out=True)

    def breakdown(self) -> dict[str, float]:
        """The task's accuracy breakdown on the held-out batch (number agreement: by attractors)."""
        self.model.eval()
        with torch.no_grad():
            result = self.task.breakdown(self.model(self.eval_batch.inputs), self.eval_batch)
        self.model.train()
        return result

    def held_out(self) -> tuple[float, float]:
        """Loss and accuracy on the held-out batch."""
        self.model.eval()
        with torch.no_grad():
            outputs = self.model(self.eval_batch.inputs)
            loss, accuracy = (
                float(self.task.loss(outputs, self.eval_batch)),
                self.task.accuracy(outputs, self.eval_batch),
            )
        self.model.train()
        return loss, accuracy

    def point(self, step: int, held_out: bool) -> CurvePoint:
        """Close the current curve point; score the held-out batch when ``held_out`` or near the target."""
        seconds = self.clock.seconds()
        train_loss = sum(self.losses) / len(self.losses) if self.losses else math.nan
        train_accuracy = sum(self.hits) / len(self.hits) if self.hits else math.nan
        self.losses.clear()
        self.hits.clear()
        loss = accuracy = None
        if held_out or self.near_target(train_loss, train_accuracy):
            loss, accuracy = self.held_out()
        point = CurvePoint(step, seconds, train_loss, train_accuracy, loss, accuracy)
        self.curve.append(point)
        return point

    def solved(self, point: CurvePoint) -> bool:
        """The task's target, judged on the held-out batch only."""
        return (
            point.loss is not None
            and point.accuracy is not None
            and self.task.solved(point.loss, point.accuracy)
        )


def train_model(
    model: SequenceModel,
    task: Task,
    config: TrainConfig,
    seed: int,
    on_progress: Callable[[Progress], None] | None = None,
) -> TrainResult:
    """Train ``model`` on ``task`` within the budgets; returns the result with curve, events and profiles."""
    with torch_threads(config.threads):
        return _train(model, task, config, seed, on_progress)


def _train(
    model: SequenceModel,
    task: Task,
    config: TrainConfig,
    seed: int,
    on_progress: Callable[[Progress], None] | None,
) -> TrainResult:
    params = [p for p in model.parameters() if p.requires_grad]
    weights = [p for p in params if p.dim() >= 2]
    optimizer = make_optimizer(config.optimizer, params, config.lr)
    eval_batch = task.sample(config.eval_batch, derive_seed(seed, "eval"))
    run = _Run(model, task, config, seed, TrainingMonitor(config.monitor), eval_batch)
    initial = run.probe(0) if config.profiles else None
    stop: StopReason = "steps"
    step = 0
    while True:
        out_of_time = run.clock.seconds() >= config.max_seconds
        if out_of_time or step >= config.max_steps:
            stop = "seconds" if out_of_time else "steps"
            break
        batch = task.sample(config.batch_size, derive_seed(seed, "train", step))
        outputs = model(batch.inputs)
        loss = task.loss(outputs, batch)
        objective = loss if config.remedies.l2 is None else loss + l2_penalty(weights, config.remedies.l2)
        optimizer.zero_grad(set_to_none=False)
        objective.backward()
        grads = [p.grad for p in params if p.grad is not None]
        grad_norm = apply_remedies(grads, config.remedies)
        run.monitor.observe_step(step, float(loss.detach()), grad_norm, global_norm(params))
        if run.monitor.failed:
            stop = "nonfinite"
            break
        optimizer.step()
        run.record(float(loss.detach()), outputs, batch)
        step += 1
        if config.probe_every and step % config.probe_every == 0:
            run.probe(step)
        if step % config.eval_every == 0:
            point = run.point(step, held_out=False)
            if on_progress is not None:
                on_progress(Progress(step, point.seconds, point.train_accuracy, point.train_loss))
            if run.solved(point):
                stop = "target"
                break
    last = run.curve[-1] if stop == "target" else run.final_point(step)
    solved = run.solved(last)
    stop = "target" if solved else stop
    assert last.loss is not None and last.accuracy is not None
    final = run.probe(step) if config.profiles and stop != "nonfinite" else None
    return TrainResult(
        solved=solved,
        stop_reason=stop,
        steps=step,
        seconds=last.seconds,
        steps_to_target=step if solved else None,
        seconds_to_target=last.seconds if solved else None,
        loss=last.loss,
        accuracy=last.accuracy,
        curve=tuple(run.curve),
        events=tuple(run.monitor.events),
        initial_profile=initial,
        final_profile=final,
        threads=config.threads,
        breakdown=run.breakdown(),
        samples_seen=step * config.batch_size,
    )


def train(
    spec: ModelSpec,
    task: Task,
    config: TrainConfig,
    seed: int,
    on_progress: Callable[[Progress], None] | None = None,
) -> TrainResult:
    """Build the model of ``spec`` for ``task`` (seeded by ``derive_seed(seed, "model")``) and train it.

    This is what a sweep's job runs: the same ``seed`` gives the same model, data and result.
    """
    model = build_model(spec, task, derive_seed(seed, "model"))
    return train_model(model, task, config, seed, on_progress)
