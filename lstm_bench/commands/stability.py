"""``lstm-bench stability``: gradient-norm diagnostics and the long-horizon sweep, on built-in models and any --impl.

Prints, per task, the longest horizon each model learns within the budget, the gradient-norm
profiles' summary and the training monitor's warning signs; ``--json`` writes the results
document (section "stability"). Exit 0 when done; 1 when an ``--impl``'s run crashed, or an
``--impl`` learned a horizon at least four times shorter (two doublings) than its torch.nn
counterpart with the same initialisation, on any task; 2 on usage errors.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from lstm_bench.commands._options import add_impl_arguments, check_seed, check_writable

NAME = "stability"
HELP = "gradient-norm profiles and the horizon sweep: how far back does each model learn?"
EXAMPLES = (
    "lstm-bench stability --profile quick",
    "lstm-bench stability --impl mypkg.cells:MyLSTM --task all --json results/stability.json",
    "lstm-bench stability --workers 2 --profile quick",
    "lstm-bench stability --scheduler tcp://scheduler-host:8786 --profile full --json results/stability.json",
)
TASK_CHOICES = ("recall", "copy", "adding", "agreement", "all")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags of ``stability``."""
    add_impl_arguments(parser, "implementation to sweep too")
    parser.add_argument(
        "--task", default="recall", choices=TASK_CHOICES, help="long-horizon task (default: recall)"
    )
    parser.add_argument(
        "--profile",
        default="default",
        choices=("quick", "default", "full"),
        help="quick (horizons 10-40, 1 seed, 600 steps a run: under a minute on recall), default (10-320, "
        "3 seeds, 1500 steps: under 10 minutes), full (10-1280, 5 seeds, 5000 steps: hours)",
    )
    parser.add_argument("--json", default=None, metavar="PATH", help="write the results document here")
    parser.add_argument(
        "--seed", type=int, default=0, help="first seed; runs use seed, seed+1, ... (default 0)"
    )
    from lstm_bench.scaleout.options import add_scaleout_arguments

    add_scaleout_arguments(parser)


def _models(args: argparse.Namespace) -> list[Any]:
    from lstm_bench.loader import load_impl, parse_kind
    from lstm_bench.stability.sweep import BUILTIN_MODELS, impl_model

    kind = parse_kind(args.kind)
    loaded = [load_impl(spec, kind) for spec in args.impl]
    impls = [impl_model(impl.spec, impl.kind, framework=impl.framework) for impl in loaded]
    return [*BUILTIN_MODELS, *impls]


def run(args: argparse.Namespace) -> int:
    """Run the sweep, print the tables; exit 1 when an --impl crashed or fell far behind torch.nn."""
    import dataclasses
    from contextlib import nullcontext

    from lstm_bench.atomic import write_json_atomic
    from lstm_bench.results import new_document
    from lstm_bench.scaleout.options import executor_from_args
    from lstm_bench.stability.result import impl_shortfalls
    from lstm_bench.stability.sweep import SweepPlan, SweepProgress, run_sweep
    from lstm_bench.stability.table import format_report
    from lstm_bench.stability.tasks import TASKS

    check_seed(args.seed)
    if args.json:
        check_writable("--json", args.json)
    tasks = tuple(TASKS) if args.task == "all" else (args.task,)
    plan = SweepPlan.create(_models(args), tasks, args.profile, seed=args.seed)
    executor = executor_from_args(args)
    where = getattr(executor, "describe", lambda: "this process")()
    print(f"lstm-bench stability: running jobs on {where}", file=sys.stderr, flush=True)
    display = SweepProgress()
    try:
        with executor if executor is not None else nullcontext():
            report = run_sweep(plan, executor, reporter=display)
    except KeyboardInterrupt:
        display.abort("interrupted: no results written")
        raise
    display.close()
    print(format_report(report))
    if args.json:
        document = new_document("stability")
        document["stability"] = dataclasses.replace(report, executor=where).to_dict()
        path = write_json_atomic(args.json, document)
        print(f"results written to {path}", file=sys.stderr)
    problems = impl_shortfalls(report)
    for line in problems:
        print(f"FAIL {line}")
    return 1 if problems else 0
