"""Plots for the HTML report, drawn with matplotlib's SVG backend and returned as inline ``<svg>`` strings.

Every function takes plain numbers (never a results document) and returns a string that can be
placed inside HTML as is: no XML prolog, no DOCTYPE, no metadata, no external reference. Text
stays text (``svg.fonttype = none``) so the page's font and print quality apply, and is
XML-escaped by matplotlib, so user-chosen labels (implementation names) cannot inject markup.
Math text is off (``text.parse_math = False``): a ``$`` in a name is a dollar sign.

No pyplot: each plot is a standalone ``Figure``, so nothing global (backend, open figures) is
touched and plotting is safe inside any host application.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PALETTE",
    "Bar",
    "GateHistogram",
    "Panel",
    "Series",
    "benchmark_svg",
    "gate_histogram_svg",
    "gradient_norm_svg",
    "recall_svg",
    "series_colours",
    "speedup_svg",
]

#: Okabe & Ito's colour-blind-safe palette (without yellow, too pale on white paper).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00", "#000000", "#999999")

_RC: Any = {  # typed Any: matplotlib types rc keys as a Literal of every known name
    "svg.fonttype": "none",
    "text.parse_math": False,
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Helvetica", "Arial"],
    "font.size": 9.0,
    "axes.titlesize": 10.0,
    "axes.labelsize": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#e3e3e3",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 8.0,
    "lines.linewidth": 1.6,
}

_counter = itertools.count()


@dataclass(frozen=True)
class Series:
    """One line: ``label`` and its points (x_i, y_i)."""

    label: str
    x: tuple[float, ...]
    y: tuple[float, ...]


@dataclass(frozen=True)
class GateHistogram:
    """Counts of one gate's activations in bins with ``edges`` (len(counts) + 1), for model ``label``."""

    label: str
    gate: str
    edges: tuple[float, ...]
    counts: tuple[float, ...]


@dataclass(frozen=True)
class Bar:
    """One bar of a grouped bar chart: ``value`` of ``series`` (a backend) in ``group`` (a workload)."""

    group: str
    series: str
    value: float


def _colours() -> Iterator[str]:
    return itertools.cycle(PALETTE)


def _figure(width: float, height: float, rows: int = 1, cols: int = 1) -> tuple[Any, Any]:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(rows, cols, squeeze=False)
    return fig, axes


