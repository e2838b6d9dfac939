"""Spread each case's interleaved rounds over a window of cases, so every ratio samples the whole window.

Interleaving (``paired``) makes the two members of a pair see the same machine, but not two runs
see the same machine: on a shared virtual machine the speed of a core changes for seconds at a
time, and by different amounts for Python-bound and GEMM-bound code, so the ratio of a
Python-loop reference to a fused kernel itself moves while such an episode lasts (measured on
this project's 2-core machine: torch-ref / torch-native on one LSTM case 0.34x in calm seconds,
0.28x in slow ones, both backends ~50% slower then). A case timed in one stretch of a second or
two takes whatever state the machine was in; the same case timed in ``V`` short visits spread
over the whole window takes the median over all of them, and an episode moves it only as far as
the share of visits it covers. What that buys on this machine is modest
(``benchmarks/spread_passes.py``: five passes alternately quiet and beside a 2-thread GEMM load,
both designs in every pass; the largest change of a ratio between neighbouring passes was 11.0%
spread against 15.2% case after case, the median change 4.7% against 4.6%): most of what moves
a ratio from run to run here are states that last longer than a run.

Scheme. Consecutive cases form windows of at most ``SPREAD_CASES`` cases and ``SPREAD_BYTES``
of estimated inputs and parameters (all of a window's workloads are alive at once). In a window,
sweep ``v = 0 .. V-1`` visits every case, the order reversed on odd sweeps. Case ``c`` is warmed
up and calibrated at its first visit (``CaseRounds.start``); its rounds are divided into

    V_c = clamp(expected_rounds_c // VISIT_MIN_ROUNDS, 1, V)

visits, visit ``j`` at sweep ``floor(j V / V_c)`` asking for share ``(j + 1) / V_c`` of the
timer's ``min_time_s`` and ``min_rounds``, so the total measured time is what one stretch would
have taken; a visit after other work first runs untimed rounds (``paired.REWARM_ROUNDS``, and
until each workload ran ``paired.REWARM_S``) so that caches and allocators are warm again. A case with few, long calls (a NumPy reference at a
large size) gets one visit, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lstm_bench.bench.paired import CaseRounds
from lstm_bench.bench.timer import Measurement, Timer

__all__ = [
    "SPREAD_BYTES",
    "SPREAD_CASES",
    "SPREAD_VISITS",
    "VISIT_MIN_ROUNDS",
    "time_cases",
    "visit_sweeps",
    "windows",
]

#: Visits per case (sweeps over a window).
SPREAD_VISITS = 10
#: A visit has at least this many rounds (expected), so its re-warm block is a small share of it.
VISIT_MIN_ROUNDS = 8
#: At most this many cases are timed together.
SPREAD_CASES = 16
#: At most this many bytes of workloads (inputs, parameters and their gradients, estimated) alive at once.
SPREAD_BYTES = 1 << 30

#: on_visit(case index in the window, sweep): called before each visit of a case.
VisitFn = Callable[[int, int], None]


def visit_sweeps(visits: int, sweeps: int) -> list[int]:
    """The sweeps at which a case with ``visits`` visits is visited: floor(j * sweeps / visits), j < visits."""
    if not 1 <= visits <= sweeps:
        raise ValueError(f"need 1 <= visits <= sweeps, got {visits} and {sweeps}")
    return [j * sweeps // visits for j in range(visits)]


def time_cases(
    groups: Sequence[Sequence[Callable[[], object]]],
    timer: Timer,
    sweeps: int = SPREAD_VISITS,
    on_visit: VisitFn | None = None,
) -> list[list[Measurement | Exception]]:
    """Time every group's workloads in interleaved rounds, spread over ``sweeps`` sweeps (module docstring).

    One list per group, as ``paired.time_rounds`` gives for one group alone; ``sweeps=1`` times
    group after group, each in one stretch.
    """
    if sweeps < 1:
        raise ValueError(f"sweeps must be >= 1, got {sweeps}")
    cases = [CaseRounds(steps, timer) for steps in groups]
    plan: list[list[int] | None] = [None] * len(cases)  # each case's sweeps, known after its first visit
    done = [0] * len(cases)
    for sweep in range(sweeps):
        order = range(len(cases)) if sweep % 2 == 0 else range(len(cases) - 1, -1, -1)
        for index in order:
            case = cases[index]
            if sweep == 0:
                if on_visit is not None:
                    on_visit(index, sweep)
                case.start()
                count = max(1, min(sweeps, case.expected_rounds // VISIT_MIN_ROUNDS))
                plan[index] = visit_sweeps(count, sweeps)
            schedule = plan[index]
            if schedule is None or done[index] >= len(schedule) or schedule[done[index]] != sweep:
                continue
            if sweep > 0 and on_visit is not None:
                on_visit(index, sweep)
            done[index] += 1
            case.visit(share=done[index] / len(schedule), rewarm=sweep > 0)
    return [case.results() for case in cases]


def windows(
    footprints: Sequence[int], max_cases: int = SPREAD_CASES, max_bytes: int = SPREAD_BYTES
) -> list[range]:
    """Consecutive index ranges of at most ``max_cases`` items and ``max_bytes`` summed footprint (at least one item each)."""
    if max_cases < 1:
        raise ValueError(f"max_cases must be >= 1, got {max_cases}")
    out: list[range] = []
    start, total = 0, 0
    for index, size in enumerate(footprints):
        if index > start and (index - start >= max_cases or total + size > max_bytes):
            out.append(range(start, index))
            start, total = index, 0
        total += size
    if start < len(footprints):
        out.append(range(start, len(footprints)))
    return out
