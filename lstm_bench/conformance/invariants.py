"""Family 4, invariants every recurrent layer keeps whatever its weights.

* ``invariants.causality``: output[:s] does not change when x[s:] does (no look-ahead, no
  reversed or bidirectional pass, no normalisation over time).
* ``invariants.batch_independence``: sample j's outputs and its input gradient are the same in
  its batch, in a batch whose other samples were redrawn, and alone in a batch of one.
* ``invariants.determinism``: the same call twice gives identical outputs and gradients; in a
  drawn configuration (layers, directions, ...) two backwards through one graph agree bitwise too.
* ``invariants.stateless``: nothing is carried from one call to the next (a call, a backward,
  then the first call again gives identical bits), and neither the inputs, the initial state
  nor the parameters are modified in place.
* ``invariants.finite``: outputs and gradients stay finite for |x| up to 1e4 and weights up to
  10x the default (saturated gates), in float64 and float32.
"""

from __future__ import annotations

import torch
from hypothesis import strategies as st
from torch import Tensor

from lstm_bench.conformance.cases import (
    Case,
    Inputs,
    Outputs,
    call,
    cases,
    outputs_and_gradients,
    parameters,
)
from lstm_bench.conformance.checks import Check, Context
from lstm_bench.conformance.compare import compare, nonfinite
from lstm_bench.conformance.contract import AXES, boundary_cases, configuration, stack_determinism
from lstm_bench.conformance.result import Outcome
from lstm_bench.dtypes import NAMED_DTYPES

# -- causality ----------------------------------------------------------------------------------


def causality(ctx: Context, case: Case) -> Outcome:
    """Redraw x[s:]; output[:s] must not move."""
    split = min(int(case.option("split", 1)), case.steps - 1)
    module, inputs = ctx.build(case), ctx.inputs(case)
    future = ctx.inputs(case, stream=7)
    changed = torch.cat([inputs.x[:split], future.x[split:]])
    with torch.no_grad():
        before = call(module, ctx.kind, inputs.x, inputs.hx())
        after = call(module, ctx.kind, changed, inputs.hx())
    what = f"x[{split}:] redrawn"
    return Outcome.from_tensors(
        [ctx.compare(f"output[:{split}]", after.output[:split], before.output[:split], "equivalence", case)],
        what,
    )


# -- batch independence -------------------------------------------------------------------------


def _row(inputs: Inputs, j: int) -> Inputs:
    return Inputs(
        inputs.x[:, j : j + 1], inputs.h0[j : j + 1], None if inputs.c0 is None else inputs.c0[j : j + 1]
    )


def _with_row(others: Inputs, inputs: Inputs, j: int) -> Inputs:
    """``others`` with sample j taken from ``inputs``."""
    x, h0 = others.x.clone(), others.h0.clone()
    x[:, j], h0[j] = inputs.x[:, j], inputs.h0[j]
    c0 = None
    if inputs.c0 is not None and others.c0 is not None:
        c0 = others.c0.clone()
        c0[j] = inputs.c0[j]
    return Inputs(x, h0, c0)


def _sample(out: Outputs, grads: dict[str, Tensor], j: int) -> dict[str, Tensor]:
    found = {"output": out.output[:, j], "h_n": out.h_n[j], "d/d x": grads["d/d x"][:, j]}
    if out.c_n is not None:
        found["c_n"] = out.c_n[j]
    return found


