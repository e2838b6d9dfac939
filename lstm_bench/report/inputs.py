"""Inputs of the report: results documents (ours, or pytest-benchmark JSON) and the gate's baseline comparison.

``load_document`` validates a file with ``lstm_bench.results.load_results`` (every problem one
line, exit 2) and turns pytest-benchmark ``--benchmark-json`` files into a results document
whose ``"benchmarks"`` section ``lstm_bench.bench`` converted. ``compare_documents`` asks
``lstm_bench.gate`` for its comparison (thresholds from ``[tool.lstm-bench]`` in pyproject.toml).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["compare_documents", "load_document"]


def load_document(path: str | os.PathLike[str]) -> dict[str, Any]:
    """A results document from ``path``: ours as is, pytest-benchmark JSON converted by ``lstm_bench.bench``."""
    from lstm_bench.results import load_results

    document = load_results(path)
    if document.get("format") == "pytest-benchmark":
        return _convert_pytest_benchmark(document, Path(path))
    return document


def _convert_pytest_benchmark(data: Mapping[str, Any], path: Path) -> dict[str, Any]:
    """A results document holding the benchmarks of a pytest-benchmark JSON file (``lstm_bench.bench`` reads it)."""
    from lstm_bench.bench import records_from_document
    from lstm_bench.errors import UsageError

    records = records_from_document(dict(data), source=str(path))
    if not records:
        raise UsageError(f"{path}: pytest-benchmark JSON without benchmarks")
    machine = data.get("machine_info") or {}
    cpu = machine.get("cpu") or {}
    commit = data.get("commit_info") or {}
    return {
        "schema": "lstm-bench.results",
        "schema_version": 1,
        "created": str(data.get("datetime") or ""),
        "command": "pytest-benchmark",
        "environment": {
            "hostname": machine.get("node"),
            "cpu_model": cpu.get("brand_raw"),
            "cpu_count": cpu.get("count"),
            "python": machine.get("python_version"),
            "platform": machine.get("system"),
            "git_commit": commit.get("id"),
        },
        "benchmarks": [r.to_dict() for r in records],
    }


def compare_documents(baseline: Mapping[str, Any], candidate: Mapping[str, Any]) -> dict[str, Any]:
    """``lstm_bench.gate``'s comparison of ``candidate`` against ``baseline`` (thresholds from pyproject.toml)."""
    try:
        from lstm_bench.gate.compare import compare_documents as gate_compare
        from lstm_bench.gate.config import load_config
    except ImportError as exc:
        from lstm_bench.errors import UsageError

        raise UsageError(f"--baseline needs lstm_bench.gate, which is not available ({exc})") from None
    comparison = gate_compare(
        baseline, candidate, load_config(), baseline_name="baseline", candidate_name="this run"
    )
    result: dict[str, Any] = comparison.to_dict()
    return result
