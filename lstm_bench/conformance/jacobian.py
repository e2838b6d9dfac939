"""Vectorised central finite differences against an implementation's own backward pass.

The function under test maps the inputs of one call to its outputs, per sample side by side:
``Y = flat(module(x, (h0, c0)))`` of shape (B, M), M = T·H + H (+ H for c_n). Derivatives are
compared per input tensor (x, h0, c0, every parameter), entry by entry, as

    numeric  J[r, k] = (Y_r(θ + ε e_k) - Y_r(θ - ε e_k)) / 2ε
    analytic J[r, k] = (∂Y_r/∂θ_k from the implementation's backward: one vector-Jacobian product per row r)

Vectorisation. Samples of a batch are independent (the ``invariants.batch_independence`` check
verifies it), so all perturbations of the per-sample inputs (x, h0, c0) run as ONE forward: 2·N
perturbed copies of each sample stacked along the batch axis (N = T·I + H [+ H] scalars per
sample). Likewise all per-sample rows of the analytic Jacobian come from ONE backward over B·M
copies, each seeded with a one-hot output gradient. Parameters are shared by every sample, so
their columns need one forward per perturbation and their rows one vector-Jacobian product per
output entry, as in ``torch.autograd.gradcheck``, batched through vmap where the backward allows
it; the checks keep those sizes small.

ReLU kinks. Where a perturbation crosses a kink the central difference is wrong by O(1); an
entry that fails is re-measured with ε/16 and the closer numeric value is kept. An entry that
still fails is tested for a point where the function is not differentiable: the one-sided
differences (Y(θ + δ) - Y(θ))/δ and (Y(θ) - Y(θ - δ))/δ at δ = ε/16 disagree beyond the
tolerance. Then one side crosses the kink and moves when δ halves, the other does not, so the
entry is compared with the clean side's difference (the one closer to the analytic value when
both are clean), and the result says so in a note. A real bug in a smooth region has both one-sided differences
within O(δ·|f''|) of each other and of the true derivative, so it still fails.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lstm_bench.conformance.cases import Inputs, call, fixed_zeros, parameters
from lstm_bench.conformance.compare import compare, entry_name, unravel
from lstm_bench.conformance.result import TensorError
from lstm_bench.conformance.tolerances import Tolerance
from lstm_bench.kinds import Kind

#: Rows per batched forward/backward: bounds memory (the backward of 1024 rows at T = 50 keeps ~250 MB).
MAX_ROWS = 1024
#: Output rows per vmapped backward of the parameter Jacobian.
MAX_BATCHED_ROWS = 512
#: The second, smaller step used to re-measure entries that fail at ε (ReLU kinks).
CONFIRM_FACTOR = 1.0 / 16.0


@dataclass(frozen=True)
class Layout:
    """Sizes of one call, to map flat indices back to named entries."""

    steps: int
    batch: int
    input_size: int
    hidden: int
    has_cell: bool

    @classmethod
    def of(cls, inputs: Inputs) -> Layout:
        steps, batch, input_size = inputs.x.shape
        return cls(steps, batch, input_size, inputs.h0.shape[1], inputs.c0 is not None)

    @property
    def outputs(self) -> int:
        """M, outputs per sample: T·H + H (+ H)."""
        return self.steps * self.hidden + self.hidden * (2 if self.has_cell else 1)

    @property
    def sample_inputs(self) -> int:
        """N, input scalars per sample: T·I + H (+ H)."""
        return self.steps * self.input_size + self.hidden * (2 if self.has_cell else 1)

    def output_entry(self, row: int) -> str:
        """Name of row ``row`` = b·M + m of a flat Jacobian: 'output[t, b, h]', 'h_n[b, h]' or 'c_n[b, h]'."""
        b, m = divmod(row, self.outputs)
        seq = self.steps * self.hidden
        if m < seq:
            t, h = divmod(m, self.hidden)
            return entry_name("output", (t, b, h))
        m -= seq
        return entry_name("h_n" if m < self.hidden else "c_n", (b, m % self.hidden))


def flat_outputs(module: nn.Module, kind: Kind, x: Tensor, h0: Tensor, c0: Tensor | None) -> Tensor:
    """The call's outputs per sample side by side, (B, M)."""
    hx = h0.unsqueeze(0) if c0 is None else (h0.unsqueeze(0), c0.unsqueeze(0))
    return call(module, kind, x, hx).flat()


