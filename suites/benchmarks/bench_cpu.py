"""The installed CPU benchmarks (``lstm_bench.suites.benchmarks.bench_cpu``), run from a clone of lstm-bench."""

from lstm_bench.suites.benchmarks.bench_cpu import DEVICE, test_cpu

__all__ = ["DEVICE", "test_cpu"]
