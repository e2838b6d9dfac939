"""Device checks (CPU vs device, backward determinism) and the GPU benchmark suite, tested on the CPU
with fakes; the tests marked gpu run them for real where CUDA exists."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from torch import Tensor

from lstm_bench.bench.registry import get_backend
from lstm_bench.bench.suites import FASTRNNS_SHAPE, get_suite
from lstm_bench.bench.workloads import Workload
from lstm_bench.conformance import device, run_check, run_conformance
from lstm_bench.conformance.cases import Case
from lstm_bench.conformance.checks import Context
from lstm_bench.conformance.render import note_lines, render_report
from lstm_bench.kinds import Kind
from lstm_bench.loader import load_impl

IMPLS = Path(__file__).parent / "impls"
CUDA = pytest.mark.skipif(
    not torch.cuda.is_available(), reason=f"CUDA is not available (torch {torch.__version__})"
)


class _Jitter(torch.autograd.Function):
    """Identity forward; backward adds noise of relative size ``scale`` (atomics in a GPU reduction)."""

    @staticmethod
    def forward(ctx: object, x: Tensor, scale: float) -> Tensor:  # type: ignore[override]
        ctx.scale = scale  # type: ignore[attr-defined]
        return x.view_as(x)

    @staticmethod
    def backward(ctx: object, grad: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        noise = torch.rand(grad.shape, dtype=grad.dtype) * 2 - 1
        return grad * (1 + ctx.scale * noise), None  # type: ignore[attr-defined]


def _jittery(scale: float) -> type[torch.nn.LSTM]:
    class JitteryLSTM(torch.nn.LSTM):
        def forward(self, x: Tensor, hx: object = None) -> object:  # type: ignore[override]
            out, state = super().forward(x, hx)  # type: ignore[arg-type]
            return _Jitter.apply(out, scale), state

    return JitteryLSTM


def _ctx(scale: float) -> Context:
    impl = load_impl("torch.nn:LSTM", Kind.LSTM)
    return Context(dataclasses.replace(impl, factory=_jittery(scale)), torch.float64, "cpu")


def test_device_checks_skip_on_the_cpu_with_a_reason() -> None:
    impl = load_impl("torch.nn:LSTM")
    for check in device.CHECKS:
        result = run_check(impl, check, profile="quick")
        assert result.status == "skip" and "--device cuda" in result.reason
    report = run_conformance(impl, profile="quick", checks=["invariants.determinism"])
    assert [r.name for r in report.results] == ["invariants.determinism"]  # no device checks on the CPU


def test_device_available_names_the_torch_build() -> None:
    assert device.device_available("cpu") is None
    if not torch.cuda.is_available():
        assert device.device_available("cuda") == f"CUDA is not available here (torch {torch.__version__})"
    assert "unknown device" in str(device.device_available("tpu"))
    assert [n.split("=")[0] for n in device.determinism_settings()] == [
        "cudnn.deterministic",
        "cudnn.benchmark",
        "deterministic_algorithms",
    ]


def test_cpu_vs_device_logic_passes_for_the_same_device() -> None:
    ctx = Context(load_impl("torch.nn:GRU"), torch.float64, "cpu")
    outcome = device.cpu_vs_device(ctx, Case(5, 2, 3, 4, 1))
    assert outcome.passed and outcome.error == 0.0
    assert {t.tensor for t in outcome.tensors} >= {"output", "h_n", "d/d x", "d/d weight_hh_l0"}


def test_a_deterministic_backward_is_bitwise_identical() -> None:
    outcome = device.backward_determinism(_ctx(0.0), Case(6, 2, 3, 4, 1))
    assert outcome.passed and outcome.detail == "bitwise identical"


def test_a_slightly_nondeterministic_backward_passes_but_is_reported() -> None:
    check = dataclasses.replace(device.CHECKS[1], skip=lambda ctx: None)  # as if on a device
    ctx = _ctx(1e-14)
    result = run_check(ctx.impl, check, profile="quick", context=ctx)
    assert result.status == "pass"
    assert any(n.startswith("nondeterministic: ") and "by " in n for n in result.notes), result.notes
    assert any(n.startswith("cudnn.deterministic=") for n in result.notes)
    assert "note: nondeterministic" in "\n".join(note_lines(result))


def test_a_backward_nondeterministic_beyond_tolerance_fails() -> None:
    outcome = device.backward_determinism(_ctx(1e-3), Case(6, 2, 3, 4, 1))
    assert not outcome.passed and outcome.detail.startswith("nondeterministic beyond tolerance")


def test_gpu_suite_has_the_fastrnns_shape_and_deepbench_training_shapes() -> None:
    suite = get_suite("gpu", "cuda")
    steps, batch, inputs, hidden = FASTRNNS_SHAPE
    fastrnns = [c for c in suite.cases if (c.steps, c.batch, c.input_size, c.hidden_size) == FASTRNNS_SHAPE]
    assert {(c.kind, c.workload) for c in fastrnns} >= {
        (Kind.LSTM, Workload.FORWARD_BACKWARD),
        (Kind.LSTM, Workload.FORWARD),
    }
    assert (steps, batch, inputs, hidden) == (100, 64, 512, 512)
    training = {(c.hidden_size, c.batch, c.steps) for c in suite.cases if c.kind is Kind.LSTM}
    assert {(4096, 128, 25), (1536, 8, 50), (256, 64, 150)} <= training
    assert len(get_suite("gpu", "cpu").cases) < len(suite.cases)  # trimmed on a CPU


def test_no_cudnn_backend_is_cuda_only() -> None:
    backend = get_backend("torch-native-nocudnn")
    assert "CUDA" in str(backend.unavailable("cpu"))
    assert backend.unavailable("cuda") is None


@pytest.mark.gpu
@CUDA
def test_conformance_on_cuda_runs_the_device_checks() -> None:
    report = run_conformance(load_impl("torch.nn:LSTM"), profile="quick", device="cuda", dtype="float32")
    names = [r.name for r in report.results]
    assert "device.cpu_vs_device" in names and "device.backward_determinism" in names
    assert report.result("device.cpu_vs_device").status == "pass", render_report(report)
    assert any(
        n.startswith("cudnn.deterministic=") for n in report.result("device.backward_determinism").notes
    )


@pytest.mark.gpu
@CUDA
def test_no_cudnn_backend_times_a_step_on_cuda() -> None:
    from lstm_bench.bench.workloads import Case as BenchCase

    prepared = get_backend("torch-native-nocudnn").prepare(
        BenchCase(Kind.LSTM, Workload.FORWARD_BACKWARD, 8, 8, 2, 3), "cuda", 0
    )
    prepared.step()
    torch.cuda.synchronize()
