"""Helpers of the gate's tests: scipy.stats for the cross-checks (required where CI is set), seeded
timing samples and the benchmark case the document tests compare."""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable
from types import ModuleType

import numpy as np
import pytest

from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.kinds import Kind

#: The benchmark case the gate's document tests time: an LSTM forward, I=H=64, B=16, T=50.
CASE = Case(Kind.LSTM, Workload.FORWARD, 64, 64, 16, 50)


def scipy_stats() -> ModuleType:
    """``scipy.stats``; skips the test without scipy, except under CI=1 (tox installs it), where it fails."""
    if os.environ.get("CI"):
        import scipy.stats

        return scipy.stats
    return pytest.importorskip("scipy.stats")


def lognormal_samples(median: float, seed: int, n: int = 60, sigma: float = 0.02) -> tuple[float, ...]:
    """``n`` seeded per-call times around ``median`` (log-normal with relative spread ``sigma``)."""
    return tuple(float(x) for x in np.random.default_rng(seed).lognormal(math.log(median), sigma, n))


class Machine:
    """A clock that moves only when a workload runs; ``noise(i)`` scales the i-th call of a workload."""

    def __init__(self) -> None:
        self.now = 0.0
        self._start = 0.0

    def start(self) -> None:
        self._start = self.now

    def stop(self) -> float:
        return self.now - self._start

    def workload(self, cost: float, noise: Callable[[int], float] = lambda i: 1.0) -> Callable[[], None]:
        calls = itertools.count()

        def run() -> None:
            self.now += cost * noise(next(calls))

        return run
