"""Jacobian norms of the recurrence, and the singular values of W_hh against Pascanu et al.'s bound.

**||dh_T/dh_t||_2** (spectral norm, per sequence in the batch) by power iteration on J^T J,
J = dh_T/dh_t, using only vector-Jacobian products: u -> J^T u is one backward pass, and since
that map is linear in u, differentiating it with respect to u gives w -> J w (the "double
VJP" trick). For an LSTM, h_t is perturbed with C_t held fixed (the partial Jacobian).
Power iteration approaches sigma_max from below; ``iterations`` bounds the work and ``rtol``
stops early once the estimate settles.

**Pascanu, Mikolov & Bengio 2013** (On the difficulty of training RNNs): for
h_t = φ(W_hh h_{t-1} + ...) with |φ'| <= γ, ||dh_t/dh_{t-1}|| <= σ_max(W_hh) γ, so
σ_max(W_hh) < 1/γ is *sufficient* for long-term gradients to vanish (and σ_max > 1/γ is
*necessary* for them to explode). γ = 1 for tanh (and ReLU), 1/4 for the sigmoid. For gated
cells each gate block of W_hh is reported against its own activation's bound; the cell
path of the LSTM is not covered by the bound (that is the point of the LSTM).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from lstm_bench.kinds import Kind
from lstm_bench.stability.gradient_norms import unroll_by_step
from lstm_bench.threads import torch_threads

__all__ = [
    "GAMMA",
    "BlockSpectrum",
    "JacobianNorm",
    "WhhSpectrum",
    "jacobian_spectral_norm",
    "whh_spectrum",
]

#: Bound γ on |φ'| per activation (Pascanu et al. 2013, section 2.1).
GAMMA = {"tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}

_BLOCK_ACTIVATIONS = {
    Kind.LSTM: ("sigmoid", "sigmoid", "tanh", "sigmoid"),
    Kind.GRU: ("sigmoid", "sigmoid", "tanh"),
    Kind.RNN_TANH: ("tanh",),
    Kind.RNN_RELU: ("relu",),
}


@dataclass(frozen=True)
class JacobianNorm:
    """Spectral norms of dh_T/dh_t for each sequence of the batch (``t`` is 1-based, ``steps`` = T)."""

    t: int
    steps: int
    norms: tuple[float, ...]
    iterations: int

    @property
    def max(self) -> float:
        """The largest norm over the batch (the batch's block-diagonal Jacobian's spectral norm)."""
        return max(self.norms)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "t": self.t,
            "steps": self.steps,
            "norms": list(self.norms),
            "iterations": self.iterations,
            "max": self.max,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JacobianNorm:
        """Inverse of ``to_dict``."""
        norms = tuple(float(v) for v in data["norms"])
        return cls(int(data["t"]), int(data["steps"]), norms, int(data["iterations"]))


def _per_sequence_norm(v: Tensor) -> Tensor:
    norm: Tensor = torch.linalg.vector_norm(v, dim=-1, keepdim=True)  # (1, B, H) -> (1, B, 1)
    return norm


def _twice_differentiable(jt_u: Tensor, u: Tensor) -> bool:
    """Whether w -> J w can be had by differentiating J^T u (custom autograd nodes often forbid it)."""
    try:
        torch.autograd.grad(jt_u, u, grad_outputs=torch.zeros_like(jt_u), retain_graph=True)
    except RuntimeError:
        return False
    return True


def _explicit_norm(h_last: Tensor, h_t: Tensor, t: int, steps: int) -> JacobianNorm:
    """Fallback for first-order-only modules: J row by row (one VJP per hidden unit), then its SVD."""
    hidden = int(h_last.shape[-1])
    rows = []
    for i in range(hidden):
        e_i = torch.zeros_like(h_last)
        e_i[..., i] = 1.0  # unit i of every sequence
        (row,) = torch.autograd.grad(
            h_last, h_t, grad_outputs=e_i, retain_graph=True
        )  # (1, B, H): row i of J
        rows.append(row[0])
    jac = torch.stack(rows, dim=1)  # (B, H_T, H_t)
    norms = torch.linalg.matrix_norm(jac, ord=2)  # (B,)
    return JacobianNorm(t, steps, tuple(float(v) for v in norms), 0)


def jacobian_spectral_norm(
    module: nn.Module,
    kind: Kind,
    x: Tensor,
    t: int,
    iterations: int = 200,
    rtol: float = 1e-10,
    seed: int = 0,
    threads: int = 1,
) -> JacobianNorm:
    """||dh_T/dh_t||_2 per sequence of x (T, B, I) by power iteration, on a float64 copy of ``module``.

    Needs a twice-differentiable module (torch.nn's float64 path is). For one whose autograd
    nodes are first-order only, J is built from H VJPs instead and its exact norm returned
    (``iterations`` = 0 in the result says so). Runs on ``threads`` torch threads.
    """
    steps = int(x.shape[0])
    if not 1 <= t <= steps:
        raise ValueError(f"t must be in 1..{steps}, got {t}")
    if t == steps:
        return JacobianNorm(t, steps, tuple(1.0 for _ in range(x.shape[1])), 0)
    probe = copy.deepcopy(module).to(torch.float64)
    with torch_threads(threads):
        states = unroll_by_step(probe, kind, x.detach().to(torch.float64))
        return _power_iteration(states.hidden[t - 1], states.hidden[-1], t, steps, iterations, rtol, seed)


def _power_iteration(
    h_t: Tensor, h_last: Tensor, t: int, steps: int, iterations: int, rtol: float, seed: int
) -> JacobianNorm:
    """sigma_max(J), J = dh_T/dh_t per sequence, from ||J w|| as w runs the power iteration on J^T J."""
    u = torch.zeros_like(h_last, requires_grad=True)
    (jt_u,) = torch.autograd.grad(h_last, h_t, grad_outputs=u, create_graph=True)  # J^T u, linear in u
    if jt_u.grad_fn is None or not _twice_differentiable(jt_u, u):
        return _explicit_norm(h_last, h_t, t, steps)
    gen = torch.Generator().manual_seed(seed)
    w = torch.randn(h_t.shape, generator=gen, dtype=torch.float64)
    w = w / _per_sequence_norm(w)
    sigma = torch.zeros(w.shape[:-1], dtype=torch.float64)
    rounds = 0
    for rounds in range(1, iterations + 1):  # noqa: B007 (rounds is reported after the loop)
        (j_w,) = torch.autograd.grad(jt_u, u, grad_outputs=w, retain_graph=True)  # J w
        new_sigma = _per_sequence_norm(j_w).squeeze(-1)  # ||J w|| with ||w|| = 1
        (jtj_w,) = torch.autograd.grad(h_last, h_t, grad_outputs=j_w, retain_graph=True)  # J^T J w
        norm = _per_sequence_norm(jtj_w)
        w = jtj_w / torch.where(norm > 0, norm, torch.ones_like(norm))
        settled = bool(((new_sigma - sigma).abs() <= rtol * new_sigma.abs()).all())
        sigma = new_sigma
        if settled:
            break
    return JacobianNorm(t, steps, tuple(float(s) for s in sigma.flatten()), rounds)


@dataclass(frozen=True)
class BlockSpectrum:
    """Singular values of one gate block of W_hh, against the bound 1/γ of the block's activation."""

    gate: str
    activation: str
    singular_values: tuple[float, ...]

    @property
    def gamma(self) -> float:
        """γ, the bound on the activation's derivative."""
        return GAMMA[self.activation]

    @property
    def sigma_max(self) -> float:
        """The largest singular value σ_max."""
        return self.singular_values[0]

    @property
    def bound(self) -> float:
        """1/γ: σ_max below it is sufficient for vanishing long-term gradients."""
        return 1.0 / self.gamma

    @property
    def vanishing_guaranteed(self) -> bool:
        """σ_max < 1/γ (Pascanu et al.'s sufficient condition)."""
        return self.sigma_max < self.bound

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "gate": self.gate,
            "activation": self.activation,
            "singular_values": list(self.singular_values),
            "sigma_max": self.sigma_max,
            "gamma": self.gamma,
            "bound": self.bound,
            "vanishing_guaranteed": self.vanishing_guaranteed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BlockSpectrum:
        """Inverse of ``to_dict``."""
        return cls(
            str(data["gate"]), str(data["activation"]), tuple(float(v) for v in data["singular_values"])
        )


@dataclass(frozen=True)
class WhhSpectrum:
    """Per-gate-block spectra of W_hh for one model."""

    kind: Kind
    blocks: tuple[BlockSpectrum, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind.value, "blocks": [b.to_dict() for b in self.blocks]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> WhhSpectrum:
        """Inverse of ``to_dict``."""
        return cls(Kind(data["kind"]), tuple(BlockSpectrum.from_dict(b) for b in data["blocks"]))


def whh_spectrum(module: nn.Module, kind: Kind) -> WhhSpectrum:
    """Singular values (descending, float64) of each (H, H) gate block of ``module.weight_hh_l0``."""
    weight = module.weight_hh_l0.detach().to(torch.float64)  # type: ignore[union-attr, operator]
    hidden = int(weight.shape[1])
    names = kind.gate_names or ("hidden",)
    blocks = tuple(
        BlockSpectrum(name, activation, tuple(float(s) for s in torch.linalg.svdvals(block)))
        for name, activation, block in zip(names, _BLOCK_ACTIVATIONS[kind], weight.split(hidden), strict=True)
    )
    return WhhSpectrum(kind, blocks)
