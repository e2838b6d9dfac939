"""Run one check over many cases with Hypothesis, programmatically, and keep the minimal failure.

``search`` first evaluates the check's explicit boundary cases (a batch of one, a long
sequence, ...), then lets ``hypothesis.find`` draw up to ``max_examples`` cases and, when one
fails, shrink it to the smallest failing sizes. Every evaluation is recorded, so a passing
check still reports its worst error and its worst entry per tensor.

Reproducibility: the Hypothesis database is off and the random source is seeded from the run's
``--seed`` and the check's name, so the same seed draws the same cases every run. Shrinking
stops after ``shrink_seconds`` (cached answers keep the search consistent when it does).
"""

from __future__ import annotations

import json
import math
import time
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from random import Random

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import NoSuchExample

from lstm_bench.conformance.cases import Case, ContractError
from lstm_bench.conformance.result import Outcome, TensorError, worse
from lstm_bench.hypothesis_profiles import register_hypothesis_profiles

#: Check sizes (``check --profile``: how many cases each check draws) and the Hypothesis profile
#: each one loads (``lstm_bench.hypothesis_profiles``).
CHECK_SIZES: dict[str, str] = {"quick": "dev", "default": "ci", "thorough": "thorough"}

#: The other way round: the Hypothesis profile a pytest run loaded -> its check size (default otherwise).
CHECK_SIZE_OF_HYPOTHESIS: dict[str, str] = {hyp: ours for ours, hyp in CHECK_SIZES.items()}

Evaluate = Callable[[Case], Outcome]


def hypothesis_settings(check_size: str) -> settings:
    """The registered Hypothesis settings behind check size ``check_size`` (quick, default or thorough)."""
    if check_size not in CHECK_SIZES:
        raise ValueError(f"unknown profile {check_size!r}; expected one of {', '.join(CHECK_SIZES)}")
    register_hypothesis_profiles()
    return settings.get_profile(CHECK_SIZES[check_size])


def check_size_examples(check_size: str) -> int:
    """How many cases the check size's Hypothesis settings ask for."""
    return int(hypothesis_settings(check_size).max_examples)


def check_seed(seed: int, name: str) -> int:
    """The seed of one check's random source: the run's seed mixed with the check's name."""
    return (seed * 1_000_003) ^ zlib.crc32(name.encode())


def safe_evaluate(evaluate: Evaluate, case: Case) -> Outcome:
    """Evaluate a case; an exception from the implementation becomes a failing outcome saying so."""
    try:
        return evaluate(case)
    except ContractError as exc:
        return Outcome.failure(str(exc))
    except Exception as exc:  # the implementation raised on valid input: a failing check, not a crash
        message = " ".join(str(exc).split())
        if len(message) > 300:
            message = message[:297] + "..."
        return Outcome.failure(f"raised {type(exc).__name__}: {message}")


#: Notes kept per check (e.g. where one-sided differences replaced central ones).
MAX_NOTES = 5


@dataclass
class SearchResult:
    """Everything one search saw: cases evaluated, worst error, worst per tensor, minimal failure."""

    examples: int = 0
    worst_error: float = 0.0
    tensors: dict[str, TensorError] = field(default_factory=dict)
    failure: tuple[Case, Outcome] | None = None
    notes: list[str] = field(default_factory=list)  # distinct notes of the outcomes, first MAX_NOTES
    # (worst, median) scaled error of each case with tensors (``accuracy``): the accuracy figure
    scaled: list[tuple[float, float]] = field(default_factory=list)
    longest: int = 0  # the most steps of any case evaluated (the model tolerance grows with √T)

    def record(self, outcome: Outcome, case: Case | None = None) -> None:
        """Fold one outcome into the running worst values."""
        self.examples += 1
        for note in outcome.notes:
            if note not in self.notes and len(self.notes) < MAX_NOTES:
                self.notes.append(note)
        if case is not None:
            self.longest = max(self.longest, case.steps)
        figures = [
            (t.scaled_worst, t.scaled_median) for t in outcome.tensors if not math.isnan(t.scaled_worst)
        ]
        if figures:
            medians = sorted(m for _, m in figures)
            self.scaled.append((max(w for w, _ in figures), medians[len(medians) // 2]))
        error = math.inf if math.isnan(outcome.error) else outcome.error
        self.worst_error = max(self.worst_error, error)
        for report in outcome.tensors:
            known = self.tensors.get(report.tensor)
            self.tensors[report.tensor] = report if known is None else worse(known, report)


def _key(case: Case) -> str:
    return json.dumps(case.to_dict(), sort_keys=True, default=str)


def _smallest_failure(cache: dict[str, Outcome]) -> Case | None:
    failing = [Case.from_dict(json.loads(key)) for key, outcome in cache.items() if not outcome.passed]
    return min(
        failing, key=lambda c: (c.steps * c.batch * c.input_size * c.hidden_size, c.seed), default=None
    )


def search(
    evaluate: Evaluate,
    strategy: st.SearchStrategy[Case],
    *,
    explicit: Sequence[Case] = (),
    max_examples: int,
    seed: int,
    profile: str = "default",
    shrink_seconds: float = 20.0,
    progress: Callable[[int], None] | None = None,
) -> SearchResult:
    """Evaluate ``explicit`` cases, then up to ``max_examples`` drawn ones; shrink the first failure.

    Returns the minimal failing case Hypothesis found (or the first failing explicit case when
    the drawn ones all pass) together with its outcome.
    """
    result = SearchResult()
    cache: dict[str, Outcome] = {}
    first_failure_at: list[float] = []

    def outcome_of(case: Case) -> Outcome | None:
        key = _key(case)
        if key in cache:
            return cache[key]
        if first_failure_at and time.perf_counter() - first_failure_at[0] > shrink_seconds:
            return None  # out of shrinking time: unseen cases count as passing
        outcome = safe_evaluate(evaluate, case)
        cache[key] = outcome
        result.record(outcome, case)
        if not outcome.passed and not first_failure_at:
            first_failure_at.append(time.perf_counter())
        if progress is not None:
            progress(result.examples)
        return outcome

    def fails(case: Case) -> bool:
        outcome = outcome_of(case)
        return outcome is not None and not outcome.passed

    explicit_failure = next((case for case in explicit if fails(case)), None)
    chosen = settings(
        hypothesis_settings(profile),
        max_examples=max(1, max_examples),
        database=None,
        derandomize=False,
        deadline=None,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )
    try:
        minimal: Case | None = find(strategy, fails, settings=chosen, random=Random(seed))
    except NoSuchExample:
        minimal = None
    except Exception:  # e.g. Flaky: the implementation answered the same case differently twice
        minimal = _smallest_failure(cache)
    if minimal is None:
        minimal = explicit_failure
    if minimal is not None:
        result.failure = (minimal, cache[_key(minimal)])
    return result
