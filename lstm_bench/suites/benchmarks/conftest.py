"""pytest-benchmark suites of lstm-bench: the registry, cases and timer calibration of ``lstm-bench bench``.

Files named ``bench_*.py`` here are collected (hook below). Run them with, e.g.::

    pytest --pyargs lstm_bench.suites.benchmarks --benchmark-json=reports/bench-pytest.json

Environment: ``LSTM_BENCH_SUITE`` (quick, default or deepbench; default quick),
``LSTM_BENCH_BACKENDS`` (comma-separated; default numpy-ref,torch-ref,torch-native),
``LSTM_BENCH_MIN_TIME`` (measured seconds per benchmark; default 0.5). ``--impl SPEC`` (the
lstm-bench pytest plugin's option) adds implementations under test.

Each benchmark is warmed up and calibrated by ``lstm_bench.bench.timer.Timer.plan``, then timed by
``benchmark.pedantic`` with that many calls per round and rounds; on a GPU every call ends with a
device synchronisation, so pytest-benchmark's wall clock never times queued work. The case, the
backend and the FLOP count go to ``extra_info["lstm_bench"]``, which
``lstm_bench.bench.records.records_from_pytest_benchmark`` reads back.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lstm_bench.bench.records import EXTRA_INFO_KEY, BenchmarkRecord
from lstm_bench.bench.registry import DEFAULT_BACKENDS, Backend, BackendUnavailable, device_sync, get_backend
from lstm_bench.bench.suites import get_suite
from lstm_bench.bench.timer import Timer, TimerSettings, clock_for_device
from lstm_bench.bench.workloads import Case
from lstm_bench.errors import UsageError


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Collect ``bench_*.py`` as test modules (pytest's default pattern is ``test_*.py``).

    Files named on the command line are collected by pytest itself: not a second time here.
    """
    if (
        file_path.suffix == ".py"
        and file_path.name.startswith("bench_")
        and not parent.session.isinitpath(file_path)
    ):
        return pytest.Module.from_parent(parent, path=file_path)
    return None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``bench_case`` over the suite, on the device named by the module's ``DEVICE``."""
    if "bench_case" in metafunc.fixturenames:
        backends = getattr(metafunc.module, "BACKENDS", DEFAULT_BACKENDS)
        metafunc.parametrize("bench_case", suite_params(metafunc.config, metafunc.module.DEVICE, backends))


def suite_params(
    config: pytest.Config, device: str, default_backends: tuple[str, ...] = DEFAULT_BACKENDS
) -> list[Any]:
    """``pytest.param((case, backend name))`` for every case of the chosen suite each backend supports."""
    suite = get_suite(os.environ.get("LSTM_BENCH_SUITE", "quick"), device)
    names = [n.strip() for n in os.environ.get("LSTM_BENCH_BACKENDS", ",".join(default_backends)).split(",")]
    names += [f"impl:{spec}" for spec in config.getoption("--impl", default=[]) or []]
    params = []
    backends = []
    for name in dict.fromkeys(n for n in names if n):
        try:
            backends.append(get_backend(name, None))
        except UsageError as exc:  # a bad --impl fails its own test, not the collection
            params.append(pytest.param((None, name), id=f"{name}-unloadable"))
            _LOAD_ERRORS[name] = str(exc)
    for backend in backends:
        _BACKENDS[backend.name] = backend
    # case by case, every backend in turn: slow drift of the machine touches all backends of a case alike
    params += [
        pytest.param((case, b.name), id=f"{case.key}/{b.name}")
        for case in suite.cases
        for b in backends
        if b.supports(case, device)
    ]
    return params


_BACKENDS: dict[str, Backend] = {}
_LOAD_ERRORS: dict[str, str] = {}


def _settings() -> TimerSettings:
    return TimerSettings(min_time_s=float(os.environ.get("LSTM_BENCH_MIN_TIME", "0.5")))


@pytest.fixture
def run_case(benchmark: Any) -> Callable[[Case | None, str, str], None]:
    """Time (case, backend name) on a device with pytest-benchmark, calibrated by our Timer."""

    def run(case: Case | None, name: str, device: str) -> None:
        if case is None:
            pytest.fail(_LOAD_ERRORS.get(name, f"cannot load {name}"), pytrace=False)
        backend = _BACKENDS[name]
        reason = backend.unavailable(device)
        if reason is not None:
            pytest.skip(f"{name}: {reason}")
        try:
            prepared = backend.prepare(case, device, seed=0)
        except BackendUnavailable as exc:
            pytest.skip(f"{name}: {exc}")
        step = prepared.step
        if device != "cpu":

            def step() -> object:  # every call waits for the device: wall time is device time
                out = prepared.step()
                device_sync(device)
                return out

        plan = Timer(_settings(), clock_for_device(device, "synchronize")).plan(step)
        record = BenchmarkRecord.for_case(
            name, case, device, impl=backend.impl_spec, compile_s=prepared.compile_s
        )
        benchmark.group = f"{case.key}/{device}"
        benchmark.extra_info[EXTRA_INFO_KEY] = {**record.to_dict(), "threads": _threads()}
        benchmark.pedantic(step, rounds=plan.rounds, iterations=plan.calls_per_round, warmup_rounds=0)

    return run


def _threads() -> int:
    import torch

    return int(torch.get_num_threads())
