"""The horizon sweep: for each model and task, horizons doubling from 10, several seeds; the longest horizon solved.

The sweep is a list of independent jobs (``jobs.TrainJob`` / ``jobs.DiagnosticJob``) and a merge
step (``result.summarise``). It runs in *waves*, one per horizon: wave h holds a job per seed
for every (model, task) that solved all shorter horizons, so no time is spent on horizons a
model has already failed. Within a wave the jobs are independent, and go to ``executor`` (any
``concurrent.futures.Executor``: ``scaleout.make_executor`` gives a local process pool or a Dask
cluster's executor; ``scaleout.run_jobs`` retries a failed job, or one whose worker died, once)
or, by default, run here one after another. Once a (model, task) can no longer reach a majority at a horizon,
its remaining jobs there are skipped (cancelled when still pending).

Budgets are counted in optimizer steps (``stability.budgets``), so a sweep's answer (the
longest horizon solved) is the same on any machine, under any load and on any executor for the
same seeds (each job runs on one torch thread); a wall-clock cap per job only guards against a
pathologically slow machine, and a job stopped by it is reported as *timed out*, never as not
learned. Every model shares the shipped recipe's optimiser, learning rate, batch and clipping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Protocol

from lstm_bench.kinds import Kind
from lstm_bench.progress import PhaseProgress, RunProgress
from lstm_bench.scaleout.runner import JobOutcome, run_jobs
from lstm_bench.stability.budgets import (
    RUN_SWEEPS,
    SWEEP_SIZES,
    SweepSize,
    doubling_horizons,
)
from lstm_bench.stability.jobs import (
    DiagnosticJob,
    DiagnosticResult,
    TrainJob,
    TrainJobResult,
    run_diagnostic_job,
    run_train_job,
)
from lstm_bench.stability.models import ModelSpec, counterpart_init
from lstm_bench.stability.recipes import DEFAULT_LSTM_RECIPE, Recipe
from lstm_bench.stability.result import StabilityReport, majority
from lstm_bench.stability.tasks import TASKS, make_task
from lstm_bench.stability.trainer import Progress, TrainConfig

__all__ = [
    "BUILTIN_MODELS",
    "RUN_SWEEPS",
    "SWEEP_SIZES",
    "SweepPlan",
    "SweepProgress",
    "SweepReporter",
    "SweepSize",
    "builtin_models",
    "doubling_horizons",
    "impl_model",
    "run_sweep",
]


def builtin_models(recipe: Recipe = DEFAULT_LSTM_RECIPE) -> tuple[ModelSpec, ...]:
    """The literature's comparison, at the recipe's hidden size: tanh RNN, IRNN, LSTM x 4 inits, GRU."""
    hidden = recipe.hidden
    return (
        ModelSpec(Kind.RNN_TANH, "default", hidden),
        ModelSpec(Kind.RNN_RELU, "identity", hidden),
        ModelSpec(Kind.LSTM, "default", hidden),
        ModelSpec(Kind.LSTM, "forget-bias", hidden),
        ModelSpec(Kind.LSTM, "chrono", hidden),
        recipe.model(),
        ModelSpec(Kind.GRU, "default", hidden),
    )


BUILTIN_MODELS = builtin_models()


def impl_model(
    spec: str, kind: Kind, recipe: Recipe = DEFAULT_LSTM_RECIPE, *, framework: str | None = None
) -> ModelSpec:
    """An ``--impl`` model, initialised as its torch.nn counterpart in the sweep (LSTM: the recipe's init);
    ``framework`` (the loaded implementation's) is recorded with it."""
    return ModelSpec(kind, counterpart_init(kind, recipe.init), recipe.hidden, spec, framework)


class SweepReporter(Protocol):
    """What a sweep tells its display (all optional to act on)."""

    def phase(self, name: str, total: int) -> None:
        """A phase starts with ``total`` jobs ('diagnostics', 'horizon 40')."""

    def job_started(self, job: TrainJob) -> None:
        """A train job starts here (only when jobs run in this process)."""

    def job_progress(self, job: TrainJob, progress: Progress) -> None:
        """A curve point of a running train job (only when jobs run in this process)."""

    def job_done(self, result: TrainJobResult | DiagnosticResult) -> None:
        """A job finished (or was skipped)."""


class _Silent:
    def phase(self, name: str, total: int) -> None:
        pass

    def job_started(self, job: TrainJob) -> None:
        pass

    def job_progress(self, job: TrainJob, progress: Progress) -> None:
        pass

    def job_done(self, result: TrainJobResult | DiagnosticResult) -> None:
        pass


class SweepProgress:
    """The one display of a sweep (a ``SweepReporter``) on ``lstm_bench.progress.PhaseProgress``.

    Given ``line``, every wave adds its jobs to that one line (``lstm-bench run``'s stability
    phase); without, each wave ('diagnostics', 'horizon 40') gets a line of its own, with the
    running job's step and accuracy, ended by how many runs solved it (``lstm-bench stability``).
    ``waves`` counts the horizon waves begun.
    """

    def __init__(self, line: PhaseProgress | None = None) -> None:
        self.line, self.shared = line, line is not None
        self.total, self.done, self.solved, self.waves, self.wave = 0, 0, 0, 0, ""

    def phase(self, name: str, total: int) -> None:
        self.waves += name.startswith("horizon")
        self.wave = name
        if self.shared:
            assert self.line is not None
            self.total += total
            self.line.update(self.done, total=self.total, note=name)
            return
        self.close()
        self.line, self.solved = PhaseProgress(name, total), 0

    def job_started(self, job: TrainJob) -> None:
        if not self.shared and self.line is not None:
            self.line.update(self.line.done, note=f"{job.model.label}, {job.task}, seed {job.seed}")

    def job_progress(self, job: TrainJob, progress: Progress) -> None:
        if not self.shared and self.line is not None:
            note = f"{job.model.label}, {job.task}, seed {job.seed}: step {progress.step}, {progress.seconds:.0f} s, acc {progress.accuracy:.0%}"
            self.line.update(self.line.done, note=note)

    def job_done(self, result: TrainJobResult | DiagnosticResult) -> None:
        self.done += 1
        self.solved += isinstance(result, TrainJobResult) and result.solved
        if self.line is None:
            return
        label = result.job.model.label
        if self.shared:
            self.line.update(self.done, note=f"{self.wave}: {label}")
        else:
            self.line.advance(1, note=f"{label} {result.status}")

    def abort(self, reason: str) -> None:
        """End the wave's line early (Ctrl-C, an error) with ``reason``."""
        if not self.shared and self.line is not None:
            self.line.abort(reason)
            self.line = None

    def close(self) -> None:
        """End the wave's line: a horizon wave says how many of its runs solved it."""
        if not self.shared and self.line is not None:
            is_train = self.line.name.startswith("horizon")
            self.line.finish(f"{self.solved}/{self.line.done:g} solved" if is_train else "")
            self.line = None


@dataclass(frozen=True)
class SweepPlan:
    """Everything a sweep needs, as plain picklable data."""

    models: tuple[ModelSpec, ...]
    tasks: tuple[str, ...]
    profile: SweepSize
    config: TrainConfig
    seed: int = 0
    recipe: Recipe = DEFAULT_LSTM_RECIPE

    def __post_init__(self) -> None:
        unknown = [t for t in self.tasks if t not in TASKS]
        if unknown:
            raise ValueError(f"unknown task {unknown[0]!r}; expected one of {', '.join(TASKS)}")
        if not self.models or not self.tasks:
            raise ValueError("a sweep needs at least one model and one task")

    @classmethod
    def create(
        cls,
        models: Sequence[ModelSpec],
        tasks: Sequence[str],
        profile: str | SweepSize = "default",
        seed: int = 0,
        recipe: Recipe = DEFAULT_LSTM_RECIPE,
        **config_overrides: Any,
    ) -> SweepPlan:
        """A plan whose train config is the recipe's, with the profile's budget (and any overrides)."""
        chosen = SWEEP_SIZES[profile] if isinstance(profile, str) else profile
        config = recipe.train_config(chosen.max_seconds, chosen.max_steps, **config_overrides)
        return cls(tuple(models), tuple(tasks), chosen, config, seed, recipe)

    @property
    def seeds(self) -> tuple[int, ...]:
        """The seeds of every horizon: seed, seed + 1, ..."""
        return tuple(range(self.seed, self.seed + self.profile.seeds))

    def diagnostic_jobs(self) -> list[DiagnosticJob]:
        """One diagnostic per model and diagnostic horizon, on the first task."""
        return [
            DiagnosticJob(m, self.tasks[0], h, self.seed)
            for m in self.models
            for h in self.profile.diagnostic_horizons
        ]

    def wave(self, horizon: int, groups: Sequence[tuple[ModelSpec, str]]) -> list[TrainJob]:
        """The train jobs of one horizon for the (model, task) groups still in the running."""
        return [
            TrainJob(model, task, horizon, seed, self.config) for model, task in groups for seed in self.seeds
        ]


def _skipped(job: TrainJob) -> TrainJobResult:
    return TrainJobResult(job, "skipped")


class _Wave:
    """Bookkeeping of one horizon: which groups can still reach a majority."""

    def __init__(self, seeds: int) -> None:
        self.allowed_failures = seeds - majority(seeds)
        self.failures: dict[tuple[str, str], int] = {}

    def record(self, result: TrainJobResult) -> None:
        if not result.solved:
            group = result.job.group
            self.failures[group] = self.failures.get(group, 0) + 1

    def decided(self, job: TrainJob) -> bool:
        """True when the job's group has already failed this horizon (more failures than allowed)."""
        return self.failures.get(job.group, 0) > self.allowed_failures


def _run_wave_here(jobs: list[TrainJob], wave: _Wave, reporter: SweepReporter) -> list[TrainJobResult]:
    results = []
    for job in jobs:
        if wave.decided(job):
            result = _skipped(job)
        else:
            reporter.job_started(job)
            result = run_train_job(job, lambda p, job=job: reporter.job_progress(job, p))  # type: ignore[misc]
        wave.record(result)
        reporter.job_done(result)
        results.append(result)
    return results


def _train_failure(result: TrainJobResult) -> str | None:
    """A train job that ended in an error is worth one more attempt (its worker may have been at fault)."""
    return result.error if result.status == "error" else None


def _train_result(outcome: JobOutcome[TrainJob, TrainJobResult]) -> TrainJobResult:
    """The job's result; a job given up without one (its worker died twice) becomes an 'error' result."""
    if outcome.status == "skipped":
        return _skipped(outcome.job)
    if outcome.value is not None:
        return outcome.value
    return TrainJobResult(outcome.job, "error", error=outcome.error, host=outcome.host or "")


def _run_wave_on(
    executor: Executor, jobs: list[TrainJob], wave: _Wave, reporter: SweepReporter
) -> list[TrainJobResult]:
    """One wave on ``executor`` (``scaleout.run_jobs``: a failed job or dead worker is retried once).

    Each result is recorded in ``wave`` as soon as it is final (so the jobs it rules out are
    skipped, or cancelled while still queued) and shown to ``reporter`` only after that, at the
    next progress report: a display never sees a job finish before the sweep has acted on it.
    """
    unreported: list[TrainJobResult] = []

    def settled(outcome: JobOutcome[TrainJob, TrainJobResult]) -> None:
        result = _train_result(outcome)
        wave.record(result)
        unreported.append(result)

    def report(progress: RunProgress) -> None:
        while unreported:
            reporter.job_done(unreported.pop(0))

    outcomes = run_jobs(
        run_train_job,
        jobs,
        executor,
        on_progress=report,
        failure=_train_failure,
        skip=wave.decided,
        on_outcome=settled,
    )
    return [_train_result(o) for o in outcomes]


def _diagnostic_result(outcome: JobOutcome[DiagnosticJob, DiagnosticResult]) -> DiagnosticResult:
    if outcome.value is not None:
        return outcome.value
    return DiagnosticResult(outcome.job, "error", error=outcome.error, host=outcome.host or "")


def _run_diagnostics(
    plan: SweepPlan, executor: Executor | None, reporter: SweepReporter
) -> list[DiagnosticResult]:
    jobs = plan.diagnostic_jobs()
    reporter.phase("diagnostics", len(jobs))
    results = []
    if executor is None:
        for job in jobs:
            results.append(run_diagnostic_job(job))
            reporter.job_done(results[-1])
        return results
    outcomes = run_jobs(
        run_diagnostic_job,
        jobs,
        executor,
        failure=lambda r: r.error if r.status == "error" else None,
        on_outcome=lambda o: reporter.job_done(_diagnostic_result(o)),
    )
    return [_diagnostic_result(o) for o in outcomes]


def _describe_task(name: str, horizons: Sequence[int]) -> dict[str, Any]:
    """The task's chance accuracy and, per horizon, its memoryless baseline loss."""
    first = make_task(name, horizons[0])
    return {
        "task": name,
        "readout": first.readout,
        "chance_accuracy": first.chance_accuracy,
        "baseline_loss": {str(h): make_task(name, h).baseline_loss for h in horizons},
    }


def run_sweep(
    plan: SweepPlan,
    executor: Executor | None = None,
    reporter: SweepReporter | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> StabilityReport:
    """Run the diagnostics and the horizon waves of ``plan``; returns the merged report.

    ``executor`` None runs every job here, one after another, with live progress. A
    KeyboardInterrupt propagates (pending jobs are cancelled); ``should_stop`` is polled between
    waves and ends the sweep early with ``interrupted=True``.
    """
    shown = reporter or _Silent()
    started = time.perf_counter()
    diagnostics = _run_diagnostics(plan, executor, shown)
    groups = [(model, task) for task in plan.tasks for model in plan.models]
    results: list[TrainJobResult] = []
    interrupted = False
    for horizon in plan.profile.horizons:
        if not groups:
            break
        if should_stop is not None and should_stop():
            interrupted = True
            break
        jobs = plan.wave(horizon, groups)
        shown.phase(f"horizon {horizon}", len(jobs))
        wave = _Wave(len(plan.seeds))
        done = (
            _run_wave_here(jobs, wave, shown)
            if executor is None
            else _run_wave_on(executor, jobs, wave, shown)
        )
        results.extend(done)
        solved: dict[tuple[str, str], int] = {}
        for result in done:
            solved[result.job.group] = solved.get(result.job.group, 0) + result.solved
        groups = [(m, t) for m, t in groups if solved.get((m.label, t), 0) >= majority(len(plan.seeds))]
    return StabilityReport(
        profile=plan.profile.name,
        settings={**plan.profile.to_dict(), "seed": plan.seed},
        train_config=plan.config,
        recipe=plan.recipe.to_dict(),
        tasks=tuple(_describe_task(t, plan.profile.horizons) for t in plan.tasks),
        models=plan.models,
        jobs=tuple(results),
        diagnostics=tuple(diagnostics),
        wall_seconds=time.perf_counter() - started,
        interrupted=interrupted,
    )
