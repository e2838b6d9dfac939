"""Family 5, the whole torch.nn contract: stacks, directions, projection, packed input, dropout, shapes.

Each case draws a configuration over the axes the implementation supports (``capabilities``):
num_layers 1-3, bidirectional, proj_size (LSTM), bias=False, batch_first, with I ≠ H and non-zero
biases and initial states (D·L, B, H_out). The float64 reference is ``torch_ref`` built with the
same options and the implementation's own weights (copied by torch.nn's names).

* ``contract.stack``: output, h_n, c_n and ∂L/∂(x, h0, c0, every parameter) for
  L = Σ v ⊙ (output, h_n, c_n) match the reference (num_layers 2-3, with batch_first drawn,
  so a layout handled wrongly only in the backward fails too).
* ``contract.partial_loss``: the same gradients when L reads only output, only h_n or only c_n.
* ``contract.large_hidden``: as ``contract.stack`` at H = 129..300 (past 128 and 256) with T, B small.
* ``gradients.directional`` draws a configuration too and adds ``stack_directional``: vᵀ J u of
  the implementation's own backward vs central differences of its forward, per input tensor and
  along all parameters at once, in that configuration.
* ``contract.reverse``: the reverse direction of a bidirectional layer equals a forward-only
  instance with the reverse weights run on the time-flipped sequence from h0[1], output flipped back.
* ``contract.packed``: a PackedSequence of unequal lengths (sorted, or unsorted with
  enforce_sorted=False) gives each sequence the output and final state it gets run alone.
* ``contract.dropout``: eval mode ignores dropout; dropout=1 in training zeroes exactly the inputs
  of layers 2..L (never the output); with a fixed seed before each forward, training is
  reproducible and its backward matches finite differences under the same masks.
* ``invariants.determinism`` draws a configuration too and adds ``stack_determinism``: two
  backwards through one graph, and a second forward + backward, give bitwise identical gradients.
* ``contract.shapes``: an initial state of batch 1 for batch B, a state with the wrong layer count,
  or an input of the wrong width raises instead of broadcasting.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import torch
from hypothesis import strategies as st
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from lstm_bench.capabilities import Feature
from lstm_bench.conformance.cases import Case, ContractError, cases, free_part, generator, zero_fixed
from lstm_bench.conformance.checks import Check, Context
from lstm_bench.conformance.compare import compare
from lstm_bench.conformance.result import Outcome, TensorError
from lstm_bench.kinds import Kind
from lstm_bench.reference.interop import recurrent_parameters

State = Tensor | tuple[Tensor, Tensor]
#: The axes a configuration draws where the implementation supports them (``Check.uses``).
AXES = (Feature.MULTILAYER, Feature.BIDIRECTIONAL, Feature.PROJ_SIZE, Feature.NO_BIAS, Feature.BATCH_FIRST)
OUTPUT_NAMES = ("output", "h_n", "c_n")


# ---------------------------------------------------------------------------------------------------
# Configurations
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Config:
    """The constructor options of one case: L layers, D directions, proj_size P (0: none), bias."""

    layers: int = 1
    bidirectional: bool = False
    proj: int = 0
    bias: bool = True
    batch_first: bool = False
    dropout: float = 0.0

    @classmethod
    def of(cls, case: Case, kind: Kind) -> Config:
        proj = min(int(case.option("proj", 0)), case.hidden_size - 1) if kind is Kind.LSTM else 0
        return cls(
            int(case.option("layers", 1)),
            bool(case.option("bidir", False)),
            max(proj, 0),
            bool(case.option("bias", True)),
            bool(case.option("batch_first", False)),
            float(case.option("dropout", 0.0)),
        )

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    def out_size(self, hidden: int) -> int:
        """H_out: P when projecting, else H."""
        return self.proj or hidden

    def kwargs(self, layout: bool = True) -> dict[str, Any]:
        """Only the keywords that differ from torch.nn's defaults (a factory need not take the rest)."""
        found: dict[str, Any] = {}
        if self.layers > 1:
            found["num_layers"] = self.layers
        if self.bidirectional:
            found["bidirectional"] = True
        if self.proj:
            found["proj_size"] = self.proj
        if not self.bias:
            found["bias"] = False
        if self.dropout:
            found["dropout"] = self.dropout
        if layout and self.batch_first:
            found["batch_first"] = True
        return found


def _axes(ctx: Context, layers: tuple[int, int], batch_first: bool = True) -> dict[str, Any]:
    """Strategies for the configuration options, over the features the implementation supports."""
    supports = ctx.impl.capabilities.supports
    low, high = layers if supports(Feature.MULTILAYER) else (1, 1)
    return {
        "layers": st.integers(low, high),
        "bidir": st.booleans() if supports(Feature.BIDIRECTIONAL) else st.just(False),
        "proj": st.integers(0, 3) if ctx.kind is Kind.LSTM and supports(Feature.PROJ_SIZE) else st.just(0),
        "bias": st.booleans() if supports(Feature.NO_BIAS) else st.just(True),
        "batch_first": st.booleans() if batch_first and supports(Feature.BATCH_FIRST) else st.just(False),
    }


