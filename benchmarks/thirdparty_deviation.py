"""Confirm, without lstm-bench, what ``lstm-bench check`` says about opacus and torchrl layers.

For each third-party layer and its torch.nn counterpart, with the same weights copied over:

* forward(x, hx) in float64, time-major and batch_first: max |difference| of output and states
  (expected ~1e-16: the layers agree with torch.nn where lstm-bench says they pass);
* each optional feature lstm-bench reports unsupported: the same call on torch.nn (which works)
  and on the layer (which raises), with the exception printed;
* the value deviations that ``contract.*`` checks report (each measured on the layer and on
  torch.nn the same way, so torch.nn is the control):
  - ``contract.shapes``: an ``hx`` of batch 1 for an input of batch 3 (torch.nn raises);
  - ``contract.dropout``: two layers with ``dropout=1`` in training; the first layer's ``h_n``
    must equal eval mode's (torch.nn drops only between layers, not inside the recurrence);
  - ``contract.packed``: a float64 packed batch of unequal lengths against torch.nn on the same
    weights (relative difference; float64 arithmetic gives ~1e-16).

Exit 0 when every "unsupported" is confirmed (torch.nn works, the layer raises) and every
supported forward agrees within 1e-10; 1 otherwise. Takes a few seconds.

Usage: python benchmarks/thirdparty_deviation.py
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

LAYERS = {
    "opacus.layers:DPLSTM": nn.LSTM,
    "opacus.layers:DPGRU": nn.GRU,
    "opacus.layers:DPRNN": nn.RNN,
    "torchrl.modules:LSTM": nn.LSTM,
    "torchrl.modules:GRU": nn.GRU,
}
I, H, T, B = 3, 5, 4, 2
NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


def _load(spec: str) -> type[nn.Module] | None:
    module_name, _, attr = spec.partition(":")
    try:
        return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]
    except ImportError:
        return None


def _pair(cls: type[nn.Module], ref_cls: type[nn.Module], **kw: Any) -> tuple[nn.Module, nn.Module]:
    """The layer and torch.nn's, both float64, the layer's weights copied into torch.nn's."""
    layer = cls(I, H, **kw).double()
    ref = ref_cls(I, H, **kw).double()
    with torch.no_grad():
        params = dict(layer.named_parameters())
        for name in NAMES:
            getattr(ref, name).copy_(params[name])
    return layer, ref


def _state(ref_cls: type[nn.Module], shape: tuple[int, ...]) -> Tensor | tuple[Tensor, Tensor]:
    gen = torch.Generator().manual_seed(1)
    h = torch.rand(shape, generator=gen, dtype=torch.float64)
    return (h, torch.rand(shape, generator=gen, dtype=torch.float64)) if ref_cls is nn.LSTM else h


def _flat(result: Any) -> list[Tensor]:
    out, state = result
    return [out, *(state if isinstance(state, tuple) else (state,))]


