"""``assert_learns``: the implementation learns a long-horizon task within a step budget.

The run is the stability sweep's training job for an ``--impl`` (``lstm-bench stability``): the
shipped recipe (Adam 3e-3, batch 64, clip 1, hidden 32; LSTMs chrono-initialised), seeded
data and held-out batch, stopped at the task's target (>= 99% held-out accuracy, or a loss below
1% of the memoryless baseline). The budget is counted in steps only, so the verdict is the same
on a busy machine as on a quiet one.
"""

from __future__ import annotations

import math

from lstm_bench.kinds import Kind
from lstm_bench.stability.recipes import DEFAULT_LSTM_RECIPE
from lstm_bench.stability.sweep import impl_model
from lstm_bench.stability.tasks import make_task
from lstm_bench.stability.trainer import TrainResult, train
from lstm_bench.testing.errors import DidNotLearn
from lstm_bench.testing.impls import ImplLike, display_name, resolve_impl

#: Per kind, a recall horizon torch.nn's module learns within DEFAULT_STEPS with the sweep's init.
DEFAULT_HORIZON: dict[Kind, int] = {Kind.LSTM: 40, Kind.GRU: 10, Kind.RNN_RELU: 20, Kind.RNN_TANH: 5}
DEFAULT_STEPS = 800


def assert_learns(
    impl: ImplLike,
    *,
    task: str = "recall",
    horizon: int | None = None,
    steps: int = DEFAULT_STEPS,
    seed: int = 0,
    kind: str | Kind | None = None,
) -> TrainResult:
    """Train ``impl`` on ``task`` ('recall', 'copy', 'adding', 'agreement') at ``horizon`` for at most ``steps``.

    Returns the run when the held-out target was reached; raises DidNotLearn otherwise, with the
    accuracy reached against the chance level. ``horizon`` defaults to ``DEFAULT_HORIZON`` of the kind.
    """
    __tracebackhide__ = True
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}")
    loaded = resolve_impl(impl, kind)
    length = DEFAULT_HORIZON[loaded.kind] if horizon is None else horizon
    problem = make_task(task, length)
    config = DEFAULT_LSTM_RECIPE.train_config(max_seconds=math.inf, max_steps=steps, profiles=False)
    result = train(impl_model(loaded.spec, loaded.kind), problem, config, seed=seed)
    if not result.solved:
        events = sorted({e.kind for e in result.events})
        raise DidNotLearn(
            f"{display_name(loaded)} did not learn {task} at T={length} in {result.steps} steps (seed {seed}): "
            f"held-out accuracy {result.accuracy:.1%} (chance {problem.chance_accuracy:.1%}, target "
            f"{problem.target_accuracy:.0%}), loss {result.loss:.4g} (memoryless baseline "
            f"{problem.baseline_loss:.4g}); stopped: {result.stop_reason}"
            + (f"; monitor: {', '.join(events)}" if events else ""),
            result,
        )
    return result
