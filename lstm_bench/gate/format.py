"""Render a ``Comparison``: plain text for terminals, markdown for a PR comment, JSON for tools.

Renderers only read the comparison; they compute nothing new.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from lstm_bench.atomic import strict_json
from lstm_bench.formatting import fmt_seconds
from lstm_bench.gate.result import Comparison, Finding, Severity, TimingComparison
from lstm_bench.gate.stats import Verdict

FORMATS = ("text", "markdown", "json")

_MARK = {
    Verdict.REGRESSION: "REGRESSION",
    Verdict.IMPROVEMENT: "improved",
    Verdict.UNCHANGED: "ok",
    Verdict.INCONCLUSIVE: "INCONCLUSIVE",
}
_MD_MARK = {
    Verdict.REGRESSION: "❌ regression",
    Verdict.IMPROVEMENT: "🚀 faster",
    Verdict.UNCHANGED: "✅",
    Verdict.INCONCLUSIVE: "❔ inconclusive",
}
_SEVERITY_MD = {
    Severity.REGRESSION: "❌",
    Severity.ERROR: "⛔",
    Severity.WARNING: "⚠️",
    Severity.IMPROVEMENT: "🚀",
    Severity.NOTE: "ℹ️",
}


def format_seconds(seconds: float) -> str:
    """A time in ``formatting.fmt_seconds``' units, trailing zeros dropped: '812 ns', '4.5 µs', '1.23 ms'."""
    return fmt_seconds(seconds, missing="-", trim=True)


def format_change(ratio: float) -> str:
    """Ratio as a signed percentage: 1.053 -> '+5.3%'."""
    return f"{(ratio - 1.0) * 100:+.1f}%"


def _interval(t: TimingComparison) -> str:
    if t.estimate is None:
        return "-"
    return f"[{format_change(t.estimate.low)}, {format_change(t.estimate.high)}]"


def _p(t: TimingComparison) -> str:
    return "-" if t.estimate is None else f"{t.estimate.p_value:.2g}"


def _pairs(t: TimingComparison) -> str:
    """Pairs the verdict rests on: '32+32' with a confirmation's fresh pairs, a trailing '+' when
    the time budget stopped the case before its next look."""
    if t.pairs is None:
        return "-" if t.estimate is None else str(t.estimate.n_candidate)
    fresh = f"+{t.confirmation['pairs']}" if t.confirmation is not None else ""
    return f"{t.pairs}{fresh}{'+' if t.stopped == 'time budget' else ''}"


def _sequential(comparison: Comparison) -> bool:
    return any(t.design is not None for t in comparison.timings)


def _method(comparison: Comparison) -> str:
    if _sequential(comparison):
        return (
            "median paired ratio of interleaved runs, group-sequential order-statistics intervals "
            "(simultaneous over the looks), pairs added until a decision or the per-case budget; "
            "a change stands once as many fresh pairs confirm it (one-sided sign test, p <= 0.05; "
            "pairs 'n+m'); p: the fixed-sample sign test, for information (the interval decides)"
        )
    if comparison.paired:
        return "median paired ratio of interleaved runs, order-statistics interval, sign test"
    return "ratio of medians, bootstrap interval, Mann-Whitney U test"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _headline(comparison: Comparison) -> str:
    n, m = len(comparison.regressions), len(comparison.inconclusive)
    parts = [_plural(n, "regression")] if n else []
    parts += [f"{m} inconclusive"] if m else []
    return ", ".join(parts) if parts else "no regression"


def _settings(comparison: Comparison) -> str:
    config = comparison.config
    custom = " (per-benchmark thresholds from pyproject.toml)" if config.thresholds else ""
    return (
        f"threshold +{config.max_slowdown * 100:g}%{custom}, alpha {config.alpha:g}, "
        f"{config.confidence * 100:g}% intervals; {_method(comparison)}"
    )


def _sides(comparison: Comparison) -> tuple[str, str]:
    labels = comparison.labels
    base = comparison.baseline + (f" @ {labels['baseline']}" if "baseline" in labels else "")
    cand = comparison.candidate + (f" @ {labels['candidate']}" if "candidate" in labels else "")
    return base, cand


# --------------------------------------------------------------------------------------------
# Text
# --------------------------------------------------------------------------------------------


def _mark_detail(t: TimingComparison) -> str:
    if t.verdict is Verdict.UNCHANGED:
        return ""
    if t.verdict is Verdict.INCONCLUSIVE:
        return f" (±{t.max_slowdown * 100:g}% not excluded)"
    return f" (> {t.max_slowdown * 100:g}%)"


