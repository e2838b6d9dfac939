"""The "stability" section of the results document: the merge of a sweep's job results, and its JSON form.

``summarise`` is the merge step: it groups train-job results by (model, task) and horizon and
decides, per horizon, whether a majority of seeds reached the target; a model's *longest
horizon* is the largest horizon solved with every shorter one solved too. It depends only on
the results, not on where or in which order jobs ran.

Section layout (``StabilityReport.to_dict``)::

    {"profile": "default", "settings": {...}, "train_config": {...}, "recipe": {...},
     "tasks": [{"task": "recall", "chance_accuracy": 0.125, "baseline_loss": 2.079, ...}],
     "models": [{"kind": "lstm", "init": "chrono", "hidden": 32, "impl": null, "label": ...}],
     "summary": [{"model": label, "task": "recall", "longest_horizon": 160,
                  "timed_out_at": null,  # or the horizon whose runs hit the safety cap: undecided
                  "horizons": [{"horizon": 10, "seeds": 3, "ran": 3, "solved": 3, "capped": 0,
                                "timed_out": false, "accuracy": [...],
                                "seconds_to_target": [...]}, ...]}],
     "diagnostics": [{"model": {...}, "horizon": 100, "profile": {"hidden_norms": [...], ...},
                      "regime": "vanishing", "jacobian": {...}, "spectrum": {...}}, ...],
     "jobs": [{"model": {...}, "task": ..., "horizon": ..., "seed": ..., "status": "ok",
               "result": {"curve": [...], "events": [...], "initial_profile": ..., ...}}, ...],
     "wall_seconds": 512.3, "interrupted": false, "executor": "local process pool, ..."}
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lstm_bench.kinds import Kind
from lstm_bench.stability.jobs import DiagnosticResult, TrainJobResult
from lstm_bench.stability.models import ModelSpec, counterpart_init
from lstm_bench.stability.trainer import TrainConfig

__all__ = ["GroupSummary", "HorizonOutcome", "StabilityReport", "impl_shortfalls", "majority", "summarise"]


def majority(seeds: int) -> int:
    """Seeds that must solve a horizon for it to count as solved: more than half."""
    return seeds // 2 + 1


@dataclass(frozen=True)
class HorizonOutcome:
    """One (model, task, horizon): how many of ``seeds`` ran and solved, with per-run figures."""

    horizon: int
    seeds: int
    ran: int
    solved: int
    accuracy: tuple[float, ...] = ()
    seconds_to_target: tuple[float, ...] = ()
    errors: tuple[str, ...] = ()
    breakdown: dict[str, float] = field(default_factory=dict)  # median over seeds of each factor's accuracy
    capped: int = 0  # runs 'timed out': stopped by the wall-clock safety cap before their step budget

    @property
    def is_solved(self) -> bool:
        """A majority of the seeds reached the target."""
        return self.solved >= majority(self.seeds)

    @property
    def timed_out(self) -> bool:
        """Undecided: not solved, but it could have been had the timed-out runs had their steps."""
        return not self.is_solved and self.solved + self.capped >= majority(self.seeds)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            **self.__dict__,
            "breakdown": dict(self.breakdown),
            "accuracy": list(self.accuracy),
            "seconds_to_target": list(self.seconds_to_target),
            "errors": list(self.errors),
            "is_solved": self.is_solved,
            "timed_out": self.timed_out,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HorizonOutcome:
        """Inverse of ``to_dict``."""
        return cls(
            int(data["horizon"]),
            int(data["seeds"]),
            int(data["ran"]),
            int(data["solved"]),
            tuple(float(v) for v in data.get("accuracy", ())),
            tuple(float(v) for v in data.get("seconds_to_target", ())),
            tuple(str(v) for v in data.get("errors", ())),
            {str(k): float(v) for k, v in (data.get("breakdown") or {}).items()},
            int(data.get("capped", 0)),
        )


@dataclass(frozen=True)
class GroupSummary:
    """Recall-versus-horizon for one (model, task), and the longest horizon solved (None: not even the first)."""

    model: str
    task: str
    horizons: tuple[HorizonOutcome, ...]

    @property
    def longest_horizon(self) -> int | None:
        """The largest horizon solved with all shorter ones solved."""
        longest = None
        for outcome in self.horizons:
            if not outcome.is_solved:
                break
            longest = outcome.horizon
        return longest

    @property
    def timed_out_at(self) -> int | None:
        """The horizon after ``longest_horizon`` when it timed out (so the longest is a lower bound), else None."""
        for outcome in self.horizons:
            if not outcome.is_solved:
                return outcome.horizon if outcome.timed_out else None
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "model": self.model,
            "task": self.task,
            "longest_horizon": self.longest_horizon,
            "timed_out_at": self.timed_out_at,
            "horizons": [h.to_dict() for h in self.horizons],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GroupSummary:
        """Inverse of ``to_dict``."""
        return cls(
            str(data["model"]),
            str(data["task"]),
            tuple(HorizonOutcome.from_dict(h) for h in data["horizons"]),
        )


def _median_breakdown(breakdowns: list[dict[str, float]]) -> dict[str, float]:
    keys = sorted({k for b in breakdowns for k in b})
    return {k: statistics.median(b[k] for b in breakdowns if k in b) for k in keys}


def summarise(results: Iterable[TrainJobResult], seeds: int) -> tuple[GroupSummary, ...]:
    """Merge train-job results (any order, from anywhere) into per-(model, task) horizon outcomes."""
    cells: dict[tuple[str, str], dict[int, list[TrainJobResult]]] = {}
    for result in results:
        cells.setdefault(result.job.group, {}).setdefault(result.job.horizon, []).append(result)
    summaries = []
    for (model, task), by_horizon in cells.items():
        outcomes = []
        for horizon in sorted(by_horizon):
            runs = sorted(by_horizon[horizon], key=lambda r: r.job.seed)
            trained = [r.train for r in runs if r.train is not None]
            outcomes.append(
                HorizonOutcome(
                    horizon=horizon,
                    seeds=seeds,
                    ran=len(trained),
                    solved=sum(t.solved for t in trained),
                    accuracy=tuple(t.accuracy for t in trained),
                    seconds_to_target=tuple(
                        t.seconds_to_target for t in trained if t.seconds_to_target is not None
                    ),
                    errors=tuple(r.error for r in runs if r.error),
                    breakdown=_median_breakdown([t.breakdown for t in trained]),
                    capped=sum(t.stop_reason == "seconds" for t in trained),
                )
            )
        summaries.append(GroupSummary(model, task, tuple(outcomes)))
    return tuple(summaries)


@dataclass(frozen=True)
class StabilityReport:
    """Everything a stability sweep produced, as stored in the results document's "stability" section."""

    profile: str
    settings: dict[str, Any]
    train_config: TrainConfig
    recipe: dict[str, Any]
    tasks: tuple[dict[str, Any], ...]
    models: tuple[ModelSpec, ...]
    jobs: tuple[TrainJobResult, ...]
    diagnostics: tuple[DiagnosticResult, ...]
    wall_seconds: float
    interrupted: bool = False
    summary: tuple[GroupSummary, ...] = field(default=())
    executor: str | None = None  # where the jobs ran ('local process pool, 2 workers x 1 thread'), when told

    def __post_init__(self) -> None:
        if not self.summary:
            object.__setattr__(self, "summary", summarise(self.jobs, int(self.settings["seeds"])))

    def longest_horizon(self, model: str, task: str) -> int | None:
        """The longest horizon ``model`` (its label) solved on ``task``, None if none or not run."""
        for group in self.summary:
            if (group.model, group.task) == (model, task):
                return group.longest_horizon
        return None

    @property
    def chance_accuracy(self) -> dict[str, float]:
        """Task name -> the accuracy of guessing (the dashed line of an accuracy plot)."""
        return {str(t["task"]): float(t["chance_accuracy"]) for t in self.tasks if "chance_accuracy" in t}

    def model_for(self, spec: str, kind: str) -> ModelSpec | None:
        """The sweep's model that stands for implementation ``spec`` of ``kind``, or None.

        An ``--impl``'s own model; for torch.nn's module, the built-in model initialised as an
        ``--impl`` of that kind is (``models.counterpart_init``); None for lstm-bench's references
        (the sweep does not train them).
        """
        module = spec.split(":", 1)[0]
        if module == "lstm_bench.reference.torch_ref":
            return None
        if module == "torch.nn":
            init = counterpart_init(Kind(kind), str(self.recipe.get("init", "default")))
            found = (m for m in self.models if m.impl is None and m.kind.value == kind and m.init == init)
        else:
            found = (m for m in self.models if m.impl == spec and m.kind.value == kind)
        return next(found, None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (non-finite floats are left to ``write_json_atomic`` to encode)."""
        return {
            "profile": self.profile,
            "settings": self.settings,
            "train_config": self.train_config.to_dict(),
            "recipe": self.recipe,
            "tasks": list(self.tasks),
            "models": [m.to_dict() for m in self.models],
            "summary": [s.to_dict() for s in self.summary],
            "diagnostics": [d.to_dict() for d in self.diagnostics],
            "jobs": [j.to_dict() for j in self.jobs],
            "wall_seconds": self.wall_seconds,
            "interrupted": self.interrupted,
            **({"executor": self.executor} if self.executor is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StabilityReport:
        """Inverse of ``to_dict`` (accepts the strings 'NaN' / 'Infinity' for non-finite numbers)."""
        config = TrainConfig.from_dict(data["train_config"])
        return cls(
            profile=str(data["profile"]),
            settings=dict(data["settings"]),
            train_config=config,
            recipe=dict(data["recipe"]),
            tasks=tuple(data["tasks"]),
            models=tuple(ModelSpec.from_dict(m) for m in data["models"]),
            jobs=tuple(TrainJobResult.from_dict(j, config) for j in data["jobs"]),
            diagnostics=tuple(DiagnosticResult.from_dict(d) for d in data["diagnostics"]),
            wall_seconds=float(data["wall_seconds"]),
            interrupted=bool(data.get("interrupted", False)),
            summary=tuple(GroupSummary.from_dict(s) for s in data["summary"]),
            executor=None if data.get("executor") is None else str(data["executor"]),
        )


def impl_shortfalls(report: StabilityReport) -> list[str]:
    """Why an ``--impl`` fails a sweep, one line each: a crashed run, or a task on which its longest
    horizon is at least two doublings shorter than that of the torch.nn model with the same kind
    and initialisation (one doubling is within seed-to-seed noise; a model that solved nothing
    counts as one doubling below the first horizon).
    """
    problems = [
        f"{j.job.model.label}: {j.job.task} T={j.job.horizon} seed {j.job.seed} crashed: {j.error}"
        for j in report.jobs
        if j.job.model.impl and j.status == "error"
    ]
    horizons = [int(h) for h in report.settings["horizons"]]

    def rank(horizon: int | None) -> int:
        return -1 if horizon is None else horizons.index(horizon)

    for impl in (m for m in report.models if m.impl):
        twin = next(
            (m for m in report.models if not m.impl and (m.kind, m.init) == (impl.kind, impl.init)), None
        )
        if twin is None:
            continue
        for task in (str(t["task"]) for t in report.tasks):
            mine, theirs = report.longest_horizon(impl.label, task), report.longest_horizon(twin.label, task)
            if rank(theirs) - rank(mine) >= 2:
                problems.append(
                    f"{impl.label}: longest {task} horizon {mine or 'none'}, {twin.label}: {theirs}"
                )
    return problems
