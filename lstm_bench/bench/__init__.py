"""Benchmark lab for recurrent layers: correct timing, FLOP efficiency, comparable records.

Data flow: ``suites`` (named size grids of ``workloads.Case``) x ``registry`` (named backends)
-> ``runner.run_benchmarks`` (one ``timer.Timer`` with a device ``BlockClock``; ``peak`` measures
the GEMM peak first) -> ``records.BenchmarkRecord`` (raw samples, ``stats.Summary``,
``flops.FlopCount``) -> ``table`` for people, ``lstm_bench.results`` JSON for tools.
Importing this package does not import torch.
"""

from lstm_bench.bench.flops import FLOP_MODEL, FlopCount, forward_flops, workload_flops
from lstm_bench.bench.records import BenchmarkRecord, records_from_document, records_from_pytest_benchmark
from lstm_bench.bench.registry import BASELINE, BUILTIN_BACKENDS, DEFAULT_BACKENDS, Backend, get_backend
from lstm_bench.bench.runner import BenchmarkRun, run_benchmarks
from lstm_bench.bench.stats import Summary, median_ci, summarize
from lstm_bench.bench.suites import SUITE_NAMES, Suite, get_suite, select
from lstm_bench.bench.table import format_peaks, format_table
from lstm_bench.bench.timer import Measurement, Timer, TimerSettings, clock_for_device
from lstm_bench.bench.workloads import Case, Workload

__all__ = [
    "BASELINE",
    "BUILTIN_BACKENDS",
    "DEFAULT_BACKENDS",
    "FLOP_MODEL",
    "SUITE_NAMES",
    "Backend",
    "BenchmarkRecord",
    "BenchmarkRun",
    "Case",
    "FlopCount",
    "Measurement",
    "Suite",
    "Summary",
    "Timer",
    "TimerSettings",
    "Workload",
    "clock_for_device",
    "format_peaks",
    "format_table",
    "forward_flops",
    "get_backend",
    "get_suite",
    "median_ci",
    "records_from_document",
    "records_from_pytest_benchmark",
    "run_benchmarks",
    "select",
    "summarize",
    "workload_flops",
]