def configuration(ctx: Context, layers: tuple[int, int] = (1, 3)) -> dict[str, st.SearchStrategy[Any]]:
    """The configuration options as ``cases(**options)`` takes them (for checks of other families)."""
    return _axes(ctx, layers)


def _distinct_sizes(case: Case) -> Case:
    """I ≠ H, so a layer reading the wrong width fails loudly or numerically."""
    return replace(case, input_size=case.input_size + 1) if case.input_size == case.hidden_size else case


def config_cases(
    ctx: Context,
    layers: tuple[int, int] = (2, 3),
    steps: tuple[int, int] = (1, 8),
    batch: tuple[int, int] = (1, 4),
    inputs: tuple[int, int] = (1, 6),
    hidden: tuple[int, int] = (2, 8),
    batch_first: bool = True,
    **extra: st.SearchStrategy[Any],
) -> st.SearchStrategy[Case]:
    """Cases with a configuration drawn over the supported axes (see ``_axes``) and I ≠ H."""
    options = {**_axes(ctx, layers, batch_first), **extra}
    return cases(steps, batch, inputs, hidden, **options).map(_distinct_sizes)


def boundary_cases(ctx: Context, steps: int = 5, batch: int = 3, hidden: int = 6, **extra: Any) -> list[Case]:
    """Explicit cases that touch every supported axis at least once (the quick profile's guarantee)."""
    supports = ctx.impl.capabilities.supports
    deep = 3 if supports(Feature.MULTILAYER) else 1
    bidir = supports(Feature.BIDIRECTIONAL)
    proj = 2 if ctx.kind is Kind.LSTM and supports(Feature.PROJ_SIZE) else 0
    found = [
        Case(steps, batch, hidden - 2, hidden, 11, {"layers": deep, "bidir": bidir, "proj": proj, **extra}),
        Case(
            steps - 1,
            batch + 1,
            hidden + 1,
            hidden,
            12,
            {
                "layers": min(deep, 2),
                "bidir": False,
                "proj": 0,
                "bias": not supports(Feature.NO_BIAS),
                "batch_first": supports(Feature.BATCH_FIRST),
                **extra,
            },
        ),
    ]
    return found


# ---------------------------------------------------------------------------------------------------
# Building, drawing and calling
# ---------------------------------------------------------------------------------------------------


