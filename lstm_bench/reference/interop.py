"""Move weights between the NumPy reference, the PyTorch reference and ``torch.nn`` modules.

All three use torch.nn's state_dict keys (``weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0``,
and for deeper, bidirectional or projected models ``weight_ih_l1_reverse``, ``weight_hr_l0``, ...),
so interop is copying arrays by name; ``.npz`` files hold the same keys. ``to_numpy`` / ``from_numpy``
handle one layer (:class:`numpy_ref.Params`); ``stack_to_numpy`` / ``stack_from_numpy`` any layout
(:class:`numpy_stack.StackParams`).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lstm_bench.errors import UsageError
from lstm_bench.kinds import Kind
from lstm_bench.loader import PARAMETER_NAMES
from lstm_bench.reference.numpy_ref import Params
from lstm_bench.reference.numpy_stack import StackParams

__all__ = [
    "copy_weights",
    "from_numpy",
    "load_npz",
    "save_npz",
    "stack_from_numpy",
    "stack_to_numpy",
    "to_numpy",
]

_RECURRENT_NAME = re.compile(r"^(weight|bias)_(ih|hh|hr)_l\d+(_reverse)?$")


def recurrent_parameters(module: nn.Module) -> dict[str, torch.Tensor]:
    """The module's parameters that carry torch.nn's recurrent names, in registration order."""
    return {name: p for name, p in module.named_parameters() if _RECURRENT_NAME.match(name)}


def stack_to_numpy(module: nn.Module, kind: Kind) -> StackParams:
    """All of the module's recurrent weights (any num_layers, bidirectional, proj_size, bias) as float64."""
    return StackParams.from_state_dict(kind, recurrent_parameters(module))


def stack_from_numpy(module: nn.Module, params: StackParams) -> nn.Module:
    """Copy every weight of ``params`` into the same-named parameters of ``module``; returns it."""
    _copy_named(module, params.to_state_dict())
    return module


def _copy_named(module: nn.Module, values: dict[str, np.ndarray]) -> None:
    """Copy arrays into the same-named recurrent parameters; a target bias the source lacks becomes 0."""
    targets = recurrent_parameters(module)
    missing = sorted(set(values) - set(targets))
    if missing:
        raise ValueError(f"module has no parameters {missing}")
    with torch.no_grad():
        for name, target in targets.items():
            value = values.get(name)
            if value is None:
                if not name.startswith("bias"):
                    raise ValueError(f"{name}: the source has no such weight")
                target.zero_()
                continue
            if tuple(target.shape) != value.shape:
                raise ValueError(f"{name}: module has shape {tuple(target.shape)}, parameters {value.shape}")
            target.copy_(torch.from_numpy(np.ascontiguousarray(value)))


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
    """Give ``target`` the weights of ``source`` (any two modules with torch.nn's names and the same
    layout); a bias the source lacks is zeroed in the target. Returns target."""
    values = {name: p.detach().cpu().double().numpy() for name, p in recurrent_parameters(source).items()}
    _copy_named(target, values)
    return target


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