def batch_independence(ctx: Context, case: Case) -> Outcome:
    """Sample j alone, in its batch, and among redrawn neighbours: same outputs and input gradient.

    The loss weights v are drawn with the batch's shape from the case's seed, so sample j gets
    the same v_j in both batches and ∂L/∂x_j must agree.
    """
    j = int(case.option("sample", 0)) % case.batch
    module, inputs = ctx.build(case), ctx.inputs(case)
    mixed = _with_row(ctx.inputs(case, stream=8), inputs, j)
    reference = _sample(*outputs_and_gradients(module, ctx.kind, inputs, case), j)
    among = _sample(*outputs_and_gradients(module, ctx.kind, mixed, case), j)
    reports = [
        ctx.compare(f"{name} (neighbours redrawn)", among[name], value, "equivalence", case)
        for name, value in reference.items()
    ]
    with torch.no_grad():
        alone = call(module, ctx.kind, _row(inputs, j).x, _row(inputs, j).hx())
    single = {"output": alone.output[:, 0], "h_n": alone.h_n[0]}
    if alone.c_n is not None:
        single["c_n"] = alone.c_n[0]
    reports += [
        ctx.compare(f"{name} (alone, B=1)", value, reference[name], "equivalence", case)
        for name, value in single.items()
    ]
    return Outcome.from_tensors(reports, f"sample {j} of {case.batch}")


# -- determinism and statelessness --------------------------------------------------------------


def determinism(ctx: Context, case: Case) -> Outcome:
    """Two identical calls (forward and backward) give identical bits."""
    module, inputs = ctx.build(case), ctx.inputs(case)
    first_out, first_grads = outputs_and_gradients(module, ctx.kind, inputs, case)
    second_out, second_grads = outputs_and_gradients(module, ctx.kind, inputs, case)
    tol = ctx.tol("exact")
    reports = [
        compare(f"{n} (2nd call)", second_out.tensors()[n], t, tol) for n, t in first_out.tensors().items()
    ]
    reports += [compare(f"{n} (2nd call)", second_grads[n], t, tol) for n, t in first_grads.items()]
    reports += stack_determinism(ctx, case)  # the case's configuration (layers, directions, ...)
    return Outcome.from_tensors(reports)


def stateless(ctx: Context, case: Case) -> Outcome:
    """Call A, then another call with a backward, then A again: identical; nothing modified in place."""
    module, probe, other = ctx.build(case), ctx.inputs(case), ctx.inputs(case, stream=10)
    tol = ctx.tol("exact")
    with torch.no_grad():
        first_default = call(module, ctx.kind, probe.x)
        first_state = call(module, ctx.kind, probe.x, probe.hx())
    kept_inputs = {n: t.clone() for n, t in other.tensors().items()}
    kept_params = {n: t.detach().clone() for n, t in parameters(module).items()}
    x = other.x.clone().requires_grad_(True)
    out = call(module, ctx.kind, x, other.hx())
    torch.stack([t.sum() for t in out.tensors().values()]).sum().backward()
    with torch.no_grad():
        again_default = call(module, ctx.kind, probe.x)
        again_state = call(module, ctx.kind, probe.x, probe.hx())
    reports = [
        compare(f"{n} (no hx, after another call)", again_default.tensors()[n], t, tol)
        for n, t in first_default.tensors().items()
    ]
    reports += [
        compare(f"{n} (with hx, after another call)", again_state.tensors()[n], t, tol)
        for n, t in first_state.tensors().items()
    ]
    reports += [compare(f"{n} after the call", other.tensors()[n], t, tol) for n, t in kept_inputs.items()]
    reports += [compare(f"{n} after backward", parameters(module)[n], t, tol) for n, t in kept_params.items()]
    module.zero_grad(set_to_none=True)
    return Outcome.from_tensors(reports)


# -- finite values at extremes ------------------------------------------------------------------


#: float16 overflows at 65504, and a correct weight gradient Σ_t δ_t x_tᵀ grows like |x|·T·B:
#: the largest |x| float16 can be asked for (bounded kinds; the ReLU RNN's h grows with |x| too).
FLOAT16_MAX_SCALE = {True: 1e3, False: 1e2}


def _scales(ctx: Context) -> list[float]:
    scales = [1e2, 1e3, 1e4]
    if ctx.dtype is torch.float16:
        return [s for s in scales if s <= FLOAT16_MAX_SCALE[ctx.kind.bounded_hidden]]
    return scales


