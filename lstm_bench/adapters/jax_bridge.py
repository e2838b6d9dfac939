"""Call a pure JAX function from torch autograd: forward through DLPack, backward through ``jax.vjp``.

``jax_call(fn, *tensors)`` converts the torch tensors to JAX arrays (DLPack, no copy on CPU),
runs ``jax.vjp(fn, *arrays)`` under ``jax.jit`` and returns fn's outputs as torch tensors; the
backward pass hands torch's output gradients to the saved vector-Jacobian product, so
∂L/∂tensors = vjp(∂L/∂outputs). Without gradients it runs the jitted forward only. Results
wait with ``block_until_ready`` before they are handed to torch, so timings are honest; the
first call at each shape compiles, and ``CompileLog`` keeps those seconds apart from run time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor


def enable_float64() -> None:
    """Let JAX compute in float64 (``jax_enable_x64``); must run before arrays are made."""
    import jax

    jax.config.update("jax_enable_x64", True)  # type: ignore[no-untyped-call]


@dataclass
class CompileLog:
    """Seconds spent in first calls (trace + compile + one run) per input signature."""

    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total(self) -> float:
        """All compile seconds so far."""
        return sum(self.seconds.values())


def _to_jax(t: Tensor) -> Any:
    import jax.numpy as jnp

    return jnp.from_dlpack(t.detach().contiguous())


def _to_torch(a: Any) -> Tensor:
    # clone: the JAX buffer is immutable and may be shared; callers may write into what they get
    return torch.utils.dlpack.from_dlpack(a.block_until_ready()).clone()


class JaxFunction:
    """``fn(*arrays) -> tuple of arrays`` made callable on torch tensors with gradients."""

    def __init__(self, fn: Callable[..., tuple[Any, ...]]) -> None:
        import jax

        self.fn = fn
        self._forward = jax.jit(fn)
        self._with_vjp = jax.jit(lambda *a: jax.vjp(fn, *a))
        self._apply_vjp = jax.jit(lambda vjp, ct: vjp(ct))
        self.compile_log = CompileLog()

    def _timed(self, key: str, call: Callable[[], Any]) -> Any:
        if key in self.compile_log.seconds:
            return call()
        start = time.perf_counter()
        result = call()
        import jax

        jax.block_until_ready(result)  # type: ignore[no-untyped-call]
        self.compile_log.seconds[key] = time.perf_counter() - start
        return result

    def __call__(self, *tensors: Tensor) -> tuple[Tensor, ...]:
        signature = ",".join(f"{tuple(t.shape)}{t.dtype}" for t in tensors)
        if torch.is_grad_enabled() and any(t.requires_grad for t in tensors):
            out: tuple[Tensor, ...] = _JaxVjp.apply(self, signature, *tensors)  # type: ignore[no-untyped-call]
            return out
        arrays = [_to_jax(t) for t in tensors]
        outs = self._timed("fwd" + signature, lambda: self._forward(*arrays))
        return tuple(_to_torch(o) for o in outs)


class _JaxVjp(torch.autograd.Function):
    @staticmethod
    def forward(ctx: Any, fn: JaxFunction, signature: str, *tensors: Tensor) -> tuple[Tensor, ...]:
        arrays = [_to_jax(t) for t in tensors]
        outs, vjp = fn._timed("vjp" + signature, lambda: fn._with_vjp(*arrays))
        ctx.fn, ctx.vjp, ctx.dtypes = fn, vjp, [o.dtype for o in outs]
        ctx.signature = signature
        return tuple(_to_torch(o) for o in outs)

    @staticmethod
    def backward(ctx: Any, *grads: Tensor) -> tuple[Any, ...]:

        cotangent = tuple(_to_jax(g).astype(d) for g, d in zip(grads, ctx.dtypes, strict=True))
        fn: JaxFunction = ctx.fn
        grads_in = fn._timed("bwd" + ctx.signature, lambda: fn._apply_vjp(ctx.vjp, cotangent))
        return (None, None, *(_to_torch(g) for g in grads_in))
