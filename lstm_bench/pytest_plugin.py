"""pytest plugin of lstm-bench (entry point ``pytest11``): options that choose what is tested.

Kept light: importing it imports no torch. Options:

``--impl SPEC``      implementation under test (``pkg.module:Name``); repeatable. Without it the
                     suites test lstm-bench's PyTorch references and torch.nn's modules.
``--kind KIND``      lstm, gru, rnn or rnn-relu, for an implementation without a ``mode``.
``--lstm-bench-profile``  Hypothesis profile: dev, ci (derandomized) or thorough. Defaults to
                     ``ci`` when the ``CI`` environment variable is set, else ``dev``.
"""

from __future__ import annotations

import os

import pytest

from lstm_bench.profiles import PROFILES, register_profiles

register_profiles()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add lstm-bench's options to pytest."""
    group = parser.getgroup("lstm-bench", "lstm-bench: what to test")
    group.addoption(
        "--impl",
        action="append",
        default=[],
        metavar="SPEC",
        help="implementation under test, pkg.module:Name (repeatable)",
    )
    group.addoption("--kind", default=None, metavar="KIND", help="kind of --impl: lstm, gru, rnn or rnn-relu")
    group.addoption(
        "--lstm-bench-profile",
        default=None,
        choices=PROFILES,
        help="Hypothesis profile for lstm-bench suites (default: ci when $CI is set, else dev)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Load the chosen Hypothesis profile, unless ``--hypothesis-profile`` already chose one."""
    from hypothesis import settings

    chosen = config.getoption("--lstm-bench-profile", None)
    explicit_hypothesis = (
        config.getoption("--hypothesis-profile", None)
        if _has_option(config, "--hypothesis-profile")
        else None
    )
    if explicit_hypothesis:
        return
    settings.load_profile(chosen or ("ci" if os.environ.get("CI") else "dev"))


def _has_option(config: pytest.Config, name: str) -> bool:
    try:
        config.getoption(name)
    except ValueError:
        return False
    return True
