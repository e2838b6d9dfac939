"""Shared fixtures of lstm-bench's own tests."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

TESTS = Path(__file__).parent

torch.set_num_threads(2)


@pytest.fixture
def impls_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``tests/impls`` importable, so specs like ``bad_loaders:WrongShape`` resolve."""
    monkeypatch.syspath_prepend(str(TESTS / "impls"))
    for name in list(sys.modules):
        if name in ("bad_loaders", "import_fails"):
            del sys.modules[name]
