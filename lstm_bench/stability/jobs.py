"""Units of work of a stability sweep: picklable, seeded job descriptions and pure functions that run them.

A :class:`TrainJob` (train one model on one task at one horizon from one seed) and a
:class:`DiagnosticJob` (gradient-norm profile, Jacobian norm and W_hh spectrum of a freshly
initialised model) hold plain data only: a ``ModelSpec`` (an ``--impl`` travels as its spec
string), the task's name, integers and a frozen ``TrainConfig``. ``run_train_job`` and
``run_diagnostic_job`` depend on nothing but their argument, never raise (an exception becomes a
result with ``status="error"``), and record the host that ran them, so any
``concurrent.futures.Executor`` (a process pool, a Dask cluster) can run them anywhere.
"""

from __future__ import annotations

import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from lstm_bench.stability.classify import classify_profile
from lstm_bench.stability.gradient_norms import GradientProfile, model_profile
from lstm_bench.stability.jacobian import JacobianNorm, WhhSpectrum, jacobian_spectral_norm, whh_spectrum
from lstm_bench.stability.models import ModelSpec, build_model
from lstm_bench.stability.tasks import make_task
from lstm_bench.stability.trainer import Progress, TrainConfig, TrainResult, derive_seed, train
from lstm_bench.threads import torch_threads

__all__ = [
    "DiagnosticJob",
    "DiagnosticResult",
    "JobStatus",
    "TrainJob",
    "TrainJobResult",
    "run_diagnostic_job",
    "run_job",
    "run_train_job",
]

JobStatus = Literal["ok", "error", "skipped"]


def _error_text(exc: BaseException) -> str:
    """One line naming the exception and where it was raised (the last frame)."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


@dataclass(frozen=True)
class TrainJob:
    """Train ``model`` on ``task`` at ``horizon`` from ``seed`` with ``config``."""

    model: ModelSpec
    task: str
    horizon: int
    seed: int
    config: TrainConfig

    @property
    def group(self) -> tuple[str, str]:
        """(model label, task): the jobs that differ only in horizon and seed."""
        return (self.model.label, self.task)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the config is kept once per sweep, not per job)."""
        return {"model": self.model.to_dict(), "task": self.task, "horizon": self.horizon, "seed": self.seed}

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: TrainConfig) -> TrainJob:
        """Inverse of ``to_dict``, given the sweep's config."""
        return cls(
            ModelSpec.from_dict(data["model"]),
            str(data["task"]),
            int(data["horizon"]),
            int(data["seed"]),
            config,
        )


@dataclass(frozen=True)
class TrainJobResult:
    """What one train job produced: ``train`` when ``status`` is 'ok', ``error`` when 'error'."""

    job: TrainJob
    status: JobStatus
    train: TrainResult | None = None
    error: str | None = None
    wall_seconds: float = 0.0
    host: str = ""

    @property
    def solved(self) -> bool:
        """True when the job ran and reached the task's target."""
        return self.train is not None and self.train.solved

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            **self.job.to_dict(),
            "status": self.status,
            "result": None if self.train is None else self.train.to_dict(),
            "error": self.error,
            "wall_seconds": self.wall_seconds,
            "host": self.host,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], config: TrainConfig) -> TrainJobResult:
        """Inverse of ``to_dict``, given the sweep's config."""
        status: JobStatus = data["status"]
        train = None if data.get("result") is None else TrainResult.from_dict(data["result"])
        return cls(
            TrainJob.from_dict(data, config),
            status,
            train,
            data.get("error"),
            float(data.get("wall_seconds", 0.0)),
            str(data.get("host", "")),
        )


def run_train_job(job: TrainJob, on_progress: Callable[[Progress], None] | None = None) -> TrainJobResult:
    """Run one train job; any exception (say, from an ``--impl``) becomes ``status="error"``."""
    started = time.perf_counter()
    host = socket.gethostname()
    try:
        result = train(job.model, make_task(job.task, job.horizon), job.config, job.seed, on_progress)
    except Exception as exc:
        return TrainJobResult(
            job, "error", error=_error_text(exc), wall_seconds=time.perf_counter() - started, host=host
        )
    return TrainJobResult(job, "ok", result, wall_seconds=time.perf_counter() - started, host=host)


