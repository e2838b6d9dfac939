"""The phases of ``lstm-bench run``, each a thin adapter over its capability's library entry point.

* ``conformance``: ``lstm_bench.conformance.run_conformance`` on every implementation (our
  references and torch.nn's modules of the profile's kinds, plus every ``--impl``), one job per
  implementation on scale-out's runner (``scaleout.run_jobs``: a local process pool, or a Dask
  cluster with ``--scheduler``; a failed job is retried once); section ``"conformance"``.
* ``stability``: gradient-norm profiles and the recall horizon sweep from
  ``lstm_bench.stability`` (the profile's ``stability.budgets.RUN_SWEEPS`` entry: budgets in
  optimizer steps, so the verdicts do not depend on the machine's load), on the same runner;
  section ``"stability"``.
* ``gates``: gate activation histograms of the references (``gates``); section ``"gates"``.
* ``benchmarks``: ``lstm_bench.bench`` over the registry's backends and every ``--impl``, with
  the GEMM peak measured in the same run; section ``"benchmarks"``. Runs last and alone, so
  no other phase's work disturbs the timings.

A phase whose capability is not installed raises ``PhaseUnavailable``; the run goes on.
"""

from __future__ import annotations

from concurrent.futures import Executor
from typing import TYPE_CHECKING, Any

from lstm_bench.orchestration.context import Phase, PhaseOutput, PhaseUnavailable, RunContext
from lstm_bench.progress import PhaseProgress

if TYPE_CHECKING:
    from lstm_bench.kinds import Kind
    from lstm_bench.loader import LoadedImpl

__all__ = ["MAX_LOCAL_WORKERS", "PHASES", "REFERENCE_SPECS", "implementations"]

#: Local worker processes at most, one torch thread each (the conformance and sweep jobs are small).
MAX_LOCAL_WORKERS = 4

#: Spec of our PyTorch reference and of torch.nn's module, per kind (rnn-relu: the RNN classes with nonlinearity='relu').
REFERENCE_SPECS: dict[str, tuple[str, str]] = {
    "lstm": ("lstm_bench.reference.torch_ref:LSTM", "torch.nn:LSTM"),
    "gru": ("lstm_bench.reference.torch_ref:GRU", "torch.nn:GRU"),
    "rnn": ("lstm_bench.reference.torch_ref:RNN", "torch.nn:RNN"),
    "rnn-relu": ("lstm_bench.reference.torch_ref:RNN", "torch.nn:RNN"),
}


def implementations(ctx: RunContext) -> list[tuple[str, str | None]]:
    """(spec, kind) of every implementation the run checks: references and torch.nn per kind, then each --impl."""
    out: list[tuple[str, str | None]] = [
        (spec, kind.value) for kind in _kinds(ctx) for spec in REFERENCE_SPECS[kind.value]
    ]
    out += [(impl.spec, impl.kind.value) for impl in ctx.loaded()]
    return out


def _executor(ctx: RunContext, jobs: int) -> Executor | None:
    """Scale-out's executor for ``jobs`` independent jobs (``--workers`` / ``--scheduler``), or None: run here.

    Here when the run is on a GPU (one device, one process), when there is at most one job, or
    when one worker is asked for (or the machine has one CPU) and no scheduler is named.
    """
    from lstm_bench.scaleout.executors import available_cpus, make_executor, scheduler_address

    options = ctx.options
    remote = scheduler_address(options.scheduler, options.workers) is not None
    workers = options.workers if options.workers is not None else min(available_cpus(), MAX_LOCAL_WORKERS)
    if options.device == "cuda" or (not remote and (jobs <= 1 or workers <= 1)):
        return None
    return make_executor(None if remote else min(workers, jobs), options.scheduler)


# ---------------------------------------------------------------------------------------------
# conformance
# ---------------------------------------------------------------------------------------------


