"""Every tolerance the conformance checks use, per dtype, with the reason for its value.

A value ``got`` passes against ``expected`` when ``|got - expected| <= atol + rtol * |expected|``
entry by entry (the convention of ``torch.allclose``). Unit roundoff: u = 2^-53 ≈ 1.1e-16 in
float64, 2^-24 ≈ 6.0e-8 in float32. The sizes the checks draw are small (T <= 64, H <= 32), the
weights are torch.nn's default U(-1/√H, 1/√H) unless a check says otherwise, so the recurrences
contract and rounding errors grow roughly linearly in T, not exponentially.

Reduced precision (bfloat16, float16, and float32 under ``torch.autocast``) uses a model instead
of fixed numbers, because the error there is hundreds of times the float32 one and grows with the
sequence: the relative error of an entry, e = |got - ref| / (|ref| + s) against the float64
reference on the same (already rounded) weights and inputs, is modelled as e <= SAFETY · max(c · √T, f) · u,
with c (growth per √step) and f (the floor: one step's error, set by the conditioning of single
operations, e.g. tanh' = 1 - h² computed from a rounded h near saturation) calibrated on torch.nn's own CPU kernels (``benchmarks/precision_calibration.py``
prints the table). The scale s is max|ref| over the whole reference tensor (at least 1 for forward
values, see FORWARD_SCALE), so an entry near zero, or a gradient that vanished many steps back, is
judged on the tensor's scale. A second criterion bounds the median e of a tensor (MEDIAN_CALIBRATED):
systematic errors (truncation instead of rounding) show there first. With fp32 accumulation inside the
kernels the error hardly depends on I and H (measured: g(sizes) ≈ 1), so the model has no size term.

Nothing here imports torch: dtypes are named by string ("float64", "float32").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DTYPES = ("float64", "float32", "bfloat16", "float16")
#: Dtypes judged by the √T model rather than the fixed table.
REDUCED = ("bfloat16", "float16")

#: Unit roundoff u = 2^-p (p = significand bits, round to nearest).
UNIT_ROUNDOFF = {"float64": 2.0**-53, "float32": 2.0**-24, "bfloat16": 2.0**-8, "float16": 2.0**-11}
UNIT_NAMES = {"float64": "2^-53", "float32": "2^-24", "bfloat16": "2^-8", "float16": "2^-11"}


@dataclass(frozen=True)
class Tolerance:
    """``|got - expected| <= atol + rtol * |expected|``, and why these numbers."""

    atol: float
    rtol: float
    why: str
    label: str = ""  # shown instead of the numbers when set (e.g. "finite")

    def allows(self, error: float, expected_magnitude: float = 0.0) -> bool:
        """True when an absolute ``error`` next to ``|expected| = expected_magnitude`` is acceptable."""
        return error <= self.atol + self.rtol * expected_magnitude

    @property
    def at_unit_reference(self) -> float:
        """The bound as one number: atol + rtol, the allowed error where |reference| = 1."""
        return self.atol + self.rtol

    def describe(self) -> str:
        """'exact', '1e-10' or '1e-10 + 1e-08·|ref|' (or the label, when set): the text every reader shows."""
        if self.label:
            return self.label
        if self.atol == 0 and self.rtol == 0:
            return "exact"
        if self.rtol == 0:
            return f"{self.atol:.0e}"
        return f"{self.atol:.0e} + {self.rtol:.0e}·|ref|"

    def to_dict(self) -> dict[str, Any]:
        return {
            "atol": self.atol,
            "rtol": self.rtol,
            "why": self.why,
            **({"label": self.label} if self.label else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Tolerance:
        return cls(
            atol=float(data["atol"]),
            rtol=float(data["rtol"]),
            why=str(data.get("why", "")),
            label=str(data.get("label", "")),
        )


EXACT = Tolerance(
    0.0,
    0.0,
    "the same computation on the same inputs must give the same bits: determinism, statelessness, "
    "and inputs left untouched (exact on CPU; a kernel with nondeterministic reductions fails)",
)

FINITE = Tolerance(
    0.0,
    0.0,
    "a correct LSTM, GRU or RNN keeps every output and gradient finite at |x| <= 1e4 (σ and tanh "
    "saturate instead of overflowing; the ReLU RNN's weights are not scaled up, so it cannot overflow)",
    label="finite",
)

_TABLE: dict[tuple[str, str], Tolerance] = {
    # Forward values against the float64 NumPy reference with the same weights.
    ("equivalence", "float64"): Tolerance(
        1e-10,
        1e-10,
        "float64 forward vs the float64 reference: each step adds O(u·(I+H)) ≈ 1e-15 and a "
        "contracting recurrence keeps the sum below ~1e-13 for T <= 64; 1e-10 leaves 1000x margin "
        "yet catches float32 arithmetic hidden inside (errors ~1e-7)",
    ),
    ("equivalence", "float32"): Tolerance(
        2e-5,
        2e-5,
        "float32 forward vs the float64 reference on the same (float32-rounded) weights and inputs: "
        "u ≈ 6e-8 per operation, ~I+H terms per dot product and up to 64 steps give ~1e-6 measured; "
        "2e-5 leaves 10x margin and still catches a wrong gate (errors ~1e-1)",
    ),
    # Gradients of the implementation's own backward against the reference's hand-written BPTT.
    ("gradient-equivalence", "float64"): Tolerance(
        1e-9,
        1e-9,
        "float64 backward vs the reference's hand-written BPTT: gradients sum T·B terms of size "
        "~1, each exact to ~1e-15, so 1e-9 is loose for correct code but tight enough to catch a "
        "backward pass run in float32 (errors ~1e-7)",
    ),
    ("gradient-equivalence", "float32"): Tolerance(
        1e-4,
        1e-4,
        "float32 backward vs float64 BPTT: sums of T·B terms with u ≈ 6e-8 reach ~1e-5 at T = 32",
    ),
    # Central finite differences (f(θ+ε) - f(θ-ε)) / 2ε against the implementation's backward.
    ("finite-difference", "float64"): Tolerance(
        1e-7,
        1e-6,
        "central differences with ε = 1e-6 in float64: truncation error ε²·|f'''|/6 ≈ 1e-13 and "
        "rounding error u·|f|/ε ≈ 1e-10, so 1e-7 has 1000x margin; this is 100x tighter than "
        "torch.autograd.gradcheck's defaults (atol 1e-5, rtol 1e-3)",
    ),
    ("finite-difference", "float32"): Tolerance(
        2e-2,
        2e-2,
        "central differences in float32 with ε = 1e-2 (≈ u^(1/3), the step that balances "
        "truncation ε² against rounding u/ε): each error term is ~1e-4 to 1e-3 at our sizes, so "
        "only gross backward bugs (a missing term, a wrong derivative) are visible; run float64 "
        "whenever the implementation can",
    ),
    # Mathematical bounds (gates in [0, 1], |h| <= 1, |C_t| <= |C_0| + t): slack for rounding only.
    ("bound", "float64"): Tolerance(
        1e-14, 1e-14, "sigmoid, tanh and convex combinations can overshoot a bound by a few ulps"
    ),
    ("bound", "float32"): Tolerance(1e-6, 1e-6, "a few float32 ulps of overshoot at a bound"),
    # Saturated gates: forget = 1, input = 0 keeps C exactly; forget = 0 erases it.
    ("saturation", "float64"): Tolerance(
        1e-12,
        1e-12,
        "with gate biases of ±100, σ rounds to exactly 0 or 1, so the cell should be kept to the "
        "bit; the slack allows an implementation that computes f·C + i·C~ in another order",
    ),
    ("saturation", "float32"): Tolerance(1e-5, 1e-5, "the float32 analogue of the float64 slack"),
}

# (c, f) in e <= SAFETY · max(c · √T, f) · u: c is the largest worst-entry error / (u · √T) of
# torch.nn's CPU kernels (LSTM, GRU, tanh and ReLU RNN; no ReLU for gradients) over T in
# {1, 2, 4, 8, 32, 64} x I = H in {1, 8, 32} x B in {1, 4} x 3 seeds, c over T >= 8, f over T < 8;
# produced by `python benchmarks/precision_calibration.py` (torch 2.13.0+cpu, 2026-12-01; errors,
# not times, so the machine's load does not matter). "gradient-equivalence" is torch.nn's backward
# against the float64 hand-written BPTT of the reference, every gradient on the scale of the
# loss's largest gradient (equivalence.backward_against_reference).
CALIBRATED: dict[tuple[str, str], tuple[float, float]] = {
    ("equivalence", "bfloat16"): (0.7, 1.8),
    ("equivalence", "float16"): (0.7, 1.8),
    ("gradient-equivalence", "bfloat16"): (2.5, 17.0),
    ("gradient-equivalence", "float16"): (1.0, 7.1),
    # gradients.long_horizon (forget/update bias 4, orthogonal W_hh, v on the last step only): the
    # gradient is a product of T Jacobians of near-saturated gates, each carrying tanh' = 1 - h²
    # from a rounded h; calibrated on its own.
    ("long-horizon", "bfloat16"): (2.2, 6.4),
    ("long-horizon", "float16"): (4.5, 6.2),
}
# Median of e over a tensor (MEDIAN_MIN_ENTRIES entries or more) in units of u: torch.nn's largest
# measured over the same grid, times SAFETY_MEDIAN. A kernel that truncates instead of rounding, or
# keeps a state in fewer bits, stays under the worst-entry bound but lifts every entry's error.
MEDIAN_CALIBRATED: dict[tuple[str, str], float] = {
    ("equivalence", "bfloat16"): 0.44,
    ("equivalence", "float16"): 0.44,
}
SAFETY_MEDIAN = 2.5
MEDIAN_MIN_ENTRIES = 16
#: Forward values (h, C) are judged on at least the unit scale: hidden states live in [-1, 1] and
#: the inputs are O(1), so a value that cancels to near zero is not held to its own tiny magnitude.
FORWARD_SCALE = 1.0


def median_bound(topic: str, dtype: str) -> float | None:
    """The bound on a tensor's median e in units of u (None: no median criterion for the topic)."""
    value = MEDIAN_CALIBRATED.get((topic, dtype))
    return None if value is None else SAFETY_MEDIAN * value


