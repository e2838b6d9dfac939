"""Parametrise the stability suite over the implementations the plugin's options select.

``pytest suites/stability`` checks the science on torch.nn's modules and lstm-bench's references
(training the non-LSTM references is marked slow); ``pytest suites/stability --impl
mypkg.cells:MyLSTM`` checks that yours learns what torch.nn's learns. Budgets are CI-sized and
counted in steps, so every outcome is deterministic for its seed.
"""

from __future__ import annotations

import pytest

from lstm_bench.kinds import Kind
from lstm_bench.loader import LoadedImpl
from lstm_bench.pytest_plugin import load_selected_implementations

IMPLS = pytest.StashKey[list[LoadedImpl]]()


def pytest_configure(config: pytest.Config) -> None:
    """Load every selected implementation once; a load error is a usage error (one line)."""
    config.stash[IMPLS] = load_selected_implementations(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per implementation for tests that take ``impl``."""
    if "impl" in metafunc.fixturenames:
        impls = metafunc.config.stash[IMPLS]
        chosen = bool(metafunc.config.getoption("--impl", None))
        params = [
            pytest.param(
                i,
                id=f"{i.spec}[{i.kind.value}]",
                marks=() if chosen or i.kind is Kind.LSTM else pytest.mark.slow,
            )
            for i in impls
        ]
        metafunc.parametrize("impl", params)
