"""Family 3, the implementation's OWN backward pass against central finite differences of its forward.

* ``gradients.jacobian``: every entry of ∂(output, h_n, c_n)/∂(x, h0, c0, every parameter) on
  small sizes (T <= 6, B <= 3, I <= 3, H <= 4), reported per tensor with the worst entry.
* ``gradients.directional``: vᵀ J u for random unit v (over all outputs) and u (one input tensor
  at a time) on realistic sizes (T up to 48, H up to 24): one backward and two forwards per tensor;
  plus the same in a configuration drawn over the supported axes (num_layers, bidirectional,
  proj_size, bias=False, batch_first) at capped sizes (``contract.stack_directional``).
* ``gradients.long_horizon``: vᵀ J u with v on the LAST step only and u on the FIRST four steps
  of x (and on h0, c0, the parameters), T = 32..64, with weights that keep a long memory (LSTM
  forget / GRU update bias 4, orthogonal tanh-RNN, identity ReLU-RNN). A backward that truncates
  BPTT or drops a term many steps back passes the other two checks and fails here.

Finite differences run in the run's dtype with the step and tolerance of ``tolerances``; the
machinery, vectorised over the batch axis, is in ``jacobian``. In bfloat16 and float16 (and under
autocast) finite differences cannot resolve anything (a step of u^(1/3) ≈ 0.16 in bfloat16), so the
three checks compare the implementation's backward with float64 autograd (the hand-written BPTT)
of the reference on the same weights, inputs and cases instead, under the √T gradient model.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lstm_bench.conformance.cases import Case, Inputs, cases, free_part, generator, parameters
from lstm_bench.conformance.checks import Check, Context
from lstm_bench.conformance.contract import AXES, boundary_cases, configuration, stack_directional
from lstm_bench.conformance.jacobian import Layout, directional, full_jacobian
from lstm_bench.conformance.result import Outcome
from lstm_bench.kinds import Kind

#: Gate bias that keeps memory: σ(4) ≈ 0.982, so 0.982^64 ≈ 0.3 of C_0 (or h_0) reaches step 64.
MEMORY_BIAS = 4.0
#: The reduced-precision model of the long-horizon gradient (a product of T near-saturated Jacobians).
LONG_HORIZON_TOPIC = "long-horizon"
#: Steps of x whose influence on the last step the long-horizon check measures.
EARLY_STEPS = 4


def _unit(t: Tensor) -> Tensor:
    norm = t.norm()
    return t / norm if float(norm) > 0 else t


def _reduced_backward(
    ctx: Context, case: Case, module: nn.Module, inputs: Inputs, last: bool = False
) -> Outcome:
    from lstm_bench.conformance.equivalence import backward_against_reference

    topic = LONG_HORIZON_TOPIC if last else "finite-difference"
    return backward_against_reference(ctx, case, module, inputs, last_step_only=last, topic=topic)


def _skip_relu(ctx: Context) -> str | None:
    from lstm_bench.conformance.equivalence import skip_relu_gradients

    return skip_relu_gradients(ctx)


def jacobian(ctx: Context, case: Case) -> Outcome:
    """The full Jacobian, entry by entry."""
    module, inputs = ctx.build(case), ctx.inputs(case)
    if ctx.reduced:
        return _reduced_backward(ctx, case, module, inputs)
    notes: list[str] = []
    reports = full_jacobian(
        module, ctx.kind, inputs, ctx.tol("finite-difference"), ctx.fd_step(), notes=notes
    )
    return Outcome.from_tensors(reports, notes=notes)


def _directions(module: nn.Module, inputs: Inputs, case: Case, stream: int) -> dict[str, Tensor]:
    """A random unit direction u per input tensor and parameter, drawn from the case."""
    gen = generator(case, stream)
    tensors = {**inputs.tensors(), **parameters(module)}
    return {  # entries the module holds at 0 (``fixed_zeros``) are not moved
        name: _unit(free_part(module, name, torch.randn(t.shape, generator=gen, dtype=torch.float64))).to(
            dtype=t.dtype, device=t.device
        )
        for name, t in tensors.items()
    }


def random_direction(ctx: Context, case: Case) -> Outcome:
    """vᵀ J u with v and u random unit vectors."""
    module, inputs = ctx.build(case), ctx.inputs(case)
    if ctx.reduced:
        return _reduced_backward(ctx, case, module, inputs)
    layout = Layout.of(inputs)
    gen = generator(case, 3)
    v = _unit(torch.randn(layout.batch, layout.outputs, generator=gen, dtype=torch.float64)).to(inputs.x)
    u = _directions(module, inputs, case, 4)
    notes: list[str] = []
    reports = directional(
        module, ctx.kind, inputs, v, u, ctx.tol("finite-difference"), ctx.fd_step(), notes=notes
    )
    reports += stack_directional(ctx, case)  # the case's configuration (layers, directions, ...)
    return Outcome.from_tensors(reports, notes=notes)


def _long_memory(module: nn.Module, kind: Kind, case: Case) -> None:
    """Weights under which step 1 still matters at step 64 (see the module docstring)."""
    hid = case.hidden_size
    params = parameters(module)
    with torch.no_grad():
        if kind in (Kind.LSTM, Kind.GRU):
            rows = slice(hid, 2 * hid)  # LSTM forget gate f / GRU update gate z: block 1
            params["bias_ih_l0"][rows] = MEMORY_BIAS
            params["bias_hh_l0"][rows] = 0.0
            return
        w_hh = params["weight_hh_l0"]
        if kind is Kind.RNN_TANH:
            q, r = torch.linalg.qr(torch.randn(hid, hid, generator=generator(case, 6), dtype=torch.float64))
            w_hh.copy_(q * torch.sign(torch.diagonal(r)))  # orthogonal: gradients neither vanish nor explode
        else:
            w_hh.copy_(torch.eye(hid, dtype=torch.float64))  # IRNN: identity recurrence
            params["bias_ih_l0"].fill_(0.1)
            params["bias_hh_l0"].zero_()
        params["weight_ih_l0"].mul_(0.3)


def long_horizon(ctx: Context, case: Case) -> Outcome:
    """vᵀ J u from the first steps (and h0, c0, parameters) to the last step's outputs."""
    module = ctx.build(case)
    _long_memory(module, ctx.kind, case)
    inputs = ctx.inputs(case, scale=0.3)
    if ctx.kind is Kind.RNN_RELU:  # keep every unit active, so the identity carries the gradient
        inputs = Inputs(inputs.x, inputs.h0.abs() + 0.5, None)
    if ctx.reduced:
        return _reduced_backward(ctx, case, module, inputs, last=True)
    layout = Layout.of(inputs)
    gen = generator(case, 3)
    v = torch.randn(layout.batch, layout.outputs, generator=gen, dtype=torch.float64)
    v[:, : (layout.steps - 1) * layout.hidden] = 0.0  # only output[T-1], h_n and c_n
    u = _directions(module, inputs, case, 4)
    early = min(EARLY_STEPS, layout.steps)
    u["x"][early:] = 0.0
    u["x"] = _unit(u["x"])
    labels = {"x": f"x[0:{early}]"}
    notes: list[str] = []
    reports = directional(
        module,
        ctx.kind,
        inputs,
        _unit(v).to(inputs.x),
        u,
        ctx.tol("finite-difference"),
        ctx.fd_step(),
        labels,
        notes=notes,
    )
    return Outcome.from_tensors(reports, notes=notes)


