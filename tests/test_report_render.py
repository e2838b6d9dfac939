"""The HTML report: well-formed, self-contained, escaped, and showing what the results say."""

from __future__ import annotations

import math
import re
from typing import Any

import pytest
import report_docs as docs
from report_html import parse_strict

from lstm_bench.report import plots
from lstm_bench.report.render import render_html
from lstm_bench.report.sections import Source, build_report

EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def page() -> str:
    document = docs.document(
        impls=("lstm_bench.reference.torch_ref:LSTM", "torch.nn:LSTM", "mypkg:Fused"),
        failing={"mypkg:Fused": ("equivalence",)},
    )
    return render_html([document])


def test_report_is_strictly_well_formed(page: str) -> None:
    parsed = parse_strict(page)
    assert parsed.errors == []
    assert parsed.tags.get("svg", 0) >= 4  # gates, gradient norms, recall, benchmarks


def test_report_is_self_contained(page: str) -> None:
    parsed = parse_strict(page)
    remote = re.compile(r"^\s*(https?:)?//", re.I)
    fetched = {"src", "href", "xlink:href", "action", "poster", "srcset", "data"}
    offenders = [
        (tag, name, value)
        for tag, name, value in parsed.attributes
        if name in fetched and value and remote.match(value)
    ]
    assert offenders == []
    assert all("src" not in script for script in parsed.scripts)
    assert "link" not in parsed.tags and "iframe" not in parsed.tags and "img" not in parsed.tags
    css = "\n".join(parsed.styles)
    assert "@import" not in css and "url(" not in css


def test_failures_show_counterexample_and_repro(page: str) -> None:
    assert "FAIL" in page
    assert "1 of 3 implementations FAILED conformance: mypkg:Fused" in page
    assert "replay(&#39;equivalence&#39;, steps=3, batch=1, seed=7)" in page
    assert "output[2, 0, 1]" in page


def test_user_strings_are_escaped_everywhere() -> None:
    document = docs.document(impls=(EVIL, "torch.nn:LSTM"), failing={EVIL: ("equivalence",)})
    document["conformance"][0]["checks"][1]["reason"] = f'"><img src=x onerror=alert(2)>{EVIL}'
    document["benchmarks"].append(docs.bench_record(EVIL, 0.05))
    document["stability"]["diagnostics"].append(docs.diagnostic(EVIL, "lstm", "default", 20, 0.9))
    document["stability"]["summary"].append(docs.summary(EVIL, {10: [1.0]}))
    document["gates"]["models"][0]["label"] = EVIL
    document["environment"]["hostname"] = EVIL
    html = render_html([document])
    parsed = parse_strict(html)
    assert parsed.errors == []
    assert len(parsed.scripts) == 1  # only the report's own table-sort script
    assert html.count("<script") == 1
    assert "<img" not in html
    assert not [name for _, name, _ in parsed.attributes if name.startswith("on")]
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5  # card, matrix, failure, benchmark, plots


def test_plot_labels_are_text_not_markup() -> None:
    svg = plots.gradient_norm_svg(
        [plots.Panel("T = 2", (plots.Series(f"{EVIL} $x$", (1.0, 2.0), (1e-3, 1.0)),))]
    )
    assert svg.startswith("<svg") and "<?xml" not in svg and "DOCTYPE" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; $x$" in svg
    assert "<script" not in svg


def test_plots_in_one_page_do_not_share_ids() -> None:
    a = plots.recall_svg([plots.Series("m", (10.0, 20.0), (1.0, 0.5))], chance=0.125)
    b = plots.recall_svg([plots.Series("m", (10.0, 20.0), (1.0, 0.5))], chance=0.125)
    ids = re.compile(r'\bid="([^"]+)"')
    assert set(ids.findall(a)).isdisjoint(ids.findall(b))


def test_verdict_names_the_failing_implementation_and_its_check() -> None:
    view = build_report([Source("run", docs.document(failing={"torch.nn:LSTM": ("causality",)}))])
    assert view.overall == "fail"
    failing = [v for v in view.verdicts if v.status == "fail"]
    assert [(v.name, v.failed) for v in failing] == [("torch.nn:LSTM", ("causality",))]
    passing = build_report([Source("run", docs.document())])
    assert passing.overall == "pass" and all(v.status == "pass" for v in passing.verdicts)


