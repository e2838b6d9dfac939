"""``lstm-bench run``: its phases in order, one results document, one published report folder.

Modules, one job each: ``context`` (the run's sizes, options and what a phase returns),
``phases`` (each phase a thin adapter over one capability's library entry point), ``gates``
(gate activation histograms of the references), ``pipeline`` (runs the phases, writes the
document and its report), ``publish`` (atomic report folder and the ``latest`` pointer) and
``summary`` (the verdict lines printed at the end). ``report`` renders; it never runs a model.
"""

from __future__ import annotations
