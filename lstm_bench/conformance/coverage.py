"""The coverage table of a conformance report: which features were exercised, and which not and why.

One row per optional feature (``capabilities.Feature``): whether the implementation supports
it and who said so, and the checks whose cases used it with their status. A feature that no
selected check uses says so ("not exercised"). Pure functions of a ``ConformanceReport`` (and
so of a saved results document): the text renderer and the HTML view both read these rows.

``root_causes`` groups failing checks that failed for the same reason (the same exception from
the implementation), so a report names the cause once instead of blaming each check.
"""

from __future__ import annotations

from dataclasses import dataclass

from lstm_bench.capabilities import Feature
from lstm_bench.conformance.result import CheckResult, ConformanceReport


@dataclass(frozen=True)
class CoverageRow:
    """One feature: support verdict and source, the reason, and (check, status) pairs that used it."""

    feature: str
    supported: bool | None  # None when the report carries no capabilities (older documents)
    source: str
    reason: str
    checks: tuple[tuple[str, str], ...]
    idle: str = "no selected check uses it"  # why nothing exercised it, when nothing did

    @property
    def exercised(self) -> bool:
        """True when a check that used the feature ran (passed or failed)."""
        return any(status in ("pass", "fail") for _, status in self.checks)

    def verdict(self) -> str:
        """'supported (probe)', 'unsupported (declared: ...)', 'not applicable (...)' or 'unknown'."""
        if self.supported is None:
            return "unknown"
        if self.source == "not applicable":
            return f"not applicable ({self.reason})" if self.reason else "not applicable"
        word = "supported" if self.supported else "unsupported"
        return f"{word} ({self.source}: {self.reason})" if self.reason else f"{word} ({self.source})"

    def usage(self) -> str:
        """'equivalence.unbatched: unsupported' or 'not exercised: no selected check uses it'."""
        if not self.checks:
            return f"not exercised: {self.idle}"
        if len(self.checks) > 3:
            statuses = sorted({s for _, s in self.checks})
            return f"{len(self.checks)} checks ({', '.join(statuses)})"
        return ", ".join(f"{name}: {status}" for name, status in self.checks)


def coverage(report: ConformanceReport) -> list[CoverageRow]:
    """One row per feature, in ``Feature`` order."""
    rows = []
    for feature in Feature:
        entry = report.capabilities.get(feature.value)
        used = tuple((r.name, r.status) for r in report.results if feature.value in r.features)
        rows.append(
            CoverageRow(
                feature=feature.value,
                supported=None if entry is None else bool(entry["supported"]),
                source="" if entry is None else str(entry["source"]),
                reason="" if entry is None else str(entry.get("reason", "")),
                checks=used,
                idle=(
                    f"this run is in {report.dtype}"
                    if feature is Feature.FLOAT64 and report.dtype != "float64"
                    else "no selected check uses it"
                ),
            )
        )
    return rows


def layout_line(report: ConformanceReport) -> str:
    """'layouts: module default batch_first=True; checked time-major (T, B, I) and batch_first (B, T, I)'."""
    default = report.layout.get("batch_first")
    own = "unknown" if default is None else f"batch_first={bool(default)}"
    layouts = ["time-major (T, B, I)"]
    try:
        other = report.result("equivalence.batch_first")
        layouts.append(f"batch_first (B, T, I): {other.status}")
    except KeyError:
        layouts.append("batch_first (B, T, I): not selected")
    return f"layouts: module default {own}; checked {', '.join(layouts)}"


def _cause(result: CheckResult) -> str:
    """The implementation's exception a failure reports ('raised IndexError: ...'), or ''."""
    return f"raised {result.raised}" if result.raised else ""


def root_causes(report: ConformanceReport) -> list[tuple[str, tuple[str, ...]]]:
    """(cause, failing checks) for every exception that failed two or more checks, most checks first."""
    groups: dict[str, list[str]] = {}
    for result in report.results:
        if result.status == "fail" and (cause := _cause(result)):
            groups.setdefault(cause, []).append(result.name)
    shared = [(cause, tuple(names)) for cause, names in groups.items() if len(names) > 1]
    return sorted(shared, key=lambda item: -len(item[1]))
