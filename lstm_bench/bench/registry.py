"""Named benchmark backends: one registry for the CLI, the runner and the pytest-benchmark suites.

* ``numpy-ref``: the NumPy float64 reference (``numpy_ref.unroll`` / ``bptt``); CPU and float64 only.
* ``torch-ref``: lstm-bench's PyTorch reference modules, eager.
* ``torch-ref-compiled``: ``torch.compile`` of the same modules; compiled afresh for every case,
  the first call's time (trace + compile + one run) reported as ``compile_s``, apart from the
  timings. Skipped with a reason where torch.compile cannot run (no dynamo, no C++ compiler).
* ``torch-native``: ``torch.nn.LSTM/GRU/RNN`` (oneDNN on CPU, cuDNN on CUDA): the baseline of
  every speedup.
* ``torch-native-nocudnn``: the same modules on CUDA with cuDNN disabled
  (``torch.backends.cudnn.flags(enabled=False)`` around every call): PyTorch's native CUDA kernels.
  CUDA only.
* ``impl:SPEC``: any implementation loadable by ``lstm_bench.loader`` (``impl:pkg.module:Name``);
  it runs the cases of its own kind only.

A backend answers three questions: ``supports(case, device)`` (a structural fit: cases it does
not fit are left out silently), ``unavailable(device)`` (why it cannot run here: reported as a
skip), and ``prepare(case, device, seed)`` (a ready workload callable).
"""

from __future__ import annotations

import os
import shutil
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lstm_bench.bench.workloads import Case, numpy_step, torch_dtype, torch_step
from lstm_bench.errors import UsageError
from lstm_bench.kinds import Kind

if TYPE_CHECKING:
    from torch import nn

    from lstm_bench.loader import LoadedImpl

BASELINE = "torch-native"
DEFAULT_BACKENDS = ("numpy-ref", "torch-ref", "torch-native")
IMPL_PREFIX = "impl:"


class BackendUnavailable(Exception):
    """Raised by ``prepare`` when the backend cannot run this case here (e.g. torch.compile failed): a skip."""


@dataclass(frozen=True)
class Prepared:
    """A workload ready to time, and the compile time spent making it (compiled backends only)."""

    step: Callable[[], object]
    compile_s: float | None = None


class Backend(ABC):
    """One way of running the workloads (see the module docstring)."""

    name: str
    description: str
    impl_spec: str | None = None

    @property
    def framework(self) -> str | None:
        """What computes the workloads, as reports name it ('torch 2.13.0'; an adapter's framework)."""
        from lstm_bench.environment import torch_framework

        return torch_framework()

    def supports(self, case: Case, device: str) -> bool:
        """Whether ``case`` on ``device`` is something this backend does at all."""
        return True

    def unavailable(self, device: str) -> str | None:
        """Why the backend cannot run on ``device`` in this environment, or None."""
        return None

    @abstractmethod
    def prepare(self, case: Case, device: str, seed: int) -> Prepared:
        """Build the module and inputs for ``case`` on ``device``; return the workload callable."""


def device_sync(device: str) -> None:
    """Wait for ``device`` to finish its queued work (no-op on CPU)."""
    kind = device.split(":")[0]
    if kind == "cpu":
        return
    import torch

    if kind == "cuda":
        torch.cuda.synchronize()
    elif kind == "mps":
        torch.mps.synchronize()


class TorchModuleBackend(Backend):
    """A backend built from a module factory ``(kind, I, H) -> nn.Module``, optionally compiled."""

    def __init__(
        self,
        name: str,
        description: str,
        factory: Callable[[Kind, int, int], nn.Module],
        compiler: Callable[[nn.Module], Callable[..., Any]] | None = None,
        unavailable_reason: Callable[[str], str | None] | None = None,
    ) -> None:
        self.name, self.description = name, description
        self._factory = factory
        self._compiler = compiler
        self._unavailable = unavailable_reason

    def unavailable(self, device: str) -> str | None:
        return self._unavailable(device) if self._unavailable is not None else None

    def prepare(self, case: Case, device: str, seed: int) -> Prepared:
        import torch

        torch.manual_seed(seed)
        module = self._factory(case.kind, case.input_size, case.hidden_size)
        module = module.to(device=device, dtype=torch_dtype(case.dtype))
        if self._compiler is None:
            return Prepared(torch_step(module, case, device, seed))
        start = time.perf_counter()
        try:
            step = torch_step(self._compiler(module), case, device, seed)  # type: ignore[arg-type]
            step()  # traces and compiles (forward, and backward for the training step)
            device_sync(device)
        except Exception as exc:
            first_line = (str(exc).strip().splitlines() or [""])[0][:200]
            raise BackendUnavailable(f"compilation failed: {type(exc).__name__}: {first_line}") from exc
        return Prepared(step, compile_s=time.perf_counter() - start)


class NumpyRefBackend(Backend):
    """The NumPy float64 reference: CPU, float64."""

    name = "numpy-ref"
    description = "NumPy float64 reference (hand-written BPTT)"

    @property
    def framework(self) -> str | None:
        import numpy

        return f"numpy {numpy.__version__}"

    def supports(self, case: Case, device: str) -> bool:
        return device == "cpu" and case.dtype == "float64"

    def prepare(self, case: Case, device: str, seed: int) -> Prepared:
        import numpy as np

        from lstm_bench.reference import numpy_ref

        params = numpy_ref.init_params(
            case.kind, case.input_size, case.hidden_size, np.random.default_rng(seed)
        )
        return Prepared(numpy_step(params, case, seed))


