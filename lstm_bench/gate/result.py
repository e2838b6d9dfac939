"""The gate's result objects: findings, per-benchmark timing verdicts, and the whole ``Comparison``.

``Comparison.to_dict`` is the JSON the ``json`` format prints and ``lstm-bench report`` reads;
``from_dict`` inverts it. REGRESSION findings and REGRESSION timing verdicts fail the gate
(exit 1), and so do INCONCLUSIVE timing verdicts unless allowed (``exit_code_for``); ERROR findings (something that should have been comparable was not) are shown
prominently but do not, unless nothing at all could be compared (exit 2, raised by ``compare``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lstm_bench.gate.config import GateConfig
from lstm_bench.gate.stats import RatioEstimate, Verdict

COMPARISON_SCHEMA = "lstm-bench.comparison"
COMPARISON_SCHEMA_VERSION = 1


class Severity(str, enum.Enum):
    """How much a finding matters; only REGRESSION fails the gate (see ``Comparison.regressed``)."""

    REGRESSION = "regression"
    ERROR = "error"  # could not compare something that should have been comparable
    WARNING = "warning"
    IMPROVEMENT = "improvement"
    NOTE = "note"


@dataclass(frozen=True)
class Finding:
    """One non-timing observation: area (conformance, stability, benchmarks, input), subject, message."""

    area: str
    subject: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "area": self.area,
            "subject": self.subject,
            "severity": self.severity.value,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """Inverse of ``to_dict``."""
        return cls(str(data["area"]), str(data["subject"]), Severity(data["severity"]), str(data["message"]))


@dataclass(frozen=True)
class TimingComparison:
    """One benchmark in both documents: medians (seconds), the ratio estimate and the verdict."""

    name: str
    baseline_median: float
    candidate_median: float
    estimate: RatioEstimate | None  # None when a side has fewer than 2 raw samples
    verdict: Verdict
    reason: str
    max_slowdown: float
    pairs: int | None = None  # sequential A/B: the pairs the verdict rests on
    seconds: float | None = None  # sequential A/B: wall time of the timed rounds
    stopped: str | None = None  # sequential A/B: 'decided', 'last look' or 'time budget'
    design: Mapping[str, Any] | None = None  # sequential A/B: ``SequentialDesign.to_dict()``
    confirmation: Mapping[str, Any] | None = None  # sequential A/B: ``Confirmation.to_dict()`` of a change

    @property
    def ratio(self) -> float:
        """Candidate / baseline: the estimate's ratio, else the ratio of the recorded medians."""
        return (
            self.estimate.ratio if self.estimate is not None else self.candidate_median / self.baseline_median
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (times in seconds)."""
        return {
            "name": self.name,
            "baseline_median_s": self.baseline_median,
            "candidate_median_s": self.candidate_median,
            "ratio": self.ratio,
            "estimate": None if self.estimate is None else self.estimate.to_dict(),
            "verdict": self.verdict.value,
            "reason": self.reason,
            "max_slowdown": self.max_slowdown,
            "pairs": self.pairs,
            "interval": None if self.estimate is None else [self.estimate.low, self.estimate.high],
            "seconds": self.seconds,
            "stopped": self.stopped,
            "design": None if self.design is None else dict(self.design),
            "confirmation": None if self.confirmation is None else dict(self.confirmation),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TimingComparison:
        """Inverse of ``to_dict``."""
        estimate = data.get("estimate")
        return cls(
            name=str(data["name"]),
            baseline_median=float(data["baseline_median_s"]),
            candidate_median=float(data["candidate_median_s"]),
            estimate=None if estimate is None else RatioEstimate.from_dict(estimate),
            verdict=Verdict(data["verdict"]),
            reason=str(data["reason"]),
            max_slowdown=float(data["max_slowdown"]),
            pairs=None if data.get("pairs") is None else int(data["pairs"]),
            seconds=None if data.get("seconds") is None else float(data["seconds"]),
            stopped=None if data.get("stopped") is None else str(data["stopped"]),
            design=data.get("design"),
            confirmation=data.get("confirmation"),
        )


@dataclass(frozen=True)
class Comparison:
    """Everything the gate found between a baseline and a candidate."""

    baseline: str
    candidate: str
    config: GateConfig
    timings: tuple[TimingComparison, ...] = ()
    findings: tuple[Finding, ...] = ()
    paired: bool = False  # timings from interleaved A/B pairs in one process
    labels: Mapping[str, str] = field(default_factory=dict)  # e.g. commits, for the header

    @property
    def regressions(self) -> list[str]:
        """One line per regression: timing verdicts, then regression findings."""
        lines = [f"{t.name}: {t.reason}" for t in self.timings if t.verdict is Verdict.REGRESSION]
        lines += [f"{f.subject}: {f.message}" for f in self.findings if f.severity is Severity.REGRESSION]
        return lines

    @property
    def regressed(self) -> bool:
        """True when anything regressed (timing, correctness or stability): exit code 1."""
        return bool(self.regressions)

    def of_severity(self, severity: Severity) -> list[Finding]:
        """The findings of one severity, in order."""
        return [f for f in self.findings if f.severity is severity]

    @property
    def inconclusive(self) -> list[str]:
        """One line per timing whose verdict is INCONCLUSIVE."""
        return [f"{t.name}: {t.reason}" for t in self.timings if t.verdict is Verdict.INCONCLUSIVE]

    def exit_code_for(self, *, allow_inconclusive: bool = False) -> int:
        """1 when anything regressed, or a timing is inconclusive and that is not allowed; else 0."""
        return 1 if self.regressed or (self.inconclusive and not allow_inconclusive) else 0

    @property
    def exit_code(self) -> int:
        """1 when anything regressed or a timing is inconclusive, else 0 (``exit_code_for`` to allow inconclusive)."""
        return self.exit_code_for()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready comparison, versioned."""
        return {
            "schema": COMPARISON_SCHEMA,
            "schema_version": COMPARISON_SCHEMA_VERSION,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "paired": self.paired,
            "labels": dict(self.labels),
            "config": self.config.to_dict(),
            "regressed": self.regressed,
            "inconclusive": [t.name for t in self.timings if t.verdict is Verdict.INCONCLUSIVE],
            "timings": [t.to_dict() for t in self.timings],
            "findings": [f.to_dict() for f in self.findings],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Comparison:
        """Inverse of ``to_dict``."""
        return cls(
            baseline=str(data["baseline"]),
            candidate=str(data["candidate"]),
            config=GateConfig.from_dict(data["config"]),
            timings=tuple(TimingComparison.from_dict(t) for t in data.get("timings", ())),
            findings=tuple(Finding.from_dict(f) for f in data.get("findings", ())),
            paired=bool(data.get("paired", False)),
            labels={str(k): str(v) for k, v in data.get("labels", {}).items()},
        )