# ---------------------------------------------------------------------------------------------------
# Per-sample inputs (x, h0, c0) through the batch axis
# ---------------------------------------------------------------------------------------------------


def _pack(inputs: Inputs) -> Tensor:
    """Per-sample input vectors z_b = [x[:, b, :] (time-major), h0[b], c0[b]]: (B, N)."""
    batch = inputs.x.shape[1]
    parts = [inputs.x.transpose(0, 1).reshape(batch, -1), inputs.h0]
    if inputs.c0 is not None:
        parts.append(inputs.c0)
    return torch.cat(parts, dim=1)


def _unpack(z: Tensor, layout: Layout) -> tuple[Tensor, Tensor, Tensor | None]:
    """Inverse of ``_pack`` for R rows: x (T, R, I), h0 (R, H), c0 (R, H) or None."""
    rows, seq = z.shape[0], layout.steps * layout.input_size
    x = z[:, :seq].reshape(rows, layout.steps, layout.input_size).transpose(0, 1)  # (T, R, I)
    h0 = z[:, seq : seq + layout.hidden]
    c0 = z[:, seq + layout.hidden :] if layout.has_cell else None
    return x, h0, c0


def _run_rows(module: nn.Module, kind: Kind, z: Tensor, layout: Layout) -> Tensor:
    """Forward R stacked samples (R, N) -> (R, M), in chunks of MAX_ROWS."""
    chunks = [flat_outputs(module, kind, *_unpack(part, layout)) for part in z.split(MAX_ROWS)]
    return torch.cat(chunks)


def numeric_sample_jacobian(module: nn.Module, kind: Kind, inputs: Inputs, eps: float) -> Tensor:
    """(B, M, N): ∂Y_b/∂z_b by central differences, every perturbation in one batched forward."""
    layout = Layout.of(inputs)
    z = _pack(inputs).detach()  # (B, N)
    n = z.shape[1]
    step = torch.eye(n, dtype=z.dtype, device=z.device) * eps  # (N, N)
    plus = (z[:, None, :] + step).reshape(-1, n)  # (B·N, N): sample b with entry k raised
    minus = (z[:, None, :] - step).reshape(-1, n)
    with torch.no_grad():
        y = _run_rows(module, kind, torch.cat([plus, minus]), layout)  # (2·B·N, M)
    y_plus, y_minus = y.chunk(2)
    jac = (y_plus - y_minus) / (2 * eps)  # (B·N, M)
    return jac.reshape(z.shape[0], n, -1).transpose(1, 2)  # (B, M, N)


def one_sided_sample_jacobians(
    module: nn.Module, kind: Kind, inputs: Inputs, eps: float
) -> tuple[Tensor, Tensor]:
    """(forward, backward) one-sided differences, each (B, M, N): (Y(z + εe_k) - Y(z))/ε and (Y(z) - Y(z - εe_k))/ε."""
    layout = Layout.of(inputs)
    z = _pack(inputs).detach()  # (B, N)
    batch, n = z.shape
    step = torch.eye(n, dtype=z.dtype, device=z.device) * eps  # (N, N)
    plus = (z[:, None, :] + step).reshape(-1, n)  # (B·N, N)
    minus = (z[:, None, :] - step).reshape(-1, n)
    with torch.no_grad():
        y = _run_rows(module, kind, torch.cat([plus, minus, z]), layout)
    y_plus, y_minus, y0 = y[: batch * n], y[batch * n : 2 * batch * n], y[2 * batch * n :]
    base = y0.repeat_interleave(n, dim=0)  # (B·N, M)
    forward = ((y_plus - base) / eps).reshape(batch, n, -1).transpose(1, 2)  # (B, M, N)
    backward = ((base - y_minus) / eps).reshape(batch, n, -1).transpose(1, 2)
    return forward, backward