class ImplBackend(Backend):
    """An implementation under test, loaded from ``pkg.module:Name``; runs the cases of its kind."""

    def __init__(self, impl: LoadedImpl) -> None:
        self.impl = impl
        self.impl_spec = impl.spec
        self.name = IMPL_PREFIX + impl.spec
        self.description = f"implementation under test {impl.spec} ({impl.kind.value})"
        if impl.adapter_capabilities:  # an adapted layer: name the framework that computes it
            self.description += f", computed by {impl.framework}"

    @property
    def framework(self) -> str | None:
        return self.impl.framework or None

    def supports(self, case: Case, device: str) -> bool:
        return case.kind is self.impl.kind

    def prepare(self, case: Case, device: str, seed: int) -> Prepared:
        import torch

        from lstm_bench.capabilities import Feature

        if case.dtype == "float64" and not self.impl.capabilities.supports(Feature.FLOAT64):
            support = self.impl.capabilities.get(Feature.FLOAT64)  # unsupported is a skip, not an error
            raise BackendUnavailable(f"float64 {support.describe() if support else 'unsupported'}")
        torch.manual_seed(seed)
        module = self.impl.make(
            case.input_size, case.hidden_size, dtype=torch_dtype(case.dtype), device=device
        )
        step = torch_step(module, case, device, seed)
        if not hasattr(module, "compile_seconds"):
            return Prepared(step)
        # adapted JAX layers (lstm_bench.adapters): the first call at a shape jit-compiles; run it
        # here and report those seconds as compile_s, apart from the timings
        before: float = getattr(module, "compile_seconds")  # noqa: B009 (nn.Module attributes type as Tensor)
        step()
        compiled: float = getattr(module, "compile_seconds") - before  # noqa: B009
        return Prepared(step, compile_s=compiled if compiled > 0 else None)


def compile_unavailable(device: str) -> str | None:
    """Why ``torch.compile`` (inductor) cannot run here, or None."""
    import torch

    if not hasattr(torch, "compile"):
        return f"torch {torch.__version__} has no torch.compile"
    import torch._dynamo

    if not getattr(torch._dynamo, "is_dynamo_supported", lambda: True)():
        return "torch.compile (dynamo) is not supported on this Python/platform"
    if device.startswith("cpu"):
        candidates = [os.environ.get("CXX", ""), "g++", "c++", "clang++"]
        if not any(c and shutil.which(c) for c in candidates):
            return "torch.compile needs a C++ compiler for CPU code and none was found (set CXX)"
    return None


def _compile(module: nn.Module) -> Callable[..., Any]:
    import torch
    import torch._dynamo

    torch._dynamo.reset()  # compile every case afresh: compile_s is per shape, not amortised
    return torch.compile(module)


def _reference(kind: Kind, input_size: int, hidden_size: int) -> nn.Module:
    from lstm_bench.reference.torch_ref import reference_module

    return reference_module(kind, input_size, hidden_size)


def _native(kind: Kind, input_size: int, hidden_size: int) -> nn.Module:
    from lstm_bench.reference.torch_ref import torch_nn_module

    return torch_nn_module(kind, input_size, hidden_size)


class NoCudnnBackend(TorchModuleBackend):
    """torch.nn on CUDA with cuDNN switched off around every call (its native CUDA kernels)."""

    def __init__(self) -> None:
        super().__init__(
            "torch-native-nocudnn",
            "torch.nn with cuDNN disabled (native CUDA kernels)",
            _native,
            unavailable_reason=_cuda_only,
        )

    def prepare(self, case: Case, device: str, seed: int) -> Prepared:
        import torch

        with torch.backends.cudnn.flags(enabled=False):
            step = super().prepare(case, device, seed).step

        def without_cudnn() -> object:
            with torch.backends.cudnn.flags(enabled=False):
                return step()

        return Prepared(without_cudnn)


def _cuda_only(device: str) -> str | None:
    if device.split(":")[0] != "cuda":
        return f"cuDNN exists only on CUDA; on {device} this would time torch-native again"
    return None


def _builtin(name: str) -> Backend:
    if name == "numpy-ref":
        return NumpyRefBackend()
    if name == "torch-ref":
        return TorchModuleBackend(name, "lstm-bench PyTorch reference, eager", _reference)
    if name == "torch-ref-compiled":
        return TorchModuleBackend(
            name, "torch.compile of the PyTorch reference", _reference, _compile, compile_unavailable
        )
    if name == "torch-native":
        return TorchModuleBackend(name, "torch.nn (oneDNN on CPU, cuDNN on CUDA)", _native)
    if name == "torch-native-nocudnn":
        return NoCudnnBackend()
    raise KeyError(name)


BUILTIN_BACKENDS = ("numpy-ref", "torch-ref", "torch-ref-compiled", "torch-native", "torch-native-nocudnn")


def get_backend(name: str, kind: Kind | None = None) -> Backend:
    """The backend called ``name`` (a builtin, or ``impl:SPEC`` loaded for ``kind``); UsageError if unknown."""
    if name.startswith(IMPL_PREFIX):
        from lstm_bench.loader import load_impl

        return ImplBackend(load_impl(name[len(IMPL_PREFIX) :], kind))
    if name not in BUILTIN_BACKENDS:
        raise UsageError(
            f"unknown backend {name!r}; expected one of {', '.join(BUILTIN_BACKENDS)} or impl:SPEC"
        )
    return _builtin(name)


def resolve_backends(names: list[str], impls: list[str], kind: Kind | None = None) -> list[Backend]:
    """Backends for ``--backends`` names plus ``--impl`` specs, in order, without duplicates."""
    wanted = [*names, *(IMPL_PREFIX + spec for spec in impls)]
    unique = list(dict.fromkeys(wanted))
    return [get_backend(name, kind) for name in unique]
