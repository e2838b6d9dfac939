"""Errors a user can cause (one line on stderr, exit code 2), and an implementation that misbehaves at once (exit 1)."""

from __future__ import annotations


class UsageError(Exception):
    """Bad spec, bad flag, bad size, unreadable or foreign input file, unwritable output: exit 2."""


class ImplementationLoadError(UsageError):
    """An ``--impl`` spec that cannot be imported, constructed or called with the torch.nn contract."""


class ImplementationMisbehaved(ImplementationLoadError):
    """An ``--impl`` that loads but whose forward raises, exits or breaks torch.nn's return contract.

    Found by the load probe or a workload before any check runs; the CLI reports it as a failing
    finding, ``FAIL: <reason>`` and exit code 1 (the implementation is at fault, not the command
    line). A subclass of ``ImplementationLoadError`` so library callers catch both alike.
    """
