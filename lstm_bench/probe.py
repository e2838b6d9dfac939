"""Probe which optional features (``capabilities.Feature``) an implementation supports.

Each probe builds a tiny instance (I=3, H=5, T=4, B=2) with the feature's constructor keyword
and calls forward once; a keyword the constructor rejects, or a forward that raises, makes the
feature unsupported with the exception as the reason. A probe that runs says only "supported":
whether the values are right is for the checks. Probes run once, at load time.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from lstm_bench.capabilities import Feature, Support
from lstm_bench.kinds import Kind

#: Build an instance: keyword arguments -> module (in the time-major layout unless asked).
Builder = Callable[..., nn.Module]

I, H, T, B = 3, 5, 4, 2


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}"


def _dtype(module: nn.Module) -> torch.dtype:
    param = next(module.parameters(), None)
    return torch.float32 if param is None else param.dtype


def _state(kind: Kind, shape: tuple[int, ...], dtype: torch.dtype) -> Tensor | tuple[Tensor, Tensor]:
    zeros = torch.zeros(shape, dtype=dtype)
    return (zeros, zeros.clone()) if kind.has_cell else zeros


def _try(what: str, attempt: Callable[[], object]) -> tuple[bool, str]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter(
                "ignore"
            )  # e.g. torch's "LSTM with projections is not supported with oneDNN"
            attempt()
    except Exception as exc:  # any exception from the implementation means "not supported"
        return False, f"{what} raised {_reason(exc)}"
    return True, ""


def _build_then(
    build: Builder, what: str, kwargs: dict[str, Any], run: Callable[[nn.Module], object]
) -> tuple[bool, str]:
    shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    try:
        module = build(**kwargs)
    except Exception as exc:
        return False, f"constructor with {shown} raised {_reason(exc)}"
    return _try(what, lambda: run(module))


def _time_major(module: nn.Module) -> Tensor:
    """Zeros in the module's layout: (T, B, I), or (B, T, I) when its batch_first is set."""
    x = torch.zeros(T, B, I, dtype=_dtype(module))
    return x.transpose(0, 1).contiguous() if bool(getattr(module, "batch_first", False)) else x


def probe_unbatched(build: Builder, kind: Kind) -> tuple[bool, str]:
    """forward((T, I), state (1, H))."""

    def run(m: nn.Module) -> object:
        return m(torch.zeros(T, I, dtype=_dtype(m)), _state(kind, (1, H), _dtype(m)))

    return _build_then(build, "forward((T, I), (1, H))", {}, run)


def probe_packed(build: Builder, kind: Kind) -> tuple[bool, str]:
    """forward(PackedSequence) with lengths (T, T-1)."""

    def run(m: nn.Module) -> object:
        first = bool(getattr(m, "batch_first", False))
        packed = pack_padded_sequence(_time_major(m), torch.tensor([T, T - 1]), batch_first=first)
        return m(packed, _state(kind, (1, B, H), _dtype(m)))

    return _build_then(build, "forward(PackedSequence)", {}, run)


def _keyword_state(kind: Kind, kwargs: dict[str, Any], dtype: torch.dtype) -> Tensor | tuple[Tensor, Tensor]:
    """The initial state torch.nn takes for ``kwargs``: (L·D, B, H), h of (.., proj_size) with projection."""
    layers = int(kwargs.get("num_layers", 1)) * (2 if kwargs.get("bidirectional") else 1)
    proj = int(kwargs.get("proj_size", 0))
    if proj and kind.has_cell:
        return torch.zeros(layers, B, proj, dtype=dtype), torch.zeros(layers, B, H, dtype=dtype)
    return _state(kind, (layers, B, H), dtype)


def probe_keyword(build: Builder, kind: Kind, kwargs: dict[str, Any]) -> tuple[bool, str]:
    """The constructor takes ``kwargs`` and forward(x, hx) runs (with hx, so that a forward
    that cannot build its own zero state does not read as a missing feature)."""

    def run(m: nn.Module) -> object:
        return m(_time_major(m), _keyword_state(kind, kwargs, _dtype(m)))

    return _build_then(build, "forward(x, hx)", kwargs, run)


