"""The sweep: picklable jobs, the same results on any executor, the merge step, skipping and the JSON section."""

from __future__ import annotations

import json
import pickle
import queue
import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest
import torch
from torch import nn

from lstm_bench.atomic import strict_json, write_json_atomic
from lstm_bench.kinds import Kind
from lstm_bench.stability.jobs import (
    DiagnosticJob,
    DiagnosticResult,
    TrainJob,
    TrainJobResult,
    run_diagnostic_job,
    run_job,
    run_train_job,
)
from lstm_bench.stability.models import ModelSpec
from lstm_bench.stability.result import (
    GroupSummary,
    HorizonOutcome,
    StabilityReport,
    impl_shortfalls,
    summarise,
)
from lstm_bench.stability.sweep import BUILTIN_MODELS, SweepPlan, SweepSize, impl_model, run_sweep
from lstm_bench.stability.table import format_breakdowns
from lstm_bench.stability.trainer import CurvePoint, TrainConfig, TrainResult

TINY = SweepSize("tiny", (4, 8), seeds=2, max_seconds=600, max_steps=15, diagnostic_horizons=(6,))
MODELS = (ModelSpec(Kind.RNN_TANH, "default", 8), ModelSpec(Kind.LSTM, "xavier+chrono", 8))


def _plan(models: tuple[ModelSpec, ...] = MODELS, profile: SweepSize = TINY) -> SweepPlan:
    return SweepPlan.create(models, ("recall",), profile, seed=3, eval_every=5, profiles=False)


def test_jobs_are_plain_picklable_data() -> None:
    plan = _plan()
    jobs = plan.wave(4, [(m, "recall") for m in MODELS])
    assert [(j.model.label, j.seed) for j in jobs] == [
        ("tanh RNN", 3),
        ("tanh RNN", 4),
        ("LSTM (xavier+chrono)", 3),
        ("LSTM (xavier+chrono)", 4),
    ]
    assert pickle.loads(pickle.dumps(jobs)) == jobs
    assert pickle.loads(pickle.dumps(plan)) == plan


def _essence(report: StabilityReport) -> list[tuple[object, ...]]:
    """What must not depend on where jobs ran: everything but wall times and hosts."""
    return sorted(
        (
            j.job.model.label,
            j.job.horizon,
            j.job.seed,
            j.status,
            j.train.steps if j.train else None,
            j.train.loss if j.train else None,
            tuple(p.train_loss for p in j.train.curve) if j.train else (),
        )
        for j in report.jobs
    )


def test_the_same_results_serially_and_on_an_executor() -> None:
    one_seed = SweepSize("tiny", (4, 8), seeds=1, max_seconds=600, max_steps=15, diagnostic_horizons=(6,))
    serial = run_sweep(_plan(profile=one_seed))
    with ThreadPoolExecutor(max_workers=2) as pool:
        pooled = run_sweep(_plan(profile=one_seed), executor=pool)
    assert _essence(serial) == _essence(pooled)
    assert [d.profile for d in serial.diagnostics] == [d.profile for d in pooled.diagnostics]
    assert serial.summary == pooled.summary


class _OneAtATime(Executor):
    """Starts the next queued job only once the sweep has taken in the previous result (``turn``)."""

    def __init__(self) -> None:
        self.turn = threading.Semaphore(1)
        self.queue: queue.Queue[tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None] = (
            queue.Queue()
        )
        self.worker = threading.Thread(target=self._work, daemon=True)
        self.worker.start()

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        self.queue.put((future, fn, args))
        return future

    def _work(self) -> None:
        while (item := self.queue.get()) is not None:
            future, fn, args = item
            self.turn.acquire()
            if not future.set_running_or_notify_cancel():
                self.turn.release()
                continue  # cancelled while queued: never started
            future.set_result(fn(*args))

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.queue.put(None)
        self.worker.join()


class _Releasing:
    """A reporter that lets the gated executor go on after each result."""

    def __init__(self, pool: _OneAtATime) -> None:
        self.pool = pool

    def phase(self, name: str, total: int) -> None:
        pass

    def job_started(self, job: object) -> None:
        pass

    def job_progress(self, job: object, progress: object) -> None:
        pass

    def job_done(self, result: object) -> None:
        self.pool.turn.release()


def test_pending_jobs_of_a_decided_group_are_cancelled_on_an_executor() -> None:
    profile = SweepSize("t", (4,), seeds=3, max_seconds=600, max_steps=1, diagnostic_horizons=())
    with _OneAtATime() as pool:
        report = run_sweep(_plan((MODELS[0],), profile), executor=pool, reporter=_Releasing(pool))
    assert [j.status for j in report.jobs] == ["ok", "ok", "skipped"]  # seed 5 never started


