"""The backend registry: every builtin prepares a working step; impl specs; compile handling."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from lstm_bench.bench import registry
from lstm_bench.bench.registry import (
    BUILTIN_BACKENDS,
    BackendUnavailable,
    ImplBackend,
    TorchModuleBackend,
    get_backend,
    resolve_backends,
)
from lstm_bench.bench.workloads import Case, Workload
from lstm_bench.errors import UsageError
from lstm_bench.kinds import Kind

TINY = Case(Kind.LSTM, Workload.FORWARD_BACKWARD, 3, 4, 2, 5)


@pytest.mark.parametrize("name", ["numpy-ref", "torch-ref", "torch-native"])
@pytest.mark.parametrize("workload", list(Workload))
@pytest.mark.parametrize("kind", list(Kind))
def test_builtin_steps_run(name: str, workload: Workload, kind: Kind) -> None:
    backend = get_backend(name)
    steps, batch = (1, 1) if workload is Workload.LATENCY else (5, 2)
    case = Case(kind, workload, 3, 4, batch, steps, "float64")
    assert backend.supports(case, "cpu")
    out = backend.prepare(case, "cpu", seed=0).step()
    if workload is Workload.FORWARD_BACKWARD and name != "numpy-ref":
        grads = out
        assert isinstance(grads, tuple) and len(grads) == 5  # x and the four parameters
        assert grads[0].shape == (steps, batch, 3)


def test_numpy_ref_is_cpu_float64_only_and_torch_backends_do_both() -> None:
    numpy_ref = get_backend("numpy-ref")
    assert numpy_ref.supports(TINY.with_dtype("float64"), "cpu")
    assert not numpy_ref.supports(TINY, "cpu") and not numpy_ref.supports(TINY.with_dtype("float64"), "cuda")
    assert get_backend("torch-native").supports(TINY, "cuda")


def test_same_seed_same_workload_output() -> None:
    a = get_backend("torch-ref").prepare(TINY, "cpu", seed=3).step()
    b = get_backend("torch-ref").prepare(TINY, "cpu", seed=3).step()
    c = get_backend("torch-ref").prepare(TINY, "cpu", seed=4).step()
    assert all(torch.equal(x, y) for x, y in zip(a, b, strict=True))  # type: ignore[call-overload]
    assert not torch.equal(a[0], c[0])  # type: ignore[index]


def test_impl_spec_backend_runs_only_its_kind() -> None:
    backend = get_backend("impl:torch.nn:GRU")
    assert isinstance(backend, ImplBackend) and backend.name == "impl:torch.nn:GRU"
    assert backend.impl_spec == "torch.nn:GRU"
    gru = Case(Kind.GRU, Workload.FORWARD, 3, 4, 2, 5)
    assert backend.supports(gru, "cpu") and not backend.supports(TINY, "cpu")
    result = backend.prepare(gru, "cpu", 0).step()
    assert isinstance(result, tuple)
    out, h_n = result
    assert out.shape == (5, 2, 4) and h_n.shape == (1, 2, 4)


def test_unknown_names_and_bad_specs_are_usage_errors() -> None:
    with pytest.raises(UsageError, match="unknown backend 'fast'"):
        get_backend("fast")
    with pytest.raises(UsageError, match="cannot import module"):
        get_backend("impl:no_such_module_xyz:LSTM")
    names = [
        b.name for b in resolve_backends(["torch-native", "torch-ref", "torch-native"], ["torch.nn:LSTM"])
    ]
    assert names == ["torch-native", "torch-ref", "impl:torch.nn:LSTM"]
    assert set(BUILTIN_BACKENDS) >= set(registry.DEFAULT_BACKENDS)


def test_compiled_backend_reports_compile_time_apart() -> None:
    compiled: list[nn.Module] = []

    def fake_compile(module: nn.Module) -> nn.Module:
        compiled.append(module)
        return module

    backend = TorchModuleBackend("fake-compiled", "test", registry._reference, compiler=fake_compile)
    prepared = backend.prepare(TINY, "cpu", 0)
    assert len(compiled) == 1
    assert prepared.compile_s is not None and prepared.compile_s >= 0
    assert get_backend("torch-ref").prepare(TINY, "cpu", 0).compile_s is None


def test_compile_failure_is_a_skip_with_the_reason() -> None:
    def broken(module: nn.Module) -> nn.Module:
        raise RuntimeError("inductor exploded\nlong traceback text")

    backend = TorchModuleBackend("fake-compiled", "test", registry._reference, compiler=broken)
    with pytest.raises(BackendUnavailable, match=r"compilation failed: RuntimeError: inductor exploded$"):
        backend.prepare(TINY, "cpu", 0)


def test_compile_unavailable_without_a_cxx_compiler(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.delenv("CXX", raising=False)
    reason = get_backend("torch-ref-compiled").unavailable("cpu")
    assert reason is not None and "C++ compiler" in reason
    monkeypatch.setattr(torch._dynamo, "is_dynamo_supported", lambda: False)
    assert "not supported" in (registry.compile_unavailable("cuda") or "")


def test_torch_compile_eager_backend_runs_the_reference() -> None:
    """The compiled path end to end with dynamo's 'eager' backend (fast; inductor is exercised by bench)."""

    def eager_compile(module: nn.Module) -> nn.Module:
        torch._dynamo.reset()
        return torch.compile(module, backend="eager")  # type: ignore[return-value]

    backend = TorchModuleBackend("eager-compiled", "test", registry._reference, compiler=eager_compile)
    prepared = backend.prepare(Case(Kind.LSTM, Workload.FORWARD_BACKWARD, 3, 4, 2, 3), "cpu", 0)
    grads = prepared.step()
    assert isinstance(grads, tuple) and len(grads) == 5
