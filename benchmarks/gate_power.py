"""Power of the regression gate on this machine: false alarms (A vs A) and detection (A vs A + x%).

``sequential`` (the study of ``lstm-bench bench --baseline-impl`` as it runs now): the
group-sequential A/B gate (``lstm_bench.gate.interleave.gate_sequential``, default budget) on
three workload sizes, about 1 ms, 20 ms and 200 ms per call (torch.nn.LSTM forward, float32;
the number of time steps T is chosen in place so a call takes about the target), A/A and real
slowed twins: the same module wrapped so that every forward runs the LSTM over its input plus
k more time steps in the same call, genuine extra work proportional to the call, k calibrated by an
interleaved measurement so the twin is 5% / 10% slower. The table reports the slowdown measured
after calibration, rates of each verdict, how many cases had a change that the fresh pairs after
it did not confirm (``lstm_bench.gate.sequential.settle_change``: those cases went on looking),
and mean pairs timed (confirmations included) and seconds per case::

    python benchmarks/gate_power.py sequential --out reports/gate_power/sequential.json
    python benchmarks/gate_power.py sequential --trials 2 --sizes small   # a smoke run

The rest of this docstring is the earlier fixed-time study (``run`` / ``all`` / ``table``), kept
for the two-run ``compare`` design, whose power it states.

A is a real benchmark workload: torch.nn.LSTM forward (``lstm_bench.bench.workloads``), float32,
one thread, I=H=32, B=8, T=20 by default (about 0.5 ms per call here). The slowed candidate runs
A and then *real extra work*: a busy loop of k iterations, k calibrated in place at the start of
each process (a probe with about +50% extra work timed interleaved against A) so the extra work
costs x% of A's time; the table reports the slowdown actually measured over all trials. Scenarios: ``aa`` (x = 0, the candidate is A itself)
and x in {2, 5, 10, 20}. Each trial is one comparison in each of two designs, in alternating
order, each with ``--seconds`` of timing in total (half per side):

* **interleaved**: ``lstm_bench.gate.interleave.time_interleaved`` (rounds AB, BA, AB, ...),
  gated on the median paired ratio with the Wilcoxon signed-rank test (what
  ``lstm-bench bench --baseline-impl`` does); the same samples are also judged as if they were
  two independent runs (ratio of medians, Mann-Whitney U);
* **sequential**: A timed, then the candidate timed (``Timer.measure`` each): two separate runs,
  as ``lstm-bench compare BASELINE.json CANDIDATE.json`` sees them (ratio of medians, Mann-Whitney U).

On both designs' samples we also apply pytest-benchmark's ``--benchmark-compare-fail=mean:5%``
(fail when mean(B) / mean(A) - 1 > 5%). Each trial stores the estimates and p-values, so the
verdicts for any threshold and alpha are computed afterwards (``table``).

Usage (each chunk under the measurement lock, so no two measurements overlap):

    python benchmarks/gate_power.py all --out-dir reports/gate_power --lock /tmp/lstm-bench-measure.lock
    python benchmarks/gate_power.py run --scenario 5 --trials 50 --first-trial 0 --out reports/gate_power/5-0.json
    python benchmarks/gate_power.py table reports/gate_power/*.json [--markdown]

Seeded (weights, inputs, bootstrap); timings are of course not reproducible bit for bit.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import math
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

SCENARIOS = {"aa": 0.0, "2": 0.02, "5": 0.05, "10": 0.10, "20": 0.20}
DEFAULT_SIZES = (32, 32, 8, 20)  # I, H, B, T
THRESHOLDS = {"interleaved": (0.01, 0.02, 0.03, 0.05), "sequential": (0.03, 0.05, 0.10, 0.20, 0.50)}
ALPHAS = (0.05, 0.01, 0.001)
PYTEST_BENCHMARK_PERCENT = 5.0
DESIGNS = ("interleaved", "sequential")


# --------------------------------------------------------------------------------------------
# Workloads
# --------------------------------------------------------------------------------------------


def make_workload(sizes: Sequence[int], seed: int) -> Callable[[], object]:
    """torch.nn.LSTM forward on (T, B, I) float32 inputs, through the bench package's workloads."""
    import torch

    from lstm_bench.bench.workloads import Case, Workload, torch_step
    from lstm_bench.kinds import Kind

    i, h, b, t = sizes
    torch.manual_seed(seed)
    module = torch.nn.LSTM(i, h)
    return torch_step(module, Case(Kind.LSTM, Workload.FORWARD, i, h, b, t), "cpu", seed)