#: Margin over the worst calibrated error: torch.nn's worst entry sits at 1/SAFETY of the bound.
SAFETY = 4.0
#: Mathematical bounds in reduced precision: a rounding or two, not √T growth. (Saturated gates
#: use the forward model: a kernel computing h + z·(h' - h) rounds the kept state every step.)
REDUCED_FIXED_U = {"bound": 2.0}
#: Topics that share another topic's calibrated constants in reduced precision.
_SAME_MODEL = {"finite-difference": "gradient-equivalence", "saturation": "equivalence"}


def _calibrated(topic: str, dtype: str) -> tuple[float, float]:
    key = _SAME_MODEL.get(topic, topic)
    try:
        return CALIBRATED[(key, dtype)]
    except KeyError:
        raise ValueError(f"no reduced-precision model for {topic!r} in {dtype!r}") from None


def model_floor(topic: str, dtype: str) -> float:
    """SAFETY · f: the bound in units of u for short sequences."""
    return SAFETY * _calibrated(topic, dtype)[1]


def model_coefficient(topic: str, dtype: str) -> float:
    """k = SAFETY · c of ``topic`` in a reduced ``dtype``: the bound grows as k · u · √T (see above).

    Finite differences are meaningless in 8 or 11 bits, so 'finite-difference' maps to the
    gradient model (the checks compare with float64 autograd of the reference instead).
    """
    return SAFETY * _calibrated(topic, dtype)[0]


