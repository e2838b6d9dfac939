"""Result objects of the conformance checks: plain data with ``to_dict`` / ``from_dict``.

``TensorError``: how far one tensor is from what it should be (worst entry, where).
``Outcome``: what one check found on one case (one set of sizes and seeds).
``CheckResult``: one named check over all its cases: status, worst error vs tolerance, time,
and for a failure the minimal counterexample with a snippet that replays it.
``ConformanceReport``: every check of one implementation; its ``to_dict`` is one entry of the
results document's ``"conformance"`` section. Added without a schema bump (readers default them):
check ``status`` may be ``"unsupported"``; a check has ``notes`` and ``features`` (the optional
features its cases used); ``counts`` has ``"unsupported"`` when any check was; the report has
``capabilities`` ({feature: {supported, source, reason}}), ``layout`` (the module's own
defaults) and ``preconditions`` ({call: '' or 'raised X: ...'}).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from lstm_bench.conformance.accuracy import Accuracy
from lstm_bench.conformance.tolerances import Tolerance

#: pass / fail; skip: the check does not apply (an RNN has no gates); unsupported: the check
#: needs an optional feature the implementation does not support (never a failure, unless --strict).
Status = Literal["pass", "fail", "skip", "unsupported"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "skip", "unsupported")


def _float(value: Any) -> float:
    """Read a float written by ``strict_json`` ('Infinity' and 'NaN' are strings there)."""
    return float(value)


@dataclass(frozen=True)
class TensorError:
    """The worst disagreement in one tensor: max |got - expected|, max relative error, and where.

    ``where`` names the worst entry in the user's vocabulary, e.g. ``output[3, 0, 2]`` or
    ``d h_n[0, 1] / d weight_hh_l0[5, 2]``; ``got`` and ``expected`` are its two values.
    """

    tensor: str
    max_abs: float
    max_rel: float
    where: str
    got: float
    expected: float
    passed: bool
    # e = |got - ref| / (|ref| + max|ref|) over the tensor's entries (see ``accuracy``): worst, median
    scaled_worst: float = math.nan
    scaled_median: float = math.nan

    def describe(self) -> str:
        """One line: name, errors and the worst entry."""
        if math.isnan(self.expected):
            return f"{self.tensor}: non-finite value {self.got} at {self.where} (expected a finite value)"
        return (
            f"{self.tensor}: max abs {self.max_abs:.2e}, max rel {self.max_rel:.2e} at {self.where} "
            f"(got {self.got:.6g}, expected {self.expected:.6g})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "tensor": self.tensor,
            "max_abs": self.max_abs,
            "max_rel": self.max_rel,
            "where": self.where,
            "got": self.got,
            "expected": self.expected,
            "passed": self.passed,
            **(
                {"scaled_worst": self.scaled_worst, "scaled_median": self.scaled_median}
                if not math.isnan(self.scaled_worst)
                else {}
            ),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TensorError:
        return cls(
            tensor=str(data["tensor"]),
            max_abs=_float(data["max_abs"]),
            max_rel=_float(data["max_rel"]),
            where=str(data["where"]),
            got=_float(data["got"]),
            expected=_float(data["expected"]),
            passed=bool(data["passed"]),
            scaled_worst=_float(data.get("scaled_worst", math.nan)),
            scaled_median=_float(data.get("scaled_median", math.nan)),
        )


def worse(a: TensorError, b: TensorError) -> TensorError:
    """The worse of two reports on the same tensor: a failure beats a pass, then the larger error."""
    key_a = (not a.passed, _sortable(a.max_abs))
    key_b = (not b.passed, _sortable(b.max_abs))
    return b if key_b > key_a else a


def _sortable(value: float) -> float:
    return math.inf if math.isnan(value) else value


@dataclass(frozen=True)
class Outcome:
    """What one check found on one case.

    ``error`` is the worst absolute error (inf when the implementation raised or produced NaN);
    ``detail`` says in one line what was compared and where it went wrong.
    """

    passed: bool
    error: float
    detail: str
    tensors: tuple[TensorError, ...] = ()
    notes: tuple[str, ...] = ()  # how the comparison was made, where that matters (one-sided differences)

    @classmethod
    def from_tensors(
        cls, tensors: Sequence[TensorError], what: str = "", notes: Sequence[str] = ()
    ) -> Outcome:
        """Pass when every tensor passed; the detail names the worst failing (or worst) tensor."""
        if not tensors:
            return cls(True, 0.0, what or "nothing to compare", notes=tuple(notes))
        failing = [t for t in tensors if not t.passed]
        pool = failing or list(tensors)
        worst = max(pool, key=lambda t: _sortable(t.max_abs))
        error = max(_sortable(t.max_abs) for t in tensors)
        prefix = f"{what}: " if what else ""
        return cls(not failing, error, prefix + worst.describe(), tuple(tensors), tuple(notes))

    @classmethod
    def failure(cls, detail: str, error: float = math.inf) -> Outcome:
        """A failure without tensors to show (an exception, a wrong shape, a non-finite value)."""
        return cls(False, error, detail)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "error": self.error,
            "detail": self.detail,
            "tensors": [t.to_dict() for t in self.tensors],
            **({"notes": list(self.notes)} if self.notes else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(
            passed=bool(data["passed"]),
            error=_float(data["error"]),
            detail=str(data["detail"]),
            tensors=tuple(TensorError.from_dict(t) for t in data.get("tensors", ())),
            notes=tuple(str(n) for n in data.get("notes", ())),
        )


@dataclass(frozen=True)
class Counterexample:
    """The minimal failing case Hypothesis found, what failed on it, and how to replay it."""

    case: dict[str, Any]
    outcome: Outcome
    repro: str

    def to_dict(self) -> dict[str, Any]:
        return {"case": dict(self.case), "outcome": self.outcome.to_dict(), "repro": self.repro}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Counterexample:
        return cls(
            case=dict(data["case"]), outcome=Outcome.from_dict(data["outcome"]), repro=str(data["repro"])
        )


@dataclass(frozen=True)
class CheckResult:
    """One named check over all its cases.

    ``worst_error`` is the largest absolute error seen over every case tried (compare it with
    ``tolerance``); ``tensors`` keeps the worst report per tensor over all cases (the per-tensor
    gradient report); ``reason`` says why a check was skipped or, in one line, why it failed.
    """

    name: str
    status: Status
    seconds: float
    examples: int = 0
    worst_error: float = 0.0
    tolerance: Tolerance | None = None
    reason: str = ""
    tensors: tuple[TensorError, ...] = ()
    counterexample: Counterexample | None = None
    notes: tuple[
        str, ...
    ] = ()  # what qualifies the result: one-sided differences at kinks, the cuDNN deterministic flag, ...
    features: tuple[str, ...] = ()  # the optional features its cases exercised (capabilities.Feature names)
    accuracy: Accuracy | None = None  # worst / median error vs float64 in units of u (``accuracy``)

    @property
    def passed(self) -> bool:
        """True unless the check failed (a skipped or unsupported check did not fail)."""
        return self.status != "fail"

    @property
    def raised(self) -> str:
        """The implementation's exception a failure reports ('IndexError: ...'), or '' for any other result."""
        marker = self.reason.find("raised ")  # search.py words it 'raised Type: message'
        return self.reason[marker + len("raised ") :] if self.status == "fail" and marker >= 0 else ""

    @property
    def headroom(self) -> tuple[float, str] | None:
        """How close to failing it came: (worst error / bound, 'bound' | 'tolerance'), or None.

        The reduced-precision model's bound (both in units of u) where the check has one, else the
        absolute tolerance; None without a finite error or a positive tolerance.
        """
        acc = self.accuracy
        if acc is not None and acc.bound is not None and acc.bound > 0:
            return acc.worst / acc.bound, "bound"
        atol = self.tolerance.atol if self.tolerance is not None else 0.0
        if not atol or not math.isfinite(self.worst_error):
            return None
        return self.worst_error / atol, "tolerance"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "seconds": self.seconds,
            "examples": self.examples,
            "worst_error": self.worst_error,
            "tolerance": None if self.tolerance is None else self.tolerance.to_dict(),
            "reason": self.reason,
            "tensors": [t.to_dict() for t in self.tensors],
            "counterexample": None if self.counterexample is None else self.counterexample.to_dict(),
            "notes": list(self.notes),
            "features": list(self.features),
            **({"accuracy": self.accuracy.to_dict()} if self.accuracy is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CheckResult:
        status = data["status"]
        if status not in STATUSES:
            raise ValueError(f"check status must be one of {STATUSES}, got {status!r}")
        tolerance = data.get("tolerance")
        counterexample = data.get("counterexample")
        accuracy = data.get("accuracy")
        return cls(
            name=str(data["name"]),
            status=status,
            seconds=_float(data["seconds"]),
            examples=int(data["examples"]),
            worst_error=_float(data["worst_error"]),  # required: a missing error must not read as 0
            tolerance=None if tolerance is None else Tolerance.from_dict(tolerance),
            reason=str(data.get("reason", "")),
            tensors=tuple(TensorError.from_dict(t) for t in data.get("tensors", ())),
            counterexample=None if counterexample is None else Counterexample.from_dict(counterexample),
            notes=tuple(str(n) for n in data.get("notes", ())),
            features=tuple(str(f) for f in data.get("features", ())),
            accuracy=None if accuracy is None else Accuracy.from_dict(accuracy),
        )


@dataclass(frozen=True)
class ConformanceReport:
    """Every check run on one implementation, with the settings that make the run reproducible."""

    spec: str
    kind: str
    profile: str
    dtype: str
    device: str
    seed: int
    seconds: float
    results: tuple[CheckResult, ...] = field(default_factory=tuple)
    capabilities: Mapping[str, Any] = field(default_factory=dict)  # Capabilities.to_dict() of the impl
    layout: Mapping[str, Any] = field(default_factory=dict)  # the module's own defaults (batch_first, ...)
    preconditions: Mapping[str, str] = field(default_factory=dict)  # call -> '' or 'raised X: ...' at load
    autocast: str | None = None  # the implementation ran under torch.autocast to this dtype
    framework: str = ""  # what computed it: 'torch 2.13.0', 'keras 3.15.1 (torch backend)', ...
    reference: Mapping[str, Any] = field(default_factory=dict)  # reference.choice.Reference.to_dict()
    adapter_capabilities: Mapping[str, Any] = field(default_factory=dict)  # an adapter's declaration

    @property
    def passed(self) -> bool:
        """True when no check failed (unsupported features do not fail; see ``strict_passed``)."""
        return all(r.passed for r in self.results)

    @property
    def strict_passed(self) -> bool:
        """True when no check failed and none was unsupported (``check --strict``)."""
        return self.passed and self.count("unsupported") == 0

    @property
    def run_name(self) -> str:
        """'spec (kind, dtype, device)': one implementation run (float32 and float64 runs are two)."""
        details = ", ".join(v for v in (self.kind, self.dtype, self.device) if v)
        return self.spec + (f" ({details})" if details else "")

    def count(self, status: Status) -> int:
        """How many checks ended with ``status``."""
        return sum(r.status == status for r in self.results)

    def counts(self) -> dict[str, int]:
        """{'pass': n, 'fail': n, 'skip': n}, plus 'unsupported' when any check was (older readers see no new key)."""
        found: dict[str, int] = {status: self.count(status) for status in STATUSES}
        if not found["unsupported"]:
            del found["unsupported"]
        return found

    def result(self, name: str) -> CheckResult:
        """The result of the check called ``name`` (KeyError when it was not run)."""
        for r in self.results:
            if r.name == name:
                return r
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "kind": self.kind,
            "profile": self.profile,
            "dtype": self.dtype,
            "device": self.device,
            "seed": self.seed,
            "seconds": self.seconds,
            "passed": self.passed,
            "counts": self.counts(),
            "checks": [r.to_dict() for r in self.results],
            "capabilities": dict(self.capabilities),
            "layout": dict(self.layout),
            "preconditions": dict(self.preconditions),
            **({"autocast": self.autocast} if self.autocast else {}),
            **({"framework": self.framework} if self.framework else {}),
            **({"reference": dict(self.reference)} if self.reference else {}),
            **(
                {"adapter_capabilities": dict(self.adapter_capabilities)} if self.adapter_capabilities else {}
            ),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ConformanceReport:
        return cls(
            spec=str(data["spec"]),
            kind=str(data["kind"]),
            profile=str(data["profile"]),
            dtype=str(data["dtype"]),
            device=str(data["device"]),
            seed=int(data["seed"]),
            seconds=_float(data["seconds"]),
            results=tuple(
                CheckResult.from_dict(r) for r in data["checks"]
            ),  # required: none is not "all passed"
            capabilities=dict(data.get("capabilities", {})),
            layout=dict(data.get("layout", {})),
            preconditions={str(k): str(v) for k, v in data.get("preconditions", {}).items()},
            autocast=None if data.get("autocast") is None else str(data["autocast"]),
            framework=str(data.get("framework", "")),
            reference=dict(data.get("reference", {})),
            adapter_capabilities=dict(data.get("adapter_capabilities", {})),
        )
