"""``lstm-bench bench --impl CANDIDATE --baseline-impl BASELINE``: interleaved A/B over a suite, gated.

For every case of the selected suite that both implementations run, build both workloads
(``lstm_bench.bench.registry``, same seed, so the same weights and inputs), time them
interleaved (``interleave.time_interleaved``) and judge the median paired ratio
(``interleave.gate_paired``). The result is a ``Comparison`` like ``lstm-bench compare``'s, so
it renders the same way; its exit code is 1 when any case regressed.

Timing: rounds of at least ``AB_ROUND_TIME_S`` (one call for workloads above 0.5 ms) and at
least ``AB_MIN_TIME_S`` of measured time per side. Short rounds make many pairs, and a pair hit
by other load is one outlier among hundreds rather than a slice of every long round; the power
study (``benchmarks/gate_power.py``, ``docs/ci.md``) measured the gate at these settings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace

from lstm_bench.bench.registry import BUILTIN_BACKENDS, IMPL_PREFIX, Backend, get_backend
from lstm_bench.bench.timer import BlockClock, Timer, TimerSettings, clock_for_device
from lstm_bench.bench.workloads import Case
from lstm_bench.errors import UsageError
from lstm_bench.gate.config import GateConfig
from lstm_bench.gate.interleave import gate_paired, paired_comparison, time_interleaved
from lstm_bench.gate.result import Comparison, TimingComparison
from lstm_bench.kinds import Kind

AB_ROUND_TIME_S = 5e-4
AB_MIN_TIME_S = 1.0  # per side; 2 s of timing per comparison, as in the power study

Progress = Callable[[int, int, str], None]


def ab_timer_settings(min_time_s: float | None = None) -> TimerSettings:
    """Timer settings of the A/B gate: short rounds, at least ``AB_MIN_TIME_S`` per side."""
    base = TimerSettings(round_time_s=AB_ROUND_TIME_S, max_rounds=1_000_000, warmup_s=0.05)
    return replace(base, min_time_s=max(AB_MIN_TIME_S, min_time_s or 0.0))


def ab_backend(spec: str, kind: Kind | None) -> Backend:
    """A builtin backend by name (e.g. ``torch-native``), else an implementation spec ``pkg.module:Name``."""
    if spec in BUILTIN_BACKENDS or spec.startswith(IMPL_PREFIX):
        return get_backend(spec, kind)
    return get_backend(IMPL_PREFIX + spec, kind)


def run_ab(
    candidate: Backend,
    baseline: Backend,
    cases: Sequence[Case],
    config: GateConfig,
    *,
    device: str = "cpu",
    settings: TimerSettings | None = None,
    seed: int = 0,
    cuda_timing: str = "events",
    progress: Progress | None = None,
    clock: BlockClock | None = None,
) -> Comparison:
    """Time ``candidate`` against ``baseline`` interleaved on every case both run; gate each case.

    UsageError when no case fits both. A workload that raises is reported as a UsageError naming
    the case (the A/B gate needs both sides to run). ``clock`` replaces the device's clock (tests).
    """
    runnable = [c for c in cases if candidate.supports(c, device) and baseline.supports(c, device)]
    if not runnable:
        raise UsageError(f"no case of the selected suite is run by both {candidate.name} and {baseline.name}")
    for backend in (candidate, baseline):
        why = backend.unavailable(device)
        if why is not None:
            raise UsageError(f"{backend.name} cannot run on {device}: {why}")
    timer = Timer(settings or ab_timer_settings(), clock or clock_for_device(device, cuda_timing))
    timings: list[TimingComparison] = []
    for index, case in enumerate(runnable):
        name = f"{case.key}/{device}"
        if progress is not None:
            progress(index, len(runnable), name)
        try:
            step_b = candidate.prepare(case, device, seed).step
            step_a = baseline.prepare(case, device, seed).step
            samples = time_interleaved(step_a, step_b, timer)
        except UsageError:
            raise
        except Exception as exc:
            raise UsageError(f"{name}: a workload raised {type(exc).__name__}: {exc}") from None
        timings.append(gate_paired(name, samples, config))
    if progress is not None:
        progress(len(runnable), len(runnable), "done")
    return paired_comparison(timings, config, baseline=baseline.name, candidate=candidate.name)


def print_progress(done: int, total: int, label: str) -> None:
    """One updating line on a terminal; start and end lines otherwise."""
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\r\033[K[{done}/{total}] A/B {label}"[:150], end=end, file=sys.stderr, flush=True)
    elif done == 0:
        print(f"lstm-bench bench: timing {total} case(s) interleaved A/B", file=sys.stderr, flush=True)


def run_ab_command(args: argparse.Namespace, cases: Sequence[Case], kind: Kind | None) -> int:
    """The ``bench --baseline-impl`` path: A/B every selected case, print, write ``--json``; exit 0/1.

    Reads ``args.impl`` (exactly one: the candidate), ``args.baseline_impl``, ``args.device``,
    ``args.threads``, ``args.seed``, ``args.min_time`` (per side, at least ``AB_MIN_TIME_S``),
    ``args.cuda_timing``, ``args.json`` (the comparison's JSON) and, when present,
    ``args.max_slowdown``, ``args.alpha`` and ``args.format`` (text, markdown or json).
    """
    import torch

    from lstm_bench.atomic import write_text_atomic
    from lstm_bench.gate.config import load_config
    from lstm_bench.gate.format import render, to_json

    if len(args.impl) != 1:
        raise UsageError(f"--baseline-impl needs exactly one --impl (the candidate), got {len(args.impl)}")
    config = load_config().with_overrides(
        max_slowdown=getattr(args, "max_slowdown", None), alpha=getattr(args, "alpha", None)
    )
    for warning in config.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    candidate, baseline = ab_backend(args.impl[0], kind), ab_backend(args.baseline_impl, kind)
    settings = ab_timer_settings(args.min_time)
    print(
        f"A/B: {candidate.name} vs baseline {baseline.name} on {args.device}, {torch.get_num_threads()} thread(s), "
        f"{settings.min_time_s:g} s per side per case",
        file=sys.stderr,
    )
    comparison = run_ab(
        candidate,
        baseline,
        cases,
        config,
        device=args.device,
        settings=settings,
        seed=args.seed,
        cuda_timing=getattr(args, "cuda_timing", "events"),
        progress=print_progress,
    )
    print(render(comparison, getattr(args, "format", None) or "text"), end="")
    if args.json:
        path = write_text_atomic(args.json, to_json(comparison))
        print(f"comparison written to {path}", file=sys.stderr)
    return comparison.exit_code
