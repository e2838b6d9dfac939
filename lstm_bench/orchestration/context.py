"""What ``lstm-bench run``'s phases share: its sizes, its options, the context and a phase's output.

Kept apart from ``pipeline`` (which runs the phases) and ``phases`` (what each one does), so
that both import it and neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstm_bench.kinds import Kind
from lstm_bench.progress import PhaseProgress

if TYPE_CHECKING:
    from lstm_bench.loader import LoadedImpl

__all__ = [
    "RUN_SIZES",
    "Phase",
    "PhaseOutput",
    "PhaseUnavailable",
    "RunContext",
    "RunOptions",
    "RunSize",
]


@dataclass(frozen=True)
class RunSize:
    """How much work each phase does; ``quick`` fits 90 s and ``default`` 5 minutes on a 2-core CPU.

    ``kinds``: the kinds whose reference and torch.nn modules are checked and benchmarked.
    ``conformance``: the conformance check size (quick, default, thorough).
    ``sweep``: the recall sweep's size, a key of ``stability.budgets.RUN_SWEEPS`` (horizons,
    seeds, each job's budget in optimizer steps and its wall-clock safety cap, the horizons of
    the gradient-norm profiles); ``stability_cap_seconds``: a safety cap on the whole sweep (no new
    horizon starts after it; reached only on a machine far slower than planned, and then
    reported as timed out). ``bench``: the benchmark suite; ``bench_scale`` multiplies the timer's
    durations.
    """

    name: str
    kinds: tuple[Kind, ...]
    conformance: str
    sweep: str
    stability_cap_seconds: float
    bench: str
    bench_scale: float


RUN_SIZES: dict[str, RunSize] = {
    "quick": RunSize(
        name="quick",
        kinds=(Kind.LSTM,),
        conformance="quick",
        sweep="quick",
        stability_cap_seconds=300.0,
        bench="quick",
        bench_scale=2.0,  # 1 s per benchmark: ratios with intervals of a few percent
    ),
    "default": RunSize(
        name="default",
        kinds=(Kind.LSTM, Kind.GRU, Kind.RNN_TANH),
        conformance="quick",
        sweep="default",
        stability_cap_seconds=900.0,
        bench="quick",
        bench_scale=1.0,
    ),
    "full": RunSize(
        name="full",
        kinds=(Kind.LSTM, Kind.GRU, Kind.RNN_TANH, Kind.RNN_RELU),
        conformance="default",
        sweep="full",
        stability_cap_seconds=7200.0,
        bench="default",
        bench_scale=1.0,
    ),
}


@dataclass(frozen=True)
class RunOptions:
    """What ``lstm-bench run`` was asked to do."""

    impls: tuple[str, ...] = ()
    kind: Kind | None = None  # kind of every --impl that does not say its own
    profile: str = "default"
    device: str = "cpu"  # resolved already: 'cpu' or 'cuda'
    out: Path = Path("reports")
    baseline: Path | None = None
    seed: int = 0
    workers: int | None = (
        None  # local worker processes for conformance and the sweep (None: the CPUs, at most 4)
    )
    scheduler: str | None = None  # a Dask scheduler's address for those jobs instead
    loaded: tuple[
        LoadedImpl, ...
    ] = ()  # the --impl implementations, loaded once by the command (else by the run)


@dataclass
class RunContext:
    """What every phase sees: the options, the profile, the document built so far and the loaded --impl implementations."""

    options: RunOptions
    profile: RunSize
    document: dict[str, Any]
    impls: tuple[LoadedImpl, ...] = field(default=())

    def loaded(self) -> tuple[LoadedImpl, ...]:
        """Every ``--impl``, loaded once per run (here, the first time, when the command has not already)."""
        if len(self.impls) != len(self.options.impls):
            from lstm_bench.loader import load_impl

            self.impls = tuple(load_impl(spec, self.options.kind) for spec in self.options.impls)
        return self.impls


@dataclass(frozen=True)
class PhaseOutput:
    """What a phase adds: document ``sections``, a one-line ``summary``, and whether a check ``failed``."""

    sections: dict[str, Any]
    summary: str = ""
    failed: bool = False


class PhaseUnavailable(Exception):
    """The capability a phase needs is not installed or does not apply; the message says why."""


@dataclass(frozen=True)
class Phase:
    """A named step of the run and its expected share of the run's time (for the overall ETA)."""

    name: str
    run: Callable[[RunContext, PhaseProgress], PhaseOutput]
