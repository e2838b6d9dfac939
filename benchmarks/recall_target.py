"""Measure the long-horizon targets of issue 5 on this machine.

Targets (2-core CPU): the shipped LSTM recipe reaches >= 99% first-symbol recall at T = 100 in
<= 30 s on at least 4 of 5 seeds, while the tanh RNN under the same budget stays below 50%.
Stretch: T = 200 and beyond within 60 s. Also the wall time of ``lstm-bench stability`` (quick
<= 60 s, default <= 10 min).

Each invocation measures one thing, so that every measurement stays short; run them one at a
time, alone on the machine::

    flock /tmp/lstm-bench-measure.lock python benchmarks/recall_target.py recipe            # T=100, 5 seeds
    flock /tmp/lstm-bench-measure.lock python benchmarks/recall_target.py tanh              # same budget
    flock /tmp/lstm-bench-measure.lock python benchmarks/recall_target.py recipe --horizon 200 --budget 60 --seeds 0,1
    flock /tmp/lstm-bench-measure.lock python benchmarks/recall_target.py sweep --profile quick

Times are training wall seconds (model built, data generated, evaluation included; gradient
profiles excluded), with the recipe's thread count (1). The load average before and after is
printed: other processes on a 2-core machine slow a run down several times.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from lstm_bench.kinds import Kind
from lstm_bench.stability.models import ModelSpec
from lstm_bench.stability.recipes import DEFAULT_LSTM_RECIPE
from lstm_bench.stability.tasks import make_task
from lstm_bench.stability.trainer import train

MODELS = {
    "recipe": DEFAULT_LSTM_RECIPE.model(),
    "tanh": ModelSpec(Kind.RNN_TANH, "default", DEFAULT_LSTM_RECIPE.hidden),
    "chrono": ModelSpec(Kind.LSTM, "chrono", DEFAULT_LSTM_RECIPE.hidden),
    "lstm": ModelSpec(Kind.LSTM, "default", DEFAULT_LSTM_RECIPE.hidden),
    "gru": ModelSpec(Kind.GRU, "default", DEFAULT_LSTM_RECIPE.hidden),
}


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def measure_recall(model: str, horizon: int, budget: float, seeds: list[int]) -> int:
    """Train ``model`` on recall at ``horizon`` for each seed within ``budget`` seconds; print per-seed figures."""
    spec = MODELS[model]
    config = DEFAULT_LSTM_RECIPE.train_config(max_seconds=budget, profiles=False)
    print(f"{spec.label}: first-symbol recall T={horizon}, budget {budget:g} s, recipe optimiser; {_load()}")
    solved_times, accuracies = [], []
    for seed in seeds:
        result = train(spec, make_task("recall", horizon), config, seed=seed)
        accuracies.append(result.accuracy)
        if result.solved:
            assert result.seconds_to_target is not None
            solved_times.append(result.seconds_to_target)
            outcome = f"99% reached in {result.seconds_to_target:5.1f} s ({result.steps} steps)"
        else:
            outcome = (
                f"not reached: {result.accuracy:6.1%} after {result.seconds:5.1f} s ({result.steps} steps)"
            )
        ms = 1e3 * result.seconds / max(result.steps, 1)
        print(
            f"  seed {seed}: {outcome}, {ms:.1f} ms/step, held-out accuracy {result.accuracy:.1%}", flush=True
        )
    median = f", median {statistics.median(solved_times):.1f} s" if solved_times else ""
    print(
        f"  {len(solved_times)}/{len(seeds)} seeds reached 99% within {budget:g} s{median}; "
        f"best final accuracy {max(accuracies):.1%}; {_load()}"
    )
    return 0


def measure_sweep(profile: str) -> int:
    """Wall time of ``lstm-bench stability --profile PROFILE`` as a user runs it."""
    print(f"lstm-bench stability --profile {profile}; {_load()}", flush=True)
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "lstm_bench", "stability", "--profile", profile], check=False
    )
    print(f"  wall {time.perf_counter() - start:.1f} s, exit {proc.returncode}; {_load()}")
    return proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=(*MODELS, "sweep"), help="a model to train on recall, or 'sweep'")
    parser.add_argument("--horizon", type=int, default=100, help="recall horizon T (default 100)")
    parser.add_argument("--budget", type=float, default=30.0, help="seconds per seed (default 30)")
    parser.add_argument("--seeds", default="0,1,2,3,4", help="comma-separated seeds (default 0,1,2,3,4)")
    parser.add_argument(
        "--profile", default="quick", choices=("quick", "default", "full"), help="sweep profile"
    )
    args = parser.parse_args()
    if args.what == "sweep":
        return measure_sweep(args.profile)
    return measure_recall(args.what, args.horizon, args.budget, [int(s) for s in args.seeds.split(",")])


if __name__ == "__main__":
    sys.exit(main())
