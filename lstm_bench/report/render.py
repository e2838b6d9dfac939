"""Results documents -> one self-contained HTML page (inline CSS and SVG, no network, works from file://).

The page is a Jinja2 template (package data, autoescape ON) over the view model of
``sections.build_report``: every string that came from a user is escaped on output; only the
SVG plots, which matplotlib wrote and escaped itself, are inserted as markup.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstm_bench.documents import ResultsDocument, as_document
from lstm_bench.report.sections import ReportView, Source, build_report

if TYPE_CHECKING:
    from lstm_bench.gate.result import Comparison

__all__ = ["render_html", "render_view", "source_label"]


_BREAK_AFTER = re.compile(r"(?<=[.:/])")


def breakable(value: object) -> Any:
    """``value`` escaped, with a line-break opportunity (<wbr>) after each '.', ':' and '/'.

    Long specs like ``lstm_bench.reference.torch_ref:LSTM`` then wrap at their dots in narrow
    cells instead of mid-word. Every piece is escaped; only the <wbr> tags are markup.
    """
    from markupsafe import Markup, escape

    return Markup("<wbr>").join(escape(part) for part in _BREAK_AFTER.split(str(value)))


def _environment() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lstm_bench.report", "templates"),
        autoescape=True,  # every {{ value }} is HTML-escaped unless marked safe
        undefined=jinja2.StrictUndefined,  # a typo in the template fails loudly, in tests
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["breakable"] = breakable
    return env


def render_view(view: ReportView) -> str:
    """The HTML page of an already built view model."""
    from lstm_bench import __version__

    template = _environment().get_template("report.html.j2")
    return str(template.render(view=view, version=__version__))


def render_html(
    documents: Sequence[ResultsDocument | Mapping[str, Any] | Source],
    comparison: Comparison | None = None,
    title: str = "lstm-bench report",
) -> str:
    """One HTML page reporting on ``documents`` side by side (plain documents or labelled ``Source``s).

    ``comparison`` is ``lstm_bench.gate``'s baseline comparison; when given, its regressions and
    improvements are shown first after the verdict.
    """
    typed = [
        d if isinstance(d, Source) else as_document(d, f"input {i + 1}") for i, d in enumerate(documents)
    ]
    sources = [
        d if isinstance(d, Source) else Source(source_label(d, i, len(documents)), d)
        for i, d in enumerate(typed)
    ]
    return render_view(build_report(sources, comparison, title))


def source_label(
    document: ResultsDocument | Mapping[str, Any],
    index: int = 0,
    count: int = 1,
    path: str | os.PathLike[str] | None = None,
) -> str:
    """A short name for a document among ``count``: its file's folder or name, else host and time."""
    if path is not None:
        p = Path(path).resolve()  # reports/latest/results.json -> the stamped folder's name
        return p.parent.name if p.name == "results.json" and p.parent.name else p.stem
    typed = as_document(document, f"input {index + 1}")
    host, created = typed.environment.get("hostname"), typed.created
    label = " ".join(str(x) for x in (host, created) if x)
    if label:
        return label
    return f"input {index + 1}" if count > 1 else "results"
