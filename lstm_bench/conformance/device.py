"""Family 5, device checks: run only when the implementation runs on a GPU (``--device cuda`` / ``mps``).

* ``device.cpu_vs_device``: the same instance (same weights) on the CPU and on the device, same
  dtype, same inputs: outputs, h_n, c_n and every gradient agree within the dtype's equivalence
  tolerance (a kernel that is right on the CPU but wrong on the device, or the other way round).
* ``device.backward_determinism``: forward + backward twice on the device with the same inputs.
  Bitwise equal passes; a difference within the dtype's equivalence tolerance passes but is
  reported as "nondeterministic" with its size (atomic adds in a cuDNN backward do that); a larger
  one fails. The cuDNN settings (``torch.backends.cudnn.deterministic``, ``benchmark``) and
  ``torch.are_deterministic_algorithms_enabled()`` are recorded in the result's notes.

On the CPU both skip with the reason. The reference is never run on the device: the
equivalence family already compares the device run with the float64 CPU reference.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from lstm_bench.conformance.cases import Case, Inputs, cases, outputs_and_gradients
from lstm_bench.conformance.checks import Check, Context
from lstm_bench.conformance.result import Outcome


def device_type(device: str) -> str:
    """'cuda' for 'cuda:1', 'cpu' for 'cpu'."""
    return device.split(":")[0]


def device_available(device: str) -> str | None:
    """None when ``device`` can run here, else one line saying why not (torch version included)."""
    kind = device_type(device)
    if kind == "cpu":
        return None
    if kind == "cuda":
        if torch.cuda.is_available():
            return None
        return f"CUDA is not available here (torch {torch.__version__})"
    if kind == "mps":
        backend = getattr(torch.backends, "mps", None)
        if backend is not None and backend.is_available():
            return None
        return f"MPS is not available here (torch {torch.__version__})"
    return f"unknown device {device!r}; expected cpu, cuda or mps"


def determinism_settings() -> tuple[str, ...]:
    """The settings that decide whether a GPU backward is deterministic, as 'name=value' notes."""
    return (
        f"cudnn.deterministic={torch.backends.cudnn.deterministic}",
        f"cudnn.benchmark={torch.backends.cudnn.benchmark}",
        f"deterministic_algorithms={torch.are_deterministic_algorithms_enabled()}",
    )


def _skip_on_cpu(ctx: Context) -> str | None:
    if device_type(ctx.device) == "cpu":
        return "runs only with --device cuda or mps (this run is on the CPU)"
    return device_available(ctx.device)


def forward_backward(module: nn.Module, ctx: Context, inputs: Inputs, case: Case) -> dict[str, Tensor]:
    """Outputs and ∂L/∂(x, h0, c0, parameters) for L = Σ v ⊙ (output, h_n, c_n), v drawn from the case."""
    out, grads = outputs_and_gradients(module, ctx.kind, inputs, case)
    return {**out.tensors(), **grads}


def cpu_vs_device(ctx: Context, case: Case) -> Outcome:
    """The device run against a CPU run of the same weights and inputs, same dtype."""
    module = ctx.build(case)
    inputs = ctx.inputs(case)
    on_device = forward_backward(module, ctx, inputs, case)
    cpu = Context(ctx.impl, ctx.dtype, "cpu", autocast=ctx.autocast)
    on_cpu = forward_backward(cpu.build(case), cpu, cpu.inputs(case), case)  # the same seeded weights
    reports = [
        ctx.compare(name, on_device[name], value, "equivalence", case) for name, value in on_cpu.items()
    ]
    return Outcome.from_tensors(reports, f"{ctx.device} vs cpu")


def backward_determinism(ctx: Context, case: Case) -> Outcome:
    """Two identical forward + backward calls on the device: bitwise equal, or how far apart."""
    key = f"notes:{CHECKS[1].name}"
    notes = ctx._cache.setdefault(key, list(determinism_settings()))
    module, inputs = ctx.build(case), ctx.inputs(case)
    first = forward_backward(module, ctx, inputs, case)
    second = forward_backward(module, ctx, inputs, case)
    differing = {n: float((first[n].double() - second[n].double()).abs().max()) for n in first}
    differing = {n: d for n, d in differing.items() if d != 0.0 or not torch.equal(first[n], second[n])}
    reports = [ctx.compare(name, second[name], first[name], "equivalence", case) for name in first]
    outcome = Outcome.from_tensors(reports, "second call vs first")
    if not differing:
        return Outcome(True, 0.0, "bitwise identical", outcome.tensors)
    worst = max(differing, key=lambda n: differing[n])
    verdict = "nondeterministic" if outcome.passed else "nondeterministic beyond tolerance"
    detail = f"{verdict}: {len(differing)} tensors differ, worst {worst} by {differing[worst]:.2e}"
    if not any(n.startswith("nondeterministic") for n in notes):
        notes.append(f"{detail} ({case.describe()})")
    return Outcome(outcome.passed, max(differing.values()), detail, outcome.tensors)


CHECKS = (
    Check(
        "device.cpu_vs_device",
        "outputs and gradients on the device match a CPU run of the same weights and inputs",
        "equivalence",
        lambda ctx: cases(steps=(1, 32), batch=(1, 4), inputs=(1, 8), hidden=(1, 16)),
        cpu_vs_device,
        explicit=lambda ctx: [Case(1, 1, 1, 1, 0), Case(32, 4, 8, 16, 1)],
        skip=_skip_on_cpu,
        share=0.3,
    ),
    Check(
        "device.backward_determinism",
        "forward + backward twice on the device give identical bits (else: nondeterministic, by how much)",
        "equivalence",
        lambda ctx: cases(steps=(1, 32), batch=(1, 8), inputs=(1, 16), hidden=(1, 32)),
        backward_determinism,
        explicit=lambda ctx: [Case(32, 8, 16, 32, 1)],
        skip=_skip_on_cpu,
        share=0.3,
    ),
)