def busy_loop(iterations: int) -> int:
    """Real extra work of fine granularity (about 30 ns an iteration here): a sum of squares."""
    acc = 0
    for i in range(iterations):
        acc += i * i
    return acc


def slowed(workload: Callable[[], object], iterations: int) -> Callable[[], object]:
    """The candidate: the workload, then ``iterations`` of the busy loop (0: the workload itself)."""
    if iterations == 0:
        return workload

    def candidate() -> object:
        out = workload()
        busy_loop(iterations)
        return out

    return candidate


def calibrate(workload: Callable[[], object], slowdown: float, seconds: float) -> dict[str, float]:
    """Busy-loop iterations that make the candidate ``slowdown`` slower than the workload, measured in place.

    The loop's cost next to the workload (caches, frequency) differs from its cost alone, so a
    probe candidate with about +50% of extra work is timed interleaved against the workload for
    ``seconds``; its median paired ratio r gives the relative cost per iteration (r - 1) / N.
    """
    from lstm_bench.bench.timer import Timer, TimerSettings
    from lstm_bench.gate.interleave import time_interleaved
    from lstm_bench.gate.stats import compare_paired

    timer = Timer(TimerSettings(min_time_s=seconds / 2, round_time_s=5e-4, max_rounds=10**6, warmup_s=0.05))
    workload_s = float(np.median(timer.measure(workload).samples_s))
    start = time.perf_counter()
    busy_loop(100_000)
    per_iteration_s = (time.perf_counter() - start) / 100_000
    probe = max(1, round(0.5 * workload_s / per_iteration_s))
    pairs = time_interleaved(workload, slowed(workload, probe), timer)
    ratio = compare_paired(pairs.baseline_s, pairs.candidate_s).ratio
    relative_per_iteration = (ratio - 1.0) / probe
    return {
        "workload_s": workload_s,
        "probe_iterations": probe,
        "probe_ratio": ratio,
        "iterations": round(slowdown / relative_per_iteration) if slowdown > 0 else 0,
    }


# --------------------------------------------------------------------------------------------
# One trial
# --------------------------------------------------------------------------------------------


def _judge_independent(a: Sequence[float], b: Sequence[float], seed: int) -> dict[str, Any]:
    from lstm_bench.gate.stats import compare_independent

    return compare_independent(a, b, confidence=0.99, seed=seed).to_dict()


def _mean_ratio(a: Sequence[float], b: Sequence[float]) -> float:
    return float(np.mean(b) / np.mean(a))


def trial(
    baseline: Callable[[], object],
    candidate: Callable[[], object],
    seconds: float,
    index: int,
    designs: Sequence[str] = DESIGNS,
) -> dict[str, Any]:
    """Each of ``designs`` once (alternating their order by trial); estimates and p-values of every rule."""
    from lstm_bench.bench.timer import Timer, TimerSettings
    from lstm_bench.gate.interleave import time_interleaved
    from lstm_bench.gate.stats import compare_paired

    settings = TimerSettings(
        min_time_s=seconds / 2, min_rounds=7, max_rounds=10**6, round_time_s=5e-4, warmup_s=0.05
    )
    timer = Timer(settings)
    record: dict[str, Any] = {
        "trial": index,
        "order": "interleaved-first" if index % 2 == 0 else "sequential-first",
    }

    def interleaved() -> None:
        pairs = time_interleaved(baseline, candidate, timer)
        a, b = pairs.baseline_s, pairs.candidate_s
        record["interleaved"] = {
            "pairs": len(a),
            "seconds": pairs.seconds,
            "paired": compare_paired(a, b, confidence=0.99).to_dict(),
            "paired_wilcoxon": compare_paired(a, b, confidence=0.99, test="wilcoxon").to_dict(),
            "independent": _judge_independent(a, b, seed=index),
            "mean_ratio": _mean_ratio(a, b),
        }

    def sequential() -> None:
        start = time.perf_counter()
        a = timer.measure(baseline).samples_s
        b = timer.measure(candidate).samples_s
        record["sequential"] = {
            "n_baseline": len(a),
            "n_candidate": len(b),
            "seconds": time.perf_counter() - start,
            "independent": _judge_independent(a, b, seed=index),
            "mean_ratio": _mean_ratio(a, b),
        }

    steps = [step for step in (interleaved, sequential) if step.__name__ in designs]
    for step in steps if index % 2 == 0 else steps[::-1]:
        step()
    return record


