"""Cases (sizes + a seed) that Hypothesis draws and shrinks, and the tensors a case stands for.

A ``Case`` is small and printable: the sizes T, B, I, H, a seed and a few check-specific
options (an input scale, a split point, ...). Every tensor a check uses is drawn from a
``torch.Generator`` seeded by the case, in float64 on the CPU, then cast to the dtype and
device under test, so a case printed in a report reproduces the same numbers anywhere.

Calls go through ``call``, which checks the torch.nn return structure and shapes and raises
``ContractError`` with one line when they are wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from torch import Tensor, nn

from lstm_bench.adapters.protocol import fixed_zeros as fixed_zeros  # re-exported for the checks
from lstm_bench.adapters.protocol import zero_fixed as zero_fixed
from lstm_bench.kinds import Kind
from lstm_bench.loader import PARAMETER_NAMES, LoadedImpl

Range = tuple[int, int]


class ContractError(RuntimeError):
    """The implementation returned the wrong structure or shapes for valid inputs."""


@dataclass(frozen=True)
class Case:
    """One example: sizes, a seed for every random tensor, and check-specific ``options``."""

    steps: int
    batch: int
    input_size: int
    hidden_size: int
    seed: int
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, name: str, default: Any = None) -> Any:
        """The check-specific option ``name`` (``default`` when the case has none)."""
        return self.options.get(name, default)

    def describe(self) -> str:
        """'T=3 B=1 I=2 H=4 seed=17 scale=10000.0'."""
        extra = "".join(f" {k}={v}" for k, v in sorted(self.options.items()))
        return (
            f"T={self.steps} B={self.batch} I={self.input_size} H={self.hidden_size} seed={self.seed}{extra}"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "steps": self.steps,
            "batch": self.batch,
            "input_size": self.input_size,
            "hidden_size": self.hidden_size,
            "seed": self.seed,
            **({"options": dict(self.options)} if self.options else {}),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Case:
        sizes = {k: int(data[k]) for k in ("steps", "batch", "input_size", "hidden_size", "seed")}
        return cls(**sizes, options=dict(data.get("options", {})))


def _validate(name: str, bounds: Range, minimum: int) -> None:
    low, high = bounds
    if not (minimum <= low <= high):
        raise InvalidArgument(f"{name}={bounds} must satisfy {minimum} <= low <= high")


def cases(
    steps: Range = (1, 40),
    batch: Range = (1, 6),
    inputs: Range = (1, 8),
    hidden: Range = (1, 12),
    **options: st.SearchStrategy[Any],
) -> st.SearchStrategy[Case]:
    """Cases with sizes in the given inclusive ranges; ``options`` maps names to strategies.

    Hypothesis shrinks towards the lower bounds and seed 0, so a failure is reported at the
    smallest sizes that still fail.
    """
    for name, bounds in (("steps", steps), ("batch", batch), ("inputs", inputs), ("hidden", hidden)):
        _validate(name, bounds, 1)
    drawn_options = st.fixed_dictionaries(options) if options else st.just({})
    return st.builds(
        Case,
        steps=st.integers(*steps),
        batch=st.integers(*batch),
        input_size=st.integers(*inputs),
        hidden_size=st.integers(*hidden),
        seed=st.integers(0, 2**31 - 1),
        options=drawn_options,
    )


# ---------------------------------------------------------------------------------------------------
# Tensors a case stands for
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Inputs:
    """x (T, B, I), h0 (B, H) and, for the LSTM, c0 (B, H): time-major, without the layer axis."""

    x: Tensor
    h0: Tensor
    c0: Tensor | None

    def hx(self) -> Tensor | tuple[Tensor, Tensor]:
        """The torch.nn form of the initial state: h0 or (h0, c0), each (1, B, H)."""
        h0 = self.h0.unsqueeze(0)  # (1, B, H)
        return h0 if self.c0 is None else (h0, self.c0.unsqueeze(0))

    def tensors(self) -> dict[str, Tensor]:
        """{'x': x, 'h0': h0, 'c0': c0} (c0 only for the LSTM)."""
        found = {"x": self.x, "h0": self.h0}
        if self.c0 is not None:
            found["c0"] = self.c0
        return found


def generator(case: Case, stream: int = 0) -> torch.Generator:
    """A CPU generator seeded by the case's seed and a stream number (0 inputs, 1 weights, ...)."""
    return torch.Generator().manual_seed(case.seed * 7919 + stream)


