"""Publish a report folder atomically: ``<root>/<UTC stamp>/{results.json,index.html}`` and ``<root>/latest``.

The files are written into a hidden temporary folder beside the final one (same filesystem),
fsynced, and the folder is renamed into place in one ``os.rename``; only then is ``latest``
repointed, by creating a new symlink under a temporary name and ``os.replace``-ing it over the
old one. A crash or Ctrl-C at any moment leaves either the previous state or the new one,
never half a report, and removes the temporary folder. Where symlinks are unavailable
(Windows without the privilege) ``latest.txt`` holds the folder's name instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import tempfile
from pathlib import Path

from lstm_bench.errors import UsageError

__all__ = ["LATEST", "LATEST_TXT", "TEMP_PREFIX", "publish_report", "resolve_latest", "utc_stamp"]

LATEST = "latest"
LATEST_TXT = "latest.txt"
TEMP_PREFIX = ".partial-"


def utc_stamp(now: dt.datetime | None = None) -> str:
    """A folder name for ``now`` in UTC, sortable and valid on every filesystem: '2025-11-25T18-41-07Z'."""
    moment = (now or dt.datetime.now(dt.timezone.utc)).astimezone(dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H-%M-%SZ")


def _write_synced(path: Path, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def _free_name(root: Path, stamp: str) -> Path:
    """``root/stamp``, or ``root/stamp-2``, ``-3``… when two runs finish within the same second."""
    candidate, n = root / stamp, 1
    while candidate.exists():
        n += 1
        candidate = root / f"{stamp}-{n}"
    return candidate


def _point_latest(root: Path, name: str) -> Path:
    """Atomically repoint ``root/latest`` at ``name`` (relative symlink); ``latest.txt`` where symlinks fail."""
    link = root / LATEST
    if link.exists() and not link.is_symlink():
        raise UsageError(
            f"{link} exists and is not a symlink; move it away so lstm-bench can point it at the newest report"
        )
    temp = root / f"{TEMP_PREFIX}{LATEST}-{os.getpid()}"
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    try:
        os.symlink(name, temp, target_is_directory=True)
    except (OSError, NotImplementedError):
        from lstm_bench.atomic import write_text_atomic

        return write_text_atomic(root / LATEST_TXT, name + "\n")
    try:
        os.replace(temp, link)
    except BaseException:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise
    return link


def publish_report(root: str | os.PathLike[str], files: dict[str, str], stamp: str | None = None) -> Path:
    """Write ``files`` (name -> text) into a new folder ``root/<stamp>`` atomically and point ``latest`` at it.

    Returns the new folder. Raises UsageError (exit 2) when ``root`` cannot be written.
    """
    base = Path(root)
    try:
        base.mkdir(parents=True, exist_ok=True)
        temp = Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=base))
    except OSError as exc:
        raise UsageError(f"cannot write reports into {base}: {exc.strerror or exc}") from None
    try:
        for name, text in files.items():
            _write_synced(temp / name, text)
        os.chmod(temp, 0o755)  # mkdtemp's 0700 would hide the report from other users
        final = _free_name(base, stamp or utc_stamp())
        os.rename(temp, final)
    except BaseException as exc:
        shutil.rmtree(temp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise UsageError(f"cannot write reports into {base}: {exc.strerror or exc}") from None
        raise
    _point_latest(base, final.name)
    return final


def resolve_latest(root: str | os.PathLike[str]) -> Path | None:
    """The folder ``root/latest`` (or ``latest.txt``) points at, or None when there is none yet."""
    base = Path(root)
    link = base / LATEST
    if link.is_symlink() or link.is_dir():
        return link.resolve()
    text_file = base / LATEST_TXT
    if text_file.is_file():
        return base / text_file.read_text(encoding="utf-8").strip()
    return None
