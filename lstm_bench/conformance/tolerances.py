"""Every tolerance the conformance checks use, per dtype, with the reason for its value.

A value ``got`` passes against ``expected`` when ``|got - expected| <= atol + rtol * |expected|``
entry by entry (the convention of ``torch.allclose``). Unit roundoff: u = 2^-53 ≈ 1.1e-16 in
float64, 2^-24 ≈ 6.0e-8 in float32. The sizes the checks draw are small (T <= 64, H <= 32), the
weights are torch.nn's default U(-1/√H, 1/√H) unless a check says otherwise, so the recurrences
contract and rounding errors grow roughly linearly in T, not exponentially.

Nothing here imports torch: dtypes are named by string ("float64", "float32").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DTYPES = ("float64", "float32")


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

    def describe(self) -> str:
        """'exact', '1e-10' or '1e-10 + 1e-08·|ref|' (or the label, when set)."""
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

#: Central-difference step per dtype (see the finite-difference tolerances for why).
FD_STEP = {"float64": 1e-6, "float32": 1e-2}


def tolerance(topic: str, dtype: str) -> Tolerance:
    """The tolerance for ``topic`` ('equivalence', 'gradient-equivalence', 'finite-difference',
    'bound', 'saturation', 'exact', 'finite') in ``dtype`` ('float64' or 'float32')."""
    if topic == "exact":
        return EXACT
    if topic == "finite":
        return FINITE
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
