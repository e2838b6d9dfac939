"""A results document, typed: every section read once, by its owner's ``from_dict``, for every reader.

``ResultsDocument.from_dict`` turns a loaded document (``results.load_results``: ours, or
pytest-benchmark ``--benchmark-json``) into typed sections; the gate, the report and
``lstm-bench compare`` read documents only through it:

* ``conformance``: ``conformance.result.ConformanceReport`` per implementation run;
* ``benchmarks``: ``bench.section.BenchmarkSection`` (``"benchmarks"``, ``"peak"``, ``"benchmark_run"``);
* ``stability``: ``stability.result.StabilityReport``;
* ``gates``: ``stability.activations.GateActivations``.

A section that does not match its schema is a one-line ``UsageError`` (exit 2) naming the file,
the section entry and the field, e.g. ``old.json: conformance[0]: missing field 'seconds'``;
nothing is defaulted to hide the drift. ``to_dict`` writes the lstm-bench schema back (a
pytest-benchmark file becomes a document with its benchmarks converted).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from lstm_bench.bench.records import records_from_pytest_benchmark
from lstm_bench.bench.section import BenchmarkSection
from lstm_bench.conformance.result import ConformanceReport
from lstm_bench.errors import UsageError
from lstm_bench.results import SCHEMA, SCHEMA_VERSION, load_results, schema_problem
from lstm_bench.stability.activations import GateActivations
from lstm_bench.stability.result import StabilityReport

__all__ = ["ResultsDocument", "as_document", "read_document"]

T = TypeVar("T")

#: Top-level keys read into typed fields; any other key (``"run"``, ``"comparison"``) is kept as written.
_TYPED = ("schema", "schema_version", "created", "command", "environment", "format")
_SECTIONS = ("conformance", "benchmarks", "peak", "benchmark_run", "stability", "gates")


def _parse(source: str, where: str, parse: Callable[[Any], T], data: Any) -> T:
    """``parse(data)``, or one UsageError line naming ``source``, ``where`` and the field at fault."""
    try:
        return parse(data)
    except KeyError as exc:
        raise UsageError(f"{source}: {where}: missing field {exc}") from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise UsageError(f"{source}: {where}: does not match the schema ({exc})") from None


def _mapping(value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise TypeError(f"expected an object, got {type(value).__name__}")
    return value


@dataclass(frozen=True)
class ResultsDocument:
    """One results document with its sections typed (None: the run did not produce that section)."""

    source: str  # the file (or label) it came from, for messages
    created: str
    command: str
    environment: Mapping[str, Any]
    conformance: tuple[ConformanceReport, ...] | None = None
    benchmarks: BenchmarkSection | None = None
    stability: StabilityReport | None = None
    gates: GateActivations | None = None
    other: Mapping[str, Any] = field(default_factory=dict)  # "run", "comparison": kept as written
    format: str = "lstm-bench"  # or "pytest-benchmark" (converted)

    @property
    def run(self) -> Mapping[str, Any] | None:
        """``lstm-bench run``'s settings and phase records (``"run"``), when present."""
        value = self.other.get("run")
        return value if isinstance(value, Mapping) else None

    def to_dict(self) -> dict[str, Any]:
        """The document in the lstm-bench schema (``to_dict(from_dict(d)) == d`` for our documents)."""
        out: dict[str, Any] = {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "created": self.created,
            "command": self.command,
            "environment": dict(self.environment),
            **dict(self.other),
        }
        if self.conformance is not None:
            out["conformance"] = [r.to_dict() for r in self.conformance]
        if self.benchmarks is not None:
            out.update(self.benchmarks.to_dict())
        if self.stability is not None:
            out["stability"] = self.stability.to_dict()
        if self.gates is not None:
            out["gates"] = self.gates.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "results") -> ResultsDocument:
        """Type every section of a loaded document; UsageError (exit 2) on the first that does not match."""
        if data.get("format") == "pytest-benchmark" or (
            "machine_info" in data and data.get("schema") != SCHEMA
        ):
            return _from_pytest_benchmark(data, source)
        if data.get("schema") != SCHEMA:
            raise UsageError(f"{source}: not an lstm-bench results document ({schema_problem(dict(data))})")
        conformance = data.get("conformance")
        reports = None
        if conformance is not None:
            if not isinstance(conformance, list):
                raise UsageError(f"{source}: conformance: does not match the schema (not a list)")
            reports = tuple(
                _parse(source, f"conformance[{i}]", lambda d: ConformanceReport.from_dict(_mapping(d)), entry)
                for i, entry in enumerate(conformance)
            )
        benchmarks = None
        if any(data.get(k) is not None for k in ("benchmarks", "peak", "benchmark_run")):
            benchmarks = _parse(source, "benchmarks", BenchmarkSection.from_dict, data)
        stability = data.get("stability")
        gates = data.get("gates")
        return cls(
            source=source,
            created=str(data.get("created") or ""),
            command=str(data.get("command") or ""),
            environment=_parse(source, "environment", _mapping, data.get("environment") or {}),
            conformance=reports,
            benchmarks=benchmarks,
            stability=None
            if stability is None
            else _parse(
                source, "stability", lambda d: StabilityReport.from_dict(dict(_mapping(d))), stability
            ),
            gates=None
            if gates is None
            else _parse(source, "gates", lambda d: GateActivations.from_dict(_mapping(d)), gates),
            other={k: v for k, v in data.items() if k not in _TYPED + _SECTIONS},
        )

    def has(self, section: str) -> bool:
        """True when the document holds a non-empty ``section`` ('conformance', 'stability', 'benchmarks')."""
        if section == "benchmarks":
            return self.benchmarks is not None and bool(self.benchmarks.records)
        return bool(getattr(self, section))


def _from_pytest_benchmark(data: Mapping[str, Any], source: str) -> ResultsDocument:
    """A document holding the benchmarks of a pytest-benchmark JSON file (converted by ``lstm_bench.bench``)."""
    records = _parse(source, "benchmarks", lambda d: records_from_pytest_benchmark(dict(d)), data)
    if not records:
        raise UsageError(f"{source}: pytest-benchmark JSON without benchmarks")
    machine = data.get("machine_info") or {}
    cpu = machine.get("cpu") or {}
    commit = data.get("commit_info") or {}
    environment = {
        "hostname": machine.get("node"),
        "cpu_model": cpu.get("brand_raw"),
        "cpu_count": cpu.get("count"),
        "python": machine.get("python_version"),
        "platform": machine.get("system"),
        "git_commit": commit.get("id"),
    }
    return ResultsDocument(
        source=source,
        created=str(data.get("datetime") or ""),
        command="pytest-benchmark",
        environment=environment,
        benchmarks=BenchmarkSection(tuple(records)),
        format="pytest-benchmark",
    )


def read_document(path: str | os.PathLike[str]) -> ResultsDocument:
    """Load, validate and type the results file at ``path`` (every problem one line, exit 2)."""
    return ResultsDocument.from_dict(load_results(path), str(path))


def as_document(document: ResultsDocument | Mapping[str, Any], source: str = "results") -> ResultsDocument:
    """``document`` typed (a loaded dict is read with ``ResultsDocument.from_dict``)."""
    return document if isinstance(document, ResultsDocument) else ResultsDocument.from_dict(document, source)
