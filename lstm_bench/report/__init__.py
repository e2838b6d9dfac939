"""The HTML report: results documents in, one self-contained HTML page out; it never runs a model.

Modules, one job each: ``inputs`` (reading and comparing results documents), ``plots``
(matplotlib -> inline SVG), ``sections`` and ``views`` (results documents -> view model) and
``render`` (view model -> HTML via Jinja2). Numbers are formatted by ``lstm_bench.formatting``;
``lstm-bench run``'s phases live in ``lstm_bench.orchestration``.
"""

from __future__ import annotations

__all__ = ["render_html"]


def __getattr__(name: str) -> object:
    if name == "render_html":
        from lstm_bench.report.render import render_html

        return render_html
    raise AttributeError(name)
