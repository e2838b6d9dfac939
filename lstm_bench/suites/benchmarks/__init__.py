"""pytest-benchmark suites (``bench_*.py``) over the ``lstm-bench bench`` registry and timer."""