def draw_inputs(
    case: Case,
    kind: Kind,
    dtype: torch.dtype,
    device: str,
    scale: float = 1.0,
    state_scale: float = 1.0,
    stream: int = 0,
) -> Inputs:
    """x ~ N(0, scale²), h0 and c0 ~ U(-state_scale, state_scale), drawn in float64 then cast."""
    gen = generator(case, stream)
    shape_x = (case.steps, case.batch, case.input_size)
    shape_h = (case.batch, case.hidden_size)
    x = torch.randn(shape_x, generator=gen, dtype=torch.float64) * scale
    h0 = (torch.rand(shape_h, generator=gen, dtype=torch.float64) * 2 - 1) * state_scale
    c0 = (
        (torch.rand(shape_h, generator=gen, dtype=torch.float64) * 2 - 1) * state_scale
        if kind.has_cell
        else None
    )
    return Inputs(
        x.to(device=device, dtype=dtype),
        h0.to(device=device, dtype=dtype),
        None if c0 is None else c0.to(device=device, dtype=dtype),
    )


def set_weights(module: nn.Module, case: Case, scale: float = 1.0, stream: int = 1) -> nn.Module:
    """Overwrite the four torch.nn parameters with U(-scale/√H, scale/√H) draws seeded by the case
    (entries the module holds at zero stay zero: ``zero_fixed``)."""
    gen = generator(case, stream)
    bound = scale / math.sqrt(case.hidden_size)
    with torch.no_grad():
        for name in PARAMETER_NAMES:
            param = getattr(module, name)
            values = (torch.rand(param.shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound
            param.copy_(values.to(dtype=param.dtype, device=param.device))
    return zero_fixed(module)


def free_part(module: nn.Module, name: str, tensor: Tensor) -> Tensor:
    """``tensor`` (shaped like parameter ``name``: a direction or a gradient) with the module's
    fixed-zero entries set to 0: they are not the layer's parameters, so nothing moves them and
    no gradient is expected for them."""
    mask = fixed_zeros(module).get(name.removeprefix("d/d "))
    return tensor if mask is None else tensor.masked_fill(mask.to(tensor.device), 0.0)


def build(
    impl: LoadedImpl, case: Case, dtype: torch.dtype, device: str, weight_scale: float = 1.0
) -> nn.Module:
    """A fresh instance of ``impl`` at the case's sizes, with the case's weights."""
    module = impl.make(case.input_size, case.hidden_size, dtype=dtype, device=device)
    return set_weights(module, case, weight_scale)


def parameters(module: nn.Module) -> dict[str, Tensor]:
    """The four torch.nn parameters by name."""
    return {name: getattr(module, name) for name in PARAMETER_NAMES}


# ---------------------------------------------------------------------------------------------------
# Calling an implementation
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outputs:
    """What one forward returned, time-major, without the layer axis: output (T, B, H), h_n, c_n (B, H)."""

    output: Tensor
    h_n: Tensor
    c_n: Tensor | None

    def tensors(self) -> dict[str, Tensor]:
        """{'output': ..., 'h_n': ..., 'c_n': ...} (c_n only for the LSTM)."""
        found = {"output": self.output, "h_n": self.h_n}
        if self.c_n is not None:
            found["c_n"] = self.c_n
        return found

    def flat(self) -> Tensor:
        """Per-sample outputs side by side: (B, T·H + H [+ H]), time-major within a sample."""
        batch = self.output.shape[1]
        parts = [self.output.transpose(0, 1).reshape(batch, -1), self.h_n]  # (B, T*H), (B, H)
        if self.c_n is not None:
            parts.append(self.c_n)
        return torch.cat(parts, dim=1)


def _shape(t: Any) -> str:
    return str(tuple(t.shape)) if isinstance(t, Tensor) else type(t).__name__


def call(
    module: nn.Module,
    kind: Kind,
    x: Tensor,
    hx: Tensor | tuple[Tensor, Tensor] | None = None,
    layout: str = "time",
) -> Outputs:
    """Call ``module(x, hx)`` and return its outputs time-major (T, B, H) with states (B, H).

    ``layout`` says how x is laid out: 'time' (T, B, I), 'batch' (B, T, I; the module was built
    with batch_first=True) or 'unbatched' (T, I). Raises ContractError on a wrong structure or shape.
    """
    if layout == "time":
        steps, batch = x.shape[0], x.shape[1]
    elif layout == "batch":
        batch, steps = x.shape[0], x.shape[1]
    else:
        steps, batch = x.shape[0], 1
    hidden = int(module.weight_hh_l0.shape[1])  # type: ignore[union-attr, index]
    result = module(x, hx) if hx is not None else module(x)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise ContractError(f"forward returned {type(result).__name__}, not (output, state)")
    output, state = result
    states = state if kind.has_cell and isinstance(state, tuple) else (state,)
    out_shape = {
        "time": (steps, batch, hidden),
        "batch": (batch, steps, hidden),
        "unbatched": (steps, hidden),
    }[layout]
    state_shape = (1, hidden) if layout == "unbatched" else (1, batch, hidden)
    ok = (
        isinstance(output, Tensor)
        and tuple(output.shape) == out_shape
        and len(states) == (2 if kind.has_cell else 1)
        and all(isinstance(s, Tensor) and tuple(s.shape) == state_shape for s in states)
    )
    if not ok:
        got = ", ".join(_shape(t) for t in (output, *states))
        want = ", ".join(str(s) for s in (out_shape, *([state_shape] * (2 if kind.has_cell else 1))))
        raise ContractError(f"forward returned shapes [{got}] for input {tuple(x.shape)}; expected [{want}]")
    if layout == "batch":
        output = output.transpose(0, 1)  # (B, T, H) -> (T, B, H)
    elif layout == "unbatched":
        output = output.unsqueeze(1)  # (T, H) -> (T, 1, H)
    h_n = states[0].reshape(batch, hidden)
    c_n = states[1].reshape(batch, hidden) if kind.has_cell else None
    return Outputs(output, h_n, c_n)


def call_inputs(module: nn.Module, kind: Kind, inputs: Inputs, with_state: bool = True) -> Outputs:
    """``call`` with the case's inputs, time-major, passing the initial state unless ``with_state`` is False."""
    return call(module, kind, inputs.x, inputs.hx() if with_state else None)


def outputs_and_gradients(
    module: nn.Module, kind: Kind, inputs: Inputs, case: Case
) -> tuple[Outputs, dict[str, Tensor]]:
    """Outputs and ∂L/∂(x, h0, c0, parameters) for L = Σ v ⊙ (output, h_n, c_n) with v drawn from the case."""
    leaves = {name: t.detach().clone().requires_grad_(True) for name, t in inputs.tensors().items()}
    hx = (
        leaves["h0"].unsqueeze(0)
        if "c0" not in leaves
        else (leaves["h0"].unsqueeze(0), leaves["c0"].unsqueeze(0))
    )
    out = call(module, kind, leaves["x"], hx)
    gen = generator(case, 3)
    loss = torch.stack(
        [
            (t * torch.randn(t.shape, generator=gen, dtype=torch.float64).to(t)).sum()
            for t in out.tensors().values()
        ]
    ).sum()
    wrt = {**leaves, **parameters(module)}
    grads = torch.autograd.grad(loss, list(wrt.values()), allow_unused=True)
    found = {
        f"d/d {n}": torch.zeros_like(t) if g is None else g
        for (n, t), g in zip(wrt.items(), grads, strict=True)
    }
    return Outputs(
        out.output.detach(), out.h_n.detach(), None if out.c_n is None else out.c_n.detach()
    ), found
