"""The assertion errors of the testing API: ``AssertionError`` subclasses, so pytest shows them as failures."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lstm_bench.conformance import CheckResult, Outcome
    from lstm_bench.stability.trainer import TrainResult


class CheckFailed(AssertionError):
    """An implementation under test misbehaved; the message says how and how to replay it."""


class ConformanceFailure(CheckFailed):
    """One or more conformance checks failed; ``results`` holds each failing ``CheckResult``."""

    def __init__(self, message: str, results: Sequence[CheckResult]) -> None:
        super().__init__(message)
        self.results = tuple(results)


class ReferenceMismatch(CheckFailed):
    """One configuration's outputs or gradients differ from the float64 reference; ``outcomes`` by name."""

    def __init__(self, message: str, outcomes: dict[str, Outcome]) -> None:
        super().__init__(message)
        self.outcomes = dict(outcomes)


class DidNotLearn(CheckFailed):
    """A training run ended without solving its task within the step budget; ``result`` is the run."""

    def __init__(self, message: str, result: TrainResult) -> None:
        super().__init__(message)
        self.result = result
