"""The LSTM reference's fused recurrence (forward) equals its step-by-step autograd loop (trace).

tests/test_torch_ref.py checks forward against torch.nn; these tests pin the two paths to each other,
including gradients with respect to initial states and second derivatives.
"""

from __future__ import annotations

import pytest
import torch

from lstm_bench.reference import torch_ref
from lstm_bench.reference.torch_ref import LSTM

F64 = torch.float64


def _grads(outputs: list[torch.Tensor], inputs: list[torch.Tensor], seed: int) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(seed)
    weights = [torch.randn(o.shape, dtype=F64, generator=gen) for o in outputs]
    loss = sum((o * w).sum() for o, w in zip(outputs, weights, strict=True))
    return torch.autograd.grad(loss, inputs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("steps", "batch"), [(1, 1), (7, 3)])
def test_fused_forward_equals_the_traced_loop_with_gradients(steps: int, batch: int) -> None:
    torch.manual_seed(0)
    model = LSTM(4, 5, dtype=F64)
    x = torch.randn(steps, batch, 4, dtype=F64, requires_grad=True)
    h0 = torch.randn(1, batch, 5, dtype=F64, requires_grad=True)
    c0 = torch.randn(1, batch, 5, dtype=F64, requires_grad=True)
    inputs = [x, h0, c0, *model.parameters()]
    out, (h_n, c_n) = model(x, (h0, c0))
    trace = model.trace(x, (h0, c0))
    assert trace.c_n is not None
    fused = _grads([out, h_n[0], c_n[0]], inputs, seed=1)
    looped = _grads([trace.outputs, trace.h_n, trace.c_n], inputs, seed=1)
    torch.testing.assert_close(out, trace.outputs, rtol=0, atol=1e-14)
    torch.testing.assert_close(c_n[0], trace.c_n, rtol=0, atol=1e-14)
    for a, b in zip(fused, looped, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_double_backward_equals_the_traced_loop() -> None:
    torch.manual_seed(2)
    model = LSTM(2, 3, dtype=F64)
    x = torch.randn(4, 2, 2, dtype=F64, requires_grad=True)
    params = list(model.parameters())

    def second_order(outputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        (gx,) = torch.autograd.grad((outputs**2).sum(), x, create_graph=True)
        return torch.autograd.grad((gx**2).sum(), [x, *params])

    fused = second_order(model(x)[0])
    looped = second_order(model.trace(x).outputs)
    assert all(g.abs().max() > 0 for g in fused)
    for a, b in zip(fused, looped, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=1e-12)


def test_torch_compile_tracing_takes_the_step_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    model = LSTM(2, 3, dtype=F64)
    x = torch.randn(4, 2, 2, dtype=F64)
    expected, _ = model(x)

    def refuse(*args: object) -> None:
        raise AssertionError("the fused node was used while compiling")

    monkeypatch.setattr(torch.compiler, "is_compiling", lambda: True)
    monkeypatch.setattr(torch_ref._LSTMRecurrence, "apply", refuse)
    out, _ = model(x)
    torch.testing.assert_close(out, expected, rtol=0, atol=1e-14)
