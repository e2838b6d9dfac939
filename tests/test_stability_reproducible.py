"""Sweeps budgeted in optimizer steps reproduce bitwise beside a CPU load; the wall-clock cap is 'timed out'."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from lstm_bench.kinds import Kind
from lstm_bench.scaleout.runner import without_run_details
from lstm_bench.stability.models import ModelSpec
from lstm_bench.stability.sweep import SweepPlan, SweepSize, run_sweep
from lstm_bench.stability.table import format_horizons

MODELS = (ModelSpec(Kind.RNN_TANH, "default", 8), ModelSpec(Kind.LSTM, "chrono", 8))
TINY = SweepSize("tiny", (4, 8), seeds=1, max_seconds=600, max_steps=40, diagnostic_horizons=(6,))

# Two BLAS threads multiplying matrices for at most 60 s (killed as soon as the sweep is done).
_BURNER = """
import time, numpy
a = numpy.random.default_rng(0).standard_normal((384, 384))
print("burning", flush=True)
stop = time.monotonic() + 60
while time.monotonic() < stop:
    a = numpy.tanh(a @ a)
"""


@pytest.fixture
def cpu_load() -> Iterator[None]:
    """A second process keeping both cores busy with GEMMs while the test body runs."""
    env = {**os.environ, "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}
    burner = subprocess.Popen([sys.executable, "-c", _BURNER], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert burner.stdout is not None and burner.stdout.readline().strip() == "burning"
        yield
    finally:
        burner.kill()
        burner.wait(timeout=10)


def _sweep(profile: SweepSize = TINY) -> dict[str, object]:
    plan = SweepPlan.create(MODELS, ("recall",), profile, seed=1, eval_every=5, eval_batch=64, probe_batch=4)
    data = run_sweep(plan).to_dict()
    return without_run_details(data)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def calm() -> dict[str, object]:
    return _sweep()


def test_the_same_seeded_sweep_is_identical_beside_a_cpu_load(
    calm: dict[str, object], cpu_load: None
) -> None:
    loaded = _sweep()
    assert loaded == calm  # every accuracy, loss, curve point, gradient norm and verdict, bitwise
    jobs = calm["jobs"]
    assert isinstance(jobs, list) and jobs and all(j["result"]["threads"] == 1 for j in jobs)
    assert all(j["result"]["samples_seen"] == j["result"]["steps"] * 64 for j in jobs)


def test_a_run_stopped_by_the_safety_cap_is_timed_out_not_unlearned() -> None:
    capped = SweepSize("capped", (4,), seeds=1, max_seconds=1e-6, max_steps=10_000, diagnostic_horizons=())
    plan = SweepPlan.create(MODELS[:1], ("recall",), capped, seed=1, eval_every=5, profiles=False)
    report = run_sweep(plan)
    (job,) = report.jobs
    assert job.train is not None and job.train.timed_out and job.train.stop_reason == "seconds"
    (group,) = report.summary
    outcome = group.horizons[0]
    assert outcome.capped == 1 and outcome.timed_out and not outcome.is_solved
    assert group.longest_horizon is None and group.timed_out_at == 4
    assert group.to_dict()["timed_out_at"] == 4 and group.to_dict()["horizons"][0]["timed_out"] is True
    text = format_horizons(report)
    assert "none (timed out at 4)" in text and "0/1 timed out" in text and "safety cap" in text
