"""Named weight initialisations for any module with torch.nn's parameter names.

Every function takes the module, works in place under ``torch.no_grad()``, draws from the
optional ``generator`` (so runs are seeded) and returns the module. Gate blocks are the row
blocks of ``weight_ih_l0`` / ``weight_hh_l0`` (LSTM i, f, g, o; GRU r, z, n; RNN one block).
Bias convention: torch.nn adds two bias vectors (b_ih + b_hh). Where a scheme sets a bias
*value* (forget bias, chrono) the whole value goes into ``bias_ih_l0`` and the same slice of
``bias_hh_l0`` is set to 0, so the effective bias is exactly the documented value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import torch
from torch import Tensor, nn

from lstm_bench.kinds import Kind

__all__ = [
    "INITIALISERS",
    "apply_init",
    "chrono",
    "forget_bias",
    "he",
    "identity",
    "orthogonal",
    "torch_default",
    "xavier",
]


def _params(module: nn.Module) -> tuple[Tensor, Tensor, Tensor | None, Tensor | None]:
    return (
        module.weight_ih_l0,  # type: ignore[return-value]
        module.weight_hh_l0,
        getattr(module, "bias_ih_l0", None),
        getattr(module, "bias_hh_l0", None),
    )


def _blocks(weight: Tensor, hidden_size: int) -> Iterator[Tensor]:
    """Views of the (H, ·) gate blocks of a stacked (G*H, ·) weight."""
    return iter(weight.split(hidden_size, dim=0))


def _zero_biases(module: nn.Module) -> None:
    for bias in _params(module)[2:]:
        if bias is not None:
            bias.zero_()


def _hidden(module: nn.Module) -> int:
    return int(module.weight_hh_l0.shape[1])  # type: ignore[union-attr, index]


def _uniform(t: Tensor, bound: float, generator: torch.Generator | None) -> None:
    t.copy_((torch.rand(t.shape, generator=generator, dtype=torch.float64) * 2 - 1) * bound)


def _normal(t: Tensor, std: float, generator: torch.Generator | None) -> None:
    t.copy_(torch.randn(t.shape, generator=generator, dtype=torch.float64) * std)


def torch_default(module: nn.Module, generator: torch.Generator | None = None) -> nn.Module:
    """torch.nn's default: every weight and bias ~ U(-1/√H, 1/√H)."""
    bound = 1.0 / math.sqrt(_hidden(module))
    with torch.no_grad():
        for p in _params(module):
            if p is not None:
                _uniform(p, bound, generator)
    return module


def xavier(module: nn.Module, generator: torch.Generator | None = None, gain: float = 1.0) -> nn.Module:
    """Xavier/Glorot uniform per gate block: U(-a, a), a = gain·√(6 / (fan_in + fan_out)); biases 0."""
    hidden = _hidden(module)
    with torch.no_grad():
        for weight in _params(module)[:2]:
            assert weight is not None
            for block in _blocks(weight, hidden):
                _uniform(block, gain * math.sqrt(6.0 / (block.shape[0] + block.shape[1])), generator)
        _zero_biases(module)
    return module


def he(module: nn.Module, generator: torch.Generator | None = None) -> nn.Module:
    """He/Kaiming normal per gate block: N(0, 2 / fan_in), the ReLU-preserving variance; biases 0."""
    hidden = _hidden(module)
    with torch.no_grad():
        for weight in _params(module)[:2]:
            assert weight is not None
            for block in _blocks(weight, hidden):
                _normal(block, math.sqrt(2.0 / block.shape[1]), generator)
        _zero_biases(module)
    return module


def _random_orthogonal(n: int, generator: torch.Generator | None) -> Tensor:
    """A Haar-random orthogonal matrix: QR of a Gaussian matrix with the signs of R's diagonal fixed."""
    q, r = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
    signs = torch.sign(torch.diagonal(r)).unsqueeze(0)
    orthogonal_matrix: Tensor = torch.mul(q, signs)
    return orthogonal_matrix


def orthogonal(module: nn.Module, generator: torch.Generator | None = None) -> nn.Module:
    """Each (H, H) gate block of W_hh orthogonal (W Wᵀ = I, all singular values 1); W_ih Xavier; biases 0."""
    xavier(module, generator)
    hidden = _hidden(module)
    with torch.no_grad():
        for block in _blocks(module.weight_hh_l0, hidden):  # type: ignore[arg-type]
            block.copy_(_random_orthogonal(hidden, generator))
    return module


