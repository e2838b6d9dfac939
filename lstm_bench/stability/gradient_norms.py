"""Gradient-norm profiles: how much of the last step's loss gradient reaches each earlier step.

For a loss L computed from the last hidden state h_T only, the profile is

    p_t = ||dL/dh_t||  for t = 1..T   (and q_t = ||dL/dC_t|| for the LSTM's cell state),

the *total* derivative through every later step, taken as the Frobenius norm over the batch.
By the chain rule dL/dh_t = (dh_T/dh_t)^T dL/dh_T, so p_t shrinks geometrically when the
Jacobians' norms stay below 1 (vanishing) and grows when above (exploding). The summary is

    log10 ratio = log10(p_1 / p_T),

-20 to -30 for a tanh RNN at T = 100 with torch's default init, and about -3 for a chrono-initialised
LSTM, whose cell-state profile ||dL/dC_t|| stays within an order of magnitude (-0.7): the
gradient that the constant-error carousel carries back.

Everything runs in float64: in float32 the early-step norms underflow to 0 (entries below
about 1e-19 square to below float32's range). The model is run one step at a time so that
every h_t is a tensor autograd can differentiate to; this works for any module with the
``torch.nn`` contract (``module(x_t, state) -> (output, state)``), including ``--impl``s.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lstm_bench.kinds import Kind
from lstm_bench.reference.torch_cells import layer_weights, run_layer
from lstm_bench.stability.models import SequenceModel
from lstm_bench.stability.tasks import Task
from lstm_bench.threads import torch_threads

__all__ = [
    "GradientProfile",
    "StepStates",
    "grad_norm_profile",
    "log10_ratio",
    "lstm_cells_by_equations",
    "model_profile",
    "unroll_by_step",
]

LossFn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class StepStates:
    """h_1..h_T and, for the LSTM, C_1..C_T: graph tensors, (1, B, H) from a module, (B, H) from equations."""

    hidden: list[Tensor]
    cells: list[Tensor] | None


def unroll_by_step(module: nn.Module, kind: Kind, x: Tensor) -> StepStates:
    """Run ``module`` over x (T, B, I) one step at a time from a zero state, keeping every state tensor."""
    batch, hidden_size = x.shape[1], int(module.weight_hh_l0.shape[1])  # type: ignore[union-attr, index]
    zeros = x.new_zeros(1, batch, hidden_size)  # (1, B, H): torch.nn's state layout
    state: Any = (zeros, zeros.clone()) if kind.has_cell else zeros
    hidden: list[Tensor] = []
    cells: list[Tensor] = []
    for x_t in x.unbind(0):
        _, state = module(x_t.unsqueeze(0), state)  # x_t (B, I) -> (1, B, I)
        if kind.has_cell:
            hidden.append(state[0])
            cells.append(state[1])
        else:
            hidden.append(state)
    return StepStates(hidden, cells if kind.has_cell else None)


def log10_ratio(first: float, last: float) -> float:
    """log10(first / last): -inf when ``first`` underflowed to 0, NaN when either is not finite or last is 0."""
    if not (math.isfinite(first) and math.isfinite(last)) or last == 0:
        return math.nan
    if first == 0:
        return -math.inf
    return math.log10(first / last)


@dataclass(frozen=True)
class GradientProfile:
    """||dL/dh_t|| (and ||dL/dC_t|| for the LSTM) for t = 1..T, with the loss at step T.

    ``log10_ratio`` = log10(||dL/dh_1|| / ||dL/dh_T||); ``cell_log10_ratio`` likewise for C_t
    (relative to ||dL/dC_T||). ``per_step`` is log10_ratio / (T - 1), the mean decay per step.
    """

    kind: Kind
    hidden_norms: tuple[float, ...]
    cell_norms: tuple[float, ...] | None = None

    @property
    def steps(self) -> int:
        """T, the number of steps profiled."""
        return len(self.hidden_norms)

    @property
    def log10_ratio(self) -> float:
        """log10(||dL/dh_1|| / ||dL/dh_T||): below 0 the gradient decays going back in time."""
        return log10_ratio(self.hidden_norms[0], self.hidden_norms[-1])

    @property
    def cell_log10_ratio(self) -> float | None:
        """log10(||dL/dC_1|| / ||dL/dC_T||) for the LSTM, else None."""
        if self.cell_norms is None:
            return None
        return log10_ratio(self.cell_norms[0], self.cell_norms[-1])

    @property
    def per_step(self) -> float:
        """Mean log10 change per step going back: log10_ratio / (T - 1)."""
        return self.log10_ratio / max(self.steps - 1, 1)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (non-finite numbers become strings when written by ``write_json_atomic``)."""
        return {
            "kind": self.kind.value,
            "steps": self.steps,
            "hidden_norms": list(self.hidden_norms),
            "cell_norms": None if self.cell_norms is None else list(self.cell_norms),
            "log10_ratio": self.log10_ratio,
            "cell_log10_ratio": self.cell_log10_ratio,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GradientProfile:
        """Inverse of ``to_dict`` (accepts 'NaN' / 'Infinity' strings)."""
        cells = data.get("cell_norms")
        return cls(
            Kind(data["kind"]),
            tuple(float(v) for v in data["hidden_norms"]),
            None if cells is None else tuple(float(v) for v in cells),
        )


def _norms(grads: tuple[Tensor | None, ...]) -> tuple[float, ...]:
    return tuple(0.0 if g is None else float(g.detach().to(torch.float64).norm()) for g in grads)


def lstm_cells_by_equations(module: nn.Module, x: Tensor) -> StepStates:
    """Unroll the LSTM equations on ``module``'s torch.nn-named weights, keeping h_t and C_t in the graph.

    The step is the reference's (``reference.torch_cells.lstm_cell``): i, f, C~, o = σ, σ, tanh, σ of
    (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) split in four; C_t = f ⊙ C_{t-1} + i ⊙ C~;
    h_t = o ⊙ tanh(C_t). Here h_t is computed *from* C_t, so dL/dC_t is the total derivative,
    including the path C_t -> h_t that a fused module (whose step returns h_t and C_t as siblings) hides.
    """
    weights = layer_weights(module, 0, 0)
    batch, hidden_size = x.shape[1], int(weights.w_ih.shape[0]) // 4
    h0 = x.new_zeros(batch, int(weights.w_hh.shape[1]))  # (B, H_out)
    c0 = x.new_zeros(batch, hidden_size)  # (B, H)
    run = run_layer(Kind.LSTM, x, weights, h0, c0, record=True)
    return StepStates(run.hidden, run.cells)


def _profile_norms(states: StepStates, loss_fn: LossFn) -> tuple[tuple[float, ...], tuple[float, ...] | None]:
    loss = loss_fn(states.hidden[-1].reshape(-1, states.hidden[-1].shape[-1]))  # h_T as (B, H)
    grads = torch.autograd.grad(loss, states.hidden + (states.cells or []), allow_unused=True)
    steps = len(states.hidden)
    return _norms(grads[:steps]), (_norms(grads[steps:]) if states.cells is not None else None)


def grad_norm_profile(
    module: nn.Module, kind: Kind, x: Tensor, loss_fn: LossFn, threads: int = 1
) -> GradientProfile:
    """The gradient-norm profile of ``loss_fn(h_T)`` over x (T, B, I), computed on a float64 copy.

    ``module`` is left untouched; ``loss_fn`` receives h_T as (B, H) float64 and returns a scalar.
    ||dL/dh_t|| comes from the module's own forward, run step by step. For the LSTM, ||dL/dC_t||
    comes from the LSTM equations on the module's weights (``lstm_cells_by_equations``), since a
    black-box step does not expose how h_t depends on C_t. Runs on ``threads`` torch threads.
    """
    probe = copy.deepcopy(module).to(torch.float64)
    x64 = x.detach().to(torch.float64)
    with torch_threads(threads):  # one step at a time: small ops, fastest on one thread
        hidden, _ = _profile_norms(unroll_by_step(probe, kind, x64), loss_fn)
        cells = _profile_norms(lstm_cells_by_equations(probe, x64), loss_fn)[1] if kind.has_cell else None
    return GradientProfile(kind, hidden, cells)


def model_profile(model: SequenceModel, task: Task, batch_size: int = 32, seed: int = 0) -> GradientProfile:
    """Profile a :class:`~lstm_bench.stability.models.SequenceModel` on a seeded batch of ``task``.

    The loss is the task's loss of the readout at the last step (for ``copy``, whose loss runs
    over every step, the cross-entropy at the last step).
    """
    batch = task.sample(batch_size, seed)
    if batch.targets.is_floating_point():
        batch = dataclasses.replace(batch, targets=batch.targets.to(torch.float64))
    head = copy.deepcopy(model.head).to(torch.float64)
    targets = batch.targets

    def loss_fn(h_last: Tensor) -> Tensor:
        out = head(h_last)  # (B, O)
        if task.readout == "every":
            return F.cross_entropy(out, targets[-1])
        return task.loss(out, batch)

    return grad_norm_profile(model.recurrent, model.kind, batch.inputs, loss_fn)
