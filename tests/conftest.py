"""Shared fixtures of lstm-bench's own tests."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

TESTS = Path(__file__).parent

torch.set_num_threads(2)


@pytest.fixture(autouse=True, scope="session")
def _ctrl_c_raises() -> Iterator[None]:
    """SIGINT raises KeyboardInterrupt in the tests, however the run was started.

    A run started in the background (``cmd &`` in a script) inherits SIGINT ignored, and Python
    then keeps it ignored: the Ctrl-C tests would test how the run was launched, not the code.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture
def impls_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``tests/impls`` importable, so specs like ``bad_loaders:WrongShape`` resolve."""
    monkeypatch.syspath_prepend(str(TESTS / "impls"))
    for name in list(sys.modules):
        if name in ("bad_loaders", "import_fails"):
            del sys.modules[name]
