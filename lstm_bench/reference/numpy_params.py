"""Weights of one recurrent layer for the NumPy reference, in torch.nn's layout and gate order.

``weight_ih`` (G*H, I), ``weight_hh`` (G*H, H), ``bias_ih`` / ``bias_hh`` (G*H,), with G = 4 (LSTM:
i, f, g, o), 3 (GRU: r, z, n) or 1 (RNN) row blocks. Everything is float64; nothing here imports torch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from lstm_bench.kinds import Kind

__all__ = ["LayerWeights", "Params", "as_kind", "init_params"]

Array = NDArray[np.float64]

_PARAM_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


# ---------------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------------


class LayerWeights(Protocol):
    """What a step reads: one layer-direction's weights in torch layout (biases zeros when absent).

    ``weight_ih`` (G*H, I), ``weight_hh`` (G*H, H_out) with H_out = proj_size or H, biases (G*H,).
    :class:`Params` is one; ``numpy_stack.LayerParams`` (which adds ``weight_hr``) is another.
    """

    @property
    def weight_ih(self) -> Array: ...
    @property
    def weight_hh(self) -> Array: ...
    @property
    def bias_ih(self) -> Array: ...
    @property
    def bias_hh(self) -> Array: ...


@dataclass(frozen=True)
class Params:
    """Weights of one recurrent layer in torch.nn layout (names = state_dict keys without ``_l0``).

    ``weight_ih`` is (G*H, I), ``weight_hh`` is (G*H, H), the biases are (G*H,), where G is
    ``Kind.gate_count`` (4 LSTM, 3 GRU, 1 RNN). Arrays are converted to float64 on construction.
    The same class holds gradients (see :class:`Grads`), so it checks shapes but not values.
    """

    weight_ih: Array
    weight_hh: Array
    bias_ih: Array
    bias_hh: Array

    def __post_init__(self) -> None:
        for name in _PARAM_NAMES:
            object.__setattr__(self, name, np.asarray(getattr(self, name), dtype=np.float64))
        _check_param_shapes(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)

    @property
    def hidden_size(self) -> int:
        """H, the width of h_t (and C_t)."""
        return int(self.weight_hh.shape[1])

    @property
    def input_size(self) -> int:
        """I, the width of x_t."""
        return int(self.weight_ih.shape[1])

    @property
    def gate_count(self) -> int:
        """G, the number of H-row blocks stacked in the weights (4 LSTM, 3 GRU, 1 RNN)."""
        return int(self.weight_hh.shape[0]) // self.hidden_size

    def to_state_dict(self) -> dict[str, Array]:
        """Return ``{"weight_ih_l0": ..., ...}``, loadable by ``torch.nn.{LSTM,GRU,RNN}`` after
        ``torch.from_numpy``. The arrays are copies."""
        return {f"{name}_l0": getattr(self, name).copy() for name in _PARAM_NAMES}

    @classmethod
    def from_state_dict(cls, sd: Mapping[str, Any]) -> Params:
        """Build Params from a single-layer, unidirectional torch.nn state_dict (or a dict of arrays).

        Values may be NumPy arrays, torch tensors (detached and moved to CPU here) or anything
        ``np.asarray`` takes; they are copied to float64. A model built with ``bias=False`` has no
        bias keys: both biases are then zeros. Keys of further layers, reverse directions or LSTM
        projections (``weight_hr_l0``) are rejected rather than silently dropped.
        """
        extra = sorted(set(sd) - {f"{name}_l0" for name in _PARAM_NAMES})
        if extra:
            raise ValueError(
                f"state_dict has keys {extra} that a single-layer, unidirectional model without "
                "projections does not have; only weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 are read"
            )
        missing = [f"{name}_l0" for name in ("weight_ih", "weight_hh") if f"{name}_l0" not in sd]
        if missing:
            raise ValueError(f"state_dict lacks {missing}; got keys {sorted(sd)}")
        w_ih, w_hh = _to_float64(sd["weight_ih_l0"]), _to_float64(sd["weight_hh_l0"])
        has_bias = ("bias_ih_l0" in sd, "bias_hh_l0" in sd)
        if has_bias == (False, False):
            zeros = np.zeros(w_ih.shape[0], dtype=np.float64)
            return cls(w_ih, w_hh, zeros, zeros.copy())
        if has_bias != (True, True):
            raise ValueError("state_dict has only one of bias_ih_l0 / bias_hh_l0; expected both or neither")
        return cls(w_ih, w_hh, _to_float64(sd["bias_ih_l0"]), _to_float64(sd["bias_hh_l0"]))


def _to_float64(value: Any) -> Array:
    """Copy a NumPy array, torch tensor or array-like to a float64 ndarray."""
    if hasattr(value, "detach"):  # a torch tensor: leave autograd and the device behind
        value = value.detach().cpu().numpy()
    return np.array(value, dtype=np.float64)


def _check_param_shapes(w_ih: Array, w_hh: Array, b_ih: Array, b_hh: Array) -> None:
    """Raise ValueError unless the four arrays form a consistent torch.nn layer layout."""
    if w_ih.ndim != 2 or w_hh.ndim != 2:
        raise ValueError(f"weights must be 2-D; got weight_ih {w_ih.shape}, weight_hh {w_hh.shape}")
    rows, hidden = w_hh.shape
    if hidden == 0 or rows % hidden != 0 or rows // hidden not in (1, 3, 4):
        raise ValueError(
            f"weight_hh must be (G*H, H) with G in (1, 3, 4); got {w_hh.shape} "
            f"(rows {rows} is not 1, 3 or 4 times the hidden size {hidden})"
        )
    if w_ih.shape[0] != rows or w_ih.shape[1] == 0:
        raise ValueError(
            f"weight_ih must be ({rows}, I) with I >= 1 to match weight_hh {w_hh.shape}; got {w_ih.shape}"
        )
    for name, bias in (("bias_ih", b_ih), ("bias_hh", b_hh)):
        if bias.shape != (rows,):
            raise ValueError(
                f"{name} must have shape ({rows},) to match weight_hh {w_hh.shape}; got {bias.shape}"
            )


def init_params(kind: Kind, input_size: int, hidden_size: int, rng: np.random.Generator) -> Params:
    """Draw every weight and bias from U(-1/√H, 1/√H), as torch.nn's ``reset_parameters`` does.

    The draw order (weight_ih, weight_hh, bias_ih, bias_hh) is fixed, so a seeded ``rng`` gives the
    same Params every time; the values differ from torch's own generator.
    """
    kind = as_kind(kind)
    if input_size < 1 or hidden_size < 1:
        raise ValueError(f"input_size and hidden_size must be >= 1; got {input_size} and {hidden_size}")
    rows, bound = kind.gate_count * hidden_size, 1.0 / math.sqrt(hidden_size)
    shapes = ((rows, input_size), (rows, hidden_size), (rows,), (rows,))
    return Params(*(rng.uniform(-bound, bound, size=shape) for shape in shapes))


def as_kind(kind: Kind | str) -> Kind:
    """Accept a Kind or its command-line / torch-mode spelling; raise ValueError otherwise."""
    if isinstance(kind, Kind):
        return kind
    if isinstance(kind, str):
        return Kind.parse(kind)
    raise ValueError(f"kind must be a Kind (or its name); got {kind!r}")
