"""Family 1, gate ranges and state bounds: what the equations guarantee whatever the weights.

* ``ranges.gates``: σ gates (LSTM i_t, f_t, o_t; GRU r_t, z_t) lie in [0, 1]; candidates (C~_t,
  GRU n_t) in [-1, 1]. Needs ``trace()`` (lstm_bench's references have it); skipped otherwise.
* ``ranges.hidden``: |h_t| <= 1 for the LSTM (o ⊙ tanh C), GRU (a convex mix of n_t and h_{t-1})
  and tanh RNN; h_t >= 0 for the ReLU RNN. Reads the outputs, so it runs on any implementation.
* ``ranges.cell``: |C_t| <= |C_0| + t, since |f ⊙ C + i ⊙ C~| <= |C| + 1. Every step with a trace,
  C_T (= c_n) without one.
* ``ranges.saturation``: with f_t = 1 and i_t = 0 (biases ±100) the LSTM keeps C exactly; with
  f_t = 0 it erases it (C_T no longer depends on C_0); a GRU with z_t = 1 keeps h exactly.

Inputs are drawn up to |x| = 1e4 and weights up to 10x torch's default, to reach saturation.
"""

from __future__ import annotations

from typing import Any

import torch
from hypothesis import strategies as st
from torch import Tensor, nn

from lstm_bench.conformance.cases import Case, call, cases, parameters
from lstm_bench.conformance.checks import Check, Context
from lstm_bench.conformance.compare import bound_report
from lstm_bench.conformance.result import Outcome, TensorError
from lstm_bench.kinds import Kind

#: Bias that saturates a σ gate: σ(100) rounds to 1 and σ(-100) ≈ 4e-44 in float64 and float32.
SATURATING_BIAS = 100.0

_UNIT = (0.0, 1.0)
_SIGNED = (-1.0, 1.0)
GATE_BOUNDS: dict[Kind, dict[str, tuple[float, float]]] = {
    Kind.LSTM: {"input": _UNIT, "forget": _UNIT, "candidate": _SIGNED, "output": _UNIT},
    Kind.GRU: {"reset": _UNIT, "update": _UNIT, "candidate": _SIGNED},
}


def _saturating_cases(ctx: Context, steps: tuple[int, int] = (1, 24)) -> st.SearchStrategy[Case]:
    weight = [1.0, 10.0] if ctx.kind.bounded_hidden else [1.0]  # a 10x ReLU RNN may legitimately explode
    return cases(
        steps=steps,
        batch=(1, 4),
        inputs=(1, 6),
        hidden=(1, 8),
        scale=st.sampled_from([1.0, 10.0, 100.0, 1e4]),
        weight_scale=st.sampled_from(weight),
    )


def _explicit(ctx: Context) -> list[Case]:
    weight = 10.0 if ctx.kind.bounded_hidden else 1.0
    return [
        Case(1, 1, 1, 1, 0, {"scale": 1.0, "weight_scale": 1.0}),
        Case(24, 3, 4, 6, 1, {"scale": 1e4, "weight_scale": weight}),
    ]


def _setup(ctx: Context, case: Case) -> tuple[nn.Module, Any]:
    module = ctx.build(case, weight_scale=case.option("weight_scale", 1.0))
    inputs = ctx.inputs(case, scale=case.option("scale", 1.0), state_scale=1.0)
    return module, inputs


# -- ranges.gates -------------------------------------------------------------------------------


def _skip_gates(ctx: Context) -> str | None:
    if ctx.kind not in GATE_BOUNDS:
        return f"the {ctx.kind.value} kind has no gates"
    if not ctx.has_trace:
        return "no trace() method, so the gates are not visible (lstm_bench.reference modules show the API)"
    return None


def gates(ctx: Context, case: Case) -> Outcome:
    """Every gate activation of ``trace()`` within its range."""
    module, inputs = _setup(ctx, case)
    with torch.no_grad():
        trace = module.trace(inputs.x, inputs.hx())  # type: ignore[operator]
    found = getattr(trace, "gates", None)
    if not isinstance(found, dict):
        return Outcome.failure(f"trace() returned {type(trace).__name__} without a 'gates' dict")
    tol = ctx.tol("bound")
    reports: list[TensorError] = []
    for name, (low, high) in GATE_BOUNDS[ctx.kind].items():
        if name not in found:
            return Outcome.failure(f"trace().gates has no {name!r} entry (has {sorted(found)})")
        reports.append(bound_report(f"{name} gate", found[name], low, high, tol))
    return Outcome.from_tensors(reports)


# -- ranges.hidden ------------------------------------------------------------------------------


def hidden(ctx: Context, case: Case) -> Outcome:
    """|h_t| <= 1 (h_t >= 0 for the ReLU RNN) at every step and in h_n."""
    module, inputs = _setup(ctx, case)
    with torch.no_grad():
        out = call(module, ctx.kind, inputs.x, inputs.hx())
    low, high = (-1.0, 1.0) if ctx.kind.bounded_hidden else (0.0, float("inf"))
    tol = ctx.tol("bound")
    return Outcome.from_tensors(
        [bound_report("output", out.output, low, high, tol), bound_report("h_n", out.h_n, low, high, tol)]
    )


# -- ranges.cell --------------------------------------------------------------------------------


def _skip_cell(ctx: Context) -> str | None:
    return None if ctx.kind.has_cell else f"the {ctx.kind.value} kind has no cell state"


