"""Parametrise the conformance suite over the implementations the plugin's options select.

``pytest --pyargs lstm_bench.suites.conformance`` tests lstm-bench's references and torch.nn's
modules; ``pytest --pyargs lstm_bench.suites.conformance --impl mypkg.cells:FusedGRU --kind gru``
tests yours. The plugin loads each implementation once, before collection: a spec that cannot
load stops the run with one line (pytest's usage error), as ``lstm-bench check`` would.
"""

from __future__ import annotations

import pytest

from lstm_bench.conformance import CHECK_NAMES
from lstm_bench.pytest_plugin import implementations
from lstm_bench.testing.conformance import current_profile


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per (implementation, check)."""
    if "impl" in metafunc.fixturenames:
        impls = implementations(metafunc.config)
        metafunc.parametrize("impl", impls, ids=[f"{i.spec}[{i.kind.value}]" for i in impls])
    if "check_name" in metafunc.fixturenames:
        metafunc.parametrize("check_name", CHECK_NAMES)


@pytest.fixture(scope="session")
def conformance_profile() -> str:
    """quick, default or thorough, from the plugin's --lstm-bench-profile (or $CI)."""
    return current_profile()
