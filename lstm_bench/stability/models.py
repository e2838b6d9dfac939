"""The models a stability run trains: a recurrent layer plus a linear readout, described by a picklable spec.

A :class:`ModelSpec` names the recurrent kind, the initialisation (from ``lstm_bench.init``) and,
for an implementation under test, its ``--impl`` spec string (loaded inside the job, so the
spec travels to other processes as plain data). Built-in models use ``torch.nn``'s fused
modules (oneDNN on CPU), the fastest way to train them here.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import torch
from torch import Tensor, nn

from lstm_bench import init as init_lib
from lstm_bench.adapters.protocol import zero_fixed
from lstm_bench.environment import torch_framework
from lstm_bench.init import apply_init
from lstm_bench.kinds import Kind
from lstm_bench.reference.torch_ref import torch_nn_module
from lstm_bench.stability.tasks import Readout, Task

if TYPE_CHECKING:
    from lstm_bench.loader import LoadedImpl

__all__ = [
    "ModelSpec",
    "SequenceModel",
    "build_model",
    "build_recurrent",
    "check_init",
    "counterpart_init",
    "init_options",
    "initialise",
]


@dataclass(frozen=True)
class ModelSpec:
    """What to train: ``kind``, initialisation ``init``, ``hidden`` size, and ``impl`` (a spec) or None."""

    kind: Kind
    init: str = "default"
    hidden: int = 64
    impl: str | None = None  # 'pkg.module:Name'; None means torch.nn's module of ``kind``
    framework: str | None = field(default=None, compare=False)  # what computes an impl: 'keras 3.15.1 (...)'

    def __post_init__(self) -> None:
        check_init(self.init, self.kind)
        if self.hidden < 1:
            raise ValueError(f"hidden must be >= 1, got {self.hidden}")

    @property
    def label(self) -> str:
        """Short human name: 'LSTM (chrono)', 'tanh RNN', 'ReLU RNN (identity)'; an impl's is its spec."""
        if self.impl is not None:
            return self.impl
        base = {Kind.LSTM: "LSTM", Kind.GRU: "GRU", Kind.RNN_TANH: "tanh RNN", Kind.RNN_RELU: "ReLU RNN"}[
            self.kind
        ]
        return base if self.init == "default" else f"{base} ({self.init})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind.value,
            "init": self.init,
            "hidden": self.hidden,
            "impl": self.impl,
            "label": self.label,
            "framework": self.framework or (torch_framework() if self.impl is None else None),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSpec:
        """Inverse of ``to_dict``."""
        return cls(
            Kind(data["kind"]),
            str(data["init"]),
            int(data["hidden"]),
            data.get("impl"),
            data.get("framework"),
        )


def counterpart_init(kind: Kind, lstm_init: str) -> str:
    """How a sweep initialises an ``--impl`` of ``kind`` and the torch.nn model it is compared with:
    the recipe's ``lstm_init`` for the LSTM, identity (IRNN) for the ReLU RNN, default otherwise."""
    return {Kind.LSTM: lstm_init, Kind.RNN_RELU: "identity"}.get(kind, "default")


class SequenceModel(nn.Module):
    """A recurrent layer and a linear readout: y = W_out h_T + b (``last``) or y_t = W_out h_t + b (``every``)."""

    def __init__(self, recurrent: nn.Module, kind: Kind, hidden: int, outputs: int, readout: Readout) -> None:
        super().__init__()
        self.recurrent, self.kind, self.readout_mode = recurrent, kind, readout
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x: Tensor) -> Tensor:
        """x (T, B, I) -> (B, O) for readout 'last', (T, B, O) for 'every'."""
        out, _ = self.recurrent(x)  # (T, B, H)
        result: Tensor = self.head(out if self.readout_mode == "every" else out[-1])
        return result


#: Bias-only initialisations that may follow a weight initialisation after '+' ("xavier+chrono").
BIAS_MODIFIERS: dict[str, Callable[..., nn.Module]] = {
    "chrono": init_lib.chrono,
    "forget-bias": init_lib.forget_bias,
}


def init_options(init: str, steps: int) -> dict[str, float]:
    """Options of an initialisation that depend on the task: chrono's T_max is the sequence length."""
    return {"t_max": float(max(steps, 3))} if init == "chrono" else {}


def check_init(init: str, kind: Kind) -> None:
    """Raise ValueError unless ``init`` is a known name, or 'name+modifier' with a bias modifier."""
    base, *modifiers = init.split("+")
    if base not in init_lib.INITIALISERS:
        raise ValueError(
            f"unknown initialisation {base!r}; expected one of {', '.join(init_lib.INITIALISERS)}"
        )
    if (base in init_lib.LSTM_ONLY or modifiers) and kind is not Kind.LSTM:
        raise ValueError(f"initialisation {init!r} applies to the LSTM only, not {kind.value}")
    for name in modifiers:
        if name not in BIAS_MODIFIERS:
            raise ValueError(f"{init!r}: only {', '.join(BIAS_MODIFIERS)} may follow '+', not {name!r}")


def initialise(module: nn.Module, init: str, kind: Kind, seed: int, steps: int) -> nn.Module:
    """Apply ``init`` (an ``lstm_bench.init`` name, optionally '+' bias modifiers) seeded by ``seed``.

    "xavier+chrono" is Xavier weights with chrono's forget/input biases (T_max = ``steps``).
    """
    check_init(init, kind)
    base, *modifiers = init.split("+")
    apply_init(module, base, kind, seed=seed, **init_options(base, steps))
    generator = torch.Generator().manual_seed(seed + 7919)  # a stream apart from the base init's
    for name in modifiers:
        BIAS_MODIFIERS[name](module, generator, **init_options(name, steps))
    return zero_fixed(module)  # entries an adapted layer holds at 0 (Flax GRUCell's b_hn) stay 0


@functools.lru_cache(maxsize=16)
def loaded_impl(spec: str, kind: Kind) -> LoadedImpl:
    """``--impl`` ``spec`` loaded once per process: every job of a sweep run here (or on one worker) shares it."""
    from lstm_bench.loader import load_impl

    return load_impl(spec, kind)


def build_recurrent(
    spec: ModelSpec, input_size: int, steps: int, seed: int, dtype: torch.dtype = torch.float32
) -> nn.Module:
    """The recurrent layer of ``spec``, initialised by ``spec.init`` from a generator seeded by ``seed``."""
    if spec.impl is not None:
        module = loaded_impl(spec.impl, spec.kind).make(input_size, spec.hidden, dtype=dtype)
    else:
        module = torch_nn_module(spec.kind, input_size, spec.hidden).to(dtype)
    return initialise(module, spec.init, spec.kind, seed, steps)


def build_model(spec: ModelSpec, task: Task, seed: int, dtype: torch.dtype = torch.float32) -> SequenceModel:
    """A freshly initialised :class:`SequenceModel` for ``task``; deterministic for ``seed``.

    The readout is U(-1/sqrt(H), 1/sqrt(H)) like torch.nn.Linear, but from a seeded generator,
    so building never touches torch's global random state.
    """
    recurrent = build_recurrent(spec, task.input_size, task.steps, seed, dtype)
    model = SequenceModel(recurrent, spec.kind, spec.hidden, task.output_size, task.readout).to(dtype)
    gen = torch.Generator().manual_seed(seed + 1)
    bound = 1.0 / math.sqrt(spec.hidden)
    with torch.no_grad():
        for p in model.head.parameters():
            p.copy_((torch.rand(p.shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound)
    return model