# --------------------------------------------------------------------------------------------
# A chunk of trials (one process, one calibration)
# --------------------------------------------------------------------------------------------


def _progress(done: int, total: int, label: str) -> None:
    if sys.stderr.isatty():
        end = "\n" if done == total else ""
        print(f"\r\033[K{label}: trial {done}/{total}", end=end, file=sys.stderr, flush=True)
    elif done in (0, total):
        print(f"{label}: {'starting' if done == 0 else 'done'} ({total} trials)", file=sys.stderr, flush=True)


def run_chunk(args: argparse.Namespace) -> dict[str, Any]:
    """Calibrate, then run ``args.trials`` trials of one scenario; returns the chunk's JSON document."""
    import torch

    from lstm_bench.bench.load import machine_load
    from lstm_bench.environment import capture_environment

    torch.set_num_threads(args.threads)
    sizes = tuple(args.sizes)
    slowdown = SCENARIOS[args.scenario]
    workload = make_workload(sizes, args.seed)
    load_before = machine_load().to_dict()
    cal = calibrate(workload, slowdown, args.calibration_seconds)
    candidate = slowed(workload, int(cal["iterations"]))
    label = f"scenario {args.scenario} trials {args.first_trial}..{args.first_trial + args.trials - 1}"
    trials = []
    _progress(0, args.trials, label)
    for i in range(args.trials):
        trials.append(trial(workload, candidate, args.seconds, args.first_trial + i, args.designs.split(",")))
        _progress(i + 1, args.trials, label)
    return {
        "study": "lstm-bench gate power",
        "scenario": args.scenario,
        "slowdown": slowdown,
        "sizes": {"I": sizes[0], "H": sizes[1], "B": sizes[2], "T": sizes[3]},
        "threads": args.threads,
        "seconds_per_comparison": args.seconds,
        "calibration": cal,
        "seed": args.seed,
        "environment": capture_environment(),
        "load_before": load_before,
        "load_after": machine_load().to_dict(),
        "trials": trials,
    }


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def _flagged(estimate: dict[str, Any], threshold: float, alpha: float) -> bool:
    """The gate's rule (``lstm_bench.gate.stats.classify``): significant and beyond the threshold."""
    from lstm_bench.gate.stats import RatioEstimate, Verdict, classify

    decision = classify(RatioEstimate.from_dict(estimate), max_slowdown=threshold, alpha=alpha)
    return decision.verdict is Verdict.REGRESSION


def _rate(flags: Sequence[bool]) -> str:
    k, n = sum(flags), len(flags)
    return f"{100 * k / n:.0f}% ({k}/{n})" if n else "-"


