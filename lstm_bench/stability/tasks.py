"""Long-horizon tasks: pure, seeded data generators, each with its chance baseline documented.

Every task is a frozen dataclass naming a ``horizon`` (how far back the answer lies). Its
``sample(batch_size, seed)`` is a pure function of its arguments (same seed, same batch, on any
machine) and returns time-major tensors: inputs (steps, B, input_size). A model emits ``output_size``
numbers at the last step (``readout="last"``) or at every step (``readout="every"``); the task
scores them with ``loss`` and ``accuracy``, and says when that counts as solved (``solved``):

* accuracy >= ``target_accuracy`` (99%), or loss below ``target_loss_fraction`` (1%) of the
  memoryless ``baseline_loss``.

Tasks (baselines are those of a model that ignores the distant past):

* ``recall`` - first-symbol recall: T one-hot symbols from an alphabet of 8; at step T predict
  the first. Chance accuracy 1/8, baseline cross-entropy ln 8.
* ``copy`` - copy memory (Arjovsky, Shah & Bengio 2016): 10 symbols from {1..8}, T-1 blanks (0),
  a delimiter (9), 10 blanks; the target is blank for T+10 steps, then the 10 symbols. Length
  T+20. Baseline cross-entropy 10 ln 8 / (T+20) (blanks right, symbols guessed); accuracy is
  over the 10 recalled symbols (chance 1/8).
* ``adding`` - adding problem (Hochreiter & Schmidhuber 1997): channel 0 holds U[0, 1] values,
  channel 1 marks one step in each half; predict the sum of the two marked values. Predicting
  the mean 1 gives MSE Var(U1 + U2) = 1/6 = 0.167. Accuracy: |error| < 0.04.
* ``agreement`` - subject-verb number agreement in a small synthetic grammar: "the" at step 1,
  a singular or plural subject noun at step 2, d - 1 words in between (fillers and up to
  three nouns of random number; those of the opposite number are *attractors*), and at step
  d + 2 a verb slot where the model says singular ("was") or plural ("were"). Distance d is
  the horizon. Chance accuracy 1/2, baseline cross-entropy ln 2. ``accuracy_by_attractors``
  breaks accuracy down by the number of attractors.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = [
    "TASKS",
    "AddingProblem",
    "CopyMemory",
    "FirstSymbolRecall",
    "NumberAgreement",
    "Task",
    "TaskBatch",
    "make_task",
]

Readout = Literal["last", "every"]


@dataclass(frozen=True)
class TaskBatch:
    """One batch: ``inputs`` (steps, B, input_size) float32; ``targets`` shaped as the task says.

    ``attractors`` (B,) counts the attractor nouns per sentence (number agreement only).
    """

    inputs: Tensor
    targets: Tensor
    attractors: Tensor | None = None

    @property
    def batch_size(self) -> int:
        """Number of sequences B."""
        return int(self.inputs.shape[1])


def _generator(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(int(seed) % (2**63))


def _one_hot(tokens: Tensor, classes: int) -> Tensor:
    return F.one_hot(tokens, classes).to(torch.float32)  # (steps, B) -> (steps, B, classes)


@dataclass(frozen=True)
class Task(ABC):
    """A long-horizon task at one horizon; subclasses define the data and the scoring."""

    horizon: int
    name: ClassVar[str]
    readout: ClassVar[Readout] = "last"
    target_accuracy: ClassVar[float] = 0.99
    target_loss_fraction: ClassVar[float] = 0.01

    def __post_init__(self) -> None:
        if self.horizon < 2:
            raise ValueError(f"{self.name}: horizon must be >= 2, got {self.horizon}")

    @property
    @abstractmethod
    def input_size(self) -> int:
        """Features per input step."""

    @property
    @abstractmethod
    def output_size(self) -> int:
        """Outputs the model emits per scored step (classes, or 1 for regression)."""

    @property
    def steps(self) -> int:
        """Sequence length (time steps the model runs)."""
        return self.horizon

    @property
    @abstractmethod
    def chance_accuracy(self) -> float:
        """Accuracy of a model that ignores the distant past."""

    @property
    @abstractmethod
    def baseline_loss(self) -> float:
        """Loss of the best memoryless model."""

    @abstractmethod
    def sample(self, batch_size: int, seed: int) -> TaskBatch:
        """A batch drawn from a generator seeded by ``seed`` alone (pure)."""

    @abstractmethod
    def loss(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        """Mean loss of ``outputs`` ((B, O) for readout 'last', (steps, B, O) for 'every')."""

    @abstractmethod
    def correct(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        """Per-item correctness (bool) over the items ``accuracy`` averages."""

    def accuracy(self, outputs: Tensor, batch: TaskBatch) -> float:
        """Fraction of scored items answered correctly."""
        return float(self.correct(outputs, batch).float().mean())

    def breakdown(self, outputs: Tensor, batch: TaskBatch) -> dict[str, float]:
        """Accuracy by a task-specific factor (number agreement: by attractors); empty for most tasks."""
        return {}

    def solved(self, loss: float, accuracy: float) -> bool:
        """The early-stop target: accuracy >= 99%, or loss below 1% of the memoryless baseline."""
        return accuracy >= self.target_accuracy or loss < self.target_loss_fraction * self.baseline_loss

    def describe(self) -> dict[str, float | int | str]:
        """The task's name, horizon, sizes and baselines, for results."""
        return {
            "task": self.name,
            "horizon": self.horizon,
            "steps": self.steps,
            "input_size": self.input_size,
            "output_size": self.output_size,
            "chance_accuracy": self.chance_accuracy,
            "baseline_loss": self.baseline_loss,
        }

    def _check_batch(self, batch_size: int) -> None:
        if batch_size < 1:
            raise ValueError(f"{self.name}: batch_size must be >= 1, got {batch_size}")


