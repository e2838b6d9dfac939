"""The installed GPU benchmarks (``lstm_bench.suites.benchmarks.bench_gpu``), run from a clone of lstm-bench."""

from lstm_bench.suites.benchmarks.bench_gpu import DEVICE, pytestmark, test_cuda

__all__ = ["DEVICE", "pytestmark", "test_cuda"]
