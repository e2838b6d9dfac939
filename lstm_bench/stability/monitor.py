"""A training monitor that turns the classic warning signs into structured events.

The trainer feeds it one observation per step (loss, global gradient norm before clipping,
global weight norm) and, now and then, a gradient-norm profile. It raises a
:class:`MonitorEvent` when a sign first appears, once per episode (the sign must clear before
the same kind is raised again):

* ``nonfinite_loss`` / ``nonfinite_gradients`` / ``nonfinite_weights`` (severity ``error``):
  a NaN or Inf; the trainer stops.
* ``weights_growing``: ||W|| grew by more than ``weight_growth`` times within ``growth_window`` steps.
* ``exploding_gradients``: the gradient norm stayed above ``explode_norm`` for
  ``explode_patience`` consecutive steps (the raw norm, before any clipping).
* ``vanishing_gradients``: a profile's ||dL/dh_1|| / ||dL/dh_T|| fell below 10^``vanish_log10``:
  the early steps no longer receive a usable gradient.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from lstm_bench.stability.classify import VANISHING_LOG10
from lstm_bench.stability.gradient_norms import GradientProfile

__all__ = ["EVENT_KINDS", "MonitorConfig", "MonitorEvent", "TrainingMonitor"]

Severity = Literal["warning", "error"]
EVENT_KINDS = (
    "nonfinite_loss",
    "nonfinite_gradients",
    "nonfinite_weights",
    "weights_growing",
    "exploding_gradients",
    "vanishing_gradients",
)


@dataclass(frozen=True)
class MonitorEvent:
    """One warning sign at one training ``step``: its ``kind``, ``severity``, a message and the value seen."""

    step: int
    kind: str
    severity: Severity
    message: str
    value: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "step": self.step,
            "kind": self.kind,
            "severity": self.severity,
            "message": self.message,
            "value": self.value,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MonitorEvent:
        """Inverse of ``to_dict``."""
        severity: Severity = "error" if data["severity"] == "error" else "warning"
        return cls(int(data["step"]), str(data["kind"]), severity, str(data["message"]), float(data["value"]))


@dataclass(frozen=True)
class MonitorConfig:
    """Thresholds of the warning signs (see the module docstring)."""

    weight_growth: float = 4.0  # healthy Adam runs from a small init can double ||W|| in 100 steps
    growth_window: int = 100
    explode_norm: float = 1.0  # the "gradient norms consistently above 1"
    explode_patience: int = (
        200  # consecutive steps: the recipe's healthy take-off shows streaks of up to ~140
    )
    vanish_log10: float = VANISHING_LOG10  # the same threshold as classify.py's "vanishing"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass
class TrainingMonitor:
    """Stateful detector; ``observe_step`` / ``observe_profile`` return the events they raise."""

    config: MonitorConfig = field(default_factory=MonitorConfig)
    events: list[MonitorEvent] = field(default_factory=list)
    _active: set[str] = field(default_factory=set, init=False, repr=False)
    _weights: deque[float] = field(default_factory=deque, init=False, repr=False)
    _above: int = field(default=0, init=False, repr=False)

    @property
    def failed(self) -> bool:
        """True once an error event (a NaN or Inf) was raised: training cannot continue."""
        return any(e.severity == "error" for e in self.events)

    def _signal(
        self, on: bool, step: int, kind: str, severity: Severity, message: str, value: float
    ) -> list[MonitorEvent]:
        """Raise ``kind`` when ``on`` turns true; forget it when it turns false again."""
        if not on:
            self._active.discard(kind)
            return []
        if kind in self._active:
            return []
        self._active.add(kind)
        event = MonitorEvent(step, kind, severity, message, value)
        self.events.append(event)
        return [event]

    def observe_step(
        self, step: int, loss: float, grad_norm: float, weight_norm: float
    ) -> list[MonitorEvent]:
        """Check one training step: ``grad_norm`` is the global gradient norm before clipping."""
        cfg = self.config
        raised = self._signal(
            not math.isfinite(loss), step, "nonfinite_loss", "error", f"loss is {loss}", loss
        )
        raised += self._signal(
            not math.isfinite(grad_norm),
            step,
            "nonfinite_gradients",
            "error",
            f"gradient norm is {grad_norm}",
            grad_norm,
        )
        raised += self._signal(
            not math.isfinite(weight_norm),
            step,
            "nonfinite_weights",
            "error",
            f"weight norm is {weight_norm}",
            weight_norm,
        )
        self._weights.append(weight_norm)
        if len(self._weights) > cfg.growth_window + 1:
            self._weights.popleft()
        oldest = self._weights[0]
        growth = weight_norm / oldest if oldest > 0 and math.isfinite(weight_norm) else 1.0
        raised += self._signal(
            growth > cfg.weight_growth,
            step,
            "weights_growing",
            "warning",
            f"||W|| grew {growth:.1f}x in {len(self._weights) - 1} steps (to {weight_norm:.3g})",
            growth,
        )
        self._above = self._above + 1 if grad_norm > cfg.explode_norm else 0
        raised += self._signal(
            self._above >= cfg.explode_patience,
            step,
            "exploding_gradients",
            "warning",
            f"gradient norm above {cfg.explode_norm:g} for {self._above} consecutive steps (now {grad_norm:.3g})",
            grad_norm,
        )
        return raised

    def observe_profile(self, step: int, profile: GradientProfile) -> list[MonitorEvent]:
        """Check a gradient-norm profile for collapsed early-step gradients."""
        ratio = profile.log10_ratio
        return self._signal(
            ratio < self.config.vanish_log10,
            step,
            "vanishing_gradients",
            "warning",
            f"||dL/dh_1|| / ||dL/dh_T|| = 10^{ratio:.1f} at T={profile.steps} (below 10^{self.config.vanish_log10:g})",
            ratio,
        )
