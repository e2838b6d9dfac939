"""How much does one core's speed drift on this machine, quiet and beside load, per kind of code?

Times four single-threaded workloads on process CPU time (the clock ``bench`` uses at one thread):
a pure Python loop, a 256x256 float32 GEMM, 50 small torch ops and a torch.nn.LSTM forward+backward
(I=H=64, B=16, T=50), each the median of ``--reps`` calls, three times: quiet, beside a 2-thread GEMM
load (``ratio_under_load.gemm_load``), quiet again. When the quiet passes differ, and differ by
kind of code, ratios between a Python-bound and a GEMM-bound implementation move between runs by
that much whatever the benchmark does: the machine's floor for ``ratio_under_load.py``::

    python benchmarks/cpu_time_drift.py            # about 20 s; run it alone on the machine
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratio_under_load import gemm_load


def workloads() -> dict[str, Callable[[], object]]:
    """name -> a zero-argument call, each of a different kind of code."""
    import torch

    torch.manual_seed(0)
    a, b = torch.randn(256, 256), torch.randn(256, 256)
    x, w = torch.randn(16, 64), torch.randn(64, 256)
    lstm, xs = torch.nn.LSTM(64, 64), torch.randn(50, 16, 64, requires_grad=True)

    def python_loop() -> int:
        total = 0
        for i in range(20_000):
            total += i * i
        return total

    def small_ops() -> None:
        for _ in range(50):
            torch.tanh((x @ w)[:, :64])

    def lstm_fb() -> None:
        y, _ = lstm(xs)
        y.sum().backward()

    return {
        "python loop": python_loop,
        "gemm 256": lambda: torch.mm(a, b),
        "small ops": small_ops,
        "lstm fwd+bwd": lstm_fb,
    }


def cpu_median(fn: Callable[[], object], reps: int) -> float:
    """Median process CPU seconds of one call, after three warm-up calls."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(reps):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--reps", type=int, default=40, help="calls per workload and pass (default 40)")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    calls = workloads()

    def one_pass() -> dict[str, float]:
        return {name: cpu_median(fn, args.reps) for name, fn in calls.items()}

    quiet = one_pass()
    with gemm_load(2, 600.0):
        loaded = one_pass()
    again = one_pass()
    print(
        f"{'workload':14s} {'quiet':>10s} {'beside load':>12s} {'quiet again':>12s}  (CPU ms per call, 1 thread)"
    )
    for name in calls:
        q, l, q2 = (1e3 * d[name] for d in (quiet, loaded, again))
        print(
            f"{name:14s} {q:10.3f} {l:12.3f} {q2:12.3f}  load {100 * (l / q - 1):+.0f}%, quiet again {100 * (q2 / q - 1):+.0f}%"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