def cell(ctx: Context, case: Case) -> Outcome:
    """|C_t| <= |C_0| + t at every step (trace) or at t = T (c_n)."""
    module = ctx.build(case, weight_scale=case.option("weight_scale", 1.0))
    inputs = ctx.inputs(case, scale=case.option("scale", 1.0), state_scale=3.0)
    assert inputs.c0 is not None
    c0 = inputs.c0.abs()  # (B, H)
    tol = ctx.tol("bound")
    with torch.no_grad():
        if ctx.has_trace:
            cells = getattr(module.trace(inputs.x, inputs.hx()), "cells", None)  # type: ignore[operator]
            if not isinstance(cells, Tensor):
                return Outcome.failure("trace() returned no 'cells' tensor for an LSTM")
            steps = torch.arange(1, case.steps + 1, dtype=c0.dtype, device=c0.device).view(-1, 1, 1)
            limit = c0.unsqueeze(0) + steps  # (T, B, H)
            return Outcome.from_tensors([bound_report("|C_t|", cells.abs(), -limit, limit, tol)])
        out = call(module, ctx.kind, inputs.x, inputs.hx())
        assert out.c_n is not None
        limit = c0 + case.steps
        return Outcome.from_tensors([bound_report("|c_n|", out.c_n.abs(), -limit, limit, tol)])


# -- ranges.saturation --------------------------------------------------------------------------


def _skip_saturation(ctx: Context) -> str | None:
    return (
        None if ctx.kind in (Kind.LSTM, Kind.GRU) else f"the {ctx.kind.value} kind has no gates to saturate"
    )


def _set_gate_bias(module: nn.Module, block: int, hidden_size: int, value: float) -> None:
    """Gate ``block``'s effective bias b_ih + b_hh := value (all of it in b_ih)."""
    rows = slice(block * hidden_size, (block + 1) * hidden_size)
    params = parameters(module)
    with torch.no_grad():
        params["bias_ih_l0"][rows] = value
        params["bias_hh_l0"][rows] = 0.0


def saturation(ctx: Context, case: Case) -> Outcome:
    """LSTM: forget = 1, input = 0 keeps C_0; forget = 0 erases it. GRU: update = 1 keeps h_0."""
    inputs = ctx.inputs(case, scale=case.option("scale", 1.0), state_scale=2.0)
    hx = inputs.hx()
    hid = case.hidden_size
    if ctx.kind is Kind.GRU:
        keep = ctx.build(case)
        _set_gate_bias(keep, 1, hid, SATURATING_BIAS)  # z_t = 1: h_t = h_{t-1}
        with torch.no_grad():
            out = call(keep, ctx.kind, inputs.x, hx)
        held = inputs.h0.unsqueeze(0).expand_as(out.output)
        return Outcome.from_tensors(
            [ctx.compare("output (update gate = 1)", out.output, held, "saturation", case)]
        )
    keep = ctx.build(case)
    _set_gate_bias(keep, 0, hid, -SATURATING_BIAS)  # i_t = 0
    _set_gate_bias(keep, 1, hid, SATURATING_BIAS)  # f_t = 1: C_t = C_{t-1}
    erase = ctx.build(case)
    _set_gate_bias(erase, 1, hid, -SATURATING_BIAS)  # f_t = 0: C_t = i_t ⊙ C~_t
    other = ctx.inputs(case, scale=case.option("scale", 1.0), state_scale=2.0, stream=5)
    assert inputs.c0 is not None and other.c0 is not None
    with torch.no_grad():
        kept = call(keep, ctx.kind, inputs.x, hx)
        erased = call(erase, ctx.kind, inputs.x, hx)
        erased_other = call(erase, ctx.kind, inputs.x, (inputs.h0.unsqueeze(0), other.c0.unsqueeze(0)))
    assert kept.c_n is not None and erased.c_n is not None and erased_other.c_n is not None
    return Outcome.from_tensors(
        [
            ctx.compare("c_n (forget = 1, input = 0)", kept.c_n, inputs.c0, "saturation", case),
            ctx.compare("c_n (forget = 0), other c0", erased_other.c_n, erased.c_n, "saturation", case),
        ]
    )


CHECKS = (
    Check(
        "ranges.gates",
        "σ gates in [0, 1], candidates in [-1, 1] (needs trace())",
        "bound",
        _saturating_cases,
        gates,
        explicit=_explicit,
        skip=_skip_gates,
    ),
    Check(
        "ranges.hidden",
        "|h_t| <= 1 (ReLU RNN: h_t >= 0)",
        "bound",
        _saturating_cases,
        hidden,
        explicit=_explicit,
    ),
    Check(
        "ranges.cell",
        "|C_t| <= |C_0| + t",
        "bound",
        _saturating_cases,
        cell,
        explicit=_explicit,
        skip=_skip_cell,
    ),
    Check(
        "ranges.saturation",
        "forget = 1, input = 0 keeps C exactly; forget = 0 erases it (GRU: update = 1 keeps h)",
        "saturation",
        lambda ctx: cases(
            steps=(1, 16), batch=(1, 4), inputs=(1, 6), hidden=(1, 8), scale=st.sampled_from([0.1, 1.0])
        ),
        saturation,
        explicit=lambda ctx: [Case(16, 2, 3, 5, 0, {"scale": 1.0})],
        skip=_skip_saturation,
        share=0.5,
    ),
)