def analytic_sample_jacobian(module: nn.Module, kind: Kind, inputs: Inputs) -> Tensor:
    """(B, M, N): ∂Y_b/∂z_b from the implementation's backward, all rows in one batched backward.

    Row (b, m) is a copy of sample b whose output gradient is one-hot at m.
    """
    layout = Layout.of(inputs)
    z = _pack(inputs).detach()  # (B, N)
    batch, m = z.shape[0], layout.outputs
    copies = z.repeat_interleave(m, dim=0)  # (B·M, N): M copies of each sample
    seeds = torch.eye(m, dtype=z.dtype, device=z.device).repeat(batch, 1)  # (B·M, M)
    rows = []
    for part, seed in zip(copies.split(MAX_ROWS), seeds.split(MAX_ROWS), strict=True):
        part = part.clone().requires_grad_(True)
        y = flat_outputs(module, kind, *_unpack(part, layout))
        (grad,) = torch.autograd.grad(y, part, seed, allow_unused=True)
        rows.append(torch.zeros_like(part) if grad is None else grad)
    return torch.cat(rows).reshape(batch, m, -1)  # (B, M, N)


def _spread(per_sample: Tensor, layout: Layout) -> dict[str, Tensor]:
    """(B, M, N) per-sample Jacobians -> {'x': (B·M, T·B·I), 'h0': (B·M, B·H), 'c0': ...}, zero off-sample."""
    batch, m, _ = per_sample.shape
    seq, hid = layout.steps * layout.input_size, layout.hidden
    x = per_sample.new_zeros(batch, m, layout.steps, batch, layout.input_size)
    h0 = per_sample.new_zeros(batch, m, batch, hid)
    c0 = per_sample.new_zeros(batch, m, batch, hid)
    for b in range(batch):
        x[b, :, :, b, :] = per_sample[b, :, :seq].reshape(m, layout.steps, layout.input_size)
        h0[b, :, b, :] = per_sample[b, :, seq : seq + hid]
        if layout.has_cell:
            c0[b, :, b, :] = per_sample[b, :, seq + hid :]
    found = {"x": x.reshape(batch * m, -1), "h0": h0.reshape(batch * m, -1)}
    if layout.has_cell:
        found["c0"] = c0.reshape(batch * m, -1)
    return found


# ---------------------------------------------------------------------------------------------------
# Parameters: one forward per perturbation, one backward per output row
# ---------------------------------------------------------------------------------------------------


def _perturbed(
    module: nn.Module, kind: Kind, inputs: Inputs, eps: float, name: str, fixed: Mapping[str, Tensor]
) -> Iterator[tuple[Tensor, Tensor] | None]:
    """Per entry of parameter ``name``, in order: the flat outputs at +eps and -eps, or None for an
    entry held at 0 (``fixed_zeros``: not a parameter of the layer, so its column is zero).
    The entry is restored after each pair; call under ``torch.no_grad()``."""
    param = parameters(module)[name]
    saved = param.detach().clone()
    held = fixed.get(name)
    for k in range(param.numel()):
        index = unravel(k, param.shape)
        if held is not None and bool(held[index]):
            yield None
            continue
        param[index] = saved[index] + eps
        y_plus = flat_outputs(module, kind, inputs.x, inputs.h0, inputs.c0).reshape(-1)
        param[index] = saved[index] - eps
        y_minus = flat_outputs(module, kind, inputs.x, inputs.h0, inputs.c0).reshape(-1)
        param[index] = saved[index]
        yield y_plus, y_minus


def numeric_parameter_jacobian(
    module: nn.Module, kind: Kind, inputs: Inputs, eps: float, names: Sequence[str] | None = None
) -> dict[str, Tensor]:
    """{name: (B·M, numel)} by central differences, perturbing one parameter entry at a time."""
    fixed = fixed_zeros(module)
    found: dict[str, Tensor] = {}
    with torch.no_grad():
        y0 = flat_outputs(module, kind, inputs.x, inputs.h0, inputs.c0).reshape(-1)
        for name in names or list(parameters(module)):
            found[name] = torch.stack(
                [
                    torch.zeros_like(y0) if pair is None else (pair[0] - pair[1]) / (2 * eps)
                    for pair in _perturbed(module, kind, inputs, eps, name, fixed)
                ],
                dim=1,
            )  # (B·M, numel)
    return found