def to_text(comparison: Comparison) -> str:
    """Aligned columns per benchmark, then findings by severity, then the verdict line."""
    base, cand = _sides(comparison)
    lines = [f"baseline:  {base}", f"candidate: {cand}"]
    lines += [_settings(comparison), ""] if comparison.timings else [""]
    if comparison.timings:
        conf = f"{comparison.config.confidence * 100:g}% interval"
        extra = ("pairs",) if comparison.paired else ()
        rows = [("benchmark", "baseline", "candidate", "change", conf, "p", *extra, "verdict")]
        rows += [
            (
                t.name,
                format_seconds(t.baseline_median),
                format_seconds(t.candidate_median),
                format_change(t.ratio),
                _interval(t),
                _p(t),
                *((_pairs(t),) if comparison.paired else ()),
                _MARK[t.verdict] + _mark_detail(t),
            )
            for t in comparison.timings
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        last = len(rows[0]) - 1
        for row in rows:
            lines.append(
                "  ".join(
                    cell.ljust(w) if i in (0, last) else cell.rjust(w)
                    for i, (cell, w) in enumerate(zip(row, widths, strict=True))
                ).rstrip()
            )
        lines.append("")
        undecided = [t for t in comparison.timings if t.verdict is Verdict.INCONCLUSIVE]
        for t in undecided:
            lines.append(f"{'INCONCLUSIVE':<11} [timing] {t.name}: {t.reason}")
        if undecided:
            lines.append("")
    for severity in Severity:
        for finding in comparison.of_severity(severity):
            lines.append(
                f"{severity.value.upper():<11} [{finding.area}] {finding.subject}: {finding.message}"
            )
    if comparison.findings:
        lines.append("")
    lines.append(f"result: {_headline(comparison)}")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Markdown
# --------------------------------------------------------------------------------------------


def _md_row(t: TimingComparison, paired: bool) -> str:
    pairs = f" {_pairs(t)} |" if paired else ""
    return (
        f"| `{t.name}` | {format_seconds(t.baseline_median)} | {format_seconds(t.candidate_median)} | "
        f"**{format_change(t.ratio)}** | {_interval(t)} | {_p(t)} |{pairs} {_MD_MARK[t.verdict]} |"
    )


def _md_table(timings: list[TimingComparison], confidence: float, paired: bool = False) -> list[str]:
    pairs, align = (" pairs |", " ---: |") if paired else ("", "")
    return [
        f"| benchmark | baseline | candidate | change | {confidence * 100:g}% interval | p |{pairs} verdict |",
        f"| --- | ---: | ---: | ---: | :---: | ---: |{align} --- |",
        *(_md_row(t, paired) for t in timings),
    ]


def _md_finding(finding: Finding) -> str:
    return f"- {_SEVERITY_MD[finding.severity]} **{finding.area}** `{finding.subject}`: {finding.message}"


def to_markdown(comparison: Comparison) -> str:
    """A PR comment: headline, changed benchmarks, findings, and the unchanged ones folded away."""
    base, cand = _sides(comparison)
    icon = "❌" if comparison.regressed else ("❔" if comparison.inconclusive else "✅")
    lines = [
        f"### {icon} lstm-bench: {_headline(comparison)}",
        "",
        f"Baseline `{base}` vs candidate `{cand}`." + ("  " if comparison.timings else ""),
    ]
    if comparison.timings:
        lines.append(
            f"<sub>{_settings(comparison)}. A change counts only when significant *and* beyond the threshold; "
            "ok only when the interval excludes a change beyond it; otherwise inconclusive.</sub>"
        )
    lines.append("")
    confidence = comparison.config.confidence
    paired = comparison.paired
    changed = [t for t in comparison.timings if t.verdict is not Verdict.UNCHANGED]
    unchanged = [t for t in comparison.timings if t.verdict is Verdict.UNCHANGED]
    if changed:
        lines += [*_md_table(changed, confidence, paired), ""]
    important = [f for f in comparison.findings if f.severity is not Severity.NOTE]
    if important:
        lines += [*(_md_finding(f) for f in important), ""]
    if unchanged:
        lines += [
            f"<details><summary>{len(unchanged)} benchmark{'s' if len(unchanged) != 1 else ''} unchanged</summary>",
            "",
            *_md_table(unchanged, confidence, paired),
            "",
            "</details>",
            "",
        ]
    notes = comparison.of_severity(Severity.NOTE)
    if notes:
        lines += [
            "<details><summary>notes</summary>",
            "",
            *(_md_finding(f) for f in notes),
            "",
            "</details>",
            "",
        ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# JSON
# --------------------------------------------------------------------------------------------


def to_json(comparison: Comparison) -> str:
    """The comparison's ``to_dict`` as indented strict JSON."""
    return json.dumps(strict_json(comparison.to_dict()), indent=2, allow_nan=False) + "\n"


RENDERERS: dict[str, Callable[[Comparison], str]] = {
    "text": to_text,
    "markdown": to_markdown,
    "json": to_json,
}


def render(comparison: Comparison, fmt: str) -> str:
    """Render in ``fmt`` (one of FORMATS); ValueError for an unknown format."""
    try:
        return RENDERERS[fmt](comparison)
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}") from None