def agreement(cls: type[nn.Module], ref_cls: type[nn.Module], batch_first: bool) -> float:
    """max |layer - torch.nn| over output and states for one float64 forward(x, hx)."""
    layer, ref = _pair(cls, ref_cls, batch_first=batch_first)
    x = torch.randn(T, B, I, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    x = x.transpose(0, 1).contiguous() if batch_first else x
    hx = _state(ref_cls, (1, B, H))
    with torch.no_grad():
        got, want = _flat(layer(x, hx)), _flat(ref(x, hx))
    return max(float((g - w).abs().max()) for g, w in zip(got, want, strict=True))


def _features(ref_cls: type[nn.Module]) -> dict[str, tuple[dict[str, Any], Callable[[nn.Module], object]]]:
    x = torch.zeros(T, B, I, dtype=torch.float64)
    feats: dict[str, tuple[dict[str, Any], Callable[[nn.Module], object]]] = {
        "unbatched": ({}, lambda m: m(torch.zeros(T, I, dtype=torch.float64), _state(ref_cls, (1, H)))),
        "packed": ({}, lambda m: m(pack_padded_sequence(x, torch.tensor([T, T - 1])))),
        "bidirectional": ({"bidirectional": True}, lambda m: m(x)),
        "multilayer": ({"num_layers": 2}, lambda m: m(x)),
        "no_bias": ({"bias": False}, lambda m: m(x)),
    }
    if ref_cls is nn.LSTM:
        feats["proj_size"] = ({"proj_size": 2}, lambda m: m(x))
    return feats


def _attempt(cls: type[nn.Module], kw: dict[str, Any], call: Callable[[nn.Module], object]) -> str:
    try:
        call(cls(I, H, batch_first=False, **kw).double())
    except Exception as exc:
        return f"raises {type(exc).__name__}: {' '.join(str(exc).split())[:120]}"
    return "works"


def _hx_broadcast(cls: type[nn.Module], ref_cls: type[nn.Module]) -> str:
    """'raises ...' or 'works' for forward(x of batch 3, hx of batch 1)."""
    x = torch.zeros(T, 3, I, dtype=torch.float64)
    return _attempt(cls, {}, lambda m: m(x, _state(ref_cls, (1, 1, H))))


def _first_layer_h_n(module: nn.Module, x: Tensor) -> Tensor:
    _, state = module(x)
    return (state[0] if isinstance(state, tuple) else state)[0]


def _dropout_leak(cls: type[nn.Module]) -> float | str:
    """max |h_n[0] in training with dropout=1 - h_n[0] in eval| (0 for torch.nn), or why it cannot run."""
    x = torch.randn(T, B, I, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    try:
        module = cls(I, H, num_layers=2, dropout=1.0).double()
        with torch.no_grad():
            module.train()
            train = _first_layer_h_n(module, x)
            module.eval()
            evaluated = _first_layer_h_n(module, x)
    except Exception as exc:
        return f"raises {type(exc).__name__}"
    return float((train - evaluated).abs().max())


def _packed_error(cls: type[nn.Module], ref_cls: type[nn.Module]) -> float | str:
    """max relative |layer - torch.nn| of the padded output for a packed float64 batch."""
    layer, ref = _pair(cls, ref_cls)
    x = torch.randn(T, 3, I, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    lengths = torch.tensor([T, T - 1, 2])
    try:
        with torch.no_grad():
            got = _flat(layer(pack_padded_sequence(x, lengths)))
            want = _flat(ref(pack_padded_sequence(x, lengths)))
    except Exception as exc:
        return f"raises {type(exc).__name__}"
    got[0] = torch.nn.utils.rnn.pad_packed_sequence(got[0])[0]  # type: ignore[arg-type]
    want[0] = torch.nn.utils.rnn.pad_packed_sequence(want[0])[0]  # type: ignore[arg-type]
    return max(float(((g - w).abs() / (w.abs() + 1)).max()) for g, w in zip(got, want, strict=True))


def _values(cls: type[nn.Module], ref_cls: type[nn.Module]) -> None:
    mine, theirs = _hx_broadcast(cls, ref_cls), _hx_broadcast(ref_cls, ref_cls)
    verdict = "deviation confirmed" if mine == "works" and theirs != "works" else "same as torch.nn"
    print(f"  hx batch 1 for x batch 3   torch.nn {theirs[:60]}; layer {mine[:60]}  [{verdict}]")
    leak, control = _dropout_leak(cls), _dropout_leak(ref_cls)
    verdict = (
        "deviation confirmed"
        if isinstance(leak, float) and leak > 1e-12 and control == 0.0
        else "same as torch.nn"
    )
    print(f"  dropout=1: |h_n[0] train - eval|  torch.nn {control}; layer {leak}  [{verdict}]")
    packed = _packed_error(cls, ref_cls)
    verdict = "deviation confirmed" if isinstance(packed, float) and packed > 1e-12 else "same as torch.nn"
    shown = f"{packed:.1e}" if isinstance(packed, float) else packed
    print(f"  packed float64, max rel diff vs torch.nn: {shown}  [{verdict}]")


def main() -> int:
    ok = True
    for spec, ref_cls in LAYERS.items():
        cls = _load(spec)
        if cls is None:
            print(f"{spec}: not installed, skipped")
            continue
        print(f"{spec} vs torch.nn.{ref_cls.__name__}")
        for batch_first in (False, True):
            diff = agreement(cls, ref_cls, batch_first)
            ok &= diff <= 1e-10
            print(f"  forward(x, hx) float64 batch_first={batch_first}: max |diff| = {diff:.1e}")
        for feature, (kw, call) in _features(ref_cls).items():
            mine, theirs = _attempt(cls, kw, call), _attempt(ref_cls, kw, call)
            verdict = "deviation confirmed" if mine != "works" and theirs == "works" else "same as torch.nn"
            if theirs != "works":
                ok = False
            print(f"  {feature:<14} torch.nn {theirs}; layer {mine}  [{verdict}]")
        _values(cls, ref_cls)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