def _load_chunks(paths: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    by_scenario: dict[str, list[dict[str, Any]]] = {}
    for path in paths:
        chunk = json.loads(Path(path).read_text())
        by_scenario.setdefault(chunk["scenario"], []).append(chunk)
    return by_scenario


def _rows(chunks: dict[str, list[dict[str, Any]]], threshold: float, alpha: float) -> list[list[str]]:
    rows = []
    for scenario in SCENARIOS:
        if scenario not in chunks:
            continue
        trials = [t for chunk in chunks[scenario] for t in chunk["trials"]]
        inter = [t["interleaved"] for t in trials if "interleaved" in t]
        seq = [t["sequential"] for t in trials if "sequential" in t]
        measured = float(np.median([t["paired"]["ratio"] for t in inter])) - 1.0 if inter else math.nan
        name = "A vs A" if scenario == "aa" else f"A vs A +{scenario}%"
        limit = 1 + PYTEST_BENCHMARK_PERCENT / 100
        rows.append(
            [
                name,
                f"{100 * measured:+.1f}%" if inter else "-",
                _rate([_flagged(t["paired"], threshold, alpha) for t in inter]),
                _rate([_flagged(t["independent"], threshold, alpha) for t in inter]),
                _rate([_flagged(t["independent"], threshold, alpha) for t in seq]),
                _rate([t["mean_ratio"] > limit for t in inter]),
                _rate([t["mean_ratio"] > limit for t in seq]),
            ]
        )
    return rows


def _sensitivity(
    chunks: dict[str, list[dict[str, Any]]], design: str, key: str, default: float
) -> list[list[str]]:
    rows = []
    settings = [(t, 0.01, key) for t in THRESHOLDS[design]] + [(default, a, key) for a in ALPHAS if a != 0.01]
    if key == "paired":
        settings.append((default, 0.01, "paired_wilcoxon"))
    for threshold, alpha, which in settings:
        test = " (Wilcoxon test)" if which == "paired_wilcoxon" else ""
        row = [f"+{100 * threshold:g}%, alpha {alpha:g}{test}"]
        for scenario in SCENARIOS:
            trials = [
                t[design][which] for chunk in chunks.get(scenario, []) for t in chunk["trials"] if design in t
            ]
            row.append(_rate([_flagged(e, threshold, alpha) for e in trials]) if trials else "-")
        rows.append(row)
    return rows


def _render(header: list[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows])


def table(paths: Sequence[str], threshold: float, alpha: float, markdown: bool) -> str:
    """The study's tables: flag rates per scenario and rule, then the threshold/alpha sensitivity."""
    chunks = _load_chunks(paths)
    if not chunks:
        raise SystemExit("no chunk files given")
    first = next(iter(chunks.values()))[0]
    sizes = first["sizes"]
    pct = f"{PYTEST_BENCHMARK_PERCENT:g}%"
    header = [
        "scenario",
        "measured slowdown",
        "gate, interleaved (paired)",
        "gate, interleaved as 2 runs",
        "gate, 2 sequential runs",
        f"mean:{pct}, interleaved",
        f"mean:{pct}, 2 runs",
    ]
    loads = [
        c[k]["load_average"][0] for cs in chunks.values() for c in cs for k in ("load_before", "load_after")
    ]
    per_trial = [
        t[d]["seconds"] for cs in chunks.values() for c in cs for t in c["trials"] for d in DESIGNS if d in t
    ]
    cal = [c["calibration"]["workload_s"] for cs in chunks.values() for c in cs]
    out = [
        f"Workload A: torch.nn.LSTM forward, float32, I={sizes['I']} H={sizes['H']} B={sizes['B']} T={sizes['T']}, "
        f"{first['threads']} thread(s), median {1e3 * float(np.median(cal)):.2f} ms/call; "
        f"{first['seconds_per_comparison']:g} s of timing per comparison (wall {np.median(per_trial):.2f} s median "
        f"per design incl. warm-up); 1-min load average {min(loads):.1f}-{max(loads):.1f} on {os.cpu_count()} cores.",
        f"Gate: threshold +{100 * threshold:g}%, alpha {alpha:g}. Cells: share of trials flagged as a regression.",
        "",
        _render(header, _rows(chunks, threshold, alpha), markdown),
        "",
        "Sensitivity of the interleaved (paired) gate to the threshold and alpha:",
        "",
        _render(
            ["threshold, alpha", *(("A vs A" if s == "aa" else f"+{s}%") for s in SCENARIOS)],
            _sensitivity(chunks, "interleaved", "paired", threshold),
            markdown,
        ),
        "",
        "Sensitivity of the gate on 2 sequential runs (lstm-bench compare) to the threshold and alpha:",
        "",
        _render(
            ["threshold, alpha", *(("A vs A" if s == "aa" else f"+{s}%") for s in SCENARIOS)],
            _sensitivity(chunks, "sequential", "independent", threshold),
            markdown,
        ),
    ]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# The sequential A/B gate over three workload sizes (subcommand ``sequential``)
# --------------------------------------------------------------------------------------------

# (I, H, B), the target seconds per call, the fewest steps T. Twins come in whole extra steps,
# so T bounds their granularity: 1/T. The small and large sizes have batches small enough for
# T >= 100, so their +5% twins are within about 1% of 5% (with T=50 a step is 2%: the small
# "+5%" twin at B=8, T=50 measured +8.3%, and the large one at B=64, T=50, one extra step, +2.6%
# in its trials although its 16-pair calibration read +4.9%).
SEQ_SIZES = {
    "small": ((64, 64, 2), 1e-3, 100),
    "medium": ((256, 256, 32), 20e-3, 50),
    "large": ((512, 512, 32), 200e-3, 100),
}
CALIBRATION_PAIRS = 64  # at least, per twin measurement: 16 pairs of a 200 ms call misread +2.6% as +4.9%
SEQ_SCENARIOS = {"aa": 0.0, "5": 0.05, "10": 0.10}
DEFAULT_SEQ_TRIALS = "small=100,medium=40,large=20"  # about 40 minutes on a quiet 2-core machine


def _slowed_module(module: Any, extra_steps: int) -> Any:
    """The module wrapped: each forward runs it over its input plus ``extra_steps`` more steps (0: no extra work).

    The extra steps are the first ones of the input appended at its end, inside the same LSTM
    call: genuine work proportional to the call (a second call would add a fixed overhead that
    dominates small workloads), and in the graph, so a backward pays for it too.
    """
    import torch

    class Slowed(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = module

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, Any]:
            if not extra_steps:
                return self.inner(x)  # type: ignore[no-any-return]
            longer = torch.cat([x, x[:extra_steps]])  # (T + k, B, I)
            out, state = self.inner(longer)  # (T + k, B, H)
            return out[: x.shape[0]], state

    return Slowed()


def _step(sizes: tuple[int, int, int, int], extra_steps: int, seed: int) -> Callable[[], object]:
    import torch

    from lstm_bench.bench.workloads import Case, Workload, torch_step
    from lstm_bench.kinds import Kind

    i, h, b, t = sizes
    torch.manual_seed(seed)
    module = torch.nn.LSTM(i, h)
    return torch_step(
        _slowed_module(module, extra_steps), Case(Kind.LSTM, Workload.FORWARD, i, h, b, t), "cpu", seed
    )


def _steps_for(size: str, seed: int) -> tuple[int, int, int, int]:
    """(I, H, B, T) with T chosen so one forward takes about the size's target, at least the size's fewest steps."""
    from lstm_bench.bench.timer import Timer, TimerSettings

    (i, h, b), target, fewest = SEQ_SIZES[size]
    probe_t = 20
    per_call = Timer(TimerSettings(min_time_s=0.2, min_rounds=3, warmup_s=0.05)).measure(
        _step((i, h, b, probe_t), 0, seed)
    )
    per_step = float(np.median(per_call.samples_s)) / probe_t
    return i, h, b, max(fewest, round(target / per_step))


def _paired_ratio(base: Callable[[], object], cand: Callable[[], object], seconds: float) -> float:
    from lstm_bench.bench.timer import Timer
    from lstm_bench.gate.ab import ab_timer_settings
    from lstm_bench.gate.interleave import time_interleaved
    from lstm_bench.gate.stats import compare_paired

    timer = Timer(ab_timer_settings())
    pairs = time_interleaved(
        base,
        cand,
        timer,
        pairs=max(CALIBRATION_PAIRS, math.ceil(seconds / (2 * timer.plan(base).per_call_estimate_s))),
    )
    return compare_paired(pairs.baseline_s, pairs.candidate_s).ratio


def _calibrate_twins(sizes: tuple[int, int, int, int], seed: int, seconds: float) -> dict[str, Any]:
    """Extra steps k per scenario, refined until the twin measures within 1 point of its target.

    A probe twin (k0 = T/5) timed interleaved gives a first cost per step; each scenario's k is
    then measured and corrected (k <- k x target / measured, at most ``_REFINE`` times), since a few
    extra steps do not cost exactly their share of a long probe (the extra ``cat``, caches).
    """
    t = sizes[3]
    base = _step(sizes, 0, seed)
    probe = max(1, t // 5)
    per_step = (_paired_ratio(base, _step(sizes, probe, seed), seconds) - 1.0) / probe
    per_step = per_step if per_step > 0 else 1.0 / t  # a probe lost in noise: assume proportional cost
    steps: dict[str, int] = {}
    measured: dict[str, float] = {}
    for name, target in SEQ_SCENARIOS.items():
        if target == 0:
            steps[name], measured[name] = 0, 0.0
            continue
        k = max(1, round(target / per_step))
        slowdown = _paired_ratio(base, _step(sizes, k, seed), seconds) - 1.0
        for _ in range(_REFINE):
            if abs(slowdown - target) <= 0.01 or slowdown <= 0:
                break
            better = max(1, round(k * target / slowdown))
            if better == k:
                break
            k = better
            slowdown = _paired_ratio(base, _step(sizes, k, seed), seconds) - 1.0
        steps[name], measured[name] = k, slowdown
    return {"probe_steps": probe, "per_step": per_step, "extra_steps": steps, "measured_slowdown": measured}


_REFINE = 3


def _parse_trials(text: str, sizes: Sequence[str]) -> dict[str, int]:
    if "=" not in text:
        return dict.fromkeys(sizes, int(text))
    pairs = dict(item.split("=") for item in text.split(","))
    return {size: int(pairs.get(size, 0)) for size in sizes}


def run_sequential(args: argparse.Namespace) -> dict[str, Any]:
    """Every (size, scenario, trial): one gated A/B case; returns the study's JSON document."""
    import torch

    from lstm_bench.bench.load import machine_load
    from lstm_bench.bench.timer import Timer
    from lstm_bench.environment import capture_environment
    from lstm_bench.gate.ab import ab_timer_settings
    from lstm_bench.gate.config import DEFAULT_ALPHA, DEFAULT_MAX_SLOWDOWN
    from lstm_bench.gate.interleave import Budget, gate_sequential

    torch.set_num_threads(args.threads)
    sizes = [s for s in args.sizes.split(",") if s]
    for size in sizes:
        if size not in SEQ_SIZES:
            raise SystemExit(f"unknown size {size!r}; expected {', '.join(SEQ_SIZES)}")
    trials = _parse_trials(args.trials, sizes)
    budget = Budget(max_pairs=args.max_pairs, seconds=args.case_seconds)
    started = time.perf_counter()
    doc: dict[str, Any] = {
        "study": "lstm-bench sequential A/B gate power",
        "alpha": DEFAULT_ALPHA,
        "max_slowdown": DEFAULT_MAX_SLOWDOWN,
        "budget": {"max_pairs": budget.max_pairs, "seconds": budget.seconds},
        "threads": args.threads,
        "environment": capture_environment(),
        "load_before": machine_load().to_dict(),
        "sizes": {},
    }
    for size in sizes:
        shape = _steps_for(size, args.seed)
        print(
            f"{size}: I={shape[0]} H={shape[1]} B={shape[2]} T={shape[3]}: calibrating the twins",
            file=sys.stderr,
        )
        cal = _calibrate_twins(shape, args.seed, args.calibration_seconds)
        base = _step(shape, 0, args.seed)
        twins = {name: _step(shape, k, args.seed) for name, k in cal["extra_steps"].items()}
        per_call = float(np.median(Timer(ab_timer_settings()).measure(base).samples_s))
        records: dict[str, list[dict[str, Any]]] = {name: [] for name in SEQ_SCENARIOS}
        for trial in range(trials[size]):
            for name in SEQ_SCENARIOS:
                outcome = gate_sequential(
                    base, twins[name], Timer(ab_timer_settings()),
                    alpha=DEFAULT_ALPHA, max_slowdown=DEFAULT_MAX_SLOWDOWN, budget=budget,
                )  # fmt: skip
                records[name].append({
                    "verdict": outcome.result.verdict.value if outcome.result.verdict else "inconclusive",
                    "pairs": outcome.design.looks[outcome.look],
                    "pairs_timed": len(outcome.samples.baseline_s),
                    "seconds": outcome.samples.seconds,
                    "stopped": outcome.stopped,
                    "estimate": outcome.result.estimate.to_dict(),
                    "confirmation": None if outcome.result.confirmation is None
                    else outcome.result.confirmation.to_dict(),
                    "unconfirmed": [c.to_dict() for c in outcome.unconfirmed],
                })  # fmt: skip
            elapsed = time.perf_counter() - started
            print(
                f"{size}: trial {trial + 1}/{trials[size]} ({elapsed:.0f} s elapsed)",
                file=sys.stderr,
                flush=True,
            )
        doc["sizes"][size] = {
            "I": shape[0], "H": shape[1], "B": shape[2], "T": shape[3], "per_call_s": per_call,
            "calibration": cal, "trials": records,
        }  # fmt: skip
    doc["load_after"] = machine_load().to_dict()
    doc["wall_s"] = time.perf_counter() - started
    return doc


def sequential_table(doc: dict[str, Any]) -> str:
    """The markdown table of a ``sequential`` study: per size and scenario, verdict rates, pairs and seconds."""
    header = ["workload", "per call", "scenario", "measured slowdown", "median change in trials", "trials", "regression", "ok",
              "inconclusive", "improvement", "unconfirmed changes", "mean pairs", "mean s/case",
              "max s/case"]  # fmt: skip
    rows = []
    for size, entry in doc["sizes"].items():
        shape = f"{size} (I={entry['I']} H={entry['H']} B={entry['B']} T={entry['T']})"
        for name, records in entry["trials"].items():
            if not records:
                continue
            counts = {
                v: sum(r["verdict"] == v for r in records)
                for v in ("regression", "unchanged", "inconclusive", "improvement")
            }
            measured = entry["calibration"]["measured_slowdown"][name]
            rows.append([
                shape, f"{entry['per_call_s'] * 1e3:.3g} ms", "A vs A" if name == "aa" else f"A vs A +{name}%",
                f"{measured * 100:+.1f}%",
                f"{(float(np.median([r['estimate']['ratio'] for r in records])) - 1) * 100:+.1f}%",
                str(len(records)),
                *(_rate([r["verdict"] == v for r in records]) for v in counts),
                _rate([bool(r.get("unconfirmed")) for r in records]),
                f"{np.mean([r.get('pairs_timed', r['pairs']) for r in records]):.0f}",
                f"{np.mean([r['seconds'] for r in records]):.1f}",
                f"{max(r['seconds'] for r in records):.1f}",
            ])  # fmt: skip
    budget = doc["budget"]
    lines = [
        f"Gate: threshold +{doc['max_slowdown'] * 100:g}%, alpha {doc['alpha']:g}, budget {budget['max_pairs']} pairs "
        f"or {budget['seconds']:g} s per case; {doc['threads']} thread(s); 1-min load "
        f"{doc['load_before']['load_average'][0]:.1f} before, {doc['load_after']['load_average'][0]:.1f} after; "
        f"{doc['wall_s'] / 60:.0f} min in all.",
        "",
        _render(header, rows, markdown=True),
    ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


@contextmanager
def _locked(path: str | None) -> Iterator[None]:
    """Hold ``flock(path)`` (the same lock as ``flock PATH command``) while the block runs."""
    if path is None:
        yield
        return
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _add_chunk_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seconds", type=float, default=2.0, help="timing per comparison, both sides (default 2 s)"
    )
    parser.add_argument(
        "--designs", default=",".join(DESIGNS), help="comma-separated: interleaved, sequential"
    )
    parser.add_argument(
        "--sizes", type=int, nargs=4, default=list(DEFAULT_SIZES), metavar=("I", "H", "B", "T")
    )
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--calibration-seconds", type=float, default=3.0, help="in-place calibration timing (default 3 s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run_p = sub.add_parser("run", help="one chunk of trials of one scenario")
    run_p.add_argument("--scenario", choices=SCENARIOS, required=True)
    run_p.add_argument("--trials", type=int, default=50)
    run_p.add_argument("--first-trial", type=int, default=0)
    run_p.add_argument("--out", required=True)
    _add_chunk_flags(run_p)
    all_p = sub.add_parser(
        "all", help="every scenario in chunks (each chunk a process, under --lock), then the table"
    )
    all_p.add_argument("--out-dir", default="reports/gate_power")
    all_p.add_argument(
        "--plan",
        default="aa:100,2:50,5:100,10:100,20:50",
        help="scenario:trials,... (default aa:100,2:50,5:100,10:100,20:50)",
    )
    all_p.add_argument(
        "--chunk", type=int, default=50, help="trials per process and per lock hold (default 50)"
    )
    all_p.add_argument("--lock", default=None, help="flock this file around each chunk")
    _add_chunk_flags(all_p)
    table_p = sub.add_parser("table", help="print the tables of chunk files")
    table_p.add_argument("paths", nargs="+")
    table_p.add_argument(
        "--threshold", type=float, default=None, help="gate threshold (default: lstm_bench.gate.config)"
    )
    table_p.add_argument("--alpha", type=float, default=None)
    table_p.add_argument("--markdown", action="store_true")
    seq_p = sub.add_parser(
        "sequential", help="the sequential A/B gate on three workload sizes: A/A, +5%%, +10%%"
    )
    seq_p.add_argument("--sizes", default=",".join(SEQ_SIZES), help="comma-separated: small, medium, large")
    seq_p.add_argument(
        "--trials",
        default=DEFAULT_SEQ_TRIALS,
        help=f"N for every size, or size=N,... (default {DEFAULT_SEQ_TRIALS})",
    )
    seq_p.add_argument("--max-pairs", type=int, default=4096, help="per-case budget in pairs (default 4096)")
    seq_p.add_argument("--case-seconds", type=float, default=60.0, help="per-case time budget (default 60 s)")
    seq_p.add_argument(
        "--calibration-seconds", type=float, default=4.0, help="per twin measurement (default 4 s)"
    )
    seq_p.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    seq_p.add_argument("--seed", type=int, default=0)
    seq_p.add_argument("--out", default="reports/gate_power/sequential.json", help="the study's JSON")
    seq_p.add_argument("--table", metavar="JSON", help="only print the table of a saved study")
    args = parser.parse_args(argv)

    if args.command == "sequential":
        from lstm_bench.atomic import write_json_atomic

        if args.table:
            print(sequential_table(json.loads(Path(args.table).read_text())), end="")
            return 0
        doc = run_sequential(args)
        write_json_atomic(args.out, doc)
        print(sequential_table(doc), end="")
        print(f"study written to {args.out}", file=sys.stderr)
        return 0
    if args.command == "run":
        from lstm_bench.atomic import write_json_atomic

        write_json_atomic(args.out, run_chunk(args))
        return 0
    if args.command == "table":
        from lstm_bench.gate.config import DEFAULT_ALPHA, DEFAULT_MAX_SLOWDOWN

        threshold = args.threshold if args.threshold is not None else DEFAULT_MAX_SLOWDOWN
        alpha = args.alpha if args.alpha is not None else DEFAULT_ALPHA
        print(table(args.paths, threshold, alpha, args.markdown), end="")
        return 0
    paths = []
    common = ["--seconds", str(args.seconds), "--designs", args.designs, "--sizes", *map(str, args.sizes), "--threads", str(args.threads),
              "--seed", str(args.seed), "--calibration-seconds", str(args.calibration_seconds)]  # fmt: skip
    plan = dict(item.split(":") for item in args.plan.split(","))
    for scenario, total in plan.items():
        if scenario not in SCENARIOS:
            raise SystemExit(f"unknown scenario {scenario!r} in --plan; expected {', '.join(SCENARIOS)}")
        for first in range(0, int(total), args.chunk):
            out = Path(args.out_dir) / f"{scenario}-{args.designs.replace(',', '+')}-{first:03d}.json"
            count = min(args.chunk, int(total) - first)
            command = [sys.executable, __file__, "run", "--scenario", scenario, "--trials", str(count),
                       "--first-trial", str(first), "--out", str(out), *common]  # fmt: skip
            with _locked(args.lock):
                subprocess.run(command, check=True)
            paths.append(str(out))
    from lstm_bench.gate.config import DEFAULT_ALPHA, DEFAULT_MAX_SLOWDOWN

    print(table(paths, DEFAULT_MAX_SLOWDOWN, DEFAULT_ALPHA, markdown=False), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
