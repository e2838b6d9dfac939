"""The loader reads layout and structure from the module, and inspect reports findings with exit 1."""

from __future__ import annotations

import pytest

from lstm_bench.cli import main
from lstm_bench.conformance import run_check
from lstm_bench.errors import ImplementationLoadError
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl

pytestmark = pytest.mark.usefixtures("impls_on_path")


def test_a_batch_first_default_module_is_checked_in_both_layouts() -> None:
    impl = load_impl("broken.capability_bugs:DefaultBatchFirstLSTM")
    assert impl.native["batch_first"] is True
    assert impl.options == {"batch_first": False}
    assert impl.make(2, 3).batch_first is False  # the checks' time-major instances
    for check in ("equivalence.zero_state", "equivalence.batch_first"):
        assert run_check(impl, check, profile="quick").status == "pass", check


def test_batch_first_keyword_ignored_is_a_failing_check_not_a_load_error() -> None:
    impl = load_impl("broken.capability_bugs:BatchFirstKeywordIgnored")  # loads: its own layout works
    result = run_check(impl, "equivalence.zero_state", profile="quick")
    assert result.status == "fail"


def test_structure_the_module_cannot_be_asked_out_of_is_a_load_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    class TwoLayers(torch.nn.LSTM):
        def __init__(self, input_size: int, hidden_size: int) -> None:
            super().__init__(input_size, hidden_size, num_layers=2)

    import types

    module = types.ModuleType("two_layers_mod")
    module.TwoLayers = TwoLayers  # type: ignore[attr-defined]
    monkeypatch.setitem(__import__("sys").modules, "two_layers_mod", module)
    with pytest.raises(
        ImplementationLoadError, match="defaults to num_layers=2 and its constructor takes no num_layers"
    ):
        load_impl("two_layers_mod:TwoLayers")


def test_conflicting_kind_clues_need_kind() -> None:
    with pytest.raises(ImplementationLoadError, match="class name says lstm but weight_ih_l0 has 3·H rows"):
        load_impl("broken.capability_bugs:LstmShapedLikeGru")
    assert load_impl("broken.capability_bugs:LstmShapedLikeGru", Kind.GRU).kind is Kind.GRU


def test_inspect_exits_1_when_the_module_raises(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--impl", "broken.capability_bugs:Float32DefaultState"]) == 1
    err = capsys.readouterr().err
    assert "float64 forward(x) without hx raised RuntimeError" in err and "Traceback" not in err


def test_inspect_exits_1_beyond_tolerance(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--impl", "broken.forward_bugs:SwappedGateOrder"]) == 1
    assert "beyond tolerance" in capsys.readouterr().err


def test_inspect_shows_kind_source_layout_and_capabilities(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["inspect", "--impl", "broken.capability_bugs:DefaultBatchFirstLSTM"]) == 0
    out = capsys.readouterr().out
    assert "from mode 'LSTM'" in out and "batch_first=True" in out
    assert "multilayer     unsupported (probe: constructor with num_layers=2 raised TypeError" in out
