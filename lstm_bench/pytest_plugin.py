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
from typing import TYPE_CHECKING

import pytest

from lstm_bench.hypothesis_profiles import HYPOTHESIS_PROFILES, register_hypothesis_profiles

if TYPE_CHECKING:
    from lstm_bench.loader import LoadedImpl

register_hypothesis_profiles()


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
        choices=HYPOTHESIS_PROFILES,
        help="Hypothesis profile for lstm-bench suites (default: ci when $CI is set, else dev)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Load the chosen Hypothesis profile, unless ``--hypothesis-profile`` already chose one; load
    every ``--impl`` now, so a spec that cannot load stops the run with one line before collection
    (pytest's usage error, exit 4), wherever the suites are collected from (a path or ``--pyargs``)."""
    from hypothesis import settings

    explicit_hypothesis = (
        config.getoption("--hypothesis-profile", None)
        if _has_option(config, "--hypothesis-profile")
        else None
    )
    if not explicit_hypothesis:
        settings.load_profile(selected_profile(config))
    if config.getoption("--impl", None):
        config.stash[_LOADED] = load_selected_implementations(config)


def _has_option(config: pytest.Config, name: str) -> bool:
    try:
        config.getoption(name)
    except ValueError:
        return False
    return True


#: What the suites test when no ``--impl`` is given: lstm-bench's references and torch.nn's modules.
DEFAULT_IMPLEMENTATIONS: tuple[tuple[str, str], ...] = (
    ("lstm_bench.reference:LSTM", "lstm"),
    ("lstm_bench.reference:GRU", "gru"),
    ("lstm_bench.reference:RNN", "rnn"),
    ("lstm_bench.reference:RNN", "rnn-relu"),
    ("torch.nn:LSTM", "lstm"),
    ("torch.nn:GRU", "gru"),
    ("torch.nn:RNN", "rnn"),
    ("torch.nn:RNN", "rnn-relu"),
)


def selected_implementations(config: pytest.Config) -> list[tuple[str, str | None]]:
    """(spec, kind) pairs under test: each ``--impl`` with ``--kind``, else DEFAULT_IMPLEMENTATIONS."""
    specs: list[str] = config.getoption("--impl", None) or []
    if not specs:
        return list(DEFAULT_IMPLEMENTATIONS)
    return [(spec, config.getoption("--kind", None)) for spec in specs]


def selected_profile(config: pytest.Config) -> str:
    """The Hypothesis profile in force: ``--lstm-bench-profile``, else ci under $CI, else dev."""
    chosen: str | None = config.getoption("--lstm-bench-profile", None)
    return chosen or ("ci" if os.environ.get("CI") else "dev")


_LOADED = pytest.StashKey["list[LoadedImpl]"]()


def implementations(config: pytest.Config) -> list[LoadedImpl]:
    """The implementations under test (``--impl``, else DEFAULT_IMPLEMENTATIONS), loaded once per run."""
    if _LOADED not in config.stash:
        config.stash[_LOADED] = load_selected_implementations(config)
    return config.stash[_LOADED]


def load_selected_implementations(config: pytest.Config) -> list[LoadedImpl]:
    """Load every implementation the options select, once; a load error is pytest's usage error (one line)."""
    from lstm_bench.errors import UsageError
    from lstm_bench.loader import load_impl, parse_kind

    loaded = []
    for spec, kind in selected_implementations(config):
        try:
            loaded.append(load_impl(spec, parse_kind(kind)))
        except UsageError as exc:
            raise pytest.UsageError(str(exc)) from None
    return loaded
