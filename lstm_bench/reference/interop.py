"""Move weights between the NumPy reference, the PyTorch reference and ``torch.nn`` modules.

All three use torch.nn's state_dict keys (``weight_ih_l0, weight_hh_l0, bias_ih_l0,
bias_hh_l0``), so interop is copying four arrays; ``.npz`` files hold the same keys.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lstm_bench.errors import UsageError
from lstm_bench.loader import PARAMETER_NAMES
from lstm_bench.reference.numpy_ref import Params

__all__ = ["copy_weights", "from_numpy", "load_npz", "save_npz", "to_numpy"]


def to_numpy(module: nn.Module) -> Params:
    """The module's weights as float64 NumPy reference parameters (zeros for absent biases)."""
    state = {  # read back in float64 on the CPU: bfloat16 and float16 have no NumPy dtype
        name: getattr(module, name).detach().to(device="cpu", dtype=torch.float64)
        for name in PARAMETER_NAMES
        if getattr(module, name, None) is not None
    }
    if "bias_ih_l0" not in state:
        rows = int(module.weight_ih_l0.shape[0])  # type: ignore[union-attr, index]
        state["bias_ih_l0"] = state["bias_hh_l0"] = torch.zeros(rows)
    return Params.from_state_dict(state)


def from_numpy(module: nn.Module, params: Params) -> nn.Module:
    """Copy NumPy reference parameters into ``module`` (keeping its dtype and device); returns it."""
    with torch.no_grad():
        for name, value in params.to_state_dict().items():
            target = getattr(module, name, None)
            if target is None:
                continue
            if tuple(target.shape) != value.shape:
                raise ValueError(f"{name}: module has shape {tuple(target.shape)}, parameters {value.shape}")
            target.copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return module


def copy_weights(source: nn.Module, target: nn.Module) -> nn.Module:
    """Give ``target`` the weights of ``source`` (any two modules with torch.nn's names); returns target."""
    return from_numpy(target, to_numpy(source))


def save_npz(path: str | os.PathLike[str], params: Params) -> Path:
    """Save parameters as an ``.npz`` with state_dict keys (written atomically)."""
    import io

    from lstm_bench.atomic import write_bytes_atomic

    buffer = io.BytesIO()
    np.savez(buffer, **params.to_state_dict())  # type: ignore[arg-type]
    return write_bytes_atomic(path, buffer.getvalue())


def load_npz(path: str | os.PathLike[str]) -> Params:
    """Load parameters saved by ``save_npz`` (or any npz with the four state_dict keys)."""
    try:
        with np.load(path) as data:
            return Params.from_state_dict({key: data[key] for key in data.files})
    except (OSError, ValueError, KeyError) as exc:
        raise UsageError(f"cannot read weights from {path}: {exc}") from None
