"""``lstm-bench bench --impl CANDIDATE --baseline-impl BASELINE``: interleaved A/B over a suite, gated.

For every case of the selected suite that both implementations run, build both workloads
(``lstm_bench.bench.registry``, same seed, so the same weights and inputs) and time them
interleaved, adding pairs until the group-sequential rule decides (``interleave.gate_sequential``,
``lstm_bench.gate.sequential``) or the case's ``Budget`` is spent. The result is a ``Comparison``
like ``lstm-bench compare``'s, so it renders the same way; its exit code is 1 when any case
regressed, or was inconclusive unless that is allowed (``ABOptions.allow_inconclusive``).

Timing: rounds of at least ``AB_ROUND_TIME_S`` (one call for workloads above 0.5 ms). Short
rounds make many pairs, and a pair hit by other load is one outlier among hundreds rather than a
slice of every long round; the power study (``benchmarks/gate_power.py``, ``docs/ci.md``)
measured the gate at these settings.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from lstm_bench.bench.registry import BUILTIN_BACKENDS, IMPL_PREFIX, Backend, get_backend
from lstm_bench.bench.timer import BlockClock, Timer, TimerSettings, clock_for_device
from lstm_bench.bench.workloads import Case
from lstm_bench.errors import ImplementationMisbehaved, UsageError
from lstm_bench.gate.config import GateConfig
from lstm_bench.gate.interleave import Budget, gate_sequential, paired_comparison, sequential_timing
from lstm_bench.gate.result import Comparison, TimingComparison
from lstm_bench.gate.sequential import MAX_PAIRS_LIMIT
from lstm_bench.kinds import Kind

AB_ROUND_TIME_S = 5e-4
AB_MIN_TIME_S = 1.0  # per side: the floor of the fixed-size design (``time_interleaved``)

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
    budget: Budget | None = None,
    seed: int = 0,
    cuda_timing: str = "events",
    progress: Progress | None = None,
    clock: BlockClock | None = None,
) -> Comparison:
    """Time ``candidate`` against ``baseline`` interleaved on every case both run, sequentially; gate each case.

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
        max_slowdown = config.max_slowdown_for(name)
        try:
            step_b = candidate.prepare(case, device, seed).step
            step_a = baseline.prepare(case, device, seed).step
            outcome = gate_sequential(
                step_a, step_b, timer, alpha=config.alpha, max_slowdown=max_slowdown, budget=budget
            )
        except UsageError:
            raise
        except (Exception, SystemExit) as exc:  # the implementation at fault: a finding
            raise ImplementationMisbehaved(f"{name}: a workload raised {type(exc).__name__}: {exc}") from None
        timings.append(sequential_timing(name, outcome, max_slowdown))
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


@dataclass(frozen=True)
class ABOptions:
    """What ``bench --baseline-impl`` was asked for (``from_args`` reads the parsed flags)."""

    candidate: str  # the one --impl
    baseline: str  # --baseline-impl: pkg.module:Name or a builtin backend name
    device: str = "cpu"
    threads: int | None = None
    seed: int = 0
    cuda_timing: str = "events"
    json_path: str | None = None
    output_format: str = "text"
    max_slowdown: str | None = None  # as typed: '5%' or '0.05'; None: pyproject.toml, else the default
    alpha: float | None = None
    budget: Budget = field(default_factory=Budget)
    allow_inconclusive: bool = False

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> ABOptions:
        """From ``bench``'s flags; UsageError for more or less than one --impl or a bad budget."""
        impls = list(getattr(args, "impl", None) or [])
        if len(impls) != 1:
            raise UsageError(f"--baseline-impl needs exactly one --impl (the candidate), got {len(impls)}")
        return cls(
            candidate=impls[0],
            baseline=str(args.baseline_impl),
            device=getattr(args, "device", "cpu"),
            threads=getattr(args, "threads", None),
            seed=getattr(args, "seed", 0),
            cuda_timing=getattr(args, "cuda_timing", "events"),
            json_path=getattr(args, "json", None),
            output_format=getattr(args, "format", None) or "text",
            max_slowdown=getattr(args, "max_slowdown", None),
            alpha=getattr(args, "alpha", None),
            budget=budget_from_flags(getattr(args, "max_pairs", None), getattr(args, "case_seconds", None)),
            allow_inconclusive=bool(getattr(args, "allow_inconclusive", False)),
        )


def budget_from_flags(max_pairs: int | None, seconds: float | None) -> Budget:
    """The per-case budget of ``--max-pairs`` and ``--case-seconds`` (None: the default); UsageError when invalid."""
    default = Budget()
    pairs = default.max_pairs if max_pairs is None else max_pairs
    if not default.first_look <= pairs <= MAX_PAIRS_LIMIT:
        raise UsageError(f"--max-pairs must be in {default.first_look}..{MAX_PAIRS_LIMIT}, got {pairs}")
    limit = default.seconds if seconds is None else seconds
    if not 0 < limit < float("inf"):
        raise UsageError(f"--case-seconds must be positive seconds, got {limit}")
    return replace(default, max_pairs=pairs, seconds=limit)


def run_ab_command(options: ABOptions, cases: Sequence[Case], kind: Kind | None) -> int:
    """The ``bench --baseline-impl`` path: A/B every selected case, print, write the JSON; exit 0/1.

    Exit 1 when a case regressed, or was inconclusive unless ``options.allow_inconclusive``.
    """
    from lstm_bench.atomic import write_text_atomic
    from lstm_bench.gate.config import load_config
    from lstm_bench.gate.format import render, to_json

    config = load_config().with_overrides(max_slowdown=options.max_slowdown, alpha=options.alpha)
    for warning in config.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    candidate, baseline = ab_backend(options.candidate, kind), ab_backend(options.baseline, kind)
    import torch

    from lstm_bench.threads import torch_threads

    budget = options.budget
    with torch_threads(options.threads):
        threads = torch.get_num_threads()
        print(
            f"A/B: {candidate.name} vs baseline {baseline.name} on {options.device}, {threads} thread(s); "
            f"pairs until a decision, at most {budget.max_pairs} pairs or {budget.seconds:g} s per case",
            file=sys.stderr,
        )
        comparison = run_ab(
            candidate,
            baseline,
            cases,
            config,
            device=options.device,
            settings=ab_timer_settings(),
            budget=budget,
            seed=options.seed,
            cuda_timing=options.cuda_timing,
            progress=print_progress,
        )
    print(render(comparison, options.output_format), end="")
    if options.json_path:
        path = write_text_atomic(options.json_path, to_json(comparison))
        print(f"comparison written to {path}", file=sys.stderr)
    return comparison.exit_code_for(allow_inconclusive=options.allow_inconclusive)