def one_sided_parameter_jacobians(
    module: nn.Module, kind: Kind, inputs: Inputs, eps: float, names: Sequence[str]
) -> tuple[dict[str, Tensor], dict[str, Tensor]]:
    """({name: forward (B·M, numel)}, {name: backward (B·M, numel)}) one-sided differences."""
    fixed = fixed_zeros(module)
    forward: dict[str, Tensor] = {}
    backward: dict[str, Tensor] = {}
    with torch.no_grad():
        y0 = flat_outputs(module, kind, inputs.x, inputs.h0, inputs.c0).reshape(-1)
        for name in names:
            fwd, bwd = [], []
            for pair in _perturbed(module, kind, inputs, eps, name, fixed):
                fwd.append(torch.zeros_like(y0) if pair is None else (pair[0] - y0) / eps)
                bwd.append(torch.zeros_like(y0) if pair is None else (y0 - pair[1]) / eps)
            forward[name], backward[name] = torch.stack(fwd, dim=1), torch.stack(bwd, dim=1)
    return forward, backward


def _rows_batched(y: Tensor, wrt: list[Tensor]) -> list[Tensor]:
    """All rows at once through ``is_grads_batched`` (vmap over the backward), in chunks."""
    eye = torch.eye(y.numel(), dtype=y.dtype, device=y.device)
    parts = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # vmap's "performance drop" notes on ops without batching rules
        for seeds in eye.split(MAX_BATCHED_ROWS):
            parts.append(
                torch.autograd.grad(
                    y, wrt, seeds, retain_graph=True, allow_unused=True, is_grads_batched=True
                )
            )
    return [_stack_rows([p[k] for p in parts], t, len(eye)) for k, t in enumerate(wrt)]


def _rows_looped(y: Tensor, wrt: list[Tensor]) -> list[Tensor]:
    """One backward per row, as gradcheck does."""
    rows: list[list[Tensor | None]] = [[] for _ in wrt]
    seed = torch.zeros_like(y)
    for r in range(y.numel()):
        seed[r] = 1.0
        grads = torch.autograd.grad(y, wrt, seed, retain_graph=True, allow_unused=True)
        seed[r] = 0.0
        for k, grad in enumerate(grads):
            rows[k].append(grad)
    return [
        torch.stack([torch.zeros_like(t) if g is None else g for g in found]).reshape(y.numel(), -1)
        for found, t in zip(rows, wrt, strict=True)
    ]


def _stack_rows(chunks: list[Tensor | None], like: Tensor, count: int) -> Tensor:
    if any(c is None for c in chunks):
        return like.new_zeros(count, like.numel())
    return torch.cat([c.reshape(c.shape[0], -1) for c in chunks if c is not None])


def analytic_full_jacobian(module: nn.Module, kind: Kind, inputs: Inputs) -> dict[str, Tensor]:
    """{name: (B·M, numel)} for x, h0, c0 and every parameter: one vector-Jacobian product per output row.

    The rows go through ``is_grads_batched`` (vmap over the backward) when the implementation's
    backward supports it (torch.nn's does), else one backward each (custom autograd.Functions).
    """
    leaves = {name: t.detach().clone().requires_grad_(True) for name, t in inputs.tensors().items()}
    wrt = {**leaves, **parameters(module)}
    y = flat_outputs(module, kind, leaves["x"], leaves["h0"], leaves.get("c0")).reshape(-1)  # (B·M,)
    try:
        rows = _rows_batched(y, list(wrt.values()))
    except Exception:  # no batching rule somewhere in the backward: the plain loop
        rows = _rows_looped(y, list(wrt.values()))
    return dict(zip(wrt, rows, strict=True))


# ---------------------------------------------------------------------------------------------------
# The full-Jacobian and directional checks
# ---------------------------------------------------------------------------------------------------


