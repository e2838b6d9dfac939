"""The CI regression gate: compare two results documents, or two implementations timed interleaved.

Modules, one job each: ``stats`` (ratios, intervals, tests, the verdict; pure NumPy), ``rules``
(timing, conformance and stability regression rules), ``config`` (thresholds from
``pyproject.toml``), ``documents`` (reads the results sections into rule inputs), ``compare``
(two results documents -> ``Comparison``), ``result`` (the result objects), ``format`` (text,
markdown, JSON), ``interleave`` (A/B timing in one process on the bench ``Timer``, gated on the
paired ratio) and ``ab`` (the ``lstm-bench bench --baseline-impl`` engine over the bench registry).
"""
