"""Does a paired ratio of short calls depend on how many calls each block holds? One process, quiet.

``bench`` times each backend of a case in blocks, the blocks of a round back to back
(``lstm_bench.bench.paired``), the number of calls per block chosen so that the blocks last
about as long (``ceil(R / per-call time)``, R from one calibration round). For calls of a few
hundred microseconds that is one or two calls, and which of the two a calibration picks depends
on the noise of one round. This script times torch-native and torch-ref on one quick-suite case
(default: the LSTM latency case, I=H=64, B=1, T=1) at 1 torch thread on process CPU time, in
interleaved rounds with the calls per block fixed to each composition in turn (``native+ref``),
``--seconds`` per composition, the compositions in rotation ``--reps`` times, and prints the
median ratio torch-native time / torch-ref time of each composition in each repetition.

When the compositions' ratios differ by more than the repetitions of one composition do, the
ratio of such calls is a property of the grouping (each block after the other backend's block
starts on caches and branch predictors the other one left), not a number that timing longer can
pin down. ``--processes N`` runs the whole measurement in N fresh processes, one after the other,
and prints each one's medians: when the processes differ by more than the repetitions inside one
process do, the machine (or the process's memory layout) sets the ratio, and no design inside one
process can make two runs agree more closely::

    python benchmarks/block_composition.py                    # about 40 s; run it alone
    python benchmarks/block_composition.py --workload forward --compositions 1+1,4+1,8+2,40+40
    python benchmarks/block_composition.py --workload forward --compositions 4+1 --reps 2 --processes 8
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import torch

from lstm_bench.bench.registry import get_backend
from lstm_bench.bench.suites import get_suite
from lstm_bench.bench.timer import ProcessTimeClock, Timer, TimerSettings, gc_paused
from lstm_bench.bench.workloads import Workload
from lstm_bench.kinds import Kind


def parse_compositions(text: str) -> list[tuple[int, int]]:
    """'1+1,2+1' -> [(1, 1), (2, 1)] (calls per block of torch-native, of torch-ref)."""
    out = []
    for item in text.split(","):
        native, _, ref = item.partition("+")
        out.append((int(native), int(ref)))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="lstm", help="lstm, gru or rnn (default lstm)")
    parser.add_argument("--workload", default="latency", help="quick-suite workload (default latency)")
    parser.add_argument(
        "--compositions", default="1+1,2+1,2+2,6+3,6+6,40+40", help="native+ref calls per block"
    )
    parser.add_argument(
        "--seconds", type=float, default=2.0, help="timed seconds per composition and repetition"
    )
    parser.add_argument("--reps", type=int, default=3, help="repetitions of the rotation (default 3)")
    parser.add_argument("--processes", type=int, default=0, help="repeat it all in N fresh processes")
    parser.add_argument("--json-line", action="store_true", help=argparse.SUPPRESS)  # a child's output
    args = parser.parse_args(argv)
    if args.processes:
        return across_processes(args)
    torch.set_num_threads(1)
    kind = Kind.parse(args.kind)
    case = next(c for c in get_suite("quick", "cpu", [kind]).cases if c.workload == Workload(args.workload))
    steps = [get_backend(name, kind).prepare(case, "cpu", 0).step for name in ("torch-native", "torch-ref")]
    timer = Timer(TimerSettings(), ProcessTimeClock())
    for step in steps:
        timer.plan(step)  # warm-up
    compositions = parse_compositions(args.compositions)
    ratios: dict[tuple[int, int], list[float]] = {c: [] for c in compositions}
    print(f"{case.kind.value} {case.workload.value} {case.sizes} {case.dtype}, 1 thread, process CPU time")
    for rep in range(args.reps):
        for calls in compositions:
            pairs: list[float] = []
            end = time.perf_counter() + args.seconds
            with gc_paused():
                while time.perf_counter() < end:
                    order = (0, 1) if len(pairs) % 2 == 0 else (1, 0)  # AB, BA, ... as bench does
                    seconds = {i: timer.time_block(steps[i], calls[i]) / calls[i] for i in order}
                    pairs.append(seconds[0] / seconds[1])
            ratios[calls].append(statistics.median(pairs))
        print(f"repetition {rep + 1}/{args.reps} done", file=sys.stderr, flush=True)
    if args.json_line:
        print(json.dumps({f"{n}+{r}": v for (n, r), v in ratios.items()}))
        return 0
    print(f"{'native+ref calls per block':28s}  " + "  ".join(f"rep {r + 1}" for r in range(args.reps)))
    for calls, values in ratios.items():
        print(f"{calls[0]}+{calls[1]:<26d}  " + "  ".join(f"{v:5.3f}" for v in values))
    medians = [statistics.median(v) for v in ratios.values()]
    within = max(max(v) / min(v) - 1 for v in ratios.values())
    print(
        f"between compositions: {max(medians) / min(medians) - 1:.1%} (medians {min(medians):.3f}..{max(medians):.3f}); "
        f"within a composition at most {within:.1%}"
    )
    return 0


def across_processes(args: argparse.Namespace) -> int:
    """Run the measurement in ``args.processes`` fresh processes in turn; print each one's ratios."""
    child = ["--kind", args.kind, "--workload", args.workload, "--compositions", args.compositions]
    child += ["--seconds", str(args.seconds), "--reps", str(args.reps)]
    rows: list[dict[str, list[float]]] = []
    for index in range(args.processes):
        done = subprocess.run(
            [sys.executable, __file__, *child, "--json-line"], capture_output=True, text=True, check=True
        )
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"process {index + 1}/{args.processes} done", file=sys.stderr, flush=True)
    for composition in rows[0]:
        medians = [statistics.median(row[composition]) for row in rows]
        inside = max(max(row[composition]) / min(row[composition]) - 1 for row in rows)
        print(f"{composition}: per process " + " ".join(f"{m:.3f}" for m in medians))
        print(
            f"  between processes {max(medians) / min(medians) - 1:.1%}, "
            f"inside a process at most {inside:.1%} (over {args.reps} repetitions)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
