"""Inputs of the report: typed results documents (ours, or pytest-benchmark JSON) and the gate's baseline comparison.

``load_document`` reads and types a file with ``lstm_bench.documents.read_document`` (every
problem one line, exit 2; pytest-benchmark ``--benchmark-json`` files converted by
``lstm_bench.bench``). ``compare_documents`` asks ``lstm_bench.gate`` for its ``Comparison``
(thresholds from ``[tool.lstm-bench]`` in pyproject.toml).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from lstm_bench.documents import ResultsDocument, read_document

if TYPE_CHECKING:
    from lstm_bench.gate.result import Comparison

__all__ = ["compare_documents", "load_document"]


def load_document(path: str | os.PathLike[str]) -> ResultsDocument:
    """The typed results document at ``path``: ours, or pytest-benchmark JSON converted by ``lstm_bench.bench``."""
    return read_document(path)


def compare_documents(baseline: ResultsDocument, candidate: ResultsDocument) -> Comparison:
    """``lstm_bench.gate``'s comparison of ``candidate`` against ``baseline`` (thresholds from pyproject.toml)."""
    from lstm_bench.gate.compare import compare_documents as gate_compare
    from lstm_bench.gate.config import load_config

    return gate_compare(
        baseline, candidate, load_config(), baseline_name="baseline", candidate_name="this run"
    )
