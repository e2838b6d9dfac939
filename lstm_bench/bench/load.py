"""How busy the machine is around a benchmark run: other load spoils timings, so it is recorded.

``cpu_busy`` is the fraction of all cores' time spent busy over a short interval, read from
/proc/stat (Linux) while this process sleeps, so it is other processes' load; the load averages
come from ``os.getloadavg``. A run warns when, before it starts, more than ``BUSY_WARNING`` of the
machine is busy (or, without /proc/stat, when the 1-minute load exceeds half the cores).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUSY_WARNING = 0.25  # a quarter of the machine busy elsewhere: expect perturbed timings


def _cpu_ticks() -> tuple[int, int] | None:
    """(busy, total) jiffies summed over all cores, or None where /proc/stat is unreadable."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    if not fields or fields[0] != "cpu":
        return None
    ticks = [int(v) for v in fields[1:]]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


@dataclass(frozen=True)
class MachineLoad:
    """Load averages (1, 5, 15 min), the busy fraction of all cores just now, and the core count."""

    load_average: tuple[float, float, float] | None
    cpu_busy: float | None
    cpu_count: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {
            "load_average": list(self.load_average) if self.load_average else None,
            "cpu_busy": self.cpu_busy,
            "cpu_count": self.cpu_count,
        }

    def warning(self, when: str = "before the run") -> str | None:
        """A one-line warning when the machine is busy enough to perturb timings, else None."""
        if self.cpu_busy is not None:
            if self.cpu_busy > BUSY_WARNING:
                return (
                    f"machine busy: {100 * self.cpu_busy:.0f}% of {self.cpu_count} cores in use by other "
                    f"processes {when}; timings may be perturbed"
                )
            return None
        if self.load_average is not None and self.load_average[0] > 0.5 * self.cpu_count:
            return (
                f"machine load {self.load_average[0]:.2f} on {self.cpu_count} cores; timings may be perturbed"
            )
        return None


def machine_load(interval_s: float = 0.2) -> MachineLoad:
    """Sample the machine's load over ``interval_s`` seconds (this process sleeps meanwhile)."""
    before = _cpu_ticks()
    time.sleep(interval_s)
    after = _cpu_ticks()
    busy = None
    if before is not None and after is not None and after[1] > before[1]:
        busy = (after[0] - before[0]) / (after[1] - before[1])
    try:
        avg: tuple[float, float, float] | None = os.getloadavg()
    except OSError:
        avg = None
    return MachineLoad(avg, busy, os.cpu_count() or 1)
