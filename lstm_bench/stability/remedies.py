"""Remedies for unstable gradients, as switchable options: clipping by norm or value, and L2 regularisation.

Each is a small pure function on a list of gradients or parameters (the trainer applies them
between ``backward()`` and the optimiser step). The other remedies the literature uses are
choices of model rather than gradient surgery: initialisations come from ``lstm_bench.init``
(Xavier, He, orthogonal, identity + ReLU, forget bias, chrono) and ReLU vs tanh is
``Kind.RNN_RELU`` vs ``Kind.RNN_TANH`` in a :class:`~lstm_bench.stability.models.ModelSpec`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

__all__ = ["Remedies", "apply_remedies", "clip_by_norm", "clip_by_value", "global_norm", "l2_penalty"]


def global_norm(tensors: Iterable[Tensor]) -> float:
    """||g|| = sqrt(sum_i ||g_i||^2) over all tensors, accumulated in float64 (no underflow)."""
    norms = [torch.linalg.vector_norm(t.detach(), dtype=torch.float64) for t in tensors]
    return float(torch.linalg.vector_norm(torch.stack(norms))) if norms else 0.0


def clip_by_norm(grads: Sequence[Tensor], max_norm: float) -> float:
    """Rescale ``grads`` in place so that their global norm is at most ``max_norm``; returns the norm before.

    g <- g * min(1, max_norm / ||g||) (Pascanu et al. 2013): the direction is unchanged, and
    gradients already within the threshold are left exactly as they were.
    """
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive, got {max_norm}")
    norm = global_norm(grads)
    if norm > max_norm:  # also False for NaN: a NaN gradient is the monitor's business, not ours
        scale = max_norm / norm
        for g in grads:
            g.mul_(scale)
    return norm


def clip_by_value(grads: Sequence[Tensor], limit: float) -> int:
    """Clamp every gradient entry into [-limit, limit] in place; returns how many entries were clamped."""
    if limit <= 0:
        raise ValueError(f"limit must be positive, got {limit}")
    clamped = 0
    for g in grads:
        clamped += int((g.abs() > limit).sum())
        g.clamp_(-limit, limit)
    return clamped


def l2_penalty(params: Iterable[Tensor], coefficient: float) -> Tensor:
    """The L2 regulariser (λ/2) sum_i ||w_i||^2, whose gradient is λ w (add it to the loss)."""
    terms = [p.pow(2).sum() for p in params]
    if not terms:
        return torch.zeros(())
    return 0.5 * coefficient * torch.stack(terms).sum()


@dataclass(frozen=True)
class Remedies:
    """Which remedies a training run applies: ``clip_norm`` / ``clip_value`` thresholds and ``l2`` λ (None = off)."""

    clip_norm: float | None = None
    clip_value: float | None = None
    l2: float | None = None

    def __post_init__(self) -> None:
        for name in ("clip_norm", "clip_value", "l2"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"{name} must be positive or None, got {value}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"clip_norm": self.clip_norm, "clip_value": self.clip_value, "l2": self.l2}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Remedies:
        """Inverse of ``to_dict``."""
        return cls(data.get("clip_norm"), data.get("clip_value"), data.get("l2"))


def apply_remedies(grads: Sequence[Tensor], remedies: Remedies) -> float:
    """Clip ``grads`` in place as ``remedies`` say (value first, then norm); returns the raw global norm.

    L2 is not applied here: it is a loss term (``l2_penalty``), so its gradient is already in ``grads``.
    """
    raw = None
    if remedies.clip_value is not None:
        raw = global_norm(grads)
        clip_by_value(grads, remedies.clip_value)
    if remedies.clip_norm is not None:
        after_value = clip_by_norm(grads, remedies.clip_norm)
        raw = after_value if raw is None else raw
    return global_norm(grads) if raw is None else raw
