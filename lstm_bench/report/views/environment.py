"""The environment part of the report: machine, versions, threads, load and the command, one column per input."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lstm_bench.documents import ResultsDocument
from lstm_bench.formatting import MISSING, as_float
from lstm_bench.report.views.common import Source, Table, text

__all__ = ["environment_table", "run_command"]

ENV_ROWS: tuple[tuple[str, str], ...] = (
    ("CPU", "cpu_model"),
    ("logical cores", "cpu_count"),
    ("torch threads", "torch_threads"),
    ("GPU", "cuda"),
    ("torch", "torch"),
    ("NumPy", "numpy"),
    ("frameworks of adapted layers", "frameworks"),  # keras / jax / flax / equinox versions (adapters)
    ("Python", "python"),
    ("lstm-bench", "lstm_bench"),
    ("git commit", "git_commit"),
    ("platform", "platform"),
    ("host", "hostname"),
    ("load average (1/5/15 min)", "load_average"),
)


def _env_value(key: str, env: Mapping[str, Any]) -> str:
    value = env.get(key)
    if key == "cuda":
        if not isinstance(value, Mapping):
            return "none (CPU only)"
        return f"{text(value.get('device_name'))} · CUDA {text(value.get('version'))} · cuDNN {text(value.get('cudnn'))}"
    if key == "load_average" and isinstance(value, list | tuple):
        return " / ".join(f"{as_float(v) or 0:.2f}" for v in value)
    if key == "mkldnn":
        return "yes" if value else "no"
    return text(value) if value is not None else MISSING


def environment_table(sources: Sequence[Source]) -> Table:
    rows: list[tuple[str, ...]] = [
        ("results created (UTC)", *(s.results.created or MISSING for s in sources)),
        ("command", *(run_command(s.results) for s in sources)),
    ]
    for title, key in ENV_ROWS:
        envs = [s.results.environment for s in sources]
        rows.append((title, *(_env_value(key, env) for env in envs)))
    return Table(("", *(s.label for s in sources)), tuple(rows))


def run_command(document: ResultsDocument) -> str:
    info = document.run
    command = f"lstm-bench {document.command or '?'}"
    if isinstance(info, Mapping):
        parts = [f"--profile {info['profile']}" if info.get("profile") else ""]
        parts += [f"--device {info['device']}" if info.get("device") else ""]
        parts += [f"--impl {spec}" for spec in info.get("impls") or ()]
        command = " ".join(p for p in (command, *parts) if p)
    return command
