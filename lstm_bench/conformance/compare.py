"""Entry-by-entry comparison of two tensors against a tolerance, reporting the worst entry."""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor

from lstm_bench.conformance.accuracy import floor_of, scaled_errors, worst_and_median
from lstm_bench.conformance.result import TensorError
from lstm_bench.conformance.tolerances import Tolerance

#: Relative errors divide by max(|expected|, REL_FLOOR) so zeros do not divide by zero.
REL_FLOOR = 1e-12


def unravel(flat: int, shape: tuple[int, ...] | torch.Size) -> tuple[int, ...]:
    """The index of entry ``flat`` of a C-contiguous tensor of ``shape`` (torch.unravel_index without
    its first-call cost: it imports sympy, over a second)."""
    index = []
    for size in reversed(tuple(shape)):
        flat, rest = divmod(flat, size)
        index.append(rest)
    return tuple(reversed(index))


def entry_name(name: str, index: tuple[int, ...]) -> str:
    """'output[3, 0, 2]'."""
    return f"{name}[{', '.join(str(i) for i in index)}]"


def compare(
    name: str,
    got: Tensor,
    expected: Tensor,
    tol: Tolerance,
    locate: Callable[[tuple[int, ...]], str] | None = None,
    scale_floor: float | None = None,
) -> TensorError:
    """Compare ``got`` with ``expected`` (same shape) entry by entry: |got - expected| <= atol + rtol·|expected|.

    A non-finite entry of ``got`` where ``expected`` is finite counts as an infinite error. The
    worst entry is the one that exceeds its allowance by the largest factor; ``locate`` names it
    (default ``name[i, j, ...]``). The report also carries the accuracy figure (``accuracy``) on the
    scale max(max|expected|, ``scale_floor``) (default floor: the smallest normal of got's dtype).
    """
    if tuple(got.shape) != tuple(expected.shape):
        raise ValueError(f"{name}: shapes differ, {tuple(got.shape)} vs {tuple(expected.shape)}")
    locate = locate or (lambda index: entry_name(name, index))
    if got.numel() == 0:
        return TensorError(name, 0.0, 0.0, f"{name} (empty)", 0.0, 0.0, True)
    a = got.detach().to(device="cpu", dtype=torch.float64)
    b = expected.detach().to(device="cpu", dtype=torch.float64)
    diff = (a - b).abs()
    same_nonfinite = ~torch.isfinite(a) & (a == b)  # inf == inf: both agree
    diff = torch.where(same_nonfinite, torch.zeros_like(diff), diff)
    diff = torch.where(torch.isnan(diff), torch.full_like(diff, math.inf), diff)
    allowance = tol.atol + tol.rtol * b.abs()
    ratio = torch.where(allowance > 0, diff / allowance.clamp_min(1e-300), diff * math.inf)
    ratio = torch.where(diff == 0, torch.zeros_like(ratio), ratio)
    flat = int(torch.argmax(torch.where(torch.isnan(ratio), torch.full_like(ratio, math.inf), ratio)))
    index = unravel(flat, a.shape)
    rel = diff / b.abs().clamp_min(REL_FLOOR)
    floor = floor_of(got) if scale_floor is None else scale_floor
    scaled_worst, scaled_median = worst_and_median(scaled_errors(a, b, floor))
    return TensorError(
        tensor=name,
        max_abs=float(diff.max()),
        max_rel=float(rel.max()),
        where=locate(index),
        got=float(a.reshape(-1)[flat]),
        expected=float(b.reshape(-1)[flat]),
        passed=bool(((diff <= allowance) | (diff == 0)).all()),
        scaled_worst=scaled_worst,
        scaled_median=scaled_median,
    )


def compare_all(
    got: dict[str, Tensor], expected: dict[str, Tensor], tol: Tolerance, prefix: str = ""
) -> list[TensorError]:
    """``compare`` every tensor of ``expected`` with the one of the same name in ``got``."""
    return [compare(prefix + name, got[name], value, tol) for name, value in expected.items()]


def nonfinite(name: str, value: Tensor) -> TensorError | None:
    """A failing report on the first NaN or infinite entry of ``value``, or None when all are finite."""
    bad = ~torch.isfinite(value.detach())
    if not bool(bad.any()):
        return None
    flat = int(torch.nonzero(bad.reshape(-1))[0])
    index = unravel(flat, value.shape)
    got = float(value.detach().reshape(-1)[flat])
    return TensorError(name, math.inf, math.inf, entry_name(name, index), got, math.nan, False)


def bound_report(
    name: str, values: Tensor, low: Tensor | float, high: Tensor | float, tol: Tolerance
) -> TensorError:
    """Check low <= values <= high entry by entry (bounds broadcast), with ``tol`` as rounding slack.

    The error of an entry is how far it lies outside [low, high]; the report's ``expected`` is
    the violated bound. NaN counts as infinitely far outside.
    """
    v = values.detach().to(device="cpu", dtype=torch.float64)
    lo = torch.as_tensor(low, dtype=torch.float64).expand_as(v)
    hi = torch.as_tensor(high, dtype=torch.float64).expand_as(v)
    nearest = torch.minimum(torch.maximum(v, lo), hi)
    nearest = torch.where(torch.isnan(v), lo, nearest)
    return compare(name, v, nearest, tol)
