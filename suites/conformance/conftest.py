"""Parametrise the conformance suite over the implementations the plugin's options select.

``pytest suites/conformance`` tests lstm-bench's references and torch.nn's modules;
``pytest suites/conformance --impl mypkg.cells:FusedGRU --kind gru`` tests yours. Each
implementation is loaded once, at collection: a spec that cannot load stops the run with one
line (pytest's usage error), as ``lstm-bench check`` would.
"""

from __future__ import annotations

import pytest

from lstm_bench.conformance import CHECK_NAMES
from lstm_bench.conformance.search import PROFILE_OF_HYPOTHESIS
from lstm_bench.loader import LoadedImpl
from lstm_bench.pytest_plugin import load_selected_implementations, selected_profile

IMPLS = pytest.StashKey[list[LoadedImpl]]()


def pytest_configure(config: pytest.Config) -> None:
    """Load every selected implementation once; a load error is a usage error (one line)."""
    config.stash[IMPLS] = load_selected_implementations(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per (implementation, check)."""
    if "impl" in metafunc.fixturenames:
        impls = metafunc.config.stash[IMPLS]
        metafunc.parametrize("impl", impls, ids=[f"{i.spec}[{i.kind.value}]" for i in impls])
    if "check_name" in metafunc.fixturenames:
        metafunc.parametrize("check_name", CHECK_NAMES)


@pytest.fixture(scope="session")
def conformance_profile(pytestconfig: pytest.Config) -> str:
    """quick, default or thorough, from the plugin's --lstm-bench-profile (or $CI)."""
    return PROFILE_OF_HYPOTHESIS.get(selected_profile(pytestconfig), "default")
