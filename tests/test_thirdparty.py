"""Drop-in recurrent layers of other libraries, loaded with no adapter code: a verdict per check and feature.

Skips with a reason when opacus or torchrl is not installed (``tox -e thirdparty`` installs
them, pinned in constraints-thirdparty.txt). What is asserted is what these versions do:
opacus 1.6.0 and torchrl 0.14.1 pass every check they support but the contract deviations in
``KNOWN``; none accepts unbatched input;
torchrl's layers default to batch_first=True and are checked in both layouts.
``benchmarks/thirdparty_deviation.py`` confirms each "unsupported" against torch.nn directly.
"""

from __future__ import annotations

import importlib.util

import pytest

from lstm_bench.capabilities import Feature
from lstm_bench.conformance import run_conformance
from lstm_bench.conformance.render import render_report
from lstm_bench.conformance.runner import get_check
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl

pytestmark = pytest.mark.slow

ALL = frozenset(Feature)
#: spec -> (kind, features unsupported by its probe)
EXPECTED = {
    "opacus.layers:DPLSTM": (Kind.LSTM, {Feature.UNBATCHED, Feature.PROJ_SIZE}),
    "opacus.layers:DPGRU": (Kind.GRU, {Feature.UNBATCHED}),
    "opacus.layers:DPRNN": (Kind.RNN_TANH, {Feature.UNBATCHED}),
    "torchrl.modules:LSTM": (
        Kind.LSTM,
        {Feature.UNBATCHED, Feature.PACKED, Feature.BIDIRECTIONAL, Feature.PROJ_SIZE},
    ),
    "torchrl.modules:GRU": (Kind.GRU, {Feature.UNBATCHED, Feature.PACKED, Feature.BIDIRECTIONAL}),
}
#: Checks that do not apply: no trace() to show gates; no cell state; no gates to saturate.
SKIPPED = {
    Kind.LSTM: {"ranges.gates"},
    Kind.GRU: {"ranges.gates", "ranges.cell"},
    Kind.RNN_TANH: {"ranges.gates", "ranges.cell", "ranges.saturation"},
}

#: Deviations from torch.nn the contract checks find (found with opacus 1.6.0 and torchrl 0.14.1):
#: opacus applies dropout inside each layer's recurrence (layer 0's h_n and c_n change in training,
#: dropout=1 zeroes them), runs packed float64 input with ~1e-8 relative error, and it and torchrl's
#: LSTM broadcast an initial state of batch 1 to batch B where torch.nn raises.
_OPACUS = {"contract.dropout", "contract.packed", "contract.shapes"}
KNOWN = {
    "opacus.layers:DPLSTM": _OPACUS,
    "opacus.layers:DPGRU": _OPACUS,
    "opacus.layers:DPRNN": _OPACUS,
    "torchrl.modules:LSTM": {"contract.shapes"},
}


def _installed(spec: str) -> bool:
    package = spec.split(".", 1)[0]
    return importlib.util.find_spec(package) is not None


PARAMS = [
    pytest.param(
        spec,
        marks=pytest.mark.skipif(
            not _installed(spec), reason=f"{spec.split('.')[0]} is not installed (tox -e thirdparty)"
        ),
    )
    for spec in EXPECTED
]


@pytest.mark.parametrize("spec", PARAMS)
def test_loads_without_kind_and_probes_its_features(spec: str) -> None:
    kind, unsupported = EXPECTED[spec]
    impl = load_impl(spec)  # no --kind: from mode (torchrl) or the class name (opacus)
    assert impl.kind is kind
    found = {f for f in Feature if not impl.capabilities.supports(f)}
    if kind is not Kind.LSTM:
        unsupported = unsupported | {Feature.PROJ_SIZE}  # not applicable
    assert found == unsupported, impl.capabilities.to_dict()


@pytest.mark.parametrize("spec", PARAMS)
def test_every_supported_check_passes(spec: str) -> None:
    kind, unsupported = EXPECTED[spec]
    report = run_conformance(load_impl(spec), profile="quick")
    statuses = {r.name: r.status for r in report.results}
    expected = {name: "pass" for name in statuses}
    for name in statuses:  # a check needing an unsupported feature (contract.packed, ...)
        if set(get_check(name).requires) & unsupported:
            expected[name] = "unsupported"
    expected.update(dict.fromkeys(SKIPPED[kind], "skip"))
    expected["equivalence.unbatched"] = "unsupported"
    expected.update(dict.fromkeys(KNOWN.get(spec, ()), "fail"))
    assert statuses == expected, render_report(report)
    assert report.passed == (spec not in KNOWN) and not report.strict_passed


@pytest.mark.skipif(
    not _installed("torchrl.modules:LSTM"), reason="torchrl is not installed (tox -e thirdparty)"
)
def test_torchrl_is_checked_in_its_own_batch_first_layout_and_in_time_major() -> None:
    impl = load_impl("torchrl.modules:LSTM")
    assert impl.native["batch_first"] is True and impl.options == {"batch_first": False}
    report = run_conformance(
        impl, profile="quick", checks=["equivalence.zero_state", "equivalence.batch_first"]
    )
    assert [r.status for r in report.results] == ["pass", "pass"]