def test_speedup_and_longest_horizon_come_from_the_results() -> None:
    native, ours = 0.07, 0.05
    document = docs.document(native_s=native)
    document["benchmarks"].append(docs.bench_record("impl:mypkg:Fused", ours))
    document["conformance"].append(docs.conformance_report("mypkg:Fused"))
    document["stability"]["summary"].append(docs.summary("mypkg:Fused", {10: [1.0], 80: [1.0], 160: [0.5]}))
    document["stability"]["models"].append(docs.model("lstm", "xavier+chrono", impl="mypkg:Fused"))
    view = build_report([Source("run", document)])
    card = next(v for v in view.verdicts if v.name == "mypkg:Fused")
    assert card.speed == f"{native / ours:.2f}× torch-native speed (geomean of 1 cases)"
    assert card.horizon == "learns recall up to T = 80"
    torch_nn = next(v for v in view.verdicts if v.name == "torch.nn:LSTM")
    assert (
        torch_nn.horizon == "" and torch_nn.speed == ""
    )  # the sweep trained no plain default-init LSTM here
    rows = {r.backend: r for r in view.bench_rows}
    assert rows["torch-native"].speedup == "1.00×"
    assert rows["torch-ref"].noisy and not rows["torch-native"].noisy  # IQR 20 % vs 2 % of the median


def test_speedup_is_the_interleaved_ratio_with_its_interval_when_the_record_has_one() -> None:
    document = docs.document(native_s=0.07)
    paired = docs.bench_record("impl:mypkg:Fused", 0.05)  # medians say 1.40x; the interleaved pairs 1.25x
    paired["speedup"] = {
        "baseline": "torch-native",
        "ratio": 1.25,
        "low": 1.2,
        "high": 1.3,
        "coverage": 0.96,
        "pairs": 20,
    }
    document["benchmarks"].append(paired)
    document["conformance"].append(docs.conformance_report("mypkg:Fused"))
    view = build_report([Source("run", document)])
    rows = {r.backend: r for r in view.bench_rows}
    assert rows["impl:mypkg:Fused"].speedup == "1.25× [1.20, 1.30]"
    assert (
        rows["impl:mypkg:Fused"].speedup_value == 1.25
        and "not interleaved" not in rows["impl:mypkg:Fused"].note
    )
    assert "not interleaved" in rows["torch-ref"].note  # the fixture's torch-ref record has no pairs
    card = next(v for v in view.verdicts if v.name == "mypkg:Fused")
    assert card.speed.startswith("1.25× torch-native speed")
    assert "1.25× [1.20, 1.30]" in render_html([document])


def test_gradient_table_reports_log_ratio_jacobian_and_regime() -> None:
    document = docs.document()
    document["stability"]["diagnostics"].append(docs.diagnostic("tanh RNN", "rnn", "default", 10, 0.5))
    view = build_report([Source("run", document)])
    assert view.gradient_table is not None
    assert view.gradient_table.header[1:3] == (
        "log10 ratio, T=10",
        "log10 ratio, T=100",
    )
    rows = {row[0]: row for row in view.gradient_table.rows}
    # tanh RNN fixture: ||dL/dh_t|| = 0.5^(T-t), so log10 ratio = (T-1) log10(0.5) and ||dh_T/dh_1|| = 0.5^(T-1)
    log_half = math.log10(0.5)
    assert rows["tanh RNN"][1:] == (
        f"{9 * log_half:+.1f}",
        f"{99 * log_half:+.1f}",
        f"{log_half:+.3f}",
        f"{0.5**99:.1e}",
        "vanishing",
    )
    assert rows["LSTM (chrono)"][1] == "–" and rows["LSTM (chrono)"][-1] == "stable"
    assert len(view.gradient_figures) == 1  # one figure per task, a panel per horizon


def test_recall_table_gives_the_longest_horizon_learned() -> None:
    view = build_report([Source("run", docs.document())])
    assert view.recall_table is not None
    longest = {row[1]: (row[2], row[3]) for row in view.recall_table.rows}
    assert longest == {
        "tanh RNN": ("T = 10", "T=10: 2/2 solved, T=20: 0/2 solved, T=40: 0/2 solved"),
        "LSTM (chrono)": ("T = 40", "T=10: 2/2 solved, T=20: 2/2 solved, T=40: 2/2 solved"),
    }


