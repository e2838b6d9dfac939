"""The project's versioned results schema: one JSON document per run, written atomically.

Top level::

    {"schema": "lstm-bench.results", "schema_version": 1, "created": ISO-8601 UTC,
     "command": "check" | "bench" | "stability" | "run" | ..., "environment": {...},
     "conformance": [...], "benchmarks": [...], "stability": {...}}

Each section is owned by its module (``lstm_bench.conformance``, ``lstm_bench.bench``,
``lstm_bench.stability``), which defines its records' ``to_dict`` / ``from_dict``; readers type a
loaded document with ``lstm_bench.documents.ResultsDocument``. A section a run did not produce is absent. Benchmark documents also carry ``"peak"`` (the GEMM peak per
device and dtype, measured in the same run) and ``"benchmark_run"`` (suite, threads, timer, FLOP
model, load before/after), owned by ``lstm_bench.bench``; ``lstm-bench run`` adds ``"gates"``
(gate activation histograms, owned by ``lstm_bench.stability.activations``). ``load_results`` also recognises pytest-benchmark's
``--benchmark-json`` files and reports them as ``"format": "pytest-benchmark"``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from lstm_bench.atomic import write_json_atomic
from lstm_bench.errors import UsageError

SCHEMA = "lstm-bench.results"
SCHEMA_VERSION = 1
SECTIONS = ("conformance", "benchmarks", "stability")


def utc_now() -> str:
    """The current time as ISO-8601 UTC with a trailing Z, to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def new_document(command: str, environment: dict[str, Any] | None = None) -> dict[str, Any]:
    """An empty results document for ``command``, with the environment captured now."""
    if environment is None:
        from lstm_bench.environment import capture_environment

        environment = capture_environment()
    return {
        "schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "created": utc_now(),
        "command": command,
        "environment": environment,
    }


def save_results(path: str | os.PathLike[str], document: dict[str, Any]) -> Path:
    """Write a results document atomically (UsageError when the folder is unwritable)."""
    if document.get("schema") != SCHEMA:
        raise ValueError("not an lstm-bench results document")
    return write_json_atomic(path, document)


def load_results(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and validate a results file; every problem is one-line UsageError (exit 2).

    Returns the document with ``"format"`` set to ``"lstm-bench"`` or ``"pytest-benchmark"``
    (the latter left as pytest-benchmark wrote it, for ``lstm_bench.bench`` to convert).
    """
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{source}: cannot read: {exc}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source}: not valid JSON (truncated or corrupt?): {exc.msg} at line {exc.lineno}"
        ) from None
    if not isinstance(data, dict):
        raise UsageError(f"{source}: not an lstm-bench results file (top level is {type(data).__name__})")
    if data.get("schema") == SCHEMA:
        version = data.get("schema_version")
        if version != SCHEMA_VERSION:
            raise UsageError(
                f"{source}: results schema version {version!r} is not supported (this lstm-bench reads {SCHEMA_VERSION})"
            )
        return {**data, "format": "lstm-bench"}
    if isinstance(data.get("benchmarks"), list) and "machine_info" in data:
        return {**data, "format": "pytest-benchmark"}
    raise UsageError(
        f"{source}: not an lstm-bench results file nor pytest-benchmark JSON ({schema_problem(data)})"
    )


def schema_problem(data: dict[str, Any]) -> str:
    """Why ``data`` is not an lstm-bench document: its 'schema' key is missing, or names another schema."""
    if "schema" not in data:
        return "no 'schema' key"
    return f"its schema is {data['schema']!r}, not {SCHEMA!r}"
