"""Full-Jacobian gradient check: lstm-bench's vectorised finite differences vs torch.autograd.gradcheck.

Same model (torch.nn.LSTM, I=4, H=16, B=2, T=50, float64), same inputs, same Jacobian, central
differences with the same step (ε = 1e-6) on both sides; lstm-bench's tolerance (1e-7 +
1e-6·|ref|) is 100x tighter than gradcheck's defaults (1e-5 + 1e-3·|ref|). gradcheck perturbs
every input scalar of the whole batch; lstm-bench perturbs every scalar of every sample in one
batched forward (entries between different samples are zero when samples are independent, which
``invariants.batch_independence`` checks) and verifies the real batch's backward against the
per-sample blocks with one extra vᵀJ. Two scopes:

* inputs:     ∂(output, h_n, c_n)/∂(x, h0, c0), what ``gradcheck(f, (x, h0, c0))`` checks;
* parameters: the same plus ∂/∂(W_ih, W_hh, b_ih, b_hh) (``--parameters``; slow: gradcheck
  takes a while, and lstm-bench also needs one backward per output entry there).

The 30x target (issue 13) is for the inputs + states scope; the parameter scope is reported
beside it (8.5x when issue 13 was filed), since there both sides need one pass per parameter.

Usage: python benchmarks/gradcheck_speed.py [--parameters] [--threads N] [--steps T]
Run it alone on the machine (flock /tmp/lstm-bench-measure.lock ...): timings are wall clock.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.func import functional_call

from lstm_bench.conformance.cases import Inputs
from lstm_bench.conformance.jacobian import Layout, full_jacobian
from lstm_bench.conformance.result import TensorError
from lstm_bench.conformance.tolerances import fd_step, tolerance
from lstm_bench.kinds import Kind

I, H, B, T = 4, 16, 2, 50
TARGET = 30.0


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn(*args)
    return time.perf_counter() - start, value


def _setup(steps: int = T) -> tuple[nn.Module, Inputs]:
    torch.manual_seed(0)
    module = nn.LSTM(I, H).double()
    x = torch.randn(steps, B, I, dtype=torch.float64)
    h0, c0 = torch.rand(B, H, dtype=torch.float64) * 2 - 1, torch.rand(B, H, dtype=torch.float64) * 2 - 1
    return module, Inputs(x, h0, c0)


def _ours(module: nn.Module, inputs: Inputs, parameters: bool) -> list[TensorError]:
    tol = tolerance("finite-difference", "float64")
    return full_jacobian(module, Kind.LSTM, inputs, tol, fd_step("float64"), include_parameters=parameters)


def _gradcheck(module: nn.Module, inputs: Inputs, parameters: bool) -> bool:
    names = [n for n, _ in module.named_parameters()]
    leaves = [t.clone().requires_grad_(True) for t in (inputs.x, inputs.h0, inputs.c0)]
    params = [p.detach().clone().requires_grad_(True) for p in module.parameters()]

    def f(x: Tensor, h0: Tensor, c0: Tensor, *weights: Tensor) -> tuple[Tensor, ...]:
        state = dict(zip(names, weights or params, strict=True))
        out, (h, c) = functional_call(module, state, (x, (h0.unsqueeze(0), c0.unsqueeze(0))))
        return out, h, c

    args = (*leaves, *params) if parameters else tuple(leaves)
    return bool(torch.autograd.gradcheck(f, args, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False))


def _warm_up(module: nn.Module, inputs: Inputs) -> None:
    """Run both checks once on a 3-step problem, so neither pays torch's one-time first-call costs
    in the timing (the first ``torch.autograd.grad`` alone imports torch.fx and sympy: over a second)."""
    short = Inputs(inputs.x[:3], inputs.h0, inputs.c0)
    _ours(module, short, True)
    _gradcheck(module, short, False)


def _entries(layout: Layout, module: nn.Module, parameters: bool) -> int:
    rows = layout.batch * layout.outputs
    cols = layout.steps * layout.batch * layout.input_size + 2 * layout.batch * layout.hidden
    if parameters:
        cols += sum(p.numel() for p in module.parameters())
    return rows * cols


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parameters", action="store_true", help="also check the parameter Jacobian (slow)")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for both (default 1)")
    parser.add_argument(
        "--steps", type=int, default=T, help=f"sequence length T (default {T}; small to smoke-test)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    module, inputs = _setup(args.steps)
    layout = Layout.of(inputs)
    _warm_up(module, inputs)
    scopes = [False, True] if args.parameters else [False]
    print(
        f"torch.nn.LSTM I={I} H={H} B={B} T={args.steps} float64, {args.threads} thread(s), torch {torch.__version__}"
    )
    for with_params in scopes:
        scope = "inputs + states + parameters" if with_params else "inputs + states (x, h0, c0)"
        ours_s, reports = _timed(_ours, module, inputs, with_params)
        worst = max(r.max_abs for r in reports)
        ok = all(r.passed for r in reports)
        ref_s, ref_ok = _timed(_gradcheck, module, inputs, with_params)
        within = layout.batch * layout.outputs * layout.sample_inputs
        print(f"\n{scope}: {_entries(layout, module, with_params):,} Jacobian entries")
        how = (
            "analytic rows from the real batch (vmapped vector-Jacobian products), parameter columns one "
            "perturbation at a time"
            if with_params
            else "cross-sample entries checked through one whole-batch vᵀJ"
        )
        print(
            f"  (lstm-bench: the {within:,} within-sample input entries in one batched pass each way; {how})"
        )
        print(
            f"  torch.autograd.gradcheck(fast_mode=False): {ref_s:8.2f} s  passed={ref_ok}  (tol 1e-5 + 1e-3·|ref|)"
        )
        print(
            f"  lstm-bench full_jacobian:                  {ours_s:8.2f} s  passed={ok}  worst {worst:.1e} (tol 1e-7 + 1e-6·|ref|)"
        )
        ratio = ref_s / ours_s
        if with_params:
            print(f"  speed-up: {ratio:.1f}x (reported, no target; 8.5x when issue 13 was filed)")
        else:
            verdict = "meets" if ratio >= TARGET else "misses"
            print(f"  speed-up: {ratio:.1f}x ({verdict} the {TARGET:.0f}x target)")


if __name__ == "__main__":
    main()
