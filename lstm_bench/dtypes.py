"""The dtypes lstm-bench names, both ways: 'float32' <-> torch.float32 (float64, float32, bfloat16, float16)."""

from __future__ import annotations

import torch

__all__ = ["DTYPE_NAMES", "NAMED_DTYPES", "torch_dtype"]

DTYPE_NAMES: dict[torch.dtype, str] = {
    torch.float64: "float64",
    torch.float32: "float32",
    torch.bfloat16: "bfloat16",
    torch.float16: "float16",
}
NAMED_DTYPES: dict[str, torch.dtype] = {name: dtype for dtype, name in DTYPE_NAMES.items()}


def torch_dtype(name: str) -> torch.dtype:
    """'float32' -> torch.float32; a KeyError names the dtypes there are."""
    try:
        return NAMED_DTYPES[name]
    except KeyError:
        raise KeyError(f"unknown dtype {name!r}; expected one of {', '.join(NAMED_DTYPES)}") from None