def _conformance_job(
    job: tuple[str, str | None, str, str, int], impl: LoadedImpl | None = None
) -> dict[str, Any]:
    """One implementation's conformance report (runs on a scale-out worker, or here with ``impl`` already loaded)."""
    from lstm_bench.conformance import run_conformance
    from lstm_bench.kinds import Kind
    from lstm_bench.loader import load_impl
    from lstm_bench.threads import torch_threads

    spec, kind, profile, device, seed = job
    if impl is None:  # a worker process loads it from its spec
        impl = load_impl(spec, None if kind is None else Kind.parse(kind))
    with torch_threads(1):  # one thread per job: the jobs share the cores
        return run_conformance(impl, profile=profile, device=device, seed=seed).to_dict()


def conformance_phase(ctx: RunContext, progress: PhaseProgress) -> PhaseOutput:
    """Every check on every implementation, one scale-out job per implementation (retried once if it fails)."""
    try:
        from lstm_bench.conformance import CHECK_NAMES
    except ImportError as exc:
        raise PhaseUnavailable(f"lstm_bench.conformance is not available ({exc})") from None
    from lstm_bench.scaleout.runner import run_jobs

    impls = implementations(ctx)
    jobs = [
        (spec, kind, ctx.profile.conformance, ctx.options.device, ctx.options.seed) for spec, kind in impls
    ]
    executor = _executor(ctx, len(jobs))
    where = "here" if executor is None else getattr(executor, "describe", lambda: "a pool")()
    progress.update(0, total=len(jobs) * len(CHECK_NAMES), note=f"{len(jobs)} implementations on {where}")
    if executor is None:
        reports = []
        loaded: dict[tuple[str, str | None], LoadedImpl] = {(i.spec, i.kind.value): i for i in ctx.loaded()}
        for job in jobs:
            reports.append(_conformance_job(job, loaded.get((job[0], job[1]))))
            progress.advance(len(reports[-1].get("checks", ())), note=job[0])
    else:
        with executor:
            outcomes = run_jobs(
                _conformance_job,
                jobs,
                executor,
                on_outcome=lambda o: progress.advance(
                    len((o.value or {}).get("checks", ())) or len(CHECK_NAMES), note=o.job[0]
                ),
            )
        broken = next((o for o in outcomes if o.value is None), None)
        if broken is not None:
            raise RuntimeError(f"{broken.job[0]}: conformance job failed: {broken.error}")
        reports = [o.value for o in outcomes if o.value is not None]
    failed = [r["spec"] for r in reports if not r.get("passed", False)]
    checks = sum(len(r.get("checks", ())) for r in reports)
    summary = f"{len(reports) - len(failed)}/{len(reports)} implementations passed ({checks} checks)"
    if failed:
        summary += "; FAILED: " + ", ".join(failed)
    return PhaseOutput({"conformance": reports}, summary, failed=bool(failed))


# ---------------------------------------------------------------------------------------------
# gate activations
# ---------------------------------------------------------------------------------------------


def gates_phase(ctx: RunContext, progress: PhaseProgress) -> PhaseOutput:
    """Histograms of every gate of the references over one trace on random input."""
    from lstm_bench.stability.activations import GATE_MODELS, gate_section

    progress.update(0, total=1)
    section = gate_section(GATE_MODELS, seed=ctx.options.seed)
    progress.advance(1)
    return PhaseOutput({"gates": section}, f"{len(section['models'])} models traced")


# ---------------------------------------------------------------------------------------------
# stability and benchmarks
# ---------------------------------------------------------------------------------------------


