"""Helpers of the gate's tests: scipy.stats for the cross-checks, required where CI is set."""

from __future__ import annotations

import os
from types import ModuleType

import pytest


def scipy_stats() -> ModuleType:
    """``scipy.stats``; skips the test without scipy, except under CI=1 (tox installs it), where it fails."""
    if os.environ.get("CI"):
        import scipy.stats

        return scipy.stats
    return pytest.importorskip("scipy.stats")