def _closer(analytic: Tensor, first: Tensor, second: Tensor) -> Tensor:
    """Entry by entry, the numeric estimate closer to the analytic value (see 'ReLU kinks')."""
    return torch.where((analytic - second).abs() < (analytic - first).abs(), second, first)


def _kink_side(
    analytic: Tensor,
    numeric: Tensor,
    sided: tuple[Tensor, Tensor],
    halved: tuple[Tensor, Tensor],
    tol: Tolerance,
) -> tuple[Tensor, int]:
    """Replace ``numeric`` by a one-sided difference where the function has a kink; count the entries.

    A kink: the forward and backward differences at δ disagree beyond ``tol``. The side that
    crosses the kink changes when δ halves, the clean side does not (``halved`` are the
    differences at δ/2); among clean sides the one closer to the analytic value is kept.
    """
    (fwd, bwd), (fwd2, bwd2) = sided, halved

    def close(a: Tensor, b: Tensor) -> Tensor:
        return (a - b).abs() <= tol.atol + tol.rtol * torch.maximum(a.abs(), b.abs())

    clean_f, clean_b = close(fwd, fwd2), close(bwd, bwd2)
    kink = ~close(fwd, bwd) & (clean_f | clean_b)
    prefer_f = clean_f & (~clean_b | ((analytic - fwd).abs() <= (analytic - bwd).abs()))
    side = torch.where(prefer_f, fwd, bwd)
    return torch.where(kink, side, numeric), int(kink.sum())


def _kink_note(name: str, count: int, eps: float) -> str:
    return (
        f"d/d {name}: {count} entr{'y' if count == 1 else 'ies'} at a point where the function is not "
        f"differentiable (one-sided differences at step {eps:.3g} disagree, e.g. a ReLU kink); "
        "compared with the one-sided difference on the side that does not cross it"
    )


def _locator(layout: Layout, name: str, shape: tuple[int, ...]) -> Callable[[tuple[int, ...]], str]:
    def locate(index: tuple[int, ...]) -> str:
        row, col = index
        entry = unravel(col, shape)
        return f"d {layout.output_entry(row)} / d {entry_name(name, entry)}"

    return locate


def full_jacobian(
    module: nn.Module,
    kind: Kind,
    inputs: Inputs,
    tol: Tolerance,
    eps: float,
    include_parameters: bool = True,
    notes: list[str] | None = None,
) -> list[TensorError]:
    """Compare every entry of ∂(output, h_n, c_n)/∂(x, h0, c0[, parameters]) with central differences.

    Entries at a non-differentiable point are compared one-sided (see 'ReLU kinks' above); a
    line saying so per tensor is appended to ``notes``.

    Returns one report per input tensor. Without parameters, both sides take one batched pass
    each, on copies of single samples; one more backward through the real batch then checks that
    its vᵀJ equals the per-sample blocks', so a backward that mixes samples is still caught (the
    '(whole batch)' reports). With parameters, the analytic side takes one vector-Jacobian product
    per output entry (B·M of them) on the real batch.
    """
    layout = Layout.of(inputs)
    numeric = _spread(numeric_sample_jacobian(module, kind, inputs, eps), layout)
    extra: list[TensorError] = []
    if include_parameters:
        analytic = analytic_full_jacobian(module, kind, inputs)
        numeric.update(numeric_parameter_jacobian(module, kind, inputs, eps))
    else:
        per_sample = analytic_sample_jacobian(module, kind, inputs)
        analytic = _spread(per_sample, layout)
        extra = _whole_batch(module, kind, inputs, per_sample, tol)
    shapes = {name: tuple(t.shape) for name, t in {**inputs.tensors(), **parameters(module)}.items()}
    reports = {}
    for name, ana in analytic.items():
        reports[name] = compare(name, ana, numeric[name], tol, _locator(layout, name, shapes[name]))
    failing = [name for name, report in reports.items() if not report.passed]
    if failing:
        small = eps * CONFIRM_FACTOR
        second = _spread(numeric_sample_jacobian(module, kind, inputs, small), layout)
        param_names = [n for n in failing if n not in second]
        if param_names:
            second.update(numeric_parameter_jacobian(module, kind, inputs, small, param_names))
        best = {name: _closer(analytic[name], numeric[name], second[name]) for name in failing}
        for name in failing:
            reports[name] = compare(
                name, analytic[name], best[name], tol, _locator(layout, name, shapes[name])
            )
        still = [name for name in failing if not reports[name].passed]
        if still:
            sided = _one_sided(module, kind, inputs, small, still, layout)
            halved = _one_sided(module, kind, inputs, small / 2, still, layout)
            for name in still:
                estimate, count = _kink_side(analytic[name], best[name], sided[name], halved[name], tol)
                if count:
                    reports[name] = compare(
                        name, analytic[name], estimate, tol, _locator(layout, name, shapes[name])
                    )
                    if notes is not None:
                        notes.append(_kink_note(name, count, small))
    return [*reports.values(), *extra]


