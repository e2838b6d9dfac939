"""The stability part of the report: ||dL/dh_t|| versus t per model and init, and accuracy versus horizon.

Reads ``StabilityReport.to_dict()`` (``lstm_bench.stability.result``), the ``"stability"`` section:

* ``diagnostics``: per freshly initialised model and horizon, the gradient-norm profile
  ``profile.hidden_norms`` (||dL/dh_t||, t = 1..T, loss at step T), its ``log10_ratio``, the
  ``regime`` (vanishing / stable / exploding) and ``jacobian.max`` (||dh_T/dh_1||);
* ``summary``: per (model, task), each horizon's seeds, how many solved it, their final
  accuracies, whether it ``timed_out`` (the wall-clock safety cap stopped runs before their
  step budget: undecided, shown as "timed out", never as not learned), the ``longest_horizon``
  (largest solved with every shorter one solved) and ``timed_out_at``;
* ``tasks``: each task's ``chance_accuracy`` (the dashed line of the accuracy plot).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lstm_bench.formatting import MISSING, as_float, fmt_error
from lstm_bench.report import plots
from lstm_bench.report.views.common import Figure, Source, Table, first, inner, labelled, median, text

__all__ = ["gradient_view", "longest_horizons", "recall_view"]


def _section(source: Source) -> Mapping[str, Any] | None:
    stability = source.document.get("stability")
    return stability if isinstance(stability, Mapping) else None


def _label(entry: Mapping[str, Any]) -> str:
    model = entry.get("model")
    if isinstance(model, Mapping):
        return text(first(model, "label", "impl", default=model.get("kind")))
    return text(model) or "?"


def _diagnostics(stability: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [
        d
        for d in stability.get("diagnostics") or ()
        if isinstance(d, Mapping) and isinstance(d.get("profile"), Mapping)
    ]


def _ratio_text(profile: Mapping[str, Any]) -> str:
    ratio = as_float(profile.get("log10_ratio"))
    return MISSING if ratio is None else f"{ratio:+.1f}"


def _profile_table(source: Source, entries: Sequence[Mapping[str, Any]], many: bool) -> list[tuple[str, ...]]:
    """One row per model: log10 ratio at each horizon, then per-step decay, ||dh_T/dh_1|| and regime at the longest."""
    horizons = sorted({len(inner(e, "profile").get("hidden_norms") or ()) for e in entries})
    by_model: dict[str, dict[int, Mapping[str, Any]]] = {}
    for entry in entries:
        by_model.setdefault(_label(entry), {})[len(inner(entry, "profile").get("hidden_norms") or ())] = entry
    rows = []
    for label, at in by_model.items():
        last = at[max(at)]
        profile, steps = inner(last, "profile"), max(at)
        ratio = as_float(profile.get("log10_ratio"))
        jacobian = last.get("jacobian")
        rows.append(
            (
                *((source.label,) if many else ()),
                label,
                *(_ratio_text(inner(at[h], "profile")) if h in at else MISSING for h in horizons),
                MISSING if ratio is None or steps < 2 else f"{ratio / (steps - 1):+.3f}",
                fmt_error(jacobian.get("max")) if isinstance(jacobian, Mapping) else MISSING,
                text(last.get("regime")) or MISSING,
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
        stability = _section(source)
        if stability is None:
            continue
        entries = _diagnostics(stability)
        groups: dict[tuple[str, int], list[plots.Series]] = {}
        for entry in entries:
            norms = [as_float(v) for v in inner(entry, "profile").get("hidden_norms") or ()]
            if not norms:
                continue
            values = tuple(v if v is not None else float("nan") for v in norms)
            steps = len(values)
            line = plots.Series(_label(entry), tuple(float(t) for t in range(1, steps + 1)), values)
            groups.setdefault((text(entry.get("task") or "recall"), steps), []).append(line)
        for task in dict.fromkeys(task for task, _ in groups):
            panels = [
                plots.Panel(f"T = {steps}", tuple(groups[(t, steps)]))
                for t, steps in sorted(groups)
                if t == task
            ]
            title = labelled(source.label, f"‖dL/dh_t‖ vs t at initialisation, {task} task", many)
            caption = f"{title}: the loss is at the last step t = T; a line falling to the left is a vanishing gradient."
            figures.append(Figure(caption, plots.gradient_norm_svg(panels, title)))
        source_rows = _profile_table(
            source, [e for e in entries if inner(e, "profile").get("hidden_norms")], many
        )
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


def _summaries(stability: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [s for s in stability.get("summary") or () if isinstance(s, Mapping)]


def _chance(stability: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for task in stability.get("tasks") or ():
        if isinstance(task, Mapping) and as_float(task.get("chance_accuracy")) is not None:
            out[text(task.get("task"))] = float(task["chance_accuracy"])
    return out


def recall_view(sources: Sequence[Source]) -> tuple[list[Figure], Table | None]:
    """Per (source, task): median final accuracy over seeds vs horizon per model, and the longest horizon learned."""
    figures: list[Figure] = []
    rows: list[tuple[str, ...]] = []
    many = len(sources) > 1
    for source in sources:
        stability = _section(source)
        if stability is None:
            continue
        chance = _chance(stability)
        by_task: dict[str, list[plots.Series]] = {}
        for group in _summaries(stability):
            task, label = text(group.get("task")), text(group.get("model"))
            points = []
            cells = []
            for outcome in group.get("horizons") or ():
                horizon = as_float(outcome.get("horizon"))
                accuracies = [
                    a for a in (as_float(v) for v in outcome.get("accuracy") or ()) if a is not None
                ]
                if horizon is None or not accuracies:
                    continue
                points.append((horizon, median(accuracies)))
                solved = f"{outcome.get('solved', 0)}/{outcome.get('seeds', len(accuracies))}"
                verdict = "timed out" if outcome.get("timed_out") else "solved"
                cells.append(f"T={horizon:g}: {solved} {verdict}")
            if points:
                by_task.setdefault(task, []).append(
                    plots.Series(label, tuple(p[0] for p in points), tuple(p[1] for p in points))
                )
            longest = as_float(group.get("longest_horizon"))
            timed_out = as_float(group.get("timed_out_at"))
            shown = "none" if longest is None else f"T = {longest:g}"
            if timed_out is not None:
                shown += f" (timed out at T = {timed_out:g}: undecided)"
            rows.append(
                (
                    *((source.label,) if many else ()),
                    task,
                    label,
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


def longest_horizons(document: Mapping[str, Any], task: str = "recall") -> dict[str, float]:
    """Per model label (an ``--impl``'s label is its spec), the longest ``task`` horizon learned in ``document``."""
    stability = document.get("stability")
    if not isinstance(stability, Mapping):
        return {}
    best: dict[str, float] = {}
    for group in _summaries(stability):
        longest = as_float(group.get("longest_horizon"))
        if text(group.get("task")) == task and longest is not None:
            best[text(group.get("model"))] = longest
    return best