def probe_float64(build: Builder, kind: Kind) -> tuple[bool, str]:
    """The module moved to float64 runs forward(x, hx) in float64.

    Only the call with a state: a module whose forward(x) builds its zero state in float32
    supports float64 and is wrong without hx, which the checks report (see ``preconditions``).
    """

    def run(m: nn.Module) -> object:
        m = m.to(torch.float64)
        return m(_time_major(m), _state(kind, (1, B, H), torch.float64))

    return _build_then(build, "float64 forward(x, hx)", {}, run)


def probe_other_layout(build: Builder, native_batch_first: bool) -> tuple[bool, str]:
    """The module can be built in the layout it does not default to (the keyword, or the attribute).

    Construction only: a module that offers batch_first has the feature, and a forward that then
    misreads the layout is a failing ``equivalence.batch_first``, not an unsupported feature.
    """
    other = not native_batch_first
    try:
        build(batch_first=other)
    except Exception as exc:
        return False, f"cannot build with batch_first={other}: {_reason(exc)}"
    return True, ""


def preconditions(build: Builder, kind: Kind) -> dict[str, str]:
    """Calls every check relies on, each mapped to '' or 'raised X: ...': the root causes a report names once."""
    calls: dict[str, Callable[[nn.Module], object]] = {
        "forward(x) without hx": lambda m: m(_time_major(m)),
        "forward(x, hx)": lambda m: m(_time_major(m), _state(kind, (1, B, H), _dtype(m))),
    }
    found = {}
    for dtype in (None, torch.float64):
        for what, run in calls.items():
            label = what if dtype is None else f"{what} in float64"

            def moved(
                m: nn.Module, run: Callable[[nn.Module], object] = run, dtype: torch.dtype | None = dtype
            ) -> object:
                return run(m if dtype is None else m.to(dtype))

            ok, why = _build_then(build, what, {}, moved)
            found[label] = "" if ok else why.removeprefix(f"{what} ")
    return found


def probe_all(build: Builder, kind: Kind, native_batch_first: bool) -> dict[Feature, Support]:
    """Probe every feature; ``build(**kwargs)`` makes an instance of sizes (I, H) in the module's own
    layout (its defaults), so a feature is probed apart from the layout the checks switch to."""
    found: dict[Feature, tuple[bool, str]] = {
        Feature.UNBATCHED: probe_unbatched(build, kind),
        Feature.PACKED: probe_packed(build, kind),
        Feature.BIDIRECTIONAL: probe_keyword(build, kind, {"bidirectional": True}),
        Feature.MULTILAYER: probe_keyword(build, kind, {"num_layers": 2}),
        Feature.FLOAT64: probe_float64(build, kind),
        Feature.NO_BIAS: probe_keyword(build, kind, {"bias": False}),
        Feature.BATCH_FIRST: probe_other_layout(build, native_batch_first),
    }
    if found[Feature.MULTILAYER][0]:
        found[Feature.DROPOUT] = probe_keyword(build, kind, {"num_layers": 2, "dropout": 0.5})
    else:
        found[Feature.DROPOUT] = (False, "needs multilayer, which is unsupported")
    entries = {f: Support(f, ok, "probe", why) for f, (ok, why) in found.items()}
    if kind is Kind.LSTM:
        ok, why = probe_keyword(build, kind, {"proj_size": 2})
        entries[Feature.PROJ_SIZE] = Support(Feature.PROJ_SIZE, ok, "probe", why)
    else:
        entries[Feature.PROJ_SIZE] = Support(
            Feature.PROJ_SIZE,
            False,
            "not applicable",
            f"proj_size exists for the LSTM only, not a {kind.value}",
        )
    return {f: entries[f] for f in Feature}
