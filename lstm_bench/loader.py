"""Load an implementation under test from a ``pkg.module:Name`` spec and validate its contract.

``Name`` is a class or factory called as ``Name(input_size, hidden_size)`` that returns an
``nn.Module`` following the ``torch.nn.{RNN,LSTM,GRU}`` contract. The kind comes from
``--kind`` or from the module's ``mode`` attribute ('LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU').
Everything wrong at load time is an ``ImplementationLoadError`` (one line, exit 2); wrong
*values* are left to the checks (exit 1).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor, nn

from lstm_bench.errors import ImplementationLoadError
from lstm_bench.kinds import Kind

#: Sizes of the probe instance built while validating (small, distinct, so shape mix-ups show).
PROBE_INPUT, PROBE_HIDDEN, PROBE_STEPS, PROBE_BATCH = 3, 5, 4, 2
PARAMETER_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


@dataclass(frozen=True)
class LoadedImpl:
    """A validated implementation: call ``make`` for fresh instances of any size and dtype."""

    spec: str
    kind: Kind
    factory: Callable[..., Any]
    relu_kwarg: bool  # pass nonlinearity='relu' (torch.nn:RNN used as an rnn-relu)

    @property
    def name(self) -> str:
        """The spec, which names the implementation in every output."""
        return self.spec

    def make(
        self, input_size: int, hidden_size: int, dtype: torch.dtype = torch.float64, device: str = "cpu"
    ) -> nn.Module:
        """A new instance with the factory's own initialisation, moved to ``dtype`` and ``device``."""
        kwargs = {"nonlinearity": "relu"} if self.relu_kwarg else {}
        module: nn.Module = self.factory(input_size, hidden_size, **kwargs)
        return module.to(device=device, dtype=dtype)