def test_two_inputs_side_by_side() -> None:
    before = Source("before", docs.document(native_s=0.08))
    after = Source("after", docs.document(native_s=0.06, created="2025-11-26T09:00:00Z"))
    view = build_report([before, after])
    assert view.environment.header == ("", "before", "after")
    assert view.side_by_side is not None
    row = next(r for r in view.side_by_side.rows if r[1] == "torch-native")
    assert row[2:] == ("80.0 ms", "60.0 ms", "0.75×")
    html = render_html([before, after])
    assert parse_strict(html).errors == []
    assert "side by side: before · after" in html


def test_missing_sections_are_stated_not_hidden() -> None:
    document: dict[str, Any] = {
        k: v for k, v in docs.document().items() if k not in ("stability", "benchmarks")
    }
    html = render_html([document])
    assert parse_strict(html).errors == []
    assert "Not in these results: stability, benchmarks." in html
    assert "No recall sweep in these results." in html


def test_baseline_comparison_colours_regressions_and_improvements() -> None:
    from lstm_bench.gate.config import GateConfig
    from lstm_bench.gate.result import Comparison, Finding, Severity, TimingComparison
    from lstm_bench.gate.stats import RatioEstimate, Verdict

    def timing(name: str, old: float, new: float, verdict: str) -> TimingComparison:
        ratio = new / old
        estimate = RatioEstimate(ratio, ratio * 0.95, ratio * 1.05, 0.95, 0.001, "test", False, 20, 20)
        return TimingComparison(name, old, new, estimate, Verdict(verdict), "test", 0.03)

    comparison = Comparison(
        baseline="main",
        candidate="pr",
        config=GateConfig(),
        timings=(
            timing("lstm fwd+bwd", 0.07, 0.09, "regression"),
            timing("gru fwd", 0.05, 0.04, "improvement"),
        ),
        findings=(Finding("conformance", "x :: equivalence", Severity.REGRESSION, "fails now"),),
    )
    html = render_html([docs.document()], comparison=comparison)
    assert parse_strict(html).errors == []
    assert re.search(r'<tr class="regression"><td class="mono">lstm fwd\+bwd</td>', html)
    assert re.search(r'<tr class="improvement"><td class="mono">gru fwd</td>', html)
    assert re.search(r'<tr class="regression"><td class="mono">x :: equivalence</td>', html)
    assert f"{0.09 / 0.07:.2f}× [{0.09 / 0.07 * 0.95:.3f}, {0.09 / 0.07 * 1.05:.3f}], p = 0.001" in html
    assert "pr vs main: 2 regression(s), 1 improvement(s); 2 benchmark(s) timed on both sides" in html


def test_breakable_names_escape_every_piece() -> None:
    from lstm_bench.report.render import breakable

    assert str(breakable("pkg.mod:Name")) == "pkg.<wbr>mod:<wbr>Name"
    assert str(breakable("<i>x</i>.y")) == "&lt;i&gt;x&lt;/<wbr>i&gt;.<wbr>y"


def test_one_spec_under_two_kinds_gets_two_named_columns() -> None:
    document = docs.document(impls=("torch.nn:RNN",))
    document["conformance"].append(docs.conformance_report("torch.nn:RNN", kind="rnn-relu"))
    document["conformance"][0]["kind"] = "rnn"
    view = build_report([Source("run", document)])
    assert view.matrix is not None
    assert view.matrix.columns == ("torch.nn:RNN (rnn)", "torch.nn:RNN (rnn-relu)")


def test_the_benchmark_notes_say_which_clock_and_how_many_threads_timed_them() -> None:
    document = docs.document()
    document["benchmark_run"] = {"threads": 1, "clock": "process-cpu", "warnings": []}
    view = build_report([Source("run", document)])
    assert (
        "Timed on 1 torch thread, process CPU time (time spent waiting for a core is not counted)."
        in view.bench_notes
    )
    document["benchmark_run"] = {"threads": 2, "clock": "wall", "warnings": []}
    assert "Timed on 2 torch threads, wall-clock time." in build_report([Source("run", document)]).bench_notes
    document["benchmark_run"] = {"threads": 1, "clock": "process-cpu", "sweeps": 10, "warnings": []}
    notes = " ".join(build_report([Source("run", document)]).bench_notes)
    assert "spread over 10 sweeps of its window of cases" in notes