def _result(label: str, horizon: int, seed: int, solved: bool, status: str = "ok") -> TrainJobResult:
    model = next(m for m in (*BUILTIN_MODELS, *MODELS) if m.label == label)
    job = TrainJob(model, "recall", horizon, seed, TrainConfig())
    if status != "ok":
        return TrainJobResult(job, status, error="boom" if status == "error" else None)  # type: ignore[arg-type]
    point = CurvePoint(10, 1.0, 0.1, 0.1, 0.1, 1.0 if solved else 0.2)
    train = TrainResult(
        solved,
        "target" if solved else "seconds",
        10,
        1.0,
        10 if solved else None,
        1.0 if solved else None,
        0.1,
        1.0 if solved else 0.2,
        (point,),
        (),
        None,
        None,
        1,
    )
    return TrainJobResult(job, "ok", train)


def test_merge_is_order_free_and_the_longest_horizon_needs_every_shorter_one() -> None:
    results = [
        _result("tanh RNN", 10, 0, True),
        _result("tanh RNN", 10, 1, True),
        _result("tanh RNN", 10, 2, False),
        _result("tanh RNN", 20, 0, False),
        _result("tanh RNN", 20, 1, True),
        _result("tanh RNN", 20, 2, False),
        _result("tanh RNN", 40, 0, True),
        _result("tanh RNN", 40, 1, True),
        _result("tanh RNN", 40, 2, False, status="skipped"),
    ]
    forward, backward = summarise(results, seeds=3), summarise(reversed(results), seeds=3)
    assert forward == backward
    (group,) = forward
    assert [(o.horizon, o.ran, o.solved, o.is_solved) for o in group.horizons] == [
        (10, 3, 2, True),
        (20, 3, 1, False),
        (40, 2, 2, True),
    ]
    assert group.longest_horizon == 10  # 40 was solved, but 20 was not


def test_a_group_that_cannot_reach_a_majority_skips_its_remaining_seeds() -> None:
    profile = SweepSize("t", (4,), seeds=3, max_seconds=600, max_steps=1, diagnostic_horizons=())
    report = run_sweep(_plan((MODELS[0],), profile))
    assert [j.status for j in report.jobs] == ["ok", "ok", "skipped"]  # 2 failures of 3: decided
    assert report.summary[0].horizons[0].ran == 2 and report.summary[0].longest_horizon is None


class _Exploding(nn.LSTM):
    """Loads fine (the loader probes 4 steps in float32) and crashes on longer or float64 sequences."""

    def forward(self, x, hx=None):  # type: ignore[no-untyped-def, override]
        if x.shape[0] > 4 or x.dtype == torch.float64:
            raise RuntimeError("kernel fault")
        return super().forward(x, hx)


@pytest.fixture
def impl_module() -> Iterator[str]:
    module = types.ModuleType("stability_test_impls")
    module.Exploding = _Exploding  # type: ignore[attr-defined]
    module.LSTM = nn.LSTM  # type: ignore[attr-defined]
    sys.modules["stability_test_impls"] = module
    yield "stability_test_impls"
    del sys.modules["stability_test_impls"]


def test_a_crashing_impl_is_an_error_result_not_an_exception(impl_module: str) -> None:
    spec = impl_model(f"{impl_module}:Exploding", Kind.LSTM)
    assert spec.init == "xavier+chrono" and spec.label == f"{impl_module}:Exploding"
    result = run_train_job(TrainJob(spec, "recall", 10, 0, TrainConfig(max_steps=3)))
    assert (
        result.status == "error" and result.error is not None and "RuntimeError: kernel fault" in result.error
    )
    assert result.host
    diagnostic = run_diagnostic_job(DiagnosticJob(spec, "recall", 10, 0))
    assert diagnostic.status == "error" and diagnostic.regime is None


def test_impl_shortfalls_name_crashes_and_horizons_two_doublings_short(impl_module: str) -> None:
    twin = next(m for m in BUILTIN_MODELS if m.label == "LSTM (xavier+chrono)")
    impl = impl_model(f"{impl_module}:LSTM", Kind.LSTM)
    settings = {"horizons": [10, 20, 40, 80], "seeds": 1}

    def report(mine: int, theirs: int) -> StabilityReport:
        def group(label: str, solved: int) -> GroupSummary:
            return GroupSummary(
                label, "recall", tuple(HorizonOutcome(h, 1, 1, int(h <= solved)) for h in (10, 20, 40, 80))
            )

        return StabilityReport(
            "t",
            settings,
            TrainConfig(),
            {},
            ({"task": "recall"},),
            (twin, impl),
            (),
            (),
            0.0,
            summary=(group(twin.label, theirs), group(impl.label, mine)),
        )

    assert impl_shortfalls(report(mine=20, theirs=40)) == []  # one doubling: noise
    assert impl_shortfalls(report(mine=10, theirs=40)) == [
        f"{impl.label}: longest recall horizon 10, {twin.label}: 40"
    ]
    assert impl_shortfalls(report(mine=0, theirs=20)) == [
        f"{impl.label}: longest recall horizon none, {twin.label}: 20"
    ]


