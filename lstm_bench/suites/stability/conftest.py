"""Parametrise the stability suite over the implementations the plugin's options select.

``pytest --pyargs lstm_bench.suites.stability`` checks the science on torch.nn's modules and
lstm-bench's references (training the non-LSTM references is marked slow); ``pytest --pyargs
lstm_bench.suites.stability --impl mypkg.cells:MyLSTM`` checks that yours learns what torch.nn's
learns. Budgets are CI-sized and
counted in steps, so every outcome is deterministic for its seed.
"""

from __future__ import annotations

import pytest

from lstm_bench.kinds import Kind
from lstm_bench.pytest_plugin import implementations


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per implementation for tests that take ``impl``."""
    if "impl" in metafunc.fixturenames:
        impls = implementations(metafunc.config)
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
