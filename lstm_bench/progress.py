"""The one progress display: a line per phase on stderr (bar, count, elapsed time, ETA), redrawn in place on a TTY.

Every command shows its progress through ``PhaseProgress``: ``run`` one per phase, ``stability``
one per wave of its sweep, ``bench`` one for the GEMM peak and one for the benchmarks, ``check``
one per implementation (silent when stderr is not a terminal: its stdout is one line per check).

ETA = elapsed / done × (total − done): the mean pace so far, extrapolated (``eta_seconds``, the
one formula). When the stream is not a terminal (CI logs, pipes), nothing is redrawn; only the
phase's start and end lines are printed, so logs stay short and readable.

``RunProgress`` is what a run of independent jobs (``scaleout.run_jobs``) reports: the counts
behind a progress line (done, running, retried, failed, skipped), shown with ``PhaseProgress.show_jobs``.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from lstm_bench.formatting import fmt_clock, fmt_seconds

__all__ = ["PhaseProgress", "RunProgress", "eta_seconds"]

_BAR = 24  # characters of the bar
_REDRAW_S = 0.1  # minimum seconds between two redraws


def eta_seconds(elapsed: float, done: float, total: float) -> float | None:
    """Seconds left at the mean pace so far: elapsed / done × (total − done); None before any progress."""
    if done <= 0 or total <= 0:
        return None
    return elapsed / done * max(total - done, 0.0)


@dataclass(frozen=True)
class RunProgress:
    """Progress over all jobs of a run: ``done`` counts every final outcome (ok, failed or skipped).

    ``retried`` counts attempts queued again, ``failed`` the jobs given up, ``skipped`` the jobs not run.
    """

    total: int
    done: int
    running: int
    retried: int
    failed: int
    elapsed_s: float
    skipped: int = 0

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the mean pace so far (``eta_seconds``); None before the first job ends."""
        return eta_seconds(self.elapsed_s, self.done, self.total)

    def note(self) -> str:
        """The counts besides done/total: '2 running, 1 retried, 1 failed' (empty parts left out)."""
        parts = [f"{self.running} running"] if self.running else []
        parts += [f"{self.retried} retried"] if self.retried else []
        parts += [f"{self.failed} failed"] if self.failed else []
        parts += [f"{self.skipped} skipped"] if self.skipped else []
        return ", ".join(parts)

    def line(self) -> str:
        """'12/40 jobs, 2 running, 1 failed, 95 s elapsed, ETA 222 s'."""
        eta = self.eta_s
        parts = [f"{self.done}/{self.total} jobs", self.note(), f"{self.elapsed_s:.0f} s elapsed"]
        parts.append("ETA --" if eta is None else f"ETA {eta:.0f} s")
        return ", ".join(p for p in parts if p)


class PhaseProgress:
    """Progress of one named phase of ``total`` units of work (jobs, checks, or seconds of budget)."""

    def __init__(
        self,
        name: str,
        total: float,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        interactive: bool | None = None,
        note: str = "",
        announce: bool = True,
    ) -> None:
        """``note`` follows the name on the start line; ``announce=False``: no start/end lines off a terminal."""
        self.name, self.total, self.done, self.note = name, max(float(total), 0.0), 0.0, ""
        self.stream = sys.stderr if stream is None else stream
        self.clock = clock
        self.interactive = self.stream.isatty() if interactive is None else interactive
        self.started = clock()
        self._drawn_at = -1e9
        self._width = 0
        self.announce = announce
        if not self.interactive and announce:  # a terminal shows the redrawn line instead
            self._write(f"▶ {self.name} …{f'  {note}' if note else ''}\n")

    @property
    def elapsed(self) -> float:
        """Seconds since the phase started."""
        return self.clock() - self.started

    def eta(self) -> float | None:
        """Seconds left at the mean pace so far (``eta_seconds``), or None before any progress."""
        return eta_seconds(self.elapsed, self.done, self.total)

    def update(self, done: float, total: float | None = None, note: str = "") -> None:
        """Set the amount done (and optionally a new total and a short note) and redraw."""
        if total is not None:
            self.total = max(float(total), 0.0)
        self.done, self.note = min(float(done), self.total) if self.total else float(done), note
        self._draw()

    def show_jobs(self, jobs: RunProgress) -> None:
        """Show a run of jobs: its done / total, and its running, retried, failed and skipped counts as the note."""
        self.update(jobs.done, total=jobs.total, note=jobs.note())

    def advance(self, amount: float = 1.0, note: str = "") -> None:
        """Add ``amount`` to the work done and redraw."""
        self.update(self.done + amount, note=note)

    def line(self) -> str:
        """The current progress line (without the carriage return)."""
        fraction = self.done / self.total if self.total else 0.0
        filled = round(fraction * _BAR)
        eta = self.eta()
        eta_text = "ETA " + (fmt_clock(eta) if eta is not None else "–:––")
        count = f"{self.done:g}/{self.total:g}"
        note = f"  {self.note}" if self.note else ""
        return f"{self.name:<12} [{'█' * filled}{'·' * (_BAR - filled)}] {count:>9}  {fmt_clock(self.elapsed)}  {eta_text}{note}"

    def finish(self, summary: str = "") -> None:
        """End the phase: one permanent line with the elapsed time and ``summary``."""
        self.clear()
        tail = f"  {summary}" if summary else ""
        self._say(f"✓ {self.name:<12} {fmt_seconds(self.elapsed):>8}{tail}\n")

    def abort(self, reason: str) -> None:
        """End the phase early (error or Ctrl-C) with ``reason`` on its own line."""
        self.clear()
        self._say(f"✗ {self.name:<12} {fmt_seconds(self.elapsed):>8}  {reason}\n")

    def skip(self, reason: str) -> None:
        """End a phase that did not run, saying why."""
        self.clear()
        self._say(f"– {self.name:<12} {'skipped':>8}  {reason}\n")

    def _draw(self) -> None:
        if not self.interactive:
            return
        now = self.clock()
        if now - self._drawn_at < _REDRAW_S and self.done < self.total:
            return
        self._drawn_at = now
        text = self.line()[
            : max(shutil.get_terminal_size((100, 24)).columns - 1, 20)
        ]  # a wrapped line cannot be redrawn
        self._write("\r" + text + " " * max(self._width - len(text), 0))
        self._width = len(text)

    def clear(self) -> None:
        """Erase the redrawn line (before other output goes to the same terminal)."""
        if self.interactive and self._width:
            self._write("\r" + " " * self._width + "\r")
            self._width = 0

    def _say(self, text: str) -> None:
        """A permanent line: on a terminal always, elsewhere only when the progress announces itself."""
        if self.interactive or self.announce:
            self._write(text)

    def _write(self, text: str) -> None:
        if text:
            self.stream.write(text)
            self.stream.flush()