def _finite_cases(ctx: Context) -> st.SearchStrategy[Case]:
    dtypes = ["float64", "float32"] if ctx.dtype is torch.float64 else [ctx.dtype_name]
    weight = [1.0, 10.0] if ctx.kind.bounded_hidden else [1.0]
    return cases(
        steps=(1, 24),
        batch=(1, 4),
        inputs=(1, 6),
        hidden=(1, 8),
        scale=st.sampled_from(_scales(ctx)),
        weight_scale=st.sampled_from(weight),
        dtype=st.sampled_from(dtypes),
    )


def _finite_explicit(ctx: Context) -> list[Case]:
    dtypes = ["float64", "float32"] if ctx.dtype is torch.float64 else [ctx.dtype_name]
    weight = 10.0 if ctx.kind.bounded_hidden else 1.0
    return [
        Case(24, 3, 4, 6, 1, {"scale": max(_scales(ctx)), "weight_scale": weight, "dtype": d}) for d in dtypes
    ]


def finite(ctx: Context, case: Case) -> Outcome:
    """No NaN or inf in outputs or gradients at |x| up to 1e4 and saturated gates."""
    dtype = NAMED_DTYPES[str(case.option("dtype", ctx.dtype_name))]
    module = ctx.build(case, weight_scale=case.option("weight_scale", 1.0), dtype=dtype)
    inputs = ctx.inputs(case, scale=case.option("scale", 1e4), dtype=dtype)
    out, grads = outputs_and_gradients(module, ctx.kind, inputs, case)
    reports = [nonfinite(n, t) for n, t in {**out.tensors(), **grads}.items()]
    failing = [r for r in reports if r is not None]
    if failing:
        return Outcome.from_tensors(
            failing, f"{case.option('dtype', ctx.dtype_name)}, |x| ~ {case.option('scale')}"
        )
    return Outcome(True, 0.0, "all finite")


CHECKS = (
    Check(
        "invariants.causality",
        "output at step t does not depend on inputs after t",
        "equivalence",
        lambda ctx: cases(steps=(2, 24), batch=(1, 4), split=st.integers(1, 23)),
        causality,
        explicit=lambda ctx: [Case(2, 1, 1, 1, 0, {"split": 1}), Case(24, 2, 3, 5, 1, {"split": 12})],
    ),
    Check(
        "invariants.batch_independence",
        "a sample's outputs and input gradient do not depend on the rest of its batch",
        "equivalence",
        lambda ctx: cases(steps=(1, 24), batch=(2, 6), sample=st.integers(0, 5)),
        batch_independence,
        explicit=lambda ctx: [Case(3, 2, 2, 3, 0, {"sample": 1}), Case(24, 6, 4, 8, 1, {"sample": 0})],
        share=0.5,
    ),
    Check(
        "invariants.determinism",
        "the same call twice gives identical outputs and gradients",
        "exact",
        lambda ctx: cases(steps=(1, 24), batch=(1, 4), inputs=(1, 8), hidden=(1, 12), **configuration(ctx)),
        determinism,
        explicit=lambda ctx: [Case(24, 3, 4, 6, 1), *([] if ctx.autocast else boundary_cases(ctx)[:1])],
        share=0.4,
        uses=AXES,
    ),
    Check(
        "invariants.stateless",
        "nothing carried between calls; inputs, state and parameters not modified in place",
        "exact",
        lambda ctx: cases(steps=(1, 24), batch=(1, 4)),
        stateless,
        explicit=lambda ctx: [Case(24, 3, 4, 6, 1)],
        share=0.4,
    ),
    Check(
        "invariants.finite",
        "finite outputs and gradients for |x| up to 1e4 and saturated gates, float64 and float32",
        "finite",
        _finite_cases,
        finite,
        explicit=_finite_explicit,
        share=0.5,
    ),
)
