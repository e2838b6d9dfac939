"""Family 2, equivalence with the float64 reference (``lstm_bench.reference.choice``: NumPy, of the
implementation's kind and declared GRU variant).

The implementation and the reference get the same weights (read back from the module, so a
float32 module is compared on its own rounded weights) and the same inputs; outputs, h_n and
c_n must agree within the dtype's documented tolerance. One check per calling convention:

* ``equivalence.zero_state``: no initial state passed (zeros by contract).
* ``equivalence.initial_state``: (h_0, c_0) passed.
* ``equivalence.batch_first``: built with batch_first=True, input (B, T, I); skipped when the
  implementation offers no way to ask for it.
* ``equivalence.unbatched``: input (T, I) and state (1, H), as torch.nn accepts.
* ``equivalence.gradients``: the implementation's gradients of L = Σ v ⊙ (output, h_n, c_n)
  against the reference's hand-written BPTT (an exact float64 backward, no finite differences).

Batches of one and of many are both drawn; the explicit cases pin T = B = I = H = 1 and a long,
wide case.
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from torch import Tensor, nn

from lstm_bench.capabilities import Feature
from lstm_bench.conformance.accuracy import scale_of
from lstm_bench.conformance.cases import (
    Case,
    Inputs,
    Outputs,
    call,
    cases,
    free_part,
    generator,
    parameters,
)
from lstm_bench.conformance.checks import Check, Context
from lstm_bench.conformance.result import Outcome
from lstm_bench.kinds import Kind
from lstm_bench.reference.interop import to_numpy


def _np(t: Tensor | None) -> NDArray[np.float64] | None:
    return None if t is None else t.detach().to(device="cpu", dtype=torch.float64).numpy()


def reference_outputs(
    ctx: Context, module: nn.Module, inputs: Inputs, with_state: bool = True
) -> dict[str, Tensor]:
    """The float64 reference of the implementation's kind and declared GRU variant (``ctx.reference``)
    run on the module's own weights and the same inputs: {'output', 'h_n'[, 'c_n']}."""
    x = _np(inputs.x)
    assert x is not None
    h0, c0 = (_np(inputs.h0), _np(inputs.c0)) if with_state else (None, None)
    found = ctx.reference.forward(to_numpy(module), x, h0, c0)
    return {name: torch.from_numpy(value) for name, value in found.items()}


def _against_reference(
    ctx: Context, module: nn.Module, inputs: Inputs, out: Outputs, with_state: bool, case: Case
) -> Outcome:
    expected = reference_outputs(ctx, module, inputs, with_state)
    return Outcome.from_tensors(ctx.compare_all(out.tensors(), expected, "equivalence", case))


def zero_state(ctx: Context, case: Case) -> Outcome:
    """forward(x) with no initial state vs the reference from zeros."""
    module, inputs = ctx.build(case), ctx.inputs(case)
    with torch.no_grad():
        out = call(module, ctx.kind, inputs.x)
    return _against_reference(ctx, module, inputs, out, with_state=False, case=case)


def initial_state(ctx: Context, case: Case) -> Outcome:
    """forward(x, (h0, c0)) vs the reference from the same state."""
    module, inputs = ctx.build(case), ctx.inputs(case)
    with torch.no_grad():
        out = call(module, ctx.kind, inputs.x, inputs.hx())
    return _against_reference(ctx, module, inputs, out, with_state=True, case=case)


def _skip_batch_first(ctx: Context) -> str | None:
    if ctx.make_batch_first(Case(2, 2, 2, 3, 0)) is None:
        return "the factory takes no batch_first argument and the module has no batch_first attribute"
    return None


def batch_first(ctx: Context, case: Case) -> Outcome:
    """A batch_first=True instance on (B, T, I) input vs the reference on the time-major input."""
    module = ctx.make_batch_first(case)
    if module is None:
        return Outcome.failure("could not build a batch_first instance")
    inputs = ctx.inputs(case)
    with torch.no_grad():
        out = call(module, ctx.kind, inputs.x.transpose(0, 1).contiguous(), inputs.hx(), layout="batch")
    return _against_reference(ctx, module, inputs, out, with_state=True, case=case)


def unbatched(ctx: Context, case: Case) -> Outcome:
    """Input (T, I) with state (1, H) vs the reference on a batch of one."""
    module, inputs = ctx.build(case), ctx.inputs(case)  # the case has B = 1
    h0 = inputs.h0.reshape(1, -1)  # (1, H): (num_layers, H) for unbatched input
    hx = h0 if inputs.c0 is None else (h0, inputs.c0.reshape(1, -1))
    with torch.no_grad():
        out = call(module, ctx.kind, inputs.x[:, 0, :], hx, layout="unbatched")
    return _against_reference(ctx, module, inputs, out, with_state=True, case=case)


def output_weights(case: Case, out: Outputs, stream: int = 3) -> dict[str, Tensor]:
    """Random upstream gradients v, one per output tensor, drawn from the case (float64, CPU)."""
    gen = generator(case, stream)
    return {
        name: torch.randn(t.shape, generator=gen, dtype=torch.float64) for name, t in out.tensors().items()
    }