def build(ctx: Context, case: Case, cfg: Config, train: bool = False) -> nn.Module:
    """The implementation with the case's options and every recurrent weight ~ U(-1/√H, 1/√H)."""
    module = ctx.impl.make(
        case.input_size, case.hidden_size, dtype=ctx.dtype, device=ctx.device, **cfg.kwargs()
    )
    params = recurrent_parameters(module)
    if not params:
        raise ContractError("the module has no parameters with torch.nn's names (weight_ih_l0, ...)")
    gen = generator(case, 1)
    bound = 1.0 / math.sqrt(case.hidden_size)
    with torch.no_grad():
        for param in params.values():
            values = (torch.rand(param.shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound
            param.copy_(values.to(dtype=param.dtype, device=param.device))
    zero_fixed(module)  # entries the layer cannot represent (b_hn of a GRU without it) stay 0
    module.train(train)
    return ctx._wrap(module)


def reference(ctx: Context, case: Case, cfg: Config, module: nn.Module, dropout: float = 0.0) -> nn.Module:
    """``torch_ref`` in float64 on the CPU (of the declared GRU variant: ``ctx.reference``),
    time-major, with ``module``'s weights copied by name."""
    kwargs = replace(cfg, batch_first=False, dropout=dropout).kwargs()
    ref = ctx.reference.module(case.input_size, case.hidden_size, **kwargs)
    mine, theirs = recurrent_parameters(module), recurrent_parameters(ref)
    if set(mine) != set(theirs):
        extra, missing = sorted(set(mine) - set(theirs)), sorted(set(theirs) - set(mine))
        raise ContractError(
            f"parameters differ from torch.nn's for {cfg.kwargs()}: extra {extra}, missing {missing}"
        )
    with torch.no_grad():
        for name, target in theirs.items():
            if tuple(mine[name].shape) != tuple(target.shape):
                raise ContractError(
                    f"{name} has shape {tuple(mine[name].shape)}; torch.nn's is {tuple(target.shape)}"
                )
            target.copy_(mine[name].detach().to(device="cpu", dtype=torch.float64))
    return ref


@dataclass(frozen=True)
class StackInputs:
    """x (T, B, I) and h0 (D·L, B, H_out), c0 (D·L, B, H) in float64 on the CPU."""

    x: Tensor
    h0: Tensor
    c0: Tensor | None

    def tensors(self) -> dict[str, Tensor]:
        found = {"x": self.x, "h0": self.h0}
        if self.c0 is not None:
            found["c0"] = self.c0
        return found


def draw(case: Case, kind: Kind, cfg: Config, stream: int = 0) -> StackInputs:
    """x ~ N(0, 1), h0 and c0 ~ U(-1, 1), drawn from the case."""
    gen = generator(case, stream)
    states = cfg.directions * cfg.layers
    x = torch.randn(case.steps, case.batch, case.input_size, generator=gen, dtype=torch.float64)
    h0 = (
        torch.rand(states, case.batch, cfg.out_size(case.hidden_size), generator=gen, dtype=torch.float64) * 2
        - 1
    )
    c0 = None
    if kind.has_cell:
        c0 = torch.rand(states, case.batch, case.hidden_size, generator=gen, dtype=torch.float64) * 2 - 1
    return StackInputs(x, h0, c0)


def forward(
    module: nn.Module, kind: Kind, cfg: Config, case: Case, x: Tensor, h0: Tensor, c0: Tensor | None
) -> dict[str, Tensor]:
    """Call ``module`` on time-major x (transposed when batch_first) and return output (T, B, D·H_out),
    h_n, c_n; ContractError on a wrong structure or shape."""
    hx: State = h0 if c0 is None else (h0, c0)
    result = module(x.transpose(0, 1) if cfg.batch_first else x, hx)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise ContractError(f"forward returned {type(result).__name__}, not (output, state)")
    output, state = result
    states = state if kind.has_cell and isinstance(state, tuple) else (state,)
    out_width = cfg.directions * cfg.out_size(case.hidden_size)
    want_out = (case.batch, case.steps, out_width) if cfg.batch_first else (case.steps, case.batch, out_width)
    want_states = [tuple(h0.shape)] + ([tuple(c0.shape)] if c0 is not None else [])
    got_states = [tuple(s.shape) if isinstance(s, Tensor) else None for s in states]
    if not isinstance(output, Tensor) or tuple(output.shape) != want_out or got_states != want_states:
        got = getattr(output, "shape", type(output).__name__)
        raise ContractError(
            f"{cfg.kwargs()}: forward returned output {tuple(got)} and states {got_states}; "
            f"expected {want_out} and {want_states}"
        )
    found = {"output": output.transpose(0, 1) if cfg.batch_first else output, "h_n": states[0]}
    if kind.has_cell:
        found["c_n"] = states[1]
    return found


def loss_weights(case: Case, outs: dict[str, Tensor], reads: Sequence[str]) -> dict[str, Tensor]:
    """v per output tensor ~ N(0, 1) from the case; zero for tensors the loss does not read."""
    gen = generator(case, 3)
    return {
        name: torch.randn(t.shape, generator=gen, dtype=torch.float64) * (1.0 if name in reads else 0.0)
        for name, t in outs.items()
    }


def _grads(
    module: nn.Module,
    kind: Kind,
    cfg: Config,
    case: Case,
    inputs: StackInputs,
    dtype: torch.dtype,
    device: str,
    reads: Sequence[str],
    backward: bool = True,
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """Outputs and, with ``backward``, ∂L/∂(x, h0, c0, parameters) for L = Σ v ⊙ (tensors in ``reads``)."""
    leaves = {
        n: t.to(dtype=dtype, device=device).requires_grad_(backward) for n, t in inputs.tensors().items()
    }
    outs = forward(module, kind, cfg, case, leaves["x"], leaves["h0"], leaves.get("c0"))
    detached = {n: t.detach().to(device="cpu") for n, t in outs.items()}
    if not backward:
        return detached, {}
    weights = loss_weights(case, outs, reads)
    loss = sum((t * weights[n].to(t)).sum() for n, t in outs.items() if n in reads)
    assert isinstance(loss, Tensor)
    wrt = {**leaves, **recurrent_parameters(module)}
    if not loss.requires_grad:  # the tensors the loss reads carry no graph: every gradient is zero
        return detached, {f"d/d {n}": torch.zeros_like(t).detach().to(device="cpu") for n, t in wrt.items()}
    grads = torch.autograd.grad(loss, list(wrt.values()), allow_unused=True)
    found = {
        f"d/d {n}": (torch.zeros_like(t) if g is None else g).detach().to(device="cpu")
        for (n, t), g in zip(wrt.items(), grads, strict=True)
    }
    return detached, found


def _reads(kind: Kind) -> tuple[str, ...]:
    return OUTPUT_NAMES if kind.has_cell else OUTPUT_NAMES[:2]


def against_reference(
    ctx: Context, case: Case, reads: Sequence[str] | None = None, what: str = ""
) -> Outcome:
    """Forward, final states and gradients of the implementation vs the float64 reference."""
    cfg = Config.of(case, ctx.kind)
    module = build(ctx, case, cfg)
    ref = reference(ctx, case, cfg, module)
    inputs = draw(case, ctx.kind, cfg)
    reads = tuple(reads or _reads(ctx.kind))
    got_out, got_grads = _grads(module, ctx.kind, cfg, case, inputs, ctx.dtype, ctx.device, reads)
    ref_cfg = replace(cfg, batch_first=False)
    exp_out, exp_grads = _grads(ref, ctx.kind, ref_cfg, case, inputs, torch.float64, "cpu", reads)
    exp_grads = {n: free_part(module, n, g) for n, g in exp_grads.items()}  # fixed zeros: no gradient
    reports = ctx.compare_all(got_out, exp_out, "equivalence", case)
    reports += ctx.compare_all(got_grads, exp_grads, "gradient-equivalence", case)
    label = what or describe(cfg)
    return Outcome.from_tensors(reports, label)


def describe(cfg: Config) -> str:
    """'num_layers=2 bidirectional proj_size=2 bias=False batch_first' (or 'one layer')."""
    parts = [f"{k}={v}" for k, v in cfg.kwargs().items()]
    return " ".join(parts) or "one layer, defaults"


# ---------------------------------------------------------------------------------------------------
# The checks
# ---------------------------------------------------------------------------------------------------


def stack(ctx: Context, case: Case) -> Outcome:
    """Forward, states and gradients over a drawn configuration vs the reference."""
    return against_reference(ctx, case)


def partial_loss(ctx: Context, case: Case) -> Outcome:
    """Gradients of a loss that reads only output, only h_n or only c_n."""
    names = _reads(ctx.kind)
    read = names[int(case.option("reads", 0)) % len(names)]
    cfg = Config.of(case, ctx.kind)
    return against_reference(ctx, case, (read,), f"loss reads only {read}; {describe(cfg)}")


def _unit(t: Tensor) -> Tensor:
    norm = t.norm()
    return t / norm if float(norm) > 0 else t


@contextlib.contextmanager
def seeded(seed: int | None, device: str) -> Iterator[None]:
    """torch's global generator (and the device's) seeded with ``seed`` inside, restored after."""
    if seed is None:
        yield
        return
    devices = [device] if device.startswith("cuda") else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        yield


def _directional(
    ctx: Context,
    case: Case,
    cfg: Config,
    module: nn.Module,
    inputs: StackInputs,
    seed: int | None = None,
    suffix: str = "",
) -> list[TensorError]:
    """vᵀ J u vs (vᵀY(θ + εu) - vᵀY(θ - εu)) / 2ε along x, h0, c0 and all parameters at once;
    with ``seed``, the global generator is reseeded before every forward (the same dropout masks)."""
    leaves = {n: t.to(dtype=ctx.dtype, device=ctx.device) for n, t in inputs.tensors().items()}
    params = recurrent_parameters(module)
    gen = generator(case, 4)
    u_in = {
        n: _unit(torch.randn(t.shape, generator=gen, dtype=torch.float64)).to(t) for n, t in leaves.items()
    }
    u_par = {
        n: free_part(module, n, torch.randn(p.shape, generator=gen, dtype=torch.float64))
        for n, p in params.items()
    }
    norm = math.sqrt(sum(float((u**2).sum()) for u in u_par.values()))
    u_par = {n: (u / norm).to(params[n]) for n, u in u_par.items()}

    def value(x: dict[str, Tensor]) -> tuple[Tensor, dict[str, Tensor]]:
        with seeded(seed, ctx.device):
            outs = forward(module, ctx.kind, cfg, case, x["x"], x["h0"], x.get("c0"))
        weights = loss_weights(case, outs, _reads(ctx.kind))
        loss = sum((t * weights[n].to(t)).sum() for n, t in outs.items())
        assert isinstance(loss, Tensor)
        return loss, outs

    grad_leaves = {n: t.clone().requires_grad_(True) for n, t in leaves.items()}
    loss, _ = value(grad_leaves)
    wrt = {**grad_leaves, **params}
    grads = dict(zip(wrt, torch.autograd.grad(loss, list(wrt.values()), allow_unused=True), strict=True))
    eps = ctx.fd_step()
    reports = []
    for name in leaves:
        g = grads[name]
        analytic = 0.0 if g is None else float((g * u_in[name]).sum())
        with torch.no_grad():
            plus = value({**leaves, name: leaves[name] + eps * u_in[name]})[0]
            minus = value({**leaves, name: leaves[name] - eps * u_in[name]})[0]
        numeric = float(plus - minus) / (2 * eps)
        reports.append(_scalar(ctx, f"vᵀJu along {name}{suffix}", analytic, numeric))
    analytic = sum(0.0 if grads[n] is None else float((grads[n] * u_par[n]).sum()) for n in params)
    kept = {n: p.detach().clone() for n, p in params.items()}
    try:
        sides = []
        for sign in (1.0, -1.0):
            with torch.no_grad():
                for n, p in params.items():
                    p.copy_(kept[n] + sign * eps * u_par[n])
                sides.append(value(leaves)[0])
    finally:
        with torch.no_grad():
            for n, p in params.items():
                p.copy_(kept[n])
    numeric = float(sides[0] - sides[1]) / (2 * eps)
    reports.append(_scalar(ctx, f"vᵀJu along all parameters{suffix}", analytic, numeric))
    return reports


def _scalar(ctx: Context, name: str, analytic: float, numeric: float) -> TensorError:
    a = torch.tensor([analytic], dtype=torch.float64)
    n = torch.tensor([numeric], dtype=torch.float64)
    return compare(name, a, n, ctx.tol("finite-difference"))


#: The largest sizes of the configuration part of ``gradients.directional`` (two forwards per tensor).
STACK_FD_SIZES = {"steps": 8, "batch": 4, "input_size": 6, "hidden_size": 8}


def stack_directional(ctx: Context, case: Case) -> list[TensorError]:
    """vᵀ J u of the implementation's own backward vs central differences in the case's drawn
    configuration (``gradients.directional`` adds these to its single-layer ones), at sizes capped
    by STACK_FD_SIZES; none for the ReLU RNN (kinks: the single-layer part handles them) or in
    reduced precision."""
    if ctx.reduced or ctx.autocast is not None or ctx.kind is Kind.RNN_RELU or "layers" not in case.options:
        return []
    small = _distinct_sizes(replace(case, **{k: min(getattr(case, k), v) for k, v in STACK_FD_SIZES.items()}))
    cfg = Config.of(small, ctx.kind)
    module = build(ctx, small, cfg)
    label = f" ({describe(cfg)}, T={small.steps} B={small.batch} I={small.input_size} H={small.hidden_size})"
    return _directional(ctx, small, cfg, module, draw(small, ctx.kind, cfg), suffix=label)


def reverse(ctx: Context, case: Case) -> Outcome:
    """Reverse half of a bidirectional layer == a forward-only instance with the reverse weights on
    the flipped sequence from h0[1] (c0[1]), its output flipped back; the forward half likewise."""
    cfg = replace(Config.of(case, ctx.kind), layers=1, bidirectional=True, dropout=0.0)
    single = replace(cfg, bidirectional=False)
    both = build(ctx, case, cfg)
    inputs = draw(case, ctx.kind, cfg)
    x = inputs.x.to(dtype=ctx.dtype, device=ctx.device)
    h0 = inputs.h0.to(x)
    c0 = None if inputs.c0 is None else inputs.c0.to(x)
    with torch.no_grad():
        outs = forward(both, ctx.kind, cfg, case, x, h0, c0)
    width = cfg.out_size(case.hidden_size)
    reports = []
    for direction, suffix in ((0, ""), (1, "_reverse")):
        one = build(ctx, case, single)
        mine = recurrent_parameters(both)
        with torch.no_grad():
            for name, target in recurrent_parameters(one).items():
                target.copy_(mine[name + suffix])
        xs = x.flip(0) if direction else x
        s = slice(direction, direction + 1)
        with torch.no_grad():
            alone = forward(one, ctx.kind, single, case, xs, h0[s], None if c0 is None else c0[s])
        out = alone["output"].flip(0) if direction else alone["output"]
        label = "reverse" if direction else "forward"
        reports.append(
            ctx.compare(
                f"output[..., {label} half]",
                outs["output"][..., direction * width : (direction + 1) * width].cpu(),
                out.cpu(),
                "equivalence",
                case,
            )
        )
        for n in ("h_n", "c_n"):
            if n in outs:
                reports.append(
                    ctx.compare(
                        f"{n}[{direction}] ({label})",
                        outs[n][direction].cpu(),
                        alone[n][0].cpu(),
                        "equivalence",
                        case,
                    )
                )
    return Outcome.from_tensors(
        reports, f"bidirectional vs one direction on the flipped sequence; {describe(cfg)}"
    )


def _lengths(case: Case) -> list[int]:
    """Unequal lengths in 1..T, the longest T; descending when the case says 'sorted'."""
    gen = generator(case, 5)
    lengths = torch.randint(1, case.steps + 1, (case.batch,), generator=gen).tolist()
    lengths[int(torch.randint(0, case.batch, (1,), generator=gen))] = case.steps
    if case.batch > 1 and len(set(lengths)) == 1 and case.steps > 1:
        lengths[0] = case.steps - 1 if lengths[1] == case.steps else case.steps
    return sorted(lengths, reverse=True) if case.option("sorted", False) else lengths


def packed(ctx: Context, case: Case) -> Outcome:
    """Each sequence of a PackedSequence gets the output and final states it gets alone."""
    cfg = replace(Config.of(case, ctx.kind), batch_first=False)
    module = build(ctx, case, cfg)
    inputs = draw(case, ctx.kind, cfg)
    lengths = _lengths(case)
    x = inputs.x.to(dtype=ctx.dtype, device=ctx.device)
    h0 = inputs.h0.to(x)
    c0 = None if inputs.c0 is None else inputs.c0.to(x)
    is_sorted = bool(case.option("sorted", False))
    data = pack_padded_sequence(x, torch.tensor(lengths), enforce_sorted=is_sorted)
    with torch.no_grad():
        result = module(data, h0 if c0 is None else (h0, c0))
    if not (isinstance(result, tuple) and len(result) == 2):
        raise ContractError(f"forward returned {type(result).__name__}, not (output, state)")
    out_packed, state = result
    if not isinstance(out_packed, torch.nn.utils.rnn.PackedSequence):
        raise ContractError(
            f"PackedSequence input gave {type(out_packed).__name__} output, not a PackedSequence"
        )
    padded, out_lengths = pad_packed_sequence(out_packed)
    states = state if isinstance(state, tuple) else (state,)
    reports = []
    if out_lengths.tolist() != lengths:
        return Outcome.failure(f"output lengths {out_lengths.tolist()} for input lengths {lengths}")
    for j, length in enumerate(lengths):
        with torch.no_grad():
            alone = forward(
                module,
                ctx.kind,
                cfg,
                replace(case, steps=length, batch=1),
                x[:length, j : j + 1],
                h0[:, j : j + 1],
                None if c0 is None else c0[:, j : j + 1],
            )
        reports.append(
            ctx.compare(
                f"output[:{length}, {j}]",
                padded[:length, j].cpu(),
                alone["output"][:, 0].cpu(),
                "equivalence",
                case,
            )
        )
        for k, name in enumerate(("h_n", "c_n")[: len(states)]):
            reports.append(
                ctx.compare(
                    f"{name}[:, {j}]", states[k][:, j].cpu(), alone[name][:, 0].cpu(), "equivalence", case
                )
            )
    order = "sorted" if is_sorted else "unsorted"
    return Outcome.from_tensors(
        reports, f"packed ({order}, lengths {lengths}) vs each alone; {describe(cfg)}"
    )


def _dropout_against_reference(ctx: Context, case: Case, cfg: Config, train: bool, ref_p: float) -> Outcome:
    """The forward of an instance with ``cfg`` (training or eval) against the float64 reference
    with dropout ``ref_p``, whose result does not depend on the masks (p = 0 or 1)."""
    module = build(ctx, case, cfg, train=train)
    ref = reference(ctx, case, cfg, module, dropout=ref_p)
    if train:
        ref = ref.train()
    inputs = draw(case, ctx.kind, cfg)
    with seeded(case.seed, ctx.device):  # a replay draws what this run drew
        got, _ = _grads(module, ctx.kind, cfg, case, inputs, ctx.dtype, ctx.device, (), backward=False)
    ref_cfg = replace(cfg, batch_first=False)
    exp, _ = _grads(ref, ctx.kind, ref_cfg, case, inputs, torch.float64, "cpu", (), backward=False)
    label = f"{'train' if train else 'eval'} mode, {describe(cfg)}"
    return Outcome.from_tensors(ctx.compare_all(got, exp, "equivalence", case), label)


def dropout(ctx: Context, case: Case) -> Outcome:
    """Eval ignores dropout; dropout=1 zeroes only between layers; a seeded training run repeats and
    its backward matches central differences under the same masks (not for the ReLU RNN, whose
    kinks central differences can straddle)."""
    mode = str(case.option("mode", "eval"))
    base = replace(Config.of(case, ctx.kind), layers=max(2, int(case.option("layers", 2))))
    if mode == "eval":  # dropout 0.5 ignored: equal to the reference without dropout
        return _dropout_against_reference(ctx, case, replace(base, dropout=0.5), train=False, ref_p=0.0)
    if mode == "all":  # dropout 1 in training: zeroes only the inputs of layers after the first
        return _dropout_against_reference(ctx, case, replace(base, dropout=1.0), train=True, ref_p=1.0)
    cfg = replace(base, dropout=0.5)
    module = build(ctx, case, cfg, train=True)
    inputs = draw(case, ctx.kind, cfg)
    seed = case.seed % 2**31
    runs = []
    for _ in range(2):
        with seeded(seed, ctx.device):
            runs.append(_grads(module, ctx.kind, cfg, case, inputs, ctx.dtype, ctx.device, _reads(ctx.kind)))
    tol = ctx.tol("exact")
    reports = [compare(f"{n} (2nd seeded run)", runs[1][0][n], t, tol) for n, t in runs[0][0].items()]
    reports += [compare(f"{n} (2nd seeded run)", runs[1][1][n], t, tol) for n, t in runs[0][1].items()]
    # no finite differences for the ReLU RNN (a kink inside the step, as in stack_directional)
    if ctx.reduced or ctx.kind is Kind.RNN_RELU or not all(r.passed for r in reports):
        return Outcome.from_tensors(
            reports, f"train mode, seeded the same before each forward; {describe(cfg)}"
        )
    reports += _directional(ctx, case, cfg, module, inputs, seed=seed)
    return Outcome.from_tensors(reports, f"train mode, reseeded before each forward; {describe(cfg)}")


def stack_determinism(ctx: Context, case: Case) -> list[TensorError]:
    """In the case's drawn configuration (sizes capped by STACK_FD_SIZES): one forward with two
    backwards through the same graph, and a second forward + backward, all bitwise identical
    (``invariants.determinism`` adds these to its single-layer ones)."""
    if "layers" not in case.options or ctx.autocast is not None:
        return []
    small = _distinct_sizes(replace(case, **{k: min(getattr(case, k), v) for k, v in STACK_FD_SIZES.items()}))
    cfg = Config.of(small, ctx.kind)
    module = build(ctx, small, cfg)
    inputs = draw(small, ctx.kind, cfg)
    leaves = {
        n: t.to(dtype=ctx.dtype, device=ctx.device).requires_grad_(True) for n, t in inputs.tensors().items()
    }
    outs = forward(module, ctx.kind, cfg, small, leaves["x"], leaves["h0"], leaves.get("c0"))
    weights = loss_weights(small, outs, _reads(ctx.kind))
    loss = sum((t * weights[n].to(t)).sum() for n, t in outs.items())
    assert isinstance(loss, Tensor)
    wrt = {**leaves, **recurrent_parameters(module)}
    first = torch.autograd.grad(loss, list(wrt.values()), retain_graph=True, allow_unused=True)
    second = torch.autograd.grad(loss, list(wrt.values()), allow_unused=True)
    _, again = _grads(module, ctx.kind, cfg, small, inputs, ctx.dtype, ctx.device, _reads(ctx.kind))
    tol = ctx.tol("exact")
    label = f"{describe(cfg)}, T={small.steps} B={small.batch} I={small.input_size} H={small.hidden_size}"
    reports = []
    for n, a, b in zip(wrt, first, second, strict=True):
        a_ = torch.zeros_like(wrt[n]) if a is None else a
        b_ = torch.zeros_like(wrt[n]) if b is None else b
        reports.append(compare(f"d/d {n} (2nd backward, same graph; {label})", b_.cpu(), a_.cpu(), tol))
        reports.append(
            compare(f"d/d {n} (2nd forward + backward; {label})", again[f"d/d {n}"], a_.cpu(), tol)
        )
    return reports


def shapes(ctx: Context, case: Case) -> Outcome:
    """A state of batch 1 for batch B ≥ 2, a state with one layer too many, an input one column
    too wide: each must raise (torch.nn raises), never broadcast or slice."""
    cfg = Config.of(case, ctx.kind)
    module = build(ctx, case, cfg)
    inputs = draw(case, ctx.kind, cfg)
    x = inputs.x.to(dtype=ctx.dtype, device=ctx.device)
    h0 = inputs.h0.to(x)
    c0 = None if inputs.c0 is None else inputs.c0.to(x)
    wrong: list[tuple[str, Tensor, Tensor, Tensor | None]] = []
    if case.batch >= 2:
        wrong.append(
            (f"h0 of batch 1 for batch {case.batch}", x, h0[:, :1], None if c0 is None else c0[:, :1])
        )
        if c0 is not None:
            wrong.append((f"c0 of batch 1 for batch {case.batch}", x, h0, c0[:, :1]))
    extra_h = torch.cat([h0, h0[:1]])
    wrong.append(
        (
            f"h0 with {h0.shape[0] + 1} layers for {h0.shape[0]}",
            x,
            extra_h,
            None if c0 is None else torch.cat([c0, c0[:1]]),
        )
    )
    wide = torch.cat([x, x[..., :1]], dim=-1)
    wrong.append((f"input width {case.input_size + 1} for input_size {case.input_size}", wide, h0, c0))
    for what, xi, hi, ci in wrong:
        hx: State = hi if ci is None else (hi, ci)
        try:
            with torch.no_grad():
                module(xi.transpose(0, 1) if cfg.batch_first else xi, hx)
        except Exception:  # the contract: it raises (any exception)
            continue
        return Outcome.failure(
            f"{what} was accepted (broadcast or sliced) instead of raising; {describe(cfg)}"
        )
    return Outcome(True, 0.0, f"{len(wrong)} wrongly shaped calls raised; {describe(cfg)}")


# ---------------------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------------------


def _skip_autocast(ctx: Context) -> str | None:
    """The contract checks build many configurations; under torch.autocast oneDNN rejects some
    (bias=False, bidirectional), so they run in a plain dtype only."""
    if ctx.autocast is not None:
        return f"not run under autocast {ctx.autocast}: run --dtype {ctx.autocast} or float32 for the contract checks"
    return None


def _skip_gradients(ctx: Context) -> str | None:
    """``_skip_autocast``, and the ReLU RNN's gradients in bfloat16 / float16 (see ``skip_relu_gradients``)."""
    from lstm_bench.conformance.equivalence import skip_relu_gradients

    return _skip_autocast(ctx) or skip_relu_gradients(ctx)


def _stack_explicit(ctx: Context) -> list[Case]:
    return boundary_cases(ctx)


def _large_cases(ctx: Context) -> st.SearchStrategy[Case]:
    return config_cases(ctx, layers=(1, 2), steps=(1, 3), batch=(1, 3), inputs=(1, 5), hidden=(129, 300))


def _large_explicit(ctx: Context) -> list[Case]:
    supports = ctx.impl.capabilities.supports
    deep = 2 if supports(Feature.MULTILAYER) else 1
    proj = 3 if ctx.kind is Kind.LSTM and supports(Feature.PROJ_SIZE) else 0
    return [
        Case(2, 3, 5, 129, 21, {"layers": deep, "bidir": supports(Feature.BIDIRECTIONAL), "proj": proj}),
        Case(2, 3, 3, 257, 22, {"layers": 1, "bidir": False}),
    ]


def _partial_explicit(ctx: Context) -> list[Case]:
    names = _reads(ctx.kind)
    return [
        replace(c, options={**c.options, "reads": i})
        for i in range(len(names))
        for c in boundary_cases(ctx)[:1]
    ]


def _packed_cases(ctx: Context) -> st.SearchStrategy[Case]:
    return config_cases(
        ctx, layers=(1, 2), steps=(2, 8), batch=(3, 5), batch_first=False, sorted=st.booleans()
    )


def _packed_explicit(ctx: Context) -> list[Case]:
    return [
        replace(c, batch=max(3, c.batch), options={**c.options, "sorted": s, "batch_first": False})
        for c, s in zip(boundary_cases(ctx), (False, True), strict=True)
    ]


def _reverse_cases(ctx: Context) -> st.SearchStrategy[Case]:
    return config_cases(ctx, layers=(1, 1), steps=(2, 10), batch=(1, 4), batch_first=True)


def _dropout_cases(ctx: Context) -> st.SearchStrategy[Case]:
    return config_cases(
        ctx, steps=(1, 6), batch=(1, 3), hidden=(2, 6), mode=st.sampled_from(("eval", "all", "seeded"))
    )


def _dropout_explicit(ctx: Context) -> list[Case]:
    first = boundary_cases(ctx, steps=4, batch=3, hidden=5)[0]
    return [replace(first, options={**first.options, "mode": m}) for m in ("eval", "all", "seeded")]


def _shape_cases(ctx: Context) -> st.SearchStrategy[Case]:
    return config_cases(ctx, layers=(1, 2), steps=(1, 4), batch=(2, 4))


CHECKS = (
    Check(
        "contract.stack",
        "num_layers, bidirectional, proj_size, bias, batch_first: outputs, states and gradients match the reference",
        "gradient-equivalence",
        lambda ctx: config_cases(ctx),
        stack,
        explicit=_stack_explicit,
        share=1.0,
        skip=_skip_gradients,
        uses=AXES,
        requires=(Feature.MULTILAYER,),
        reference=True,
    ),
    Check(
        "contract.partial_loss",
        "gradients match the reference when the loss reads only output, only h_n or only c_n",
        "gradient-equivalence",
        lambda ctx: config_cases(ctx, layers=(1, 3), reads=st.integers(0, 2)),
        partial_loss,
        explicit=_partial_explicit,
        share=0.3,
        skip=_skip_gradients,
        uses=AXES,
        reference=True,
    ),
    Check(
        "contract.large_hidden",
        "hidden sizes 129..300 (past 128 and 256): outputs, states and gradients match the reference",
        "gradient-equivalence",
        _large_cases,
        stack,
        explicit=_large_explicit,
        share=0.1,
        skip=_skip_gradients,
        uses=AXES,
        reference=True,
    ),
    Check(
        "contract.reverse",
        "the reverse direction equals a forward run on the flipped sequence, flipped back",
        "equivalence",
        _reverse_cases,
        reverse,
        explicit=lambda ctx: [
            Case(
                5,
                3,
                3,
                4,
                31,
                {
                    "proj": 2
                    if ctx.kind is Kind.LSTM and ctx.impl.capabilities.supports(Feature.PROJ_SIZE)
                    else 0
                },
            )
        ],
        share=0.3,
        skip=_skip_autocast,
        uses=(Feature.PROJ_SIZE, Feature.NO_BIAS, Feature.BATCH_FIRST),
        requires=(Feature.BIDIRECTIONAL,),
    ),
    Check(
        "contract.packed",
        "a PackedSequence of unequal lengths (sorted or not) equals each sequence run alone",
        "equivalence",
        _packed_cases,
        packed,
        explicit=_packed_explicit,
        share=0.3,
        skip=_skip_autocast,
        uses=AXES[:4],
        requires=(Feature.PACKED,),
    ),
    Check(
        "contract.dropout",
        "eval ignores dropout, dropout sits between layers only, seeded training repeats and its backward matches finite differences",
        "finite-difference",
        _dropout_cases,
        dropout,
        explicit=_dropout_explicit,
        share=0.3,
        skip=_skip_autocast,
        uses=AXES,
        requires=(Feature.MULTILAYER, Feature.DROPOUT),
        reduced_topic="equivalence",
        reference=True,
    ),
    Check(
        "contract.shapes",
        "a wrongly shaped hx or input width raises instead of broadcasting",
        "exact",
        _shape_cases,
        shapes,
        explicit=lambda ctx: [replace(c, batch=max(2, c.batch)) for c in boundary_cases(ctx)],
        share=0.2,
        skip=_skip_autocast,
        uses=AXES,
    ),
)
