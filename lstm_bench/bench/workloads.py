"""What one benchmark call does: forward, forward+backward, or single-step latency, on given sizes.

* ``forward``: inference over the whole sequence, ``module(x)`` under ``torch.no_grad``.
* ``forward-backward``: a training step without the optimizer: ``out, _ = module(x)`` then the
  gradients of ``sum(out ⊙ G)`` (G a fixed random (T, B, H) tensor) with respect to x and every
  parameter, by ``torch.autograd.grad`` (nothing accumulates between calls).
* ``latency``: ``forward`` with one step of one sample (T = B = 1): the per-token cost of serving.

Inputs are x ~ N(0, 1) of shape (T, B, I), time-major, from zero initial state, seeded.
NumPy-reference steps do the same with ``numpy_ref.unroll`` and ``numpy_ref.bptt``.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from lstm_bench.bench.flops import FlopCount, workload_flops
from lstm_bench.kinds import Kind

if TYPE_CHECKING:
    from torch import nn

    from lstm_bench.reference.numpy_ref import Params

DTYPES = ("float32", "float64")


class Workload(str, enum.Enum):
    """What a benchmark call runs (see the module docstring)."""

    FORWARD = "forward"
    FORWARD_BACKWARD = "forward-backward"
    LATENCY = "latency"

    @property
    def needs_grad(self) -> bool:
        """True for the training step."""
        return self is Workload.FORWARD_BACKWARD


@dataclass(frozen=True, order=True)
class Case:
    """One benchmark configuration, independent of backend and device."""

    kind: Kind
    workload: Workload
    input_size: int
    hidden_size: int
    batch: int
    steps: int
    dtype: str = "float32"

    def __post_init__(self) -> None:
        if min(self.input_size, self.hidden_size, self.batch, self.steps) < 1:
            raise ValueError(f"sizes must be positive: {self.sizes}")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        if self.workload is Workload.LATENCY and (self.batch, self.steps) != (1, 1):
            raise ValueError("the latency workload is one step of one sample: batch = steps = 1")

    @classmethod
    def latency(cls, kind: Kind, input_size: int, hidden_size: int, dtype: str = "float32") -> Case:
        """A single-step latency case (T = B = 1)."""
        return cls(kind, Workload.LATENCY, input_size, hidden_size, 1, 1, dtype)

    @property
    def sizes(self) -> str:
        """'I=256 H=256 B=32 T=100'."""
        return f"I={self.input_size} H={self.hidden_size} B={self.batch} T={self.steps}"

    @property
    def key(self) -> str:
        """A stable identifier without spaces: 'lstm/forward-backward/float32/I256-H256-B32-T100'."""
        size = f"I{self.input_size}-H{self.hidden_size}-B{self.batch}-T{self.steps}"
        return f"{self.kind.value}/{self.workload.value}/{self.dtype}/{size}"

    @property
    def flops(self) -> FlopCount:
        """FLOPs of one call (``lstm_bench.bench.flops``)."""
        return workload_flops(
            self.kind, self.workload.value, self.steps, self.batch, self.input_size, self.hidden_size
        )

    @property
    def footprint_bytes(self) -> int:
        """Bytes one backend keeps alive for this case (a lower estimate).

        Inputs ``B T I`` plus parameters and their gradients ``2 G H (I + H + 2)`` (G gate blocks),
        at the dtype's item size: what the bench holds while it times several cases together.
        """
        itemsize = int(torch_dtype(self.dtype).itemsize)  # the one dtype map (``lstm_bench.dtypes``)
        parameters = self.kind.gate_count * self.hidden_size * (self.input_size + self.hidden_size + 2)
        return itemsize * (self.batch * self.steps * self.input_size + 2 * parameters)

    def with_dtype(self, dtype: str) -> Case:
        """The same case in another dtype."""
        return replace(self, dtype=dtype)


def torch_dtype(name: str) -> Any:
    """'float32' -> torch.float32 (``lstm_bench.dtypes``, imported here so that this module stays torch-free)."""
    from lstm_bench.dtypes import torch_dtype as named

    return named(name)


def torch_step(module: nn.Module, case: Case, device: str, seed: int = 0) -> Callable[[], object]:
    """A zero-argument callable running ``case.workload`` once on ``module`` (already on device/dtype)."""
    import torch

    gen = torch.Generator().manual_seed(seed)
    dtype = torch_dtype(case.dtype)
    x = torch.randn(case.steps, case.batch, case.input_size, generator=gen, dtype=dtype).to(
        device
    )  # (T, B, I)
    if not case.workload.needs_grad:

        def forward() -> object:
            with torch.no_grad():
                return module(x)

        return forward
    x.requires_grad_(True)
    grad_out = torch.randn(case.steps, case.batch, case.hidden_size, generator=gen, dtype=dtype).to(device)
    wrt = [x, *(p for p in module.parameters() if p.requires_grad)]

    def forward_backward() -> object:
        out, _ = module(x)
        return torch.autograd.grad(out, wrt, grad_out)

    return forward_backward


def numpy_step(params: Params, case: Case, seed: int = 0) -> Callable[[], object]:
    """The same workloads on the NumPy float64 reference (unroll, and bptt for the training step)."""
    import numpy as np

    from lstm_bench.reference import numpy_ref

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((case.steps, case.batch, case.input_size))  # (T, B, I)
    if not case.workload.needs_grad:
        return lambda: numpy_ref.unroll(case.kind, params, x)
    grad_out = rng.standard_normal((case.steps, case.batch, case.hidden_size))

    def forward_backward() -> object:
        return numpy_ref.bptt(numpy_ref.unroll(case.kind, params, x), d_outputs=grad_out)

    return forward_backward