def test_report_round_trips_through_the_results_file(tmp_path: Path) -> None:
    report = run_sweep(_plan(profile=SweepSize("t", (4,), 1, 600, 5, (6,))))
    path = write_json_atomic(tmp_path / "r.json", report.to_dict())
    data = json.loads(path.read_text())
    again = StabilityReport.from_dict(data)
    assert strict_json(again.to_dict()) == data
    assert data["summary"][0]["longest_horizon"] in (None, 4)
    assert len(data["diagnostics"][0]["profile"]["hidden_norms"]) == 6
    assert data["tasks"][0]["chance_accuracy"] == 0.125


def test_bad_plans_raise() -> None:
    with pytest.raises(ValueError, match="unknown task 'nope'"):
        SweepPlan.create(MODELS, ("nope",), TINY)


def test_agreement_accuracy_by_distance_and_attractors_reaches_the_summary_and_the_table() -> None:
    plan = SweepPlan.create(MODELS[:1], ("agreement",), SweepSize("t", (4, 8), 1, 600, 5, ()), eval_every=5)
    report = run_sweep(plan)
    (group,) = report.summary
    for outcome in group.horizons:
        assert (
            set(outcome.breakdown) <= {f"{k} attractors" for k in range(4)}
            and "0 attractors" in outcome.breakdown
        )
        assert all(0.0 <= v <= 1.0 for v in outcome.breakdown.values())
    job = report.jobs[0]
    assert (
        job.train is not None and job.train.breakdown == group.horizons[0].breakdown
    )  # one seed: its own figures
    text = format_breakdowns(report)
    assert "agreement: held-out accuracy by distance and attractors" in text
    assert "0 attractors" in text and format_breakdowns(run_sweep(_plan(profile=TINY))) == ""


class _DeadWorkers(Executor):
    """Every job's worker dies: each future fails with the executor's own error."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_exception(BrokenProcessPool("a worker died"))
        return future


def test_a_dying_executor_gives_error_results_and_the_sweep_completes() -> None:
    report = run_sweep(_plan(profile=SweepSize("t", (4, 8), 1, 600, 5, (6,))), executor=_DeadWorkers())
    assert [d.status for d in report.diagnostics] == ["error", "error"]
    assert [j.status for j in report.jobs] == ["error", "error"]  # horizon 4 only: nobody solved it
    assert report.jobs[0].error == "worker died (BrokenProcessPool: a worker died)"
    assert all(g.longest_horizon is None for g in report.summary)


def test_run_job_dispatches_on_the_job_type() -> None:
    train_job = TrainJob(MODELS[0], "recall", 4, 0, TrainConfig(max_steps=2, profiles=False))
    diagnostic_job = DiagnosticJob(MODELS[1], "recall", 6, 0)
    assert isinstance(run_job(train_job), TrainJobResult)
    diagnostic = run_job(diagnostic_job)
    assert (
        isinstance(diagnostic, DiagnosticResult)
        and diagnostic.status == "ok"
        and diagnostic.profile is not None
    )
    assert (
        diagnostic.jacobian is not None and diagnostic.spectrum is not None and diagnostic.regime is not None
    )


def test_an_impl_is_loaded_once_for_every_job_of_a_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each job builds a fresh module, but from one loaded implementation (``models.loaded_impl``)."""
    import lstm_bench.loader
    from lstm_bench.stability import models

    real = lstm_bench.loader.load_impl
    loads: list[str] = []

    def counting(spec: str, *args: Any, **kwargs: Any) -> Any:
        loads.append(spec)
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(lstm_bench.loader, "load_impl", counting)
    models.loaded_impl.cache_clear()
    spec = impl_model("torch.nn:GRU", Kind.GRU)
    first = models.build_recurrent(spec, 3, steps=8, seed=0)
    second = models.build_recurrent(spec, 3, steps=8, seed=1)
    assert first is not second and loads == ["torch.nn:GRU"]
    models.loaded_impl.cache_clear()