def gradients(ctx: Context, case: Case) -> Outcome:
    """∂L/∂(x, h0, c0, parameters) of the implementation vs the reference's hand-written BPTT."""
    module, inputs = ctx.build(case), ctx.inputs(case)
    return backward_against_reference(ctx, case, module, inputs)


def backward_against_reference(
    ctx: Context,
    case: Case,
    module: nn.Module,
    inputs: Inputs,
    last_step_only: bool = False,
    topic: str = "gradient-equivalence",
) -> Outcome:
    """The implementation's backward of L = Σ v ⊙ (output, h_n, c_n) vs the float64 BPTT of the
    reference on the same weights and inputs; ``last_step_only`` zeroes v on output[:T-1]."""
    leaves = {name: t.detach().clone().requires_grad_(True) for name, t in inputs.tensors().items()}
    params = parameters(module)
    hx = (
        leaves["h0"].unsqueeze(0)
        if "c0" not in leaves
        else (leaves["h0"].unsqueeze(0), leaves["c0"].unsqueeze(0))
    )
    out = call(module, ctx.kind, leaves["x"], hx)
    weights = output_weights(case, out)
    weights = {
        n: w.to(out.output.dtype).to(torch.float64) for n, w in weights.items()
    }  # v as the loss sees it
    if last_step_only:
        weights["output"][:-1] = 0.0
    loss = torch.stack([(t * weights[name].to(t)).sum() for name, t in out.tensors().items()]).sum()
    wrt = {**leaves, **params}
    grads = torch.autograd.grad(loss, list(wrt.values()), allow_unused=True)
    got = {
        name: torch.zeros_like(t) if g is None else g for (name, t), g in zip(wrt.items(), grads, strict=True)
    }
    x, h0, c0 = (_np(t) for t in (inputs.x, inputs.h0, inputs.c0))
    assert x is not None and h0 is not None
    expected = ctx.reference.gradients(  # x, h0[, c0], weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0
        to_numpy(module), x, h0, c0, {n: w.numpy() for n, w in weights.items()}
    )
    references = {  # entries the layer holds at 0 (``fixed_zeros``) have no gradient
        name: free_part(module, name, torch.from_numpy(np.asarray(value))) for name, value in expected.items()
    }
    # one scale for every gradient of the loss: a gradient that cancels to near zero (d/d c0 through
    # many forget gates) is judged against the loss's largest gradient, not its own tiny magnitude
    shared = max(scale_of(ref) for ref in references.values())
    reports = [
        ctx.compare(f"d/d {name}", got[name], ref, topic, case, scale_floor=shared)
        for name, ref in references.items()
    ]
    return Outcome.from_tensors(reports)


def skip_relu_gradients(ctx: Context) -> str | None:
    """Gradients of the ReLU RNN are not comparable in bfloat16 / float16 (see the reason)."""
    if ctx.reduced and ctx.kind is Kind.RNN_RELU:
        return (
            f"not applicable in {ctx.precision}: a pre-activation within one rounding of 0 flips the ReLU "
            "and changes a gradient entry by O(1), so no roundoff bound holds (run float32 or float64)"
        )
    return None


def _sizes(ctx: Context) -> list[Case]:
    return [Case(1, 1, 1, 1, 0), Case(40, 3, 5, 7, 1)]


CHECKS = (
    Check(
        "equivalence.zero_state",
        "output, h_n, c_n match the float64 reference with no initial state",
        "equivalence",
        lambda ctx: cases(),
        zero_state,
        explicit=_sizes,
    ),
    Check(
        "equivalence.initial_state",
        "output, h_n, c_n match the reference from a given (h0, c0)",
        "equivalence",
        lambda ctx: cases(),
        initial_state,
        explicit=_sizes,
    ),
    Check(
        "equivalence.batch_first",
        "batch_first=True on (B, T, I) input matches the reference",
        "equivalence",
        lambda ctx: cases(),
        batch_first,
        explicit=_sizes,
        skip=_skip_batch_first,
        share=0.5,
        requires=(Feature.BATCH_FIRST,),
    ),
    Check(
        "equivalence.unbatched",
        "unbatched (T, I) input with (1, H) state matches the reference",
        "equivalence",
        lambda ctx: cases(batch=(1, 1)),
        unbatched,
        explicit=lambda ctx: [Case(1, 1, 1, 1, 0), Case(40, 1, 5, 7, 1)],
        share=0.5,
        requires=(Feature.UNBATCHED,),
    ),
    Check(
        "equivalence.gradients",
        "gradients of every input and parameter match the reference's hand-written BPTT",
        "gradient-equivalence",
        lambda ctx: cases(steps=(1, 32), batch=(1, 4), inputs=(1, 6), hidden=(1, 8)),
        gradients,
        explicit=lambda ctx: [Case(1, 1, 1, 1, 0), Case(32, 3, 4, 6, 1)],
        skip=skip_relu_gradients,
        share=0.5,
    ),
)
