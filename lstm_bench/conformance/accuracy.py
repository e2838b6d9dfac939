"""Accuracy figures: how far an implementation is from float64, in units of its dtype's roundoff.

Per entry, e = |got - ref| / (|ref| + s) with ``ref`` the float64 value and s = max|ref|, the
largest magnitude in the whole reference tensor (close to a norm-wise relative error), at least 1
for forward values (h, C live on the unit scale), and for gradients at least the largest gradient
of the same loss (a gradient that cancels to near zero is judged on the loss's scale) and the
dtype's smallest normal number. A check reports the worst e over every entry of every case and the median over cases of
each case's median e, both divided by the unit roundoff u of the run's (or autocast's) dtype:
"worst 3.1 u, median 0.4 u" says how many roundings away from float64 the kernel is, whatever
the pass/fail verdict. The weights and inputs are rounded to the dtype *before* the float64
reference runs on them, so the figure measures the kernel's arithmetic, not the rounding of
the weights.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lstm_bench.conformance.tolerances import UNIT_NAMES, UNIT_ROUNDOFF

if TYPE_CHECKING:  # result objects (and so this module) import without torch
    from torch import Tensor

#: max|ref| never drops below this (an all-zero reference tensor).
SCALE_FLOOR = 1e-30


def scale_of(expected: Tensor, floor: float = SCALE_FLOOR) -> float:
    """max|ref| of a tensor in float64, ignoring non-finite entries, and at least ``floor``.

    Pass the smallest normal number of the dtype under test as ``floor`` (``floor_of``): a
    tensor that vanished below it (float16: 6.1e-5) is resolved only to subnormal spacing.
    """
    import torch

    if expected.numel() == 0:
        return floor
    finite = expected.detach().to(torch.float64).nan_to_num(nan=0.0, posinf=0.0, neginf=0.0)
    value = float(finite.abs().max())
    return value if math.isfinite(value) and value > floor else floor


def floor_of(got: Tensor) -> float:
    """The smallest normal number of ``got``'s dtype (SCALE_FLOOR for non-float tensors)."""
    import torch

    return float(torch.finfo(got.dtype).tiny) if got.dtype.is_floating_point else SCALE_FLOOR


def scaled_errors(got: Tensor, expected: Tensor, floor: float = SCALE_FLOOR) -> Tensor:
    """e = |got - ref| / (|ref| + max|ref|) per entry, float64 on the CPU; non-finite mismatches are inf."""
    import torch

    a = got.detach().to(device="cpu", dtype=torch.float64)
    b = expected.detach().to(device="cpu", dtype=torch.float64)
    diff = (a - b).abs()
    diff = torch.where(~torch.isfinite(a) & (a == b), torch.zeros_like(diff), diff)
    diff = torch.where(torch.isnan(diff), torch.full_like(diff, math.inf), diff)
    return diff / (b.abs().nan_to_num(posinf=0.0) + scale_of(b, floor))


def worst_and_median(errors: Tensor) -> tuple[float, float]:
    """(max, median) of scaled errors; (0, 0) for an empty tensor."""
    if errors.numel() == 0:
        return 0.0, 0.0
    return float(errors.max()), float(errors.reshape(-1).median())


@dataclass(frozen=True)
class Accuracy:
    """Worst and median relative error against float64 of one check, in units of u of ``dtype``.

    ``bound`` is the model's tolerance in the same units at the check's longest case (None when
    the dtype uses the fixed float64/float32 table).
    """

    dtype: str
    worst: float
    median: float
    bound: float | None = None

    @property
    def unit(self) -> float:
        """u of the dtype."""
        return UNIT_ROUNDOFF[self.dtype]

    def describe(self) -> str:
        """'worst 3.1u median 0.42u (bfloat16 u=2^-8)'."""
        bound = "" if self.bound is None else f" bound {_u(self.bound)}u"
        return f"worst {_u(self.worst)}u median {_u(self.median)}u{bound} ({self.dtype} u={UNIT_NAMES[self.dtype]})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "dtype": self.dtype,
            "unit": self.unit,
            "worst_u": self.worst,
            "median_u": self.median,
            "bound_u": self.bound,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Accuracy:
        bound = data.get("bound_u")
        return cls(
            dtype=str(data["dtype"]),
            worst=float(data["worst_u"]),
            median=float(data["median_u"]),
            bound=None if bound is None else float(bound),
        )


def _u(value: float) -> str:
    if math.isinf(value):
        return "inf"
    if math.isnan(value):
        return "nan"
    return f"{value:.3g}" if value < 1000 else f"{value:.2e}"


def summarise(
    per_case: Iterable[tuple[float, float]], dtype: str, bound: float | None = None
) -> Accuracy | None:
    """Fold (worst, median) scaled errors of each case into a check's figure in units of u (None when empty)."""
    pairs = [(w, m) for w, m in per_case if not (math.isnan(w) or math.isnan(m))]
    if not pairs:
        return None
    unit = UNIT_ROUNDOFF[dtype]
    medians = sorted(m for _, m in pairs)
    mid = len(medians) // 2
    median = medians[mid] if len(medians) % 2 else (medians[mid - 1] + medians[mid]) / 2
    return Accuracy(dtype, max(w for w, _ in pairs) / unit, median / unit, bound)