CHECKS = (
    Check(
        "gradients.jacobian",
        "every entry of the Jacobian (inputs, states, parameters) vs central differences",
        "finite-difference",
        lambda ctx: cases(steps=(1, 6), batch=(1, 3), inputs=(1, 3), hidden=(1, 4)),
        jacobian,
        explicit=lambda ctx: [Case(1, 1, 1, 1, 0), Case(6, 2, 3, 4, 1)],
        skip=_skip_relu,
        share=0.4,
    ),
    Check(
        "gradients.directional",
        "random-direction vᵀJu per tensor vs central differences at realistic sizes",
        "finite-difference",
        lambda ctx: cases(steps=(8, 48), batch=(1, 6), inputs=(1, 12), hidden=(1, 24), **configuration(ctx)),
        random_direction,
        explicit=lambda ctx: [Case(48, 4, 8, 16, 1), *([] if ctx.reduced else boundary_cases(ctx))],
        skip=_skip_relu,
        share=0.4,
        uses=AXES,
    ),
    Check(
        "gradients.long_horizon",
        "gradient from the last step back to the first steps (T = 32..64) vs central differences",
        "finite-difference",
        lambda ctx: cases(steps=(32, 64), batch=(1, 3), inputs=(1, 4), hidden=(1, 8)),
        long_horizon,
        explicit=lambda ctx: [Case(64, 2, 3, 6, 1)],
        skip=_skip_relu,
        share=0.2,
        reduced_topic=LONG_HORIZON_TOPIC,
    ),
)
