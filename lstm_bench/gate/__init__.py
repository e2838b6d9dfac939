"""The CI regression gate: compare two results documents, or two implementations timed interleaved.

Modules, one job each: ``stats`` (ratios, intervals, tests, the verdict; pure NumPy), ``rules``
(timing, conformance and stability regression rules), ``config`` (thresholds from
``pyproject.toml``), ``documents`` (reads the results sections into rule inputs), ``compare``
(two results documents -> ``Comparison``), ``result`` (the result objects), ``format`` (text,
markdown, JSON), ``sequential`` (the group-sequential design of the A/B gate: looks, exact boundaries, the
decision), ``interleave`` (A/B timing in one process on the bench ``Timer``, pairs added until a
look decides or the budget is spent) and ``ab`` (the ``lstm-bench bench --baseline-impl`` engine over the bench registry).
"""
