"""Each built-in adapter's speed against torch-native: ``lstm-bench bench --suite quick`` per framework.

Runs one ``lstm-bench bench --suite quick --kind K --impl SPEC ... --backends torch-native``
process per framework group and kind (Keras picks its backend at import, so its torch and JAX
backends need separate processes), reads their results documents and prints one table: framework,
implementation, kind, case, speed vs torch-native (median of interleaved per-round ratios
torch-native time / adapter time, with its 95% interval; above 1x is faster) and the JAX compile
time of the first call, which is kept out of the timings. A framework that is not installed is
listed as skipped with the reason.

    flock /tmp/lstm-bench-measure.lock python benchmarks/framework_speed.py --json framework_speed.json

About 10 minutes with the defaults (13 adapters, the quick suite's cases; estimated: a forward-only
pass at --min-time 0.02 took 3.7 minutes on a loaded 2-core machine).
Exit status 0 when every benchmark ran, 1 when one errored.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_bench.atomic import write_json_atomic


@dataclass(frozen=True)
class Group:
    """Adapters that share one process: a framework (and Keras backend) and its specs by kind."""

    name: str
    requires: tuple[str, ...]  # importable modules
    env: dict[str, str]
    specs: dict[str, tuple[str, ...]]  # kind -> --impl specs


GROUPS = (
    Group(
        "keras-torch",
        ("keras",),
        {"KERAS_BACKEND": "torch"},
        {
            "lstm": ("keras.layers:LSTM",),
            "gru": ("keras.layers:GRU", "lstm_bench.adapters.keras_layers:KerasGRUResetBefore"),
            "rnn": ("keras.layers:SimpleRNN",),
        },
    ),
    Group(
        "keras-jax",
        ("keras", "jax"),
        {"KERAS_BACKEND": "jax"},
        {"lstm": ("keras.layers:LSTM",), "gru": ("keras.layers:GRU",), "rnn": ("keras.layers:SimpleRNN",)},
    ),
    Group(
        "flax",
        ("flax.nnx",),
        {},
        {
            "lstm": ("flax.nnx:LSTMCell", "flax.nnx:OptimizedLSTMCell"),
            "gru": ("flax.nnx:GRUCell",),
            "rnn": ("flax.nnx:SimpleCell",),
        },
    ),
    Group("equinox", ("equinox",), {}, {"lstm": ("equinox.nn:LSTMCell",), "gru": ("equinox.nn:GRUCell",)}),
)


def missing(group: Group) -> str | None:
    """Why ``group`` cannot run here (a module it needs is not installed), or None."""
    for name in group.requires:
        try:
            found = importlib.util.find_spec(name)
        except ModuleNotFoundError:
            found = None
        if found is None:
            return f"{name} is not installed"
    return None


def bench_args(kind: str, specs: Sequence[str], out: Path, args: argparse.Namespace) -> list[str]:
    """The ``lstm-bench bench`` command line of one group and kind."""
    argv = [sys.executable, "-m", "lstm_bench", "bench", "--suite", "quick", "--kind", kind]
    for spec in specs:
        argv += ["--impl", spec]
    argv += ["--backends", "torch-native", "--no-peak", "--min-time", str(args.min_time), "--json", str(out)]
    if args.workload:
        argv += ["--workload", args.workload]
    if args.threads:
        argv += ["--threads", str(args.threads)]
    return argv


def rows_of(document: dict[str, Any], group: str) -> list[dict[str, Any]]:
    """One row per adapted-layer record of a bench results document."""
    rows = []
    for record in document.get("benchmarks", ()):
        if not record.get("impl"):
            continue  # torch-native itself
        speedup = record.get("speedup") or {}
        rows.append(
            {
                "group": group,
                "framework": record.get("framework") or "?",
                "impl": record["impl"],
                "kind": record.get("kind"),
                "case": f"{record.get('workload')} I={record.get('input_size')} H={record.get('hidden_size')} "
                f"B={record.get('batch')} T={record.get('steps')} {record.get('dtype')}",
                "status": record.get("status", "ok"),
                "reason": record.get("reason"),
                "ratio": speedup.get("ratio"),
                "low": speedup.get("low"),
                "high": speedup.get("high"),
                "compile_s": record.get("compile_s"),
            }
        )
    return rows


def run_group(group: Group, kinds: Sequence[str], args: argparse.Namespace) -> list[dict[str, Any]]:
    """Bench every kind of ``group`` in its own process; rows, or one 'skipped'/'error' row per kind."""
    why = missing(group)
    rows: list[dict[str, Any]] = []
    for kind in kinds:
        specs = group.specs.get(kind)
        if not specs:
            continue
        if why is not None:
            rows.append(
                {
                    "group": group.name,
                    "impl": ", ".join(specs),
                    "kind": kind,
                    "status": "skipped",
                    "reason": why,
                }
            )
            continue
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "bench.json"
            env = {**os.environ, **group.env}
            done = subprocess.run(bench_args(kind, specs, out, args), env=env, capture_output=True, text=True)
            if not out.exists():  # exit 1 with a document: a workload raised, its record says what
                last = (done.stderr.strip().splitlines() or ["no output"])[-1]
                rows.append(
                    {
                        "group": group.name,
                        "impl": ", ".join(specs),
                        "kind": kind,
                        "status": "error",
                        "reason": last,
                    }
                )
                continue
            rows += rows_of(json.loads(out.read_text()), group.name)
    return rows


def _speed(row: dict[str, Any]) -> str:
    if row.get("status", "ok") != "ok":
        return f"{row['status']}: {row.get('reason')}"
    if row.get("ratio") is None:
        return "no ratio"
    return f"{row['ratio']:.2f}x [{row['low']:.2f}, {row['high']:.2f}]"


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """framework | implementation | kind | case | vs torch-native [95% interval] | compile."""
    header = ("framework", "implementation", "kind", "case", "vs torch-native", "compile")
    lines = [
        (
            str(row.get("framework") or row["group"]),
            str(row["impl"]),
            str(row.get("kind")),
            str(row.get("case", "")),
            _speed(row),
            "" if row.get("compile_s") is None else f"{row['compile_s']:.2f} s",
        )
        for row in rows
    ]
    widths = [max(len(h), *(len(line[k]) for line in lines)) for k, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines]
    out.append(
        "vs torch-native: torch-native time / adapter time per interleaved round, median [95% interval]"
    )
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", default="lstm,gru,rnn", help="comma-separated kinds (default lstm,gru,rnn)")
    parser.add_argument(
        "--group", action="append", help="only these groups: " + ", ".join(g.name for g in GROUPS)
    )
    parser.add_argument("--workload", default=None, help="forward, forward-backward or latency (default all)")
    parser.add_argument("--min-time", type=float, default=0.5, help="measured time per benchmark (s)")
    parser.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    parser.add_argument("--json", default=None, help="write the rows here")
    args = parser.parse_args(argv)
    kinds = [k.strip() for k in args.kind.split(",") if k.strip()]
    unknown = set(args.group or ()) - {g.name for g in GROUPS}
    if unknown:
        parser.error(f"unknown group(s): {', '.join(sorted(unknown))}")
    rows = []
    for group in GROUPS:
        if args.group and group.name not in args.group:
            continue
        rows += run_group(group, kinds, args)
    print(format_table(rows))
    if args.json:
        write_json_atomic(Path(args.json), {"rows": rows})
    return 1 if any(row.get("status") == "error" for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
