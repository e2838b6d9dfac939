"""Plain-text tables of a :class:`~lstm_bench.stability.result.StabilityReport` (what ``lstm-bench stability`` prints).

Pure functions from a report to text: the horizon table per task, the gradient-norm profile
summary, and the monitor's warning signs per model.
"""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence

from lstm_bench.stability.result import HorizonOutcome, StabilityReport

__all__ = ["format_breakdowns", "format_events", "format_horizons", "format_profiles", "format_report"]


def _grid(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in (header, *rows)
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return lines


def _cell(outcome: HorizonOutcome | None) -> str:
    """'3/3 in 4.1 s' (solved/ran, median seconds to target), '0/2 at 13%' (median accuracy),
    '0/1 timed out' (undecided: the safety cap stopped the runs), or '–'."""
    if outcome is None or outcome.ran == 0:
        return "–"
    if outcome.timed_out:
        return f"{outcome.solved}/{outcome.ran} timed out"
    mark = "*" if outcome.capped else ""
    if outcome.is_solved and outcome.seconds_to_target:
        return f"{outcome.solved}/{outcome.ran} in {statistics.median(outcome.seconds_to_target):.1f} s{mark}"
    return f"{outcome.solved}/{outcome.ran} at {100 * statistics.median(outcome.accuracy):.0f}%{mark}"


def format_horizons(report: StabilityReport) -> str:
    """Per task: each model's longest horizon solved, and per horizon solved/ran seeds."""
    horizons = [int(h) for h in report.settings["horizons"]]
    config = report.train_config
    seeds = int(report.settings["seeds"])
    blocks = []
    for task in report.tasks:
        name = str(task["task"])
        rows = []
        for group in (g for g in report.summary if g.task == name):
            by_horizon = {o.horizon: o for o in group.horizons}
            longest = group.longest_horizon
            shown = "none" if longest is None else str(longest)
            if group.timed_out_at is not None:
                shown += f" (timed out at {group.timed_out_at})"
            rows.append(
                [
                    group.model,
                    shown,
                    *(_cell(by_horizon.get(h)) for h in horizons),
                ]
            )
        title = (
            f"{name}: longest horizon solved (>= {seeds // 2 + 1} of {seeds} seeds reach the target within "
            f"{config.max_steps} steps each, {config.max_seconds:g} s safety cap; chance accuracy "
            f"{100 * float(task['chance_accuracy']):.1f}%)"
        )
        lines = [title, *_grid(["model", "longest", *(f"T={h}" for h in horizons)], rows)]
        if any(o.capped for g in report.summary if g.task == name for o in g.horizons):
            lines.append(
                f"timed out (*): a run was stopped by the {config.max_seconds:g} s safety cap before its "
                f"{config.max_steps} steps; undecided, not 'not learned' (a slow or overloaded machine)"
            )
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _ratio(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:+.1f}" if math.isfinite(value) else ("-inf" if value < 0 else "nan")


def format_profiles(report: StabilityReport) -> str:
    """Per model, at initialisation: log10 ||dL/dh_1||/||dL/dh_T|| and regime per horizon, ||dh_T/dh_1||, W_hh."""
    ok = [d for d in report.diagnostics if d.status == "ok" and d.profile is not None]
    if not ok:
        return "gradient-norm profiles: none computed"
    horizons = sorted({d.job.horizon for d in ok})
    models = list(dict.fromkeys(d.job.model.label for d in ok))
    rows = []
    for label in models:
        mine = {d.job.horizon: d for d in ok if d.job.model.label == label}
        cells = []
        for h in horizons:
            diag = mine.get(h)
            cells.append(
                "–"
                if diag is None or diag.profile is None
                else f"{_ratio(diag.profile.log10_ratio)} {diag.regime}"
            )
        longest = mine[max(mine)]
        cell = longest.profile.cell_log10_ratio if longest.profile is not None else None
        jac = f"{longest.jacobian.max:.1e}" if longest.jacobian is not None else "–"
        spectrum = "–"
        if longest.spectrum is not None:
            worst = max(longest.spectrum.blocks, key=lambda b: b.sigma_max / b.bound)
            spectrum = f"{worst.sigma_max:.2f} / {worst.bound:g} ({worst.gate})"
        rows.append([label, *cells, _ratio(cell), jac, spectrum])
    top = max(horizons)
    header = [
        "model",
        *(f"T={h}" for h in horizons),
        f"cell T={top}",
        f"||dh_T/dh_1|| T={top}",
        "max sigma(W_hh) / bound",
    ]
    first_task = report.tasks[0]["task"] if report.tasks else "recall"
    title = (
        f"gradient-norm profiles at initialisation ({first_task}, loss at t = T): log10 ||dL/dh_1|| / ||dL/dh_T|| "
        "and regime (vanishing < -4 < stable < +2 < exploding)"
    )
    return "\n".join([title, *_grid(header, rows)])


def format_breakdowns(report: StabilityReport) -> str:
    """Per task with a breakdown (number agreement): accuracy by distance (horizon) and by factor (attractors)."""
    blocks = []
    for task in (str(t["task"]) for t in report.tasks):
        groups = [g for g in report.summary if g.task == task and any(o.breakdown for o in g.horizons)]
        if not groups:
            continue
        factors = sorted({k for g in groups for o in g.horizons for k in o.breakdown})
        rows = [
            [
                g.model,
                str(o.horizon),
                *(f"{100 * o.breakdown[k]:.0f}%" if k in o.breakdown else "–" for k in factors),
            ]
            for g in groups
            for o in g.horizons
            if o.breakdown
        ]
        title = (
            f"{task}: held-out accuracy by distance and {factors[0].split(' ', 1)[-1]} (median over seeds)"
        )
        blocks.append("\n".join([title, *_grid(["model", "distance", *factors], rows)]))
    return "\n\n".join(blocks)


def format_events(report: StabilityReport) -> str:
    """The training monitor's warning signs, counted per model."""
    counts: dict[str, Counter[str]] = {}
    for job in report.jobs:
        if job.train is not None:
            counts.setdefault(job.job.model.label, Counter()).update(e.kind for e in job.train.events)
    lines = [
        f"  {label}: " + ", ".join(f"{kind} x{n}" for kind, n in c.most_common())
        for label, c in counts.items()
        if c
    ]
    errors = [
        f"  {j.job.model.label} {j.job.task} T={j.job.horizon} seed {j.job.seed}: {j.error}"
        for j in report.jobs
        if j.error
    ]
    parts = [
        "training monitor: "
        + ("no warning signs" if not lines else "warning signs raised (count over all runs)")
    ]
    parts += lines
    if errors:
        parts += ["failed runs:", *errors]
    return "\n".join(parts)


def format_report(report: StabilityReport) -> str:
    """Everything ``lstm-bench stability`` prints after the run."""
    tail = f"{len(report.jobs)} training runs, {len(report.diagnostics)} diagnostics in {report.wall_seconds:.0f} s"
    if report.interrupted:
        tail += " (stopped early)"
    parts = [
        format_horizons(report),
        format_breakdowns(report),
        format_profiles(report),
        format_events(report),
        tail,
    ]
    return "\n\n".join(p for p in parts if p)