@dataclass(frozen=True)
class DiagnosticJob:
    """Diagnose a freshly initialised ``model`` on a seeded batch of ``task`` at ``horizon``.

    ``jacobian_batch`` sequences get ||dh_T/dh_1|| by power iteration (at most
    ``jacobian_iterations`` rounds); 0 skips it.
    """

    model: ModelSpec
    task: str
    horizon: int
    seed: int
    batch_size: int = 16
    jacobian_batch: int = 4
    jacobian_iterations: int = 30
    threads: int = 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"model": self.model.to_dict(), "task": self.task, "horizon": self.horizon, "seed": self.seed}


@dataclass(frozen=True)
class DiagnosticResult:
    """Profile, regime, Jacobian norm and W_hh spectrum of one initialised model (``status`` as for training)."""

    job: DiagnosticJob
    status: JobStatus
    profile: GradientProfile | None = None
    jacobian: JacobianNorm | None = None
    spectrum: WhhSpectrum | None = None
    error: str | None = None
    wall_seconds: float = 0.0
    host: str = ""

    @property
    def regime(self) -> str | None:
        """'vanishing', 'stable' or 'exploding' (see ``classify``), or None without a profile."""
        return None if self.profile is None else classify_profile(self.profile).value

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            **self.job.to_dict(),
            "status": self.status,
            "profile": None if self.profile is None else self.profile.to_dict(),
            "regime": self.regime,
            "jacobian": None if self.jacobian is None else self.jacobian.to_dict(),
            "spectrum": None if self.spectrum is None else self.spectrum.to_dict(),
            "error": self.error,
            "wall_seconds": self.wall_seconds,
            "host": self.host,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DiagnosticResult:
        """Inverse of ``to_dict``."""
        job = DiagnosticJob(
            ModelSpec.from_dict(data["model"]), str(data["task"]), int(data["horizon"]), int(data["seed"])
        )
        jac = data.get("jacobian")
        status: JobStatus = data["status"]
        return cls(
            job,
            status,
            None if data.get("profile") is None else GradientProfile.from_dict(data["profile"]),
            None if jac is None else JacobianNorm.from_dict(jac),
            None if data.get("spectrum") is None else WhhSpectrum.from_dict(data["spectrum"]),
            data.get("error"),
            float(data.get("wall_seconds", 0.0)),
            str(data.get("host", "")),
        )


def run_diagnostic_job(job: DiagnosticJob) -> DiagnosticResult:
    """Build the model from ``job.seed`` and measure it; exceptions become ``status="error"``."""
    started = time.perf_counter()
    host = socket.gethostname()
    try:
        with torch_threads(job.threads):
            return _diagnose(job, started, host)
    except Exception as exc:
        return DiagnosticResult(
            job, "error", error=_error_text(exc), wall_seconds=time.perf_counter() - started, host=host
        )


def _diagnose(job: DiagnosticJob, started: float, host: str) -> DiagnosticResult:
    task = make_task(job.task, job.horizon)
    model = build_model(job.model, task, derive_seed(job.seed, "model"))
    profile = model_profile(model, task, job.batch_size, derive_seed(job.seed, "probe"))
    jacobian = None
    if job.jacobian_batch > 0:
        x = task.sample(job.jacobian_batch, derive_seed(job.seed, "jacobian")).inputs  # ||dh_T/dh_1||
        jacobian = jacobian_spectral_norm(
            model.recurrent, job.model.kind, x, 1, iterations=job.jacobian_iterations
        )
    spectrum = whh_spectrum(model.recurrent, job.model.kind)
    return DiagnosticResult(
        job, "ok", profile, jacobian, spectrum, wall_seconds=time.perf_counter() - started, host=host
    )


def run_job(job: TrainJob | DiagnosticJob) -> TrainJobResult | DiagnosticResult:
    """Run any sweep job (what an executor is given): a training run or a diagnostic."""
    if isinstance(job, TrainJob):
        return run_train_job(job)
    return run_diagnostic_job(job)
