"""Flags shared by several subcommands (a leading underscore keeps this module out of the command list)."""

from __future__ import annotations

import argparse
from pathlib import Path


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


def check_seed(seed: int) -> None:
    """``--seed`` is an integer >= 0 (NumPy's and torch's generators take no negative seed), or exit 2 now."""
    from lstm_bench.errors import UsageError

    if seed < 0:
        raise UsageError(f"--seed must be >= 0, got {seed}")


def check_seconds(flag: str, seconds: float) -> None:
    """A duration flag is a finite number of seconds > 0 (not nan, not inf), or exit 2 now."""
    import math

    from lstm_bench.errors import UsageError

    if not (math.isfinite(seconds) and seconds > 0):
        raise UsageError(f"{flag} must be positive seconds, got {seconds}")


def check_device(device: str) -> None:
    """``--device`` names a device this machine has, or one line on stderr (exit 2) before any work.

    'auto' (``run`` only) is always fine; cpu, cuda[:N] and mps are asked of torch.
    """
    if device == "auto":
        return
    from lstm_bench.conformance.device import device_available
    from lstm_bench.errors import UsageError

    why = device_available(device)
    if why is not None:
        raise UsageError(f"--device {device}: {why}")


def check_writable(flag: str, path: str | Path, folder: bool = False) -> None:
    """Fail now, not after minutes of work, when ``path`` (a file, or with ``folder`` a folder to fill) cannot be written.

    Permission bits do not say it (root passes every ``os.access`` test, read-only mounts and
    /proc refuse anyway): a probe file is created, and removed, in the folder that would hold the
    output or, when it does not exist yet, in its nearest existing parent.
    """
    import os
    import tempfile

    from lstm_bench.errors import UsageError

    if str(path) == "":
        raise UsageError(f"{flag}: empty path")
    target = Path(path)
    if not folder and target.is_dir():
        raise UsageError(f"{flag} {path}: is a directory")
    what = "reports" if folder else "a file"
    start = target.resolve() if folder else target.resolve().parent
    existing = next((p for p in (start, *start.parents) if p.exists()), None)
    if existing is None or not existing.is_dir():
        raise UsageError(f"{flag} {path}: cannot write {what} there ({existing} is not a folder)")
    try:
        handle, probe = tempfile.mkstemp(prefix=".lstm-bench-probe-", dir=existing)
        os.close(handle)
        os.unlink(probe)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise UsageError(f"{flag} {path}: cannot write {what} there ({existing}: {reason})") from None


def check_output(flag: str, path: str | Path, inputs: list[str | Path]) -> None:
    """``check_writable`` for an output file, which must not be one of the command's own inputs either."""
    from lstm_bench.errors import UsageError

    check_writable(flag, path)
    target = Path(path).resolve()
    for source in inputs:
        if Path(source).resolve() == target:
            raise UsageError(f"{flag} {path}: is one of the inputs; it would be overwritten")