def parse_spec(spec: str) -> tuple[str, str]:
    """Split ``pkg.module:Name`` into its module path and (possibly dotted) attribute name."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name.strip() or not attr.strip():
        raise ImplementationLoadError(
            f"bad --impl spec {spec!r}: expected 'pkg.module:Name', e.g. 'torch.nn:LSTM'"
        )
    return module_name.strip(), attr.strip()


def _import_factory(spec: str) -> Callable[..., Any]:
    module_name, attr = parse_spec(spec)
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:  # ImportError, or whatever the module raises while importing
        raise ImplementationLoadError(
            f"--impl {spec}: cannot import module {module_name!r}: {type(exc).__name__}: {exc}"
        ) from None
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ImplementationLoadError(f"--impl {spec}: module {module_name!r} has no attribute {attr!r}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise ImplementationLoadError(
            f"--impl {spec}: {attr!r} is not a class or factory (got {type(obj).__name__})"
        )
    return obj  # type: ignore[no-any-return]


def _accepts_nonlinearity(factory: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    return "nonlinearity" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _construct(spec: str, factory: Callable[..., Any], relu: bool) -> nn.Module:
    kwargs = {"nonlinearity": "relu"} if relu else {}
    call = f"{spec.partition(':')[2]}({PROBE_INPUT}, {PROBE_HIDDEN}{', nonlinearity=relu' if relu else ''})"
    try:
        module = factory(PROBE_INPUT, PROBE_HIDDEN, **kwargs)
    except Exception as exc:
        raise ImplementationLoadError(f"--impl {spec}: {call} raised {type(exc).__name__}: {exc}") from None
    if not isinstance(module, nn.Module):
        raise ImplementationLoadError(
            f"--impl {spec}: {call} returned {type(module).__name__}, not a torch.nn.Module"
        )
    return module


def _resolve_kind(spec: str, module: nn.Module, kind: Kind | None) -> Kind:
    mode = getattr(module, "mode", None)
    if kind is not None:
        return kind
    if mode is None:
        raise ImplementationLoadError(
            f"--impl {spec}: the module has no 'mode' attribute; pass --kind lstm|gru|rnn|rnn-relu"
        )
    try:
        return Kind.from_mode(str(mode))
    except ValueError as exc:
        raise ImplementationLoadError(f"--impl {spec}: {exc}; pass --kind") from None


def _check_parameters(spec: str, module: nn.Module, kind: Kind) -> None:
    found = dict(module.named_parameters())
    rows = kind.gate_count * PROBE_HIDDEN
    expected = {
        "weight_ih_l0": (rows, PROBE_INPUT),
        "weight_hh_l0": (rows, PROBE_HIDDEN),
        "bias_ih_l0": (rows,),
        "bias_hh_l0": (rows,),
    }
    for name, shape in expected.items():
        if name not in found:
            have = ", ".join(sorted(found)) or "none"
            raise ImplementationLoadError(
                f"--impl {spec}: missing parameter {name} (torch.nn naming expected; it has: {have})"
            )
        if tuple(found[name].shape) != shape:
            raise ImplementationLoadError(
                f"--impl {spec}: parameter {name} has shape {tuple(found[name].shape)}, expected {shape} "
                f"for a {kind.value} with input_size={PROBE_INPUT}, hidden_size={PROBE_HIDDEN}"
            )


def _is_state(obj: Any, batch: int) -> bool:
    return isinstance(obj, Tensor) and tuple(obj.shape) == (1, batch, PROBE_HIDDEN)


def _check_forward(spec: str, module: nn.Module, kind: Kind) -> None:
    dtype = next(module.parameters()).dtype
    x = torch.zeros(PROBE_STEPS, PROBE_BATCH, PROBE_INPUT, dtype=dtype)
    zeros = torch.zeros(1, PROBE_BATCH, PROBE_HIDDEN, dtype=dtype)
    hx: Any = (zeros, zeros.clone()) if kind.has_cell else zeros
    try:
        result = module(x, hx)
    except TypeError as exc:
        raise ImplementationLoadError(f"--impl {spec}: forward does not accept (x, hx): {exc}") from None
    except Exception as exc:
        raise ImplementationLoadError(
            f"--impl {spec}: forward(x, hx) raised {type(exc).__name__}: {exc}"
        ) from None
    state_doc = "(h_n, c_n)" if kind.has_cell else "h_n"
    shape_doc = (
        f"output (T, B, H)=({PROBE_STEPS}, {PROBE_BATCH}, {PROBE_HIDDEN}) and {state_doc} of (1, B, H)"
    )
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], Tensor)):
        raise ImplementationLoadError(
            f"--impl {spec}: forward must return (output, {state_doc}) like torch.nn, got {type(result).__name__}"
        )
    output, state = result
    if kind.has_cell and not (isinstance(state, tuple) and len(state) == 2):
        raise ImplementationLoadError(
            f"--impl {spec}: an LSTM's forward must return (output, (h_n, c_n)); its state is {type(state).__name__}"
        )
    states = state if kind.has_cell and isinstance(state, tuple) else (state,)
    ok_states = len(states) == (2 if kind.has_cell else 1) and all(_is_state(s, PROBE_BATCH) for s in states)
    if tuple(output.shape) != (PROBE_STEPS, PROBE_BATCH, PROBE_HIDDEN) or not ok_states:
        got = [tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__ for t in (output, *states)]
        raise ImplementationLoadError(f"--impl {spec}: forward returned shapes {got}; expected {shape_doc}")


def load_impl(spec: str, kind: Kind | None = None) -> LoadedImpl:
    """Import, construct and validate the implementation named by ``spec``.

    Raises ImplementationLoadError with one line for each way a spec can be wrong: bad syntax,
    module not importable, name missing, not callable, construction failing, unknown kind,
    wrong parameter names or shapes, a forward that does not take ``(x, hx)`` or returns the
    wrong structure.
    """
    # --- adapters hook (issue 14): a spec naming an adapter (a built-in one such as
    # 'keras.layers:LSTM', an AdapterModule subclass or a RecurrentAdapter object) is built
    # through the adapter's build(); everything below validates it like any module. ---
    from lstm_bench.adapters import resolve_adapter

    adapter = resolve_adapter(spec)
    factory = adapter.build if adapter is not None else _import_factory(spec)
    # --- end of the adapters hook ---
    relu = kind is Kind.RNN_RELU and _accepts_nonlinearity(factory)
    module = _construct(spec, factory, relu)
    resolved = _resolve_kind(spec, module, kind)
    mode = getattr(module, "mode", None)
    if mode is not None and kind is not None and str(mode) != kind.torch_mode:
        raise ImplementationLoadError(
            f"--impl {spec}: --kind {kind.value} does not match the module's mode {mode!r}"
        )
    _check_parameters(spec, module, resolved)
    _check_forward(spec, module, resolved)
    return LoadedImpl(spec=spec, kind=resolved, factory=factory, relu_kwarg=relu)


def parse_kind(text: str | None) -> Kind | None:
    """Parse an optional ``--kind`` value; a bad value is a usage error."""
    if text is None:
        return None
    try:
        return Kind.parse(text)
    except ValueError as exc:
        raise ImplementationLoadError(str(exc)) from None