def _one_sided(
    module: nn.Module, kind: Kind, inputs: Inputs, eps: float, names: Sequence[str], layout: Layout
) -> dict[str, tuple[Tensor, Tensor]]:
    """{name: (forward, backward) one-sided differences} shaped like the spread Jacobians."""
    found: dict[str, tuple[Tensor, Tensor]] = {}
    if any(name in inputs.tensors() for name in names):
        fwd, bwd = one_sided_sample_jacobians(module, kind, inputs, eps)
        spread_f, spread_b = _spread(fwd, layout), _spread(bwd, layout)
        found.update({n: (spread_f[n], spread_b[n]) for n in names if n in spread_f})
    param_names = [n for n in names if n not in found]
    if param_names:
        fwd_p, bwd_p = one_sided_parameter_jacobians(module, kind, inputs, eps, param_names)
        found.update({n: (fwd_p[n], bwd_p[n]) for n in param_names})
    return found


def _whole_batch(
    module: nn.Module, kind: Kind, inputs: Inputs, per_sample: Tensor, tol: Tolerance
) -> list[TensorError]:
    """vᵀJ of the real batch's backward vs the same product from the per-sample blocks (B, M, N)."""
    layout = Layout.of(inputs)
    gen = torch.Generator().manual_seed(0)
    v = torch.randn(per_sample.shape[:2], generator=gen, dtype=torch.float64).to(per_sample)  # (B, M)
    leaves = {name: t.detach().clone().requires_grad_(True) for name, t in inputs.tensors().items()}
    y = flat_outputs(module, kind, leaves["x"], leaves["h0"], leaves.get("c0"))
    grads = torch.autograd.grad(y, list(leaves.values()), v, allow_unused=True)
    x, h0, c0 = _unpack(torch.einsum("bm,bmn->bn", v, per_sample), layout)  # expected ∂(vᵀY)/∂z per sample
    expected = {"x": x, "h0": h0, **({"c0": c0} if c0 is not None else {})}
    return [
        compare(
            f"{name} (whole batch)", torch.zeros_like(leaves[name]) if g is None else g, expected[name], tol
        )
        for name, g in zip(leaves, grads, strict=True)
    ]


def _perturbed_forward(
    module: nn.Module, kind: Kind, inputs: Inputs, name: str, direction: Tensor, step: float
) -> Tensor:
    """Y with the tensor ``name`` (an input or a parameter) moved by ``step·direction``, (B, M)."""
    params = parameters(module)
    with torch.no_grad():
        if name in params:
            param = params[name]
            saved = param.detach().clone()
            param.add_(direction, alpha=step)
            try:
                return flat_outputs(module, kind, inputs.x, inputs.h0, inputs.c0)
            finally:
                param.copy_(saved)
        moved = {k: (v + step * direction if k == name else v) for k, v in inputs.tensors().items()}
        return flat_outputs(module, kind, moved["x"], moved["h0"], moved.get("c0"))