def identity(
    module: nn.Module, generator: torch.Generator | None = None, scale: float = 1.0, input_std: float = 1e-3
) -> nn.Module:
    """IRNN (Le et al. 2015), meant for the ReLU RNN: W_hh = scale·I per block, W_ih ~ N(0, input_std²), biases 0."""
    hidden = _hidden(module)
    with torch.no_grad():
        _normal(module.weight_ih_l0, input_std, generator)  # type: ignore[arg-type]
        for block in _blocks(module.weight_hh_l0, hidden):  # type: ignore[arg-type]
            block.copy_(scale * torch.eye(hidden, dtype=torch.float64))
        _zero_biases(module)
    return module


def _lstm_bias_slices(module: nn.Module, gate: int) -> tuple[Tensor, Tensor]:
    _, _, b_ih, b_hh = _params(module)
    if b_ih is None or b_hh is None or b_ih.shape[0] != 4 * _hidden(module):
        raise ValueError("this initialisation applies to an LSTM with biases (4H rows)")
    hidden = _hidden(module)
    block = slice(gate * hidden, (gate + 1) * hidden)
    return b_ih[block], b_hh[block]


def forget_bias(module: nn.Module, generator: torch.Generator | None = None, value: float = 1.0) -> nn.Module:
    """LSTM forget-gate bias b_f = value (Gers et al. 2000; Jozefowicz et al. 2015 use 1).

    The other parameters keep their values; ``bias_ih`` forget slice = value, ``bias_hh`` forget
    slice = 0, so σ(b_f) starts at σ(value).
    """
    with torch.no_grad():
        b_ih_f, b_hh_f = _lstm_bias_slices(module, gate=1)
        b_ih_f.fill_(value)
        b_hh_f.zero_()
    return module


def chrono(module: nn.Module, generator: torch.Generator | None = None, t_max: float = 100.0) -> nn.Module:
    """Chrono initialisation (Tallec & Ollivier 2018): b_f ~ log U[1, T_max - 1], b_i = -b_f.

    Forget gates then remember for characteristic times spread over [1, T_max]. Other
    parameters keep their values; the bias_hh slices of i and f are set to 0.
    """
    if t_max <= 2:
        raise ValueError(f"chrono needs t_max > 2, got {t_max}")
    with torch.no_grad():
        b_ih_i, b_hh_i = _lstm_bias_slices(module, gate=0)
        b_ih_f, b_hh_f = _lstm_bias_slices(module, gate=1)
        u = 1.0 + torch.rand(b_ih_f.shape, generator=generator, dtype=torch.float64) * (t_max - 2.0)
        b_ih_f.copy_(torch.log(u))
        b_ih_i.copy_(-torch.log(u))
        b_hh_f.zero_()
        b_hh_i.zero_()
    return module


Initialiser = Callable[..., nn.Module]

#: Every named initialisation, as ``--init`` accepts them.
INITIALISERS: dict[str, Initialiser] = {
    "default": torch_default,
    "xavier": xavier,
    "he": he,
    "orthogonal": orthogonal,
    "identity": identity,
    "forget-bias": lambda m, generator=None, **kw: forget_bias(torch_default(m, generator), generator, **kw),
    "chrono": lambda m, generator=None, **kw: chrono(torch_default(m, generator), generator, **kw),
}

#: Kinds each initialisation is meant for (others raise ValueError in ``apply_init``).
LSTM_ONLY = frozenset({"forget-bias", "chrono"})


def apply_init(module: nn.Module, name: str, kind: Kind, seed: int = 0, **options: float) -> nn.Module:
    """Apply the initialisation called ``name`` with a generator seeded by ``seed``."""
    if name not in INITIALISERS:
        raise ValueError(f"unknown initialisation {name!r}; expected one of {', '.join(INITIALISERS)}")
    if name in LSTM_ONLY and kind is not Kind.LSTM:
        raise ValueError(f"initialisation {name!r} applies to the LSTM only, not {kind.value}")
    generator = torch.Generator().manual_seed(seed)
    return INITIALISERS[name](module, generator=generator, **options)