@dataclass(frozen=True)
class FirstSymbolRecall(Task):
    """T one-hot symbols from an alphabet of 8; predict the first at step T (chance 1/8, CE ln 8)."""

    alphabet: int = 8
    name: ClassVar[str] = "recall"

    @property
    def input_size(self) -> int:
        return self.alphabet

    @property
    def output_size(self) -> int:
        return self.alphabet

    @property
    def chance_accuracy(self) -> float:
        return 1.0 / self.alphabet

    @property
    def baseline_loss(self) -> float:
        return math.log(self.alphabet)

    def sample(self, batch_size: int, seed: int) -> TaskBatch:
        self._check_batch(batch_size)
        symbols = torch.randint(0, self.alphabet, (self.horizon, batch_size), generator=_generator(seed))
        return TaskBatch(_one_hot(symbols, self.alphabet), symbols[0])

    def loss(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        return F.cross_entropy(outputs, batch.targets)

    def correct(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        return outputs.argmax(-1) == batch.targets


@dataclass(frozen=True)
class CopyMemory(Task):
    """Copy memory (Arjovsky et al. 2016): reproduce 10 symbols after a delay of T; length T+20.

    Inputs are one-hot over 10 tokens (0 blank, 1..8 symbols, 9 delimiter); outputs are 9
    classes (blank or a symbol) at every step. Memoryless baseline CE = 10 ln 8 / (T + 20).
    """

    symbols: int = 8
    length: int = 10
    name: ClassVar[str] = "copy"
    readout: ClassVar[Readout] = "every"

    @property
    def input_size(self) -> int:
        return self.symbols + 2

    @property
    def output_size(self) -> int:
        return self.symbols + 1

    @property
    def steps(self) -> int:
        return self.horizon + 2 * self.length

    @property
    def chance_accuracy(self) -> float:
        return 1.0 / self.symbols

    @property
    def baseline_loss(self) -> float:
        return self.length * math.log(self.symbols) / self.steps

    def sample(self, batch_size: int, seed: int) -> TaskBatch:
        self._check_batch(batch_size)
        data = torch.randint(1, self.symbols + 1, (self.length, batch_size), generator=_generator(seed))
        tokens = torch.zeros(self.steps, batch_size, dtype=torch.long)  # blanks
        tokens[: self.length] = data
        tokens[self.horizon + self.length - 1] = self.symbols + 1  # the delimiter
        targets = torch.zeros(self.steps, batch_size, dtype=torch.long)
        targets[-self.length :] = data
        return TaskBatch(_one_hot(tokens, self.input_size), targets)

    def loss(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        return F.cross_entropy(outputs.reshape(-1, self.output_size), batch.targets.reshape(-1))

    def correct(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        recall = slice(self.steps - self.length, self.steps)
        return outputs[recall].argmax(-1) == batch.targets[recall]  # (10, B)


@dataclass(frozen=True)
class AddingProblem(Task):
    """Adding problem: sum the two marked values of T (value, marker) pairs; predicting 1 gives MSE 1/6."""

    tolerance: float = 0.04
    name: ClassVar[str] = "adding"

    @property
    def input_size(self) -> int:
        return 2

    @property
    def output_size(self) -> int:
        return 1

    @property
    def chance_accuracy(self) -> float:
        # P(|U1 + U2 - 1| < tol) for the constant prediction 1: the triangle density near its peak.
        tol = self.tolerance
        return 2 * tol - tol * tol

    @property
    def baseline_loss(self) -> float:
        return 1.0 / 6.0

    def sample(self, batch_size: int, seed: int) -> TaskBatch:
        self._check_batch(batch_size)
        gen = _generator(seed)
        values = torch.rand(self.horizon, batch_size, generator=gen)
        half = self.horizon // 2
        first = torch.randint(0, half, (batch_size,), generator=gen)
        second = torch.randint(half, self.horizon, (batch_size,), generator=gen)
        markers = torch.zeros(self.horizon, batch_size)
        cols = torch.arange(batch_size)
        markers[first, cols] = 1.0
        markers[second, cols] = 1.0
        targets = values[first, cols] + values[second, cols]
        return TaskBatch(torch.stack([values, markers], dim=-1), targets)  # inputs (T, B, 2)

    def loss(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        return F.mse_loss(outputs.squeeze(-1), batch.targets)

    def correct(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        return (outputs.squeeze(-1) - batch.targets).abs() < self.tolerance


#: The number-agreement grammar's words, by role. Nouns come in singular/plural pairs.
SINGULAR_NOUNS = ("cat", "dog", "boy", "girl")
PLURAL_NOUNS = ("cats", "dogs", "boys", "girls")
FILLERS = ("that", "had", "enjoyed", "eating", "near", "and", "very", "old")
VOCABULARY = ("the", *SINGULAR_NOUNS, *PLURAL_NOUNS, *FILLERS, "<verb>")


@dataclass(frozen=True)
class NumberAgreement(Task):
    """Subject-verb agreement at distance d = horizon, with attractor nouns in between.

    Sentence: "the" (step 1), subject noun (step 2), d - 1 words, "<verb>" (step d + 2), where the
    model answers 0 ("was", singular subject) or 1 ("were", plural). The in-between words are
    fillers, except ``nouns`` slots (0..max_nouns, uniform) holding nouns of random number; the
    nouns of the other number than the subject are attractors. Chance 1/2, CE ln 2.
    """

    max_nouns: int = 3
    name: ClassVar[str] = "agreement"

    @property
    def input_size(self) -> int:
        return len(VOCABULARY)

    @property
    def output_size(self) -> int:
        return 2

    @property
    def steps(self) -> int:
        return self.horizon + 2

    @property
    def chance_accuracy(self) -> float:
        return 0.5

    @property
    def baseline_loss(self) -> float:
        return math.log(2.0)

    def sample(self, batch_size: int, seed: int) -> TaskBatch:
        self._check_batch(batch_size)
        gen = _generator(seed)
        gap = self.horizon - 1  # words strictly between subject and verb
        n_sing = len(SINGULAR_NOUNS)
        filler0 = 1 + 2 * n_sing
        plural = torch.randint(0, 2, (batch_size,), generator=gen)  # subject number
        subject = 1 + plural * n_sing + torch.randint(0, n_sing, (batch_size,), generator=gen)
        words = filler0 + torch.randint(0, len(FILLERS), (gap, batch_size), generator=gen)  # (gap, B)
        nouns = torch.randint(0, min(self.max_nouns, gap) + 1, (batch_size,), generator=gen)
        # Noun slots: the first ``nouns`` positions of a random permutation of the gap.
        order = torch.rand(gap, batch_size, generator=gen).argsort(dim=0)
        is_noun = order < nouns.unsqueeze(0)  # (gap, B)
        noun_plural = torch.randint(0, 2, (gap, batch_size), generator=gen)
        noun_ids = 1 + noun_plural * n_sing + torch.randint(0, n_sing, (gap, batch_size), generator=gen)
        words = torch.where(is_noun, noun_ids, words)
        attractors = (is_noun & (noun_plural != plural.unsqueeze(0))).sum(dim=0)
        first = torch.zeros(1, batch_size, dtype=torch.long)  # "the"
        verb = torch.full((1, batch_size), len(VOCABULARY) - 1, dtype=torch.long)
        tokens = torch.cat([first, subject.unsqueeze(0), words, verb])  # (d + 2, B)
        return TaskBatch(_one_hot(tokens, self.input_size), plural, attractors)

    def loss(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        return F.cross_entropy(outputs, batch.targets)

    def correct(self, outputs: Tensor, batch: TaskBatch) -> Tensor:
        return outputs.argmax(-1) == batch.targets

    def breakdown(self, outputs: Tensor, batch: TaskBatch) -> dict[str, float]:
        """Accuracy by number of attractors: {"0 attractors": ..., "1 attractors": ...}."""
        return {f"{k} attractors": v for k, v in self.accuracy_by_attractors(outputs, batch).items()}

    def accuracy_by_attractors(self, outputs: Tensor, batch: TaskBatch) -> dict[int, float]:
        """Accuracy per number of attractors present (only counts that occur in the batch)."""
        assert batch.attractors is not None
        hits = self.correct(outputs, batch)
        return {
            int(k): float(hits[batch.attractors == k].float().mean()) for k in torch.unique(batch.attractors)
        }


#: Task constructors by name, as ``--task`` accepts them.
TASKS: dict[str, type[Task]] = {
    cls.name: cls for cls in (FirstSymbolRecall, CopyMemory, AddingProblem, NumberAgreement)
}


def make_task(name: str, horizon: int) -> Task:
    """The task called ``name`` ('recall', 'copy', 'adding', 'agreement') at ``horizon``."""
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {', '.join(TASKS)}")
    return TASKS[name](horizon)
