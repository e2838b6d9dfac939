"""The stability part of the report: ||dL/dh_t|| versus t per model and init, and accuracy versus horizon.

Reads the typed ``StabilityReport`` (``lstm_bench.stability.result``):

* ``diagnostics``: per freshly initialised model and horizon, the ``GradientProfile``
  (||dL/dh_t||, t = 1..T, loss at step T), its ``log10_ratio`` and ``per_step`` decay, the
  ``regime`` (vanishing / stable / exploding) and the Jacobian norm ``jacobian.max`` (||dh_T/dh_1||);
* ``summary``: per (model, task), each horizon's seeds, how many solved it, their final
  accuracies, whether it ``timed_out`` (the wall-clock safety cap stopped runs before their
  step budget: undecided, shown as "timed out", never as not learned), the ``longest_horizon``
  (largest solved with every shorter one solved) and ``timed_out_at``;
* ``tasks``: each task's ``chance_accuracy`` (the dashed line of the accuracy plot).
"""

from __future__ import annotations

from collections.abc import Sequence

from lstm_bench.bench.stats import median
from lstm_bench.formatting import MISSING, fmt_error
from lstm_bench.report import plots
from lstm_bench.report.views.common import Figure, Source, Table, labelled
from lstm_bench.stability.jobs import DiagnosticResult

__all__ = ["gradient_view", "recall_view"]


def _profiled(source: Source) -> list[DiagnosticResult]:
    report = source.results.stability
    if report is None:
        return []
    return [d for d in report.diagnostics if d.profile is not None and d.profile.hidden_norms]


def _profile_table(source: Source, entries: Sequence[DiagnosticResult], many: bool) -> list[tuple[str, ...]]:
    """One row per model: log10 ratio at each horizon, then per-step decay, ||dh_T/dh_1|| and regime at the longest."""
    horizons = sorted({d.profile.steps for d in entries if d.profile is not None})
    by_model: dict[str, dict[int, DiagnosticResult]] = {}
    for entry in entries:
        assert entry.profile is not None
        by_model.setdefault(entry.job.model.label, {})[entry.profile.steps] = entry
    rows = []
    for label, at in by_model.items():
        last = at[max(at)]
        profile = last.profile
        assert profile is not None
        rows.append(
            (
                *((source.label,) if many else ()),
                label,
                *(f"{p.log10_ratio:+.1f}" if h in at and (p := at[h].profile) else MISSING for h in horizons),
                f"{profile.per_step:+.3f}" if profile.steps >= 2 else MISSING,
                fmt_error(last.jacobian.max) if last.jacobian is not None else MISSING,
                last.regime or MISSING,
            )
        )
    return rows


def gradient_view(sources: Sequence[Source]) -> tuple[list[Figure], Table | None]:
    """One log-scale plot of ||dL/dh_t|| vs t per (source, task, horizon), and a table of the profiles per model."""
    figures: list[Figure] = []
    rows: list[tuple[str, ...]] = []
    header: tuple[str, ...] = ()
    many = len(sources) > 1
    for source in sources:
        entries = _profiled(source)
        groups: dict[tuple[str, int], list[plots.Series]] = {}
        for entry in entries:
            assert entry.profile is not None
            values = entry.profile.hidden_norms
            steps = len(values)
            line = plots.Series(entry.job.model.label, tuple(float(t) for t in range(1, steps + 1)), values)
            groups.setdefault((entry.job.task, steps), []).append(line)
        for task in dict.fromkeys(task for task, _ in groups):
            panels = [
                plots.Panel(f"T = {steps}", tuple(groups[(t, steps)]))
                for t, steps in sorted(groups)
                if t == task
            ]
            title = labelled(source.label, f"‖dL/dh_t‖ vs t at initialisation, {task} task", many)
            caption = f"{title}: the loss is at the last step t = T; a line falling to the left is a vanishing gradient."
            figures.append(Figure(caption, plots.gradient_norm_svg(panels, title)))
        source_rows = _profile_table(source, entries, many)
        if source_rows:
            horizons = sorted({steps for _, steps in groups})
            header = (
                *(("source",) if many else ()),
                "model (init)",
                *(f"log10 ratio, T={h}" for h in horizons),
                "per step",
                "‖dh_T/dh_1‖",
                "regime",
            )
            rows += source_rows
    if not rows:
        return figures, None
    first_number = 2 if many else 1
    return figures, Table(header, tuple(rows), tuple(range(first_number, len(header) - 1)))


def recall_view(sources: Sequence[Source]) -> tuple[list[Figure], Table | None]:
    """Per (source, task): median final accuracy over seeds vs horizon per model, and the longest horizon learned."""
    figures: list[Figure] = []
    rows: list[tuple[str, ...]] = []
    many = len(sources) > 1
    for source in sources:
        report = source.results.stability
        if report is None:
            continue
        chance = report.chance_accuracy
        by_task: dict[str, list[plots.Series]] = {}
        for group in report.summary:
            points, cells = [], []
            for outcome in group.horizons:
                if not outcome.accuracy:
                    continue
                points.append((float(outcome.horizon), median(outcome.accuracy)))
                verdict = "timed out" if outcome.timed_out else "solved"
                cells.append(f"T={outcome.horizon:g}: {outcome.solved}/{outcome.seeds} {verdict}")
            if points:
                by_task.setdefault(group.task, []).append(
                    plots.Series(group.model, tuple(p[0] for p in points), tuple(p[1] for p in points))
                )
            longest, timed_out = group.longest_horizon, group.timed_out_at
            shown = "none" if longest is None else f"T = {longest:g}"
            if timed_out is not None:
                shown += f" (timed out at T = {timed_out:g}: undecided)"
            rows.append(
                (
                    *((source.label,) if many else ()),
                    group.task,
                    group.model,
                    shown,
                    ", ".join(cells) or MISSING,
                )
            )
        for task, series in by_task.items():
            title = labelled(source.label, f"{task}: accuracy vs horizon", many)
            caption = f"{title} after training within the budget (median over seeds; dashed: chance)."
            figures.append(Figure(caption, plots.recall_svg(series, chance.get(task), title)))
    header = (
        *(("source",) if many else ()),
        "task",
        "model (init)",
        "longest horizon learned",
        "seeds that solved each horizon",
    )
    return figures, Table(header, tuple(rows)) if rows else None
