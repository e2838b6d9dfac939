"""Plain-text rendering of conformance results: one line per check, a summary, failure details.

Pure functions from result objects to strings; the CLI prints them and the pytest suite puts
them in assertion messages.
"""

from __future__ import annotations

import math
import textwrap

from lstm_bench.conformance.coverage import coverage, layout_line, root_causes
from lstm_bench.conformance.result import CheckResult, ConformanceReport
from lstm_bench.conformance.tolerances import UNIT_NAMES

NAME_WIDTH = 31
_STATUS = {"pass": "PASS", "fail": "FAIL", "skip": "skip", "unsupported": "n/s "}


def _error(value: float) -> str:
    return "inf" if math.isinf(value) else ("nan" if math.isnan(value) else f"{value:.1e}")


def check_line(result: CheckResult) -> str:
    """'  PASS  equivalence.zero_state     worst 2.2e-16 vs tol 1e-10 + 1e-10·|ref|   0.41 s  (27 cases)'."""
    head = f"  {_STATUS[result.status]}  {result.name:<{NAME_WIDTH}}"
    if result.status == "skip":
        return f"{head} skipped: {result.reason}"
    if result.status == "unsupported":
        return f"{head} unsupported: {result.reason}"
    tol = result.tolerance.describe() if result.tolerance is not None else "-"
    example = result.counterexample
    if result.status == "fail" and example is not None and example.outcome.detail.startswith("raised "):
        raised = example.outcome.detail.removeprefix("raised ").split(":")[
            0
        ]  # no error to show: what it raised
        return f"{head} raised {raised:<34} {result.seconds:6.2f} s  ({result.examples} cases)"
    line = f"{head} worst {_error(result.worst_error):>7} vs tol {tol:<22} {result.seconds:6.2f} s  ({result.examples} cases)"
    return line + accuracy_note(result)


def accuracy_note(result: CheckResult) -> str:
    """'  [vs float64: worst 3.7u median 0.35u, bound 38u; bfloat16 u=2^-8]', or '' without a figure."""
    acc = result.accuracy
    if acc is None:
        return ""
    bound = "" if acc.bound is None else f", bound {_units(acc.bound)}u"
    return f"  [vs float64: worst {_units(acc.worst)}u median {_units(acc.median)}u{bound}; {acc.dtype} u={UNIT_NAMES[acc.dtype]}]"


def _units(value: float) -> str:
    if not math.isfinite(value):
        return _error(value)
    return f"{value:.3g}" if value < 1e4 else f"{value:.1e}"


def note_lines(result: CheckResult, indent: str = "        ") -> list[str]:
    """The result's notes (settings, a nondeterministic backward), one line each."""
    return [f"{indent}note: {note}" for note in result.notes]


def tensor_lines(result: CheckResult, indent: str = "        ") -> list[str]:
    """Per-tensor worst errors of a gradient check, one line each."""
    lines = []
    for t in result.tensors:
        mark = "" if t.passed else "  <-- FAIL"
        lines.append(
            f"{indent}{t.tensor:<16} max abs {_error(t.max_abs):>7}  max rel {_error(t.max_rel):>7}  at {t.where}{mark}"
        )
    return lines


def failure_block(result: CheckResult) -> str:
    """The counterexample of a failed check: case, what failed, per-tensor errors, repro snippet."""
    lines = [f"FAIL {result.name}: {result.reason}"]
    example = result.counterexample
    if example is None:
        return lines[0]
    case = example.case
    sizes = f"T={case['steps']} B={case['batch']} I={case['input_size']} H={case['hidden_size']} seed={case['seed']}"
    extra = "".join(f" {k}={v}" for k, v in sorted(case.get("options", {}).items()))
    lines.append(f"  minimal counterexample ({result.examples} cases tried): {sizes}{extra}")
    failing = [t for t in example.outcome.tensors if not t.passed]
    for t in failing[:6]:
        lines.append(f"    {t.describe()}")
    if result.accuracy is not None:
        lines.append(f"  accuracy over all cases tried:{accuracy_note(result).replace('  [', ' [', 1)}")
    lines.append("  reproduce:")
    lines.append(textwrap.indent(example.repro.rstrip("\n"), "    "))
    return "\n".join(lines)


def report_header(report: ConformanceReport) -> str:
    """'torch.nn:LSTM (lstm, float64, cpu, profile default, seed 0)'."""
    dtype = report.dtype if report.autocast is None else f"{report.dtype} autocast {report.autocast}"
    return f"{report.spec} ({report.kind}, {dtype}, {report.device}, profile {report.profile}, seed {report.seed})"


def summary_line(report: ConformanceReport) -> str:
    """'torch.nn:LSTM: 15 passed, 0 failed, 2 skipped in 12.3 s' (', 1 unsupported' when any)."""
    unsupported = report.count("unsupported")
    extra = f", {unsupported} unsupported" if unsupported else ""
    return (
        f"{report.spec}: {report.count('pass')} passed, {report.count('fail')} failed, "
        f"{report.count('skip')} skipped{extra} in {report.seconds:.1f} s"
    )


def coverage_block(report: ConformanceReport) -> str:
    """The coverage table: per feature, its support (and why) and the checks that exercised it."""
    rows = coverage(report)
    width = max(len(r.feature) for r in rows)
    lines = ["coverage:"]
    for row in rows:
        lines.append(f"  {row.feature:<{width}}  {row.verdict()}")
        lines.append(f"  {'':<{width}}    {row.usage()}")
    lines.append(f"  {layout_line(report)}")
    return "\n".join(lines)


def root_cause_lines(report: ConformanceReport) -> list[str]:
    """'root cause: forward(x) without hx raised TypeError: ... (fails 6 checks: a, b, ...)'."""
    lines = []
    for cause, names in root_causes(report):
        call = next((c for c, why in report.preconditions.items() if why and why in cause), "")
        head = f"{call} {cause}" if call else cause
        lines.append(f"root cause: {head} (fails {len(names)} checks: {', '.join(names)})")
    return lines


def render_report(report: ConformanceReport, per_tensor: bool = True) -> str:
    """The whole report as the CLI prints it."""
    lines = [report_header(report)]
    for result in report.results:
        lines.append(check_line(result))
        lines.extend(note_lines(result))
        if per_tensor and result.name.startswith("gradients.") and result.status != "skip":
            lines.extend(tensor_lines(result))
    failures = [failure_block(r) for r in report.results if r.status == "fail"]
    if failures:
        lines.append("")
        lines.extend(root_cause_lines(report))
        lines.extend(failures)
    if report.capabilities:
        lines.append(coverage_block(report))
    lines.append(summary_line(report))
    return "\n".join(lines)
