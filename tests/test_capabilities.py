"""Optional features: declared, flagged or probed; unsupported is never a failure, wrong is.

The implementations are in tests/impls/broken/capability_bugs.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import ClassVar

import pytest

from lstm_bench.capabilities import (
    FEATURE_NAMES,
    Capabilities,
    Feature,
    Support,
    declared,
    parse_feature_list,
    resolve,
)
from lstm_bench.cli import main
from lstm_bench.conformance import run_check, run_conformance
from lstm_bench.conformance.coverage import coverage, root_causes
from lstm_bench.conformance.render import render_report, root_cause_lines
from lstm_bench.conformance.result import ConformanceReport
from lstm_bench.errors import UsageError
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl

pytestmark = pytest.mark.usefixtures("impls_on_path")

NO_UNBATCHED = "broken.capability_bugs:DeclaresNoUnbatched"


def test_features_are_named_once_and_parse_from_flags() -> None:
    assert FEATURE_NAMES == (
        "unbatched",
        "packed",
        "proj_size",
        "bidirectional",
        "multilayer",
        "dropout",
        "float64",
        "no_bias",
        "batch_first",
    )
    assert parse_feature_list("unbatched, proj-size,,", "--supports") == {
        Feature.UNBATCHED,
        Feature.PROJ_SIZE,
    }
    assert parse_feature_list(None, "--supports") == frozenset()
    with pytest.raises(
        UsageError, match="--unsupported: unknown feature 'tensor_cores'; features: unbatched"
    ):
        parse_feature_list("unbatched,tensor_cores", "--unsupported")


def test_declaration_is_validated() -> None:
    class Good:
        lstm_bench_capabilities: ClassVar[object] = {"unbatched": False, "packed": True}

    class NotADict:
        lstm_bench_capabilities: ClassVar[object] = ["unbatched"]

    class NotABool:
        lstm_bench_capabilities: ClassVar[object] = {"unbatched": "no"}

    assert declared(Good) == {Feature.UNBATCHED: False, Feature.PACKED: True}
    assert declared(object) == {}
    with pytest.raises(ValueError, match="must be a dict"):
        declared(NotADict)
    with pytest.raises(ValueError, match="must be True or False"):
        declared(NotABool)


def test_flags_beat_the_declaration_which_beats_the_probe() -> None:
    probed = {
        Feature.UNBATCHED: Support(Feature.UNBATCHED, True, "probe"),
        Feature.PACKED: Support(Feature.PACKED, False, "probe", "forward(PackedSequence) raised X"),
        Feature.PROJ_SIZE: Support(Feature.PROJ_SIZE, False, "not applicable", "LSTM only"),
    }
    caps = resolve(probed, {Feature.UNBATCHED: False, Feature.PROJ_SIZE: True}, unsupported={Feature.PACKED})
    assert caps.get(Feature.UNBATCHED) == Support(
        Feature.UNBATCHED, False, "declared", "probe said supported (probe)"
    )
    assert caps.get(Feature.PACKED) == Support(Feature.PACKED, False, "flag", "--unsupported")
    assert caps.get(Feature.PROJ_SIZE) is not None and caps.get(Feature.PROJ_SIZE).source == "not applicable"  # type: ignore[union-attr]
    again = resolve(probed, {Feature.UNBATCHED: False}, supports={Feature.UNBATCHED})
    assert again.supports(Feature.UNBATCHED)
    assert Capabilities.from_dict(caps.to_dict()) == caps


def test_torch_nn_supports_every_feature_and_the_gru_has_no_projection() -> None:
    lstm = load_impl("torch.nn:LSTM")
    assert all(lstm.capabilities.supports(f) for f in Feature), lstm.capabilities.to_dict()
    gru = load_impl("torch.nn:GRU").capabilities.get(Feature.PROJ_SIZE)
    assert gru is not None and gru.source == "not applicable"


def test_probe_records_why_a_feature_is_unsupported() -> None:
    caps = load_impl("broken.capability_bugs:PlainLstm").capabilities
    # the wrapper's constructor takes (input_size, hidden_size) only
    multilayer = caps.get(Feature.MULTILAYER)
    assert multilayer is not None and not multilayer.supported and multilayer.source == "probe"
    assert "num_layers=2" in multilayer.reason and "TypeError" in multilayer.reason
    dropout = caps.get(Feature.DROPOUT)
    assert dropout is not None and "needs multilayer" in dropout.reason


def test_declared_unsupported_is_reported_unsupported_not_failed() -> None:
    impl = load_impl(NO_UNBATCHED)
    result = run_check(impl, "equivalence.unbatched", profile="quick")
    assert result.status == "unsupported"
    assert "needs unbatched: unsupported (declared)" in result.reason
    report = run_conformance(
        impl, profile="quick", checks=["equivalence.unbatched", "equivalence.zero_state"]
    )
    assert report.passed and not report.strict_passed
    assert report.count("unsupported") == 1 and report.count("pass") == 1


def test_declared_supported_but_raising_is_a_failure() -> None:
    result = run_check(
        load_impl("broken.capability_bugs:UnbatchedDeclaredRaises"), "equivalence.unbatched", profile="quick"
    )
    assert result.status == "fail" and "raised IndexError" in result.reason


def test_cli_exit_codes_with_unsupported_strict_and_flags(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["check", "--impl", NO_UNBATCHED, "--profile", "quick", "--check", "equivalence.unbatched"]
    assert main(base) == 0
    out = capsys.readouterr().out
    assert "n/s   equivalence.unbatched" in out and "1 unsupported" in out
    assert main([*base, "--strict"]) == 1
    assert "--strict" in capsys.readouterr().err
    # the flag overrides the declaration: now it is claimed, runs, raises, fails
    assert main([*base, "--supports", "unbatched"]) == 1
    assert "raised ValueError: expected (T, B, I) input" in capsys.readouterr().out
    assert (
        main(
            [
                "check",
                "--impl",
                "torch.nn:GRU",
                "--check",
                "equivalence.unbatched",
                "--unsupported",
                "unbatched",
            ]
        )
        == 0
    )
    assert "unsupported (flag: --unsupported)" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--supports", "warp_speed"], "--supports: unknown feature 'warp_speed'"),
        (
            ["--supports", "packed", "--unsupported", "packed"],
            "--supports and --unsupported both name packed",
        ),
    ],
)
def test_bad_feature_flags_are_usage_errors(
    flags: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--impl", "torch.nn:GRU", *flags]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_coverage_table_in_text_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "check.json"
    checks = ["--check", "equivalence.unbatched", "--check", "equivalence.batch_first"]
    assert main(["check", "--impl", NO_UNBATCHED, "--profile", "quick", *checks, "--json", str(path)]) == 0
    captured = capsys.readouterr()
    assert "coverage:" not in captured.out  # stdout: one line per check, then the summary
    out = captured.err
    assert "coverage:" in out
    assert "unbatched      unsupported (declared)" in out
    assert "equivalence.batch_first: pass" in out
    assert "multilayer     unsupported (probe: constructor with num_layers=2 raised TypeError" in out
    assert "packed" in out and "not exercised: no selected check uses it" in out
    entry = json.loads(path.read_text())["conformance"][0]
    assert entry["counts"]["unsupported"] == 1
    assert entry["capabilities"]["unbatched"] == {"supported": False, "source": "declared", "reason": ""}
    assert entry["layout"]["batch_first"] is False
    report = ConformanceReport.from_dict(entry)
    rows = {row.feature: row for row in coverage(report)}
    assert rows["unbatched"].checks == (("equivalence.unbatched", "unsupported"),)
    assert rows["batch_first"].exercised and not rows["unbatched"].exercised
    assert rows["float64"].checks and rows["packed"].checks == ()


def test_float64_coverage_says_the_run_was_float32() -> None:
    report = run_conformance(
        load_impl("torch.nn:GRU"), profile="quick", dtype="float32", checks=["equivalence.zero_state"]
    )
    row = next(r for r in coverage(report) if r.feature == "float64")
    assert row.usage() == "not exercised: this run is in float32"


def test_float64_probed_unsupported_still_fails_but_declared_is_unsupported() -> None:
    """A float64 run of a module that cannot run float64 would check nothing: it fails, unless declared."""
    spec = "broken.numerical_bugs:Float32Only"
    probed = load_impl(spec, Kind.LSTM)
    entry = probed.capabilities.get(Feature.FLOAT64)
    assert entry is not None and not entry.supported and "supports float32 input only" in entry.reason
    assert run_check(probed, "equivalence.zero_state", profile="quick").status == "fail"
    flagged = load_impl(spec, Kind.LSTM, unsupported={Feature.FLOAT64})
    result = run_check(flagged, "equivalence.zero_state", profile="quick")
    assert result.status == "unsupported" and "needs float64" in result.reason
    assert run_check(flagged, "equivalence.zero_state", profile="quick", dtype="float32").status == "pass"


def test_one_root_cause_is_named_once() -> None:
    report = run_conformance(load_impl("broken.capability_bugs:Float32DefaultState"), profile="quick")
    causes = root_causes(report)
    assert len(causes) == 1
    _, names = causes[0]
    assert "equivalence.zero_state" in names and len(names) >= 2
    lines = root_cause_lines(report)
    assert lines[0].startswith("root cause: forward(x) without hx in float64 raised RuntimeError")
    assert render_report(report).count("root cause:") == 1


def test_forward_without_hx_raising_is_named_once_as_the_cause() -> None:
    report = run_conformance(load_impl("broken.capability_bugs:RequiresHx"), profile="quick")
    lines = root_cause_lines(report)
    assert len(lines) == 1, lines
    assert lines[0].startswith("root cause: forward(x) without hx raised TypeError")
    _, names = root_causes(report)[0]
    assert "equivalence.zero_state" in names
    assert report.result("equivalence.initial_state").status == "pass"  # with hx it is right


def test_kind_from_mode_class_name_or_shapes() -> None:
    assert load_impl("broken.capability_bugs:PlainLstm").kind is Kind.LSTM
    assert load_impl("broken.capability_bugs:PlainLstm").kind_source == "class name PlainLstm"
    recurrent = load_impl("broken.capability_bugs:Recurrent")
    assert (recurrent.kind, recurrent.kind_source) == (Kind.GRU, "parameter shapes")
    assert load_impl("torch.nn:RNN").kind_source == "mode 'RNN_TANH'"