def _numeric_directional(
    module: nn.Module, kind: Kind, inputs: Inputs, weights: Tensor, directions: dict[str, Tensor], eps: float
) -> dict[str, float]:
    found = {}
    for name, u in directions.items():
        y_plus = _perturbed_forward(module, kind, inputs, name, u, eps)
        y_minus = _perturbed_forward(module, kind, inputs, name, u, -eps)
        found[name] = float(((y_plus - y_minus) * weights).sum() / (2 * eps))
    return found


def directional(
    module: nn.Module,
    kind: Kind,
    inputs: Inputs,
    weights: Tensor,
    directions: dict[str, Tensor],
    tol: Tolerance,
    eps: float,
    labels: dict[str, str] | None = None,
    notes: list[str] | None = None,
) -> list[TensorError]:
    """Compare vᵀ J u from one backward with (vᵀY(θ + εu) - vᵀY(θ - εu)) / 2ε, per input tensor.

    ``weights`` is v, shaped like the flat outputs (B, M); ``directions`` maps tensor names
    (x, h0, c0, parameter names) to u, shaped like that tensor. ``labels`` renames tensors in
    the report (e.g. 'x' -> 'x[0:4]' when u touches the first steps only).
    """
    leaves = {name: t.detach().clone().requires_grad_(True) for name, t in inputs.tensors().items()}
    params = parameters(module)
    y = flat_outputs(module, kind, leaves["x"], leaves["h0"], leaves.get("c0"))
    wrt = {**leaves, **params}
    names = list(directions)
    grads = torch.autograd.grad(y, [wrt[n] for n in names], weights, allow_unused=True)
    analytic = {
        n: 0.0 if g is None else float((g * directions[n]).sum()) for n, g in zip(names, grads, strict=True)
    }
    numeric = _numeric_directional(module, kind, inputs, weights, directions, eps)
    reports = []
    for name in names:
        label = (labels or {}).get(name, name)
        a = torch.tensor([analytic[name]], dtype=torch.float64)
        n = torch.tensor([numeric[name]], dtype=torch.float64)
        report = compare(label, a, n, tol, _direction_locator(label))
        if not report.passed:  # re-measure with a smaller step (ReLU kinks)
            small = eps * CONFIRM_FACTOR
            again = _numeric_directional(module, kind, inputs, weights, {name: directions[name]}, small)
            n = _closer(a, n, torch.tensor([again[name]], dtype=torch.float64))
            report = compare(label, a, n, tol, _direction_locator(label))
        if not report.passed:  # a point where the function is not differentiable along u?
            u = directions[name]
            sided = _one_sided_directional(module, kind, inputs, weights, name, u, small)
            halved = _one_sided_directional(module, kind, inputs, weights, name, u, small / 2)
            estimate, count = _kink_side(a, n, sided, halved, tol)
            if count:
                report = compare(label, a, estimate, tol, _direction_locator(label))
                if notes is not None:
                    notes.append(
                        f"vᵀJu along {label}: not differentiable along u (one-sided differences at step "
                        f"{small:.3g} disagree, e.g. a ReLU kink); compared with the side that does not cross it"
                    )
        reports.append(report)
    return reports


def _one_sided_directional(
    module: nn.Module, kind: Kind, inputs: Inputs, weights: Tensor, name: str, u: Tensor, eps: float
) -> tuple[Tensor, Tensor]:
    """(vᵀY(θ + εu) - vᵀY(θ))/ε and (vᵀY(θ) - vᵀY(θ - εu))/ε as one-element float64 tensors."""
    with torch.no_grad():
        y0 = float((flat_outputs(module, kind, inputs.x, inputs.h0, inputs.c0) * weights).sum())
    y_plus = float((_perturbed_forward(module, kind, inputs, name, u, eps) * weights).sum())
    y_minus = float((_perturbed_forward(module, kind, inputs, name, u, -eps) * weights).sum())
    forward = torch.tensor([(y_plus - y0) / eps], dtype=torch.float64)
    return forward, torch.tensor([(y0 - y_minus) / eps], dtype=torch.float64)


def _direction_locator(label: str) -> Callable[[tuple[int, ...]], str]:
    def locate(index: tuple[int, ...]) -> str:
        return f"vᵀJu along {label}"

    return locate