_PROLOG = re.compile(r"\A.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)
_STYLE = re.compile(r"<style type=\"text/css\">.*?</style>\s*", re.S)
_ID = re.compile(r'\bid="([^"]+)"')
_ID_USE = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')
_SIZE = re.compile(r'\swidth="([0-9.]+)pt" height="[0-9.]+pt"')


def _to_svg(fig: Any, title: str) -> str:
    """Serialise ``fig`` as an inline, responsive ``<svg>`` with an accessible ``title``.

    Every element id (matplotlib's 'figure_1', 'axes_1', ... and its hashed clip-path ids) and
    every reference to one gets a per-plot prefix, so several plots in one page never share an
    id. The height is dropped in favour of the viewBox so the plot scales with its box.
    """
    from xml.sax.saxutils import escape

    import matplotlib

    buffer = io.StringIO()
    number = next(_counter)
    with matplotlib.rc_context({**_RC, "svg.hashsalt": f"lstm-bench-{number}"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _PROLOG.sub("", buffer.getvalue(), count=1)
    ids = set(_ID.findall(svg))
    svg = _ID_USE.sub(lambda m: f"{m[1]}p{number}-{m[2]}" if m[2] in ids else m[0], svg)
    svg = _METADATA.sub("", svg, count=1)
    svg = _STYLE.sub("", svg, count=1)
    # Natural width in CSS px (1 pt = 4/3 px), so every plot's text has the same size on the page;
    # the stylesheet caps the width at the column and keeps the aspect ratio (height: auto).
    svg = _SIZE.sub(lambda m: f' width="{float(m[1]) * 4 / 3:.0f}" class="plot" role="img"', svg, count=1)
    return svg.replace(">", f"><title>{escape(title)}</title>", 1).strip()


def _legend_right(ax: Any) -> None:
    """The legend beside the axes, outside the data (many lines would hide under it)."""
    ax.legend(loc="center left", bbox_to_anchor=(1.02, 0.5), borderaxespad=0.0)


def _power_of_ten(value: float, _position: int) -> str:
    """Log-axis tick text without math text: 1e-31, 1, 1e+04 (only exact powers of ten are labelled)."""
    if value <= 0:
        return ""
    exponent = math.log10(value)
    if abs(exponent - round(exponent)) > 1e-9:
        return ""
    return "1" if round(exponent) == 0 else f"1e{round(exponent):+d}".replace("+", "")


def _finite_positive(xs: Sequence[float], ys: Sequence[float]) -> tuple[list[float], list[float]]:
    pairs = [(x, y) for x, y in zip(xs, ys, strict=False) if math.isfinite(y) and y > 0]
    return [p[0] for p in pairs], [p[1] for p in pairs]


@dataclass(frozen=True)
class Panel:
    """One subplot: a ``title`` and its lines."""

    title: str
    series: tuple[Series, ...]


def gradient_norm_svg(panels: Sequence[Panel], title: str = "Gradient norm ‖dL/dh_t‖ vs t") -> str:
    """||dL/dh_t|| against t on log y-axes, one panel per horizon, one line per model and init (loss at t = T).

    A model keeps its colour in every panel; one legend serves them all. Zeros (underflow) and
    non-finite values cannot sit on a log axis and are left out of the line.
    """
    import matplotlib
    from matplotlib.ticker import FuncFormatter, LogLocator

    labels = list(dict.fromkeys(s.label for p in panels for s in p.series))
    colour = series_colours(labels)
    with matplotlib.rc_context(_RC):
        fig, axes = _figure(min(3.6 * max(len(panels), 1) + 1.8, 13.0), 3.4, 1, max(len(panels), 1))
        for ax, panel in zip(axes[0], panels, strict=False):
            for item in panel.series:
                xs, ys = _finite_positive(item.x, item.y)
                if ys:
                    ax.plot(xs, ys, label=item.label, color=colour[item.label])
            ax.set_yscale("log")
            ax.yaxis.set_major_locator(LogLocator(base=10.0, numticks=7))
            ax.yaxis.set_major_formatter(FuncFormatter(_power_of_ten))
            ax.set_xlabel("time step t")
            ax.set_title(panel.title, loc="left")
        axes[0][0].set_ylabel("‖dL/dh_t‖ (loss at t = T)")
        handles = {
            label: handle
            for ax in axes[0]
            for handle, label in zip(*ax.get_legend_handles_labels(), strict=False)
        }
        if handles:
            fig.legend(list(handles.values()), list(handles), loc="outside right center")
        return _to_svg(fig, title)  # the title is the SVG's <title>; the page's caption says it in words


def recall_svg(
    series: Sequence[Series], chance: float | None = None, title: str = "Recall accuracy vs horizon"
) -> str:
    """Accuracy (0..1) against horizon T on a log2 x-axis, one line per model; dashed line at chance."""
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, axes = _figure(7.2, 3.4)
        ax = axes[0][0]
        horizons: set[float] = set()
        for item, colour in zip(series, _colours(), strict=False):
            pairs = sorted((x, y) for x, y in zip(item.x, item.y, strict=False) if math.isfinite(y))
            if pairs:
                ax.plot(
                    [p[0] for p in pairs],
                    [p[1] for p in pairs],
                    marker="o",
                    ms=3.5,
                    label=item.label,
                    color=colour,
                )
                horizons.update(p[0] for p in pairs)
        if chance is not None:
            ax.axhline(chance, color="#777777", linestyle="--", linewidth=1.0, label=f"chance ({chance:.3g})")
        if horizons:
            ax.set_xscale("log", base=2)
            ticks = sorted(horizons)
            ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
            ax.minorticks_off()
        ax.set_ylim(-0.02, 1.02)
        ax.set_xlabel("horizon T (steps between cue and answer)")
        ax.set_ylabel("accuracy")
        ax.set_title(title, loc="left")
        if series:
            _legend_right(ax)
        return _to_svg(fig, title)


def gate_histogram_svg(histograms: Sequence[GateHistogram], title: str = "Gate activations") -> str:
    """One panel per gate; within it, each model's activation distribution as a step outline (fraction per bin)."""
    import matplotlib

    gates = list(dict.fromkeys(h.gate for h in histograms))
    labels = list(dict.fromkeys(h.label for h in histograms))
    colour = dict(zip(labels, _colours(), strict=False))
    with matplotlib.rc_context(_RC):
        fig, axes = _figure(max(2.2 * len(gates), 4.0), 2.5, 1, max(len(gates), 1))
        for ax, gate in zip(axes[0], gates, strict=False):
            for h in (h for h in histograms if h.gate == gate):
                total = sum(h.counts) or 1.0
                fractions = [c / total for c in h.counts]
                ax.stairs(fractions, h.edges, label=h.label, color=colour[h.label], linewidth=1.3)
            ax.set_title(gate, loc="left")
            ax.set_xlabel("activation")
            ax.grid(axis="x", visible=False)
        axes[0][0].set_ylabel("fraction of activations")
        if len(labels) > 1:
            fig.legend(
                *axes[0][0].get_legend_handles_labels(), loc="outside lower center", ncols=min(len(labels), 4)
            )
        fig.suptitle(title, x=0.01, ha="left", fontsize=10)
        return _to_svg(fig, title)


def series_colours(names: Sequence[str]) -> dict[str, str]:
    """A colour per series name, in order: pass the same map to every chart so a backend keeps its colour."""
    return dict(zip(dict.fromkeys(names), _colours(), strict=False))


def _grouped_bars(ax: Any, bars: Sequence[Bar], colours: Mapping[str, str] | None) -> None:
    """Horizontal bars, one row per group (top to bottom in first-seen order), one colour per series."""
    groups = list(dict.fromkeys(b.group for b in bars))
    names = list(dict.fromkeys(b.series for b in bars))
    colour = {**series_colours(names), **(colours or {})}
    value = {(b.group, b.series): b.value for b in bars}
    height = 0.8 / max(len(names), 1)
    for j, name in enumerate(names):
        ys = [i + (j - (len(names) - 1) / 2) * height for i, g in enumerate(groups) if (g, name) in value]
        xs = [value[(g, name)] for g in groups if (g, name) in value]
        ax.barh(ys, xs, height=height * 0.92, label=name, color=colour[name])
    ax.set_yticks(range(len(groups)), groups)
    ax.set_ylim(len(groups) - 0.5, -0.5)
    ax.grid(axis="y", visible=False)


def _bar_height(bars: Sequence[Bar]) -> float:
    groups = len({b.group for b in bars})
    return 1.1 + 0.16 * len(bars) + 0.1 * groups


def speedup_svg(bars: Sequence[Bar], title: str, colours: Mapping[str, str] | None = None) -> str:
    """Grouped horizontal bars of speedups (a ratio, log x-axis) with a solid line at 1×."""
    import matplotlib
    from matplotlib.ticker import FuncFormatter

    with matplotlib.rc_context(_RC):
        fig, axes = _figure(7.2, _bar_height(bars))
        ax = axes[0][0]
        _grouped_bars(ax, bars, colours)
        ax.set_xscale("log")
        ax.axvline(1.0, color="#333333", linewidth=1.0)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}×"))
        ax.xaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
        ax.set_xlabel("speedup vs torch-native (×, log scale)")
        ax.set_title(title, loc="left")
        ax.legend(loc="best")
        return _to_svg(fig, title)


def benchmark_svg(
    bars: Sequence[Bar],
    unit: str,
    title: str,
    reference: float | None = None,
    colours: Mapping[str, str] | None = None,
) -> str:
    """Grouped horizontal bars: for each workload (group), one bar per backend (series); ``unit`` labels the axis.

    ``reference`` draws a vertical dashed line (e.g. the measured GEMM peak in GFLOP/s).
    """
    import matplotlib

    with matplotlib.rc_context(_RC):
        fig, axes = _figure(7.2, _bar_height(bars))
        ax = axes[0][0]
        _grouped_bars(ax, bars, colours)
        if reference is not None and math.isfinite(reference):
            ax.axvline(
                reference,
                color="#555555",
                linestyle="--",
                linewidth=1.0,
                label=f"GEMM peak ({reference:.0f} {unit})",
            )
        ax.set_xlabel(unit)
        ax.set_title(title, loc="left")
        ax.legend(loc="best")
        return _to_svg(fig, title)
