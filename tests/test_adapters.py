"""The adapter protocol: a user's ~30-line adapter passes every check, and planted conversion bugs are caught."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_bench.adapters import BUILTINS, framework_of, resolve_adapter
from lstm_bench.adapters.registry import BuiltinAdapter
from lstm_bench.cli import main
from lstm_bench.conformance.runner import run_check, run_conformance
from lstm_bench.errors import ImplementationLoadError
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl

IMPLS = Path(__file__).parent / "impls"
USER = "adapters.packed:PackedLSTMAdapter"


@pytest.fixture(autouse=True)
def _impls_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(IMPLS))


def test_the_module_itself_does_not_load_without_an_adapter() -> None:
    with pytest.raises(ImplementationLoadError, match="missing parameter weight_ih_l0"):
        load_impl("adapters.packed:PackedLSTM", Kind.LSTM)


def test_user_adapter_passes_every_check_it_can_run() -> None:
    report = run_conformance(load_impl(USER), profile="quick")
    statuses = {r.name: r.status for r in report.results}
    assert statuses.pop("ranges.gates") == "skip"  # no trace(): the gates are not visible
    # a single-layer adapter lacks the stacked features: those contract checks are unsupported
    unsupported = {name for name, status in statuses.items() if status == "unsupported"}
    assert unsupported and all(name.startswith("contract.") for name in unsupported), statuses
    assert {s for n, s in statuses.items() if n not in unsupported} == {"pass"}, statuses
    assert statuses["equivalence.batch_first"] == "pass"  # AdapterModule provides the conventions


@pytest.mark.parametrize(
    ("spec", "check"),
    [
        ("adapters.packed:SwappedGatesAdapter", "equivalence.zero_state"),
        ("adapters.packed:DroppedForgetBiasAdapter", "equivalence.zero_state"),
        ("adapters.packed:DroppedForgetBiasAdapter", "equivalence.gradients"),
    ],
)
def test_planted_conversion_bug_is_caught_by_the_named_check(spec: str, check: str) -> None:
    result = run_check(load_impl(spec), check, profile="quick")
    assert result.status == "fail", result
    assert result.counterexample is not None
    assert result.reason is not None and "max abs" in result.reason  # a wrong value, not a crash


def test_protocol_object_loads_like_the_class() -> None:
    impl = load_impl("adapters.packed:PACKED")
    assert impl.kind is Kind.LSTM
    module = impl.make(2, 3)
    assert sorted(n for n, _ in module.named_parameters()) == [
        "bias_hh_l0",
        "bias_ih_l0",
        "weight_hh_l0",
        "weight_ih_l0",
    ]


def test_framework_is_named() -> None:
    assert str(framework_of(USER)) == "packedlib 1.0"
    assert framework_of("torch.nn:LSTM").name == "torch"
    assert resolve_adapter("torch.nn:LSTM") is None


def test_check_cli_accepts_an_adapter(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--impl", USER, "--profile", "quick", "--check", "equivalence.initial_state"])
    assert code == 0, capsys.readouterr()
    code = main(
        [
            "check",
            "--impl",
            "adapters.packed:SwappedGatesAdapter",
            "--profile",
            "quick",
            "--check",
            "equivalence.initial_state",
        ]
    )
    assert code == 1


def test_missing_framework_is_one_line_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = BuiltinAdapter(
        "nosuchfw.layers:LSTM", Kind.LSTM, "keras_layers", "KerasLSTM", "nosuchfw_xyz", "keras"
    )
    monkeypatch.setitem(BUILTINS, fake.spec, fake)
    code = main(["check", "--impl", fake.spec, "--profile", "quick"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1
    assert "pip install 'lstm-bench[keras]'" in err


def test_results_and_html_report_name_the_framework_per_implementation(tmp_path: Path) -> None:
    import json

    import torch

    check_json, bench_json, html = tmp_path / "check.json", tmp_path / "bench.json", tmp_path / "r.html"
    args = ["check", "--impl", USER, "--impl", "torch.nn:LSTM", "--profile", "quick"]
    assert main([*args, "--check", "equivalence.zero_state", "--json", str(check_json)]) == 0
    frameworks = [c["framework"] for c in json.loads(check_json.read_text())["conformance"]]
    assert frameworks == ["packedlib 1.0", f"torch {torch.__version__}"]
    bench = ["bench", "--suite", "quick", "--kind", "lstm", "--impl", USER, "--backends", "torch-native"]
    bench += ["--workload", "forward", "--min-time", "0.01", "--no-peak", "--json", str(bench_json)]
    assert main(bench) == 0
    records = {r["backend"]: r for r in json.loads(bench_json.read_text())["benchmarks"]}
    assert records[f"impl:{USER}"]["framework"] == "packedlib 1.0"
    assert records["torch-native"]["framework"] == f"torch {torch.__version__}"
    assert main(["report", str(check_json), str(bench_json), "-o", str(html)]) == 0
    page = html.read_text()
    assert "packedlib 1.0" in page and f"torch {torch.__version__}" in page
    assert page.count("packedlib 1.0") >= 2  # the conformance section and the benchmark rows
