"""What a named check is (``Check``) and what it runs against (``Context``).

A check is a strategy of cases, an ``evaluate(ctx, case) -> Outcome`` pure function, optional
explicit boundary cases, and an optional ``skip`` that says why it does not apply (an RNN has
no gates; the implementation shows no trace). The families live in ``ranges``,
``equivalence``, ``gradients`` and ``invariants``; ``registry.CHECKS`` lists them in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import torch
from hypothesis import strategies as st
from torch import nn

from lstm_bench.capabilities import Feature
from lstm_bench.conformance.cases import Case, Inputs, build, draw_inputs, set_weights
from lstm_bench.conformance.result import Outcome
from lstm_bench.conformance.tolerances import Tolerance, fd_step, tolerance
from lstm_bench.kinds import Kind
from lstm_bench.loader import LoadedImpl

DTYPE_NAMES = {torch.float64: "float64", torch.float32: "float32"}


@dataclass(frozen=True)
class Context:
    """The implementation under test and the dtype and device it runs in."""

    impl: LoadedImpl
    dtype: torch.dtype = torch.float64
    device: str = "cpu"
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def kind(self) -> Kind:
        return self.impl.kind

    @property
    def dtype_name(self) -> str:
        """'float64' or 'float32'."""
        return DTYPE_NAMES[self.dtype]

    def tol(self, topic: str, dtype: torch.dtype | None = None) -> Tolerance:
        """The tolerance of ``topic`` in ``dtype`` (default: the run's dtype)."""
        return tolerance(topic, DTYPE_NAMES[dtype or self.dtype])

    def fd_step(self, dtype: torch.dtype | None = None) -> float:
        """The central-difference step in ``dtype`` (default: the run's dtype)."""
        return fd_step(DTYPE_NAMES[dtype or self.dtype])

    def build(self, case: Case, weight_scale: float = 1.0, dtype: torch.dtype | None = None) -> nn.Module:
        """A fresh instance at the case's sizes with the case's weights."""
        return build(self.impl, case, dtype or self.dtype, self.device, weight_scale)

    def inputs(
        self,
        case: Case,
        scale: float = 1.0,
        state_scale: float = 1.0,
        stream: int = 0,
        dtype: torch.dtype | None = None,
    ) -> Inputs:
        """The case's x, h0, c0 in the run's dtype (or ``dtype``) and device."""
        return draw_inputs(case, self.kind, dtype or self.dtype, self.device, scale, state_scale, stream)

    @cached_property
    def has_trace(self) -> bool:
        """True when instances offer ``trace(x, hx)`` like lstm_bench's references."""
        module = self.impl.make(2, 3, dtype=self.dtype, device=self.device)
        return callable(getattr(module, "trace", None))

    def make_batch_first(self, case: Case) -> nn.Module | None:
        """An instance that takes (B, T, I) input, or None when the implementation offers no way to ask.

        Tries the factory's ``batch_first=True`` keyword first, then a ``batch_first`` attribute.
        """
        try:
            module = self.impl.make(
                case.input_size, case.hidden_size, dtype=self.dtype, device=self.device, batch_first=True
            )
        except TypeError:
            return None
        return set_weights(module, case)


Strategy = Callable[[Context], st.SearchStrategy[Case]]
Evaluate = Callable[[Context, Case], Outcome]


def _no_cases(ctx: Context) -> Sequence[Case]:
    return ()


def _applies(ctx: Context) -> str | None:
    return None


@dataclass(frozen=True)
class Check:
    """One named property of a correct recurrent implementation.

    ``share`` scales the profile's number of examples (costly checks draw fewer cases);
    ``topic`` names the tolerance the check reports (see ``tolerances``).
    """

    name: str
    summary: str
    topic: str
    strategy: Strategy
    evaluate: Evaluate
    explicit: Callable[[Context], Sequence[Case]] = _no_cases
    skip: Callable[[Context], str | None] = _applies
    share: float = 1.0
    requires: tuple[Feature, ...] = ()  # optional features the check's cases use (see capabilities)

    @property
    def family(self) -> str:
        """'ranges', 'equivalence', 'gradients' or 'invariants'."""
        return self.name.split(".", 1)[0]

    def examples(self, profile_examples: int) -> int:
        """Cases to draw under a profile asking for ``profile_examples``."""
        return max(2, round(profile_examples * self.share))
