"""The HTML report and the ``lstm-bench run`` pipeline that produces it.

Modules, one job each: ``units`` (numbers with units), ``plots`` (matplotlib -> inline SVG),
``sections`` (results documents -> view model), ``render`` (view model -> HTML via Jinja2),
``gates`` (gate activation histograms of the references), ``progress`` (per-phase progress
line with ETA), ``publish`` (atomic report folder and the ``latest`` pointer) and ``pipeline``
(the phases of ``lstm-bench run``).
"""

from __future__ import annotations

__all__ = ["render_html"]


def __getattr__(name: str) -> object:
    if name == "render_html":
        from lstm_bench.report.render import render_html

        return render_html
    raise AttributeError(name)
