"""Flags shared by several subcommands (a leading underscore keeps this module out of the command list)."""

from __future__ import annotations

import argparse


def add_impl_arguments(parser: argparse.ArgumentParser, purpose: str) -> None:
    """``--impl SPEC`` (repeatable, optional) and one ``--kind`` for every ``--impl`` without a mode."""
    parser.add_argument(
        "--impl",
        action="append",
        default=[],
        metavar="SPEC",
        help=f"{purpose}, pkg.module:Name (repeatable)",
    )
    parser.add_argument(
        "--kind", default=None, help="kind of every --impl without a mode: lstm, gru, rnn or rnn-relu"
    )
