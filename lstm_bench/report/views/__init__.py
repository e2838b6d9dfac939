"""View models of the report's sections, one module per section, computed from results documents.

``common`` (inputs, tables, figures, tolerant readers), ``environment``, ``conformance``,
``gates``, ``stability``, ``benchmarks`` and ``comparison``; ``lstm_bench.report.sections``
assembles them into the page's ``ReportView``.
"""
