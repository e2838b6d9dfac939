"""The ``lstm-bench run`` pipeline: phases in order, one results document, one report folder.

Phases (``phases.PHASES``): conformance -> stability (gradient-norm profiles + recall sweep)
-> gate activations -> benchmarks. Each phase is a function of the run's context and a
progress line that returns the sections it adds to the document. A phase whose capability is
not installed is recorded as skipped; a phase that crashes is recorded with its error and the
run goes on, so one broken part never costs the others' results.

Nothing is written until every phase has finished: then ``results.json`` and ``index.html`` go
into a temporary folder that is renamed into ``<out>/<UTC stamp>/`` and ``<out>/latest`` is
repointed (``publish``). Ctrl-C at any moment therefore keeps the previous report and leaves no
half-written file behind.

Exit status (``RunOutcome.exit_code``): 0 everything passed; 1 a conformance check failed, a
benchmark workload raised, a phase crashed, or (with a baseline) a regression was found.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from lstm_bench.orchestration import phases as _phases
from lstm_bench.orchestration.context import (
    RUN_SIZES,
    Phase,
    PhaseOutput,
    PhaseUnavailable,
    RunContext,
    RunOptions,
)
from lstm_bench.orchestration.publish import publish_report
from lstm_bench.progress import PhaseProgress

if TYPE_CHECKING:
    from lstm_bench.documents import ResultsDocument
    from lstm_bench.gate.result import Comparison

__all__ = ["RunOutcome", "run_pipeline"]  # the run's types live in orchestration.context


@dataclass
class RunOutcome:
    """The finished run: its document, the report folder and the exit code."""

    document: dict[str, Any]
    folder: Path
    exit_code: int
    phases: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the whole run, report writing included


def _run_phase(phase: Phase, ctx: RunContext, stream: TextIO) -> tuple[dict[str, Any], PhaseOutput | None]:
    """Run one phase with its progress line; returns its record for the document and its output."""
    progress = PhaseProgress(phase.name, 0, stream=stream)
    started = time.monotonic()
    record: dict[str, Any] = {"name": phase.name}
    try:
        output = phase.run(ctx, progress)
    except PhaseUnavailable as exc:
        progress.skip(str(exc))
        return {
            **record,
            "status": "skipped",
            "seconds": time.monotonic() - started,
            "summary": str(exc),
        }, None
    except KeyboardInterrupt:
        progress.abort("interrupted: nothing was written")
        raise
    except Exception as exc:  # a crash in one phase must not lose the others' results
        message = f"{type(exc).__name__}: {exc}"
        progress.abort(f"error: {message}")
        return {**record, "status": "error", "seconds": time.monotonic() - started, "summary": message}, None
    progress.finish(output.summary)
    status = "failed" if output.failed else "ok"
    return {
        **record,
        "status": status,
        "seconds": time.monotonic() - started,
        "summary": output.summary,
    }, output


def run_pipeline(
    options: RunOptions,
    phases: Sequence[Phase] | None = None,
    stream: TextIO | None = None,
    stamp: str | None = None,
) -> RunOutcome:
    """Run every phase, then write ``results.json`` and ``index.html`` atomically under ``options.out``."""
    from lstm_bench.report.render import render_html
    from lstm_bench.results import new_document

    if phases is None:
        phases = _phases.PHASES  # read at call time: tests replace it
    err = sys.stderr if stream is None else stream
    started = time.monotonic()
    baseline = _load_baseline(options.baseline)  # a bad baseline is a usage error now, not after the run
    profile = RUN_SIZES[options.profile]
    document = new_document("run")
    ctx = RunContext(options, profile, document, options.loaded)
    records: list[dict[str, Any]] = []
    failed = False
    for phase in phases:
        record, output = _run_phase(phase, ctx, err)
        records.append(record)
        if output is not None:
            document.update(output.sections)
        failed = failed or record["status"] in ("failed", "error")
    document["run"] = {
        "profile": profile.name,
        "device": options.device,
        "impls": list(options.impls),
        "seed": options.seed,
        "phases": records,
        "seconds": time.monotonic() - started,
        **document.get("run", {}),
    }
    comparison = None if baseline is None else _compare(baseline, document)
    if comparison is not None:
        document["comparison"] = comparison.to_dict()
        failed = failed or comparison.regressed
    writing = PhaseProgress("report", 1, stream=err)
    try:
        html = render_html([document], comparison=comparison)
        folder = _publish(publish_report, options.out, document, html, stamp)
    except KeyboardInterrupt:
        writing.abort("interrupted: nothing was written")
        raise
    writing.finish(f"{folder / 'index.html'} ({len(html) / 1024:.0f} KiB)")
    return RunOutcome(document, folder, 1 if failed else 0, records, time.monotonic() - started)


def _publish(
    publish: Callable[..., Path], out: Path, document: dict[str, Any], html: str, stamp: str | None
) -> Path:
    import json

    from lstm_bench.atomic import strict_json

    text = json.dumps(strict_json(document), indent=2, allow_nan=False) + "\n"
    return publish(out, {"results.json": text, "index.html": html}, stamp)


def _load_baseline(path: Path | None) -> ResultsDocument | None:
    if path is None:
        return None
    from lstm_bench.report.inputs import load_document

    return load_document(path)


def _compare(baseline: ResultsDocument, document: dict[str, Any]) -> Comparison:
    """The gate's comparison of this run against ``baseline``."""
    from lstm_bench.documents import ResultsDocument
    from lstm_bench.report.inputs import compare_documents

    return compare_documents(baseline, ResultsDocument.from_dict(document, "this run"))