def stability_phase(ctx: RunContext, progress: PhaseProgress) -> PhaseOutput:
    """Gradient-norm diagnostics of every model and init, then the recall horizon sweep, within the profile's budget."""
    try:
        from lstm_bench.stability.sweep import (
            BUILTIN_MODELS,
            SweepPlan,
            SweepProgress,
            SweepSize,
            impl_model,
            run_sweep,
        )
    except ImportError as exc:
        raise PhaseUnavailable(f"lstm_bench.stability is not available ({exc})") from None
    import time

    from lstm_bench.stability.budgets import RUN_SWEEPS

    impls = [impl_model(impl.spec, impl.kind, framework=impl.framework) for impl in ctx.loaded()]
    sweep: SweepSize = RUN_SWEEPS[ctx.profile.sweep]
    plan = SweepPlan.create([*BUILTIN_MODELS, *impls], ("recall",), profile=sweep, seed=ctx.options.seed)
    cap, started = ctx.profile.stability_cap_seconds, time.monotonic()
    reporter = SweepProgress(progress)

    def out_of_time() -> bool:  # a safety cap, polled between horizons; the first horizon always runs
        return reporter.waves > 0 and time.monotonic() - started > cap

    executor = _executor(ctx, len(plan.models))
    if executor is None:
        report = run_sweep(plan, None, reporter, should_stop=out_of_time)
    else:
        with executor:
            report = run_sweep(plan, executor, reporter, should_stop=out_of_time)
    longest = {g.model: g.longest_horizon for g in report.summary}
    best = max(longest.items(), key=lambda item: item[1] or 0, default=("", None))
    summary = f"{len(report.diagnostics)} profiles, {len(report.jobs)} training runs"
    if best[1]:
        summary += f"; longest recall horizon {best[1]} ({best[0]})"
    timed_out = sum(1 for j in report.jobs if j.train is not None and j.train.timed_out)
    if timed_out:
        summary += f"; {timed_out} run(s) timed out at the {sweep.max_seconds:g} s safety cap (undecided)"
    if report.interrupted:
        summary += f"; timed out: no horizon started after the {cap:.0f} s safety cap"
    return PhaseOutput({"stability": report.to_dict()}, summary)


def bench_phase(ctx: RunContext, progress: PhaseProgress) -> PhaseOutput:
    """The profile's benchmark suite on numpy-ref, torch-ref, torch-native and every --impl, GEMM peak first."""
    try:
        from lstm_bench.bench import DEFAULT_BACKENDS, TimerSettings, get_suite, run_benchmarks
        from lstm_bench.bench.registry import ImplBackend, resolve_backends
        from lstm_bench.bench.runner import default_threads
    except ImportError as exc:
        raise PhaseUnavailable(f"lstm_bench.bench is not available ({exc})") from None

    suite = get_suite(ctx.profile.bench, ctx.options.device, kinds=_kinds(ctx))
    impls = {impl.spec: impl for impl in ctx.loaded()}  # each --impl once, as resolve_backends would
    backends = [*resolve_backends(list(DEFAULT_BACKENDS), []), *(ImplBackend(i) for i in impls.values())]
    run = run_benchmarks(
        suite.cases,
        backends,
        ctx.options.device,
        TimerSettings().scaled(ctx.profile.bench_scale),
        threads=default_threads(ctx.options.device),  # as bench
        seed=ctx.options.seed,
        progress=lambda done, total, label: progress.update(done, total, label),
        suite=suite.name,
    )
    measured = [r for r in run.records if r.status == "ok"]
    noisy = sum(1 for r in measured if r.summary is not None and r.summary.noisy)
    peaks = ", ".join(f"{p.dtype} {p.gflops:.0f} GFLOP/s" for p in run.peaks)
    summary = f"{len(measured)}/{len(run.records)} timed, {noisy} noisy; GEMM peak {peaks or 'not measured'}"
    errors = [r for r in run.records if r.status == "error"]  # a workload raised: failing, as in bench
    if errors:
        first = errors[0]
        summary += f"; {len(errors)} FAILED, e.g. {first.backend} {first.name}: {first.reason}"
    return PhaseOutput(run.sections(), summary, failed=bool(errors))


def _kinds(ctx: RunContext) -> list[Kind]:
    """The profile's kinds plus those of the --impl implementations, in order."""
    kinds = [*ctx.profile.kinds, *(impl.kind for impl in ctx.loaded())]
    return list(dict.fromkeys(kinds))


PHASES: tuple[Phase, ...] = (
    Phase("conformance", conformance_phase),
    Phase("stability", stability_phase),
    Phase("gates", gates_phase),
    Phase("benchmarks", bench_phase),
)
