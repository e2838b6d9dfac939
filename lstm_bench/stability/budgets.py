"""How big every horizon sweep is: horizons, seeds, and each training job's budget in optimizer steps.

The one place for sweep sizes: ``SWEEP_SIZES`` are ``lstm-bench stability --profile``'s,
``RUN_SWEEPS`` the (smaller) sweeps of ``lstm-bench run --profile``. A job's budget is
``max_steps`` optimizer steps of ``batch_size`` sequences (samples seen = steps x batch), so the
same seed and profile give the same accuracies and verdicts on a calm or a loaded machine.
``max_seconds`` is only a safety cap, about 10x a calm machine's time for the job's worst
horizon; a job stopped by it is reported as *timed out* (undecided), never as not learned.

Step costs behind the caps and the wall times (recipe batch 64, hidden 32, 1 torch thread, this
2-core CPU): about 2.5 ms a step at T = 10, 3.5 ms at 20, 5.5 ms at 40, 10 ms at 100 and
0.1 ms x T beyond (measured at load average 1.1-1.7 on seed 0; re-measure on a quiet machine).
Steps to 99% first-symbol recall on seed 0: chrono LSTM 200 / 475 / 750 at T = 10 / 20 / 40;
tanh RNN 275 at T = 10 and still 61% after 1500 steps at T = 20. So ``run --profile quick``
(800 steps) separates them: chrono LSTM's longest horizon is 40, the tanh RNN's 10.

=========  ======================  =====  =====  =======  ======================================
sweep      horizons                seeds  steps  cap      training time, calm 2-core machine
=========  ======================  =====  =====  =======  ======================================
quick      10, 20, 40              1      600    60 s     about 25 s of jobs (recall)
default    10, 20, ..., 320        3      1500   300 s    under 10 minutes (recall)
full       10, 20, ..., 1280       5      5000   3600 s   hours
run quick  10, 20, 40              1      800    60 s     about 30 s of jobs, 15-20 s on 2 workers
run dflt   10, 20, ..., 160        1      1500   300 s    about 120 s of jobs, 60-70 s on 2 workers
run full   10, 20, ..., 320        3      3000   600 s    tens of minutes
=========  ======================  =====  =====  =======  ======================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RUN_SWEEPS", "SWEEP_SIZES", "SweepSize", "doubling_horizons"]


def doubling_horizons(first: int, count: int) -> tuple[int, ...]:
    """first, 2·first, 4·first, ... (``count`` of them)."""
    return tuple(first * 2**i for i in range(count))


@dataclass(frozen=True)
class SweepSize:
    """How much to run: ``horizons``, ``seeds`` per horizon, each job's ``max_steps`` (and safety cap)."""

    name: str
    horizons: tuple[int, ...]
    seeds: int
    max_seconds: float  # safety cap per job: a job stopped by it is 'timed out', not 'not learned'
    max_steps: int = 100_000
    diagnostic_horizons: tuple[int, ...] = (10, 20, 40, 80, 160)

    def __post_init__(self) -> None:
        if self.seeds < 1 or self.max_steps < 1 or not self.max_seconds > 0 or not self.horizons:
            raise ValueError(
                f"sweep size {self.name!r}: seeds, max_steps, max_seconds and horizons must be positive"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            **self.__dict__,
            "horizons": list(self.horizons),
            "diagnostic_horizons": list(self.diagnostic_horizons),
        }


def _by_name(*sizes: SweepSize) -> dict[str, SweepSize]:
    return {size.name: size for size in sizes}


#: (name, horizons, seeds, max_seconds, max_steps, diagnostic_horizons): the table above.
SWEEP_SIZES: dict[str, SweepSize] = _by_name(
    SweepSize("quick", doubling_horizons(10, 3), 1, 60.0, 600, (10, 40, 100)),
    SweepSize("default", doubling_horizons(10, 6), 3, 300.0, 1500, doubling_horizons(10, 5)),
    SweepSize("full", doubling_horizons(10, 8), 5, 3600.0, 5000, doubling_horizons(10, 7)),
)

#: The sweeps of ``lstm-bench run --profile``: one seed (quick, default) so the whole run fits its time.
RUN_SWEEPS: dict[str, SweepSize] = _by_name(
    SweepSize("quick", doubling_horizons(10, 3), 1, 60.0, 800, (100,)),
    SweepSize("default", doubling_horizons(10, 5), 1, 300.0, 1500, (10, 40, 100)),
    SweepSize("full", doubling_horizons(10, 6), 3, 600.0, 3000, doubling_horizons(10, 5)),
)
