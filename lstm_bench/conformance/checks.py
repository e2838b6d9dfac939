"""What a named check is (``Check``) and what it runs against (``Context``).

A check is a strategy of cases, an ``evaluate(ctx, case) -> Outcome`` pure function, optional
explicit boundary cases, and an optional ``skip`` that says why it does not apply (an RNN has
no gates; the implementation shows no trace). The families live in ``ranges``,
``equivalence``, ``gradients``, ``invariants`` and ``contract``; ``registry.CHECKS`` lists them in order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import torch
from hypothesis import strategies as st
from torch import Tensor, nn

from lstm_bench.capabilities import Feature
from lstm_bench.conformance.accuracy import floor_of, scale_of
from lstm_bench.conformance.cases import Case, Inputs, build, draw_inputs, set_weights
from lstm_bench.conformance.compare import compare
from lstm_bench.conformance.result import Outcome, TensorError
from lstm_bench.conformance.tolerances import (
    FORWARD_SCALE,
    MEDIAN_MIN_ENTRIES,
    REDUCED,
    UNIT_ROUNDOFF,
    Tolerance,
    fd_step,
    median_bound,
    reduced_tolerance,
    scaled_tolerance,
    tolerance,
)
from lstm_bench.dtypes import DTYPE_NAMES, NAMED_DTYPES
from lstm_bench.kinds import Kind
from lstm_bench.loader import LoadedImpl
from lstm_bench.reference.choice import Reference, reference_for


class Autocast(nn.Module):
    """Runs the wrapped module's forward under ``torch.autocast(device_type, dtype)``.

    Attribute reads fall through to the wrapped module, so ``weight_hh_l0`` and the other torch.nn
    parameters are the implementation's own (float32) tensors.
    """

    def __init__(self, inner: nn.Module, device_type: str, dtype: torch.dtype) -> None:
        super().__init__()
        self.inner = inner
        self.device_type, self.cast_dtype = device_type, dtype

    def forward(self, *args: Any) -> Any:
        with torch.autocast(self.device_type, dtype=self.cast_dtype):
            return self.inner(*args)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            return getattr(self._modules["inner"], name)


@dataclass(frozen=True)
class Context:
    """The implementation under test and the dtype and device it runs in."""

    impl: LoadedImpl
    dtype: torch.dtype = torch.float64
    device: str = "cpu"
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    autocast: str | None = None  # 'bfloat16' or 'float16': forward under torch.autocast

    @property
    def kind(self) -> Kind:
        return self.impl.kind

    @cached_property
    def reference(self) -> Reference:
        """The float64 reference of the kind and the GRU variant the implementation declares
        (``reference.choice``); raises ``UnsupportedReference`` when there is none."""
        return reference_for(self.kind, self.impl.gru_variant)

    @property
    def dtype_name(self) -> str:
        """'float64', 'float32', 'bfloat16' or 'float16'."""
        return DTYPE_NAMES[self.dtype]

    @property
    def precision(self) -> str:
        """The dtype the arithmetic runs in: the autocast dtype when set, else the run's dtype."""
        return self.autocast or self.dtype_name

    @property
    def reduced(self) -> bool:
        """True in bfloat16 / float16 (or under autocast): the √T tolerance model, no finite differences."""
        return self.precision in REDUCED

    def tol(self, topic: str, dtype: torch.dtype | None = None) -> Tolerance:
        """The tolerance of ``topic`` in ``dtype`` (default: the run's precision; the √T model when reduced)."""
        name = self.precision if dtype is None else DTYPE_NAMES[dtype]
        return reduced_tolerance(topic, name) if name in REDUCED else tolerance(topic, name)

    def compare(
        self,
        name: str,
        got: Tensor,
        expected: Tensor,
        topic: str,
        case: Case,
        scale_floor: float | None = None,
    ) -> TensorError:
        """``compare`` with the tolerance of ``topic``: the table's, or in reduced precision the √T
        model at the case's length on this tensor's scale, plus the bound on the median error
        (a systematic error: truncation, a reduced-precision state) for tensors of MEDIAN_MIN_ENTRIES
        entries or more. ``scale_floor`` overrides the least scale (gradients: the largest gradient of
        the loss, so a gradient that cancels to near zero is judged on the loss's scale)."""
        floor = FORWARD_SCALE if topic in ("equivalence", "saturation") else floor_of(got)
        if scale_floor is not None:
            floor = max(floor, scale_floor)
        if not self.reduced:
            return compare(name, got, expected, self.tol(topic), scale_floor=floor)
        tol = scaled_tolerance(topic, self.precision, case.steps, scale_of(expected, floor))
        report = compare(name, got, expected, tol, scale_floor=floor)
        limit = median_bound(topic, self.precision)
        if limit is None or got.numel() < MEDIAN_MIN_ENTRIES or not report.passed:
            return report
        median_u = report.scaled_median / UNIT_ROUNDOFF[self.precision]
        if median_u <= limit:
            return report
        where = f"{report.where}; median error {median_u:.3g}u exceeds {limit:g}u (a systematic error)"
        return replace(report, passed=False, where=where)

    def compare_all(
        self, got: dict[str, Tensor], expected: dict[str, Tensor], topic: str, case: Case
    ) -> list[TensorError]:
        """``compare`` every tensor of ``expected`` with the one of the same name in ``got``."""
        return [self.compare(name, got[name], value, topic, case) for name, value in expected.items()]

    def _wrap(self, module: nn.Module) -> nn.Module:
        if self.autocast is None:
            return module
        device_type = self.device.split(":")[0]
        return Autocast(module, device_type, NAMED_DTYPES[self.autocast])

    def fd_step(self, dtype: torch.dtype | None = None) -> float:
        """The central-difference step in ``dtype`` (default: the run's dtype)."""
        return fd_step(DTYPE_NAMES[dtype or self.dtype])

    def build(self, case: Case, weight_scale: float = 1.0, dtype: torch.dtype | None = None) -> nn.Module:
        """A fresh instance at the case's sizes with the case's weights (under autocast when asked)."""
        return self._wrap(build(self.impl, case, dtype or self.dtype, self.device, weight_scale))

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
        return self._wrap(set_weights(module, case))


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
    reduced_topic: str | None = None  # the tolerance model's topic in reduced precision, when not ``topic``
    uses: tuple[
        Feature, ...
    ] = ()  # optional features the cases draw only where supported (never "unsupported")
    reference: bool = False  # compares with the float64 reference beyond the equivalence family

    @property
    def family(self) -> str:
        """'ranges', 'equivalence', 'gradients', 'invariants' or 'contract'."""
        return self.name.split(".", 1)[0]

    def examples(self, profile_examples: int) -> int:
        """Cases to draw under a profile asking for ``profile_examples``."""
        return max(2, round(profile_examples * self.share))