def model_bound(topic: str, dtype: str, steps: int) -> float:
    """The bound on e in units of u for a sequence of ``steps`` steps: max(k · √T, SAFETY · f) (or the fixed few u)."""
    if topic in REDUCED_FIXED_U:
        return REDUCED_FIXED_U[topic]
    return max(model_coefficient(topic, dtype) * math.sqrt(max(1, steps)), model_floor(topic, dtype))


def scaled_tolerance(topic: str, dtype: str, steps: int, scale: float) -> Tolerance:
    """The model as an allclose tolerance for one tensor: atol = b·u·scale, rtol = b·u (b = model_bound)."""
    bound = model_bound(topic, dtype, steps) * UNIT_ROUNDOFF[dtype]
    return Tolerance(bound * scale, bound, _reduced_why(topic, dtype), label=_reduced_label(topic, dtype))


def _reduced_label(topic: str, dtype: str) -> str:
    if topic in REDUCED_FIXED_U:
        return f"{REDUCED_FIXED_U[topic]:g}u·(|ref|+max)"
    return f"max({model_coefficient(topic, dtype):.3g}·√T, {model_floor(topic, dtype):.3g})·u·(|ref|+max)"


def _reduced_why(topic: str, dtype: str) -> str:
    u = f"u = {UNIT_NAMES[dtype]}"
    if topic in REDUCED_FIXED_U:
        return f"{dtype}: a bound may be overshot by a rounding or two ({u})"
    what = (
        "backward vs float64 autograd of the reference (no finite differences in reduced precision)"
        if topic in ("gradient-equivalence", "finite-difference")
        else "forward vs the float64 reference on the same rounded weights and inputs"
    )
    return (
        f"{dtype} {what}: relative error modelled as max(c·√T, f)·u with c, f calibrated on torch.nn's CPU "
        f"kernels ({u}) and a {SAFETY:g}x safety factor"
    )


def reduced_tolerance(topic: str, dtype: str) -> Tolerance:
    """The reduced-precision model of ``topic`` as a describable tolerance (at T = 1, scale 1; the
    label states the √T growth). 'exact' and 'finite' are the same as in the table."""
    if topic == "exact":
        return EXACT
    if topic == "finite":
        return FINITE
    return scaled_tolerance(topic, dtype, 1, 1.0)


#: Central-difference step per dtype (see the finite-difference tolerances for why).
FD_STEP = {"float64": 1e-6, "float32": 1e-2}


def tolerance(topic: str, dtype: str) -> Tolerance:
    """The tolerance for ``topic`` ('equivalence', 'gradient-equivalence', 'finite-difference',
    'bound', 'saturation', 'exact', 'finite') in ``dtype`` ('float64' or 'float32'; bfloat16 and
    float16 use the √T model: ``reduced_tolerance``, and ``scaled_tolerance`` for one case)."""
    if topic == "exact":
        return EXACT
    if topic == "finite":
        return FINITE
    if dtype in REDUCED:
        raise ValueError(
            f"no tolerance for {topic!r} in {dtype!r} in the fixed table; reduced precision uses the "
            "√T model (reduced_tolerance, scaled_tolerance)"
        )
    try:
        return _TABLE[(topic, dtype)]
    except KeyError:
        raise ValueError(f"no tolerance for {topic!r} in {dtype!r}; dtypes: {', '.join(DTYPES)}") from None


def fd_step(dtype: str) -> float:
    """The central-difference step ε for ``dtype``."""
    try:
        return FD_STEP[dtype]
    except KeyError:
        raise ValueError(f"no finite-difference step for {dtype!r}; dtypes: {', '.join(DTYPES)}") from None
