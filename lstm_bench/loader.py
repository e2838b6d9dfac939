"""Load an implementation under test from a ``pkg.module:Name`` spec and validate its contract.

``Name`` is a class or factory called as ``Name(input_size, hidden_size)`` that returns an
``nn.Module`` following the ``torch.nn.{RNN,LSTM,GRU}`` contract. The kind comes from
``--kind``, else the module's ``mode`` attribute ('LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU'), else
the class names (LSTM/GRU/RNN in the MRO), else the shape of ``weight_ih_l0`` (4H, 3H, H rows).
The layout (``batch_first``) and structure are read from the module, and optional features
are probed once (``probe``, ``capabilities``).
Everything wrong at load time is an ``ImplementationLoadError`` (one line, exit 2); wrong
*values* are left to the checks (exit 1).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor, nn

from lstm_bench import probe
from lstm_bench.capabilities import Capabilities, Feature, declared, resolve
from lstm_bench.environment import torch_framework
from lstm_bench.errors import ImplementationLoadError, ImplementationMisbehaved
from lstm_bench.kinds import Kind
from lstm_bench.reference.gru_variants import GRU_RESET_AFTER

#: Sizes of the probe instance built while validating (small, distinct, so shape mix-ups show).
PROBE_INPUT, PROBE_HIDDEN, PROBE_STEPS, PROBE_BATCH = 3, 5, 4, 2
PARAMETER_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")


#: What the checks assume of every instance unless a check asks otherwise (torch.nn's defaults).
BASELINE: dict[str, Any] = {"batch_first": False, "num_layers": 1, "bidirectional": False, "proj_size": 0}


@dataclass(frozen=True)
class LoadedImpl:
    """A validated implementation: call ``make`` for fresh instances of any size and dtype.

    ``native`` holds what the module's own defaults are (batch_first, num_layers, bidirectional,
    proj_size, nonlinearity); ``options`` the keywords ``make`` passes so that every instance
    is in the checks' baseline (time-major, one layer, one direction, no projection), and
    ``capabilities`` what optional features it supports and why.
    """

    spec: str
    kind: Kind
    factory: Callable[..., Any]
    relu_kwarg: bool  # pass nonlinearity='relu' (torch.nn:RNN used as an rnn-relu)
    options: Mapping[str, Any] = field(default_factory=dict)
    native: Mapping[str, Any] = field(default_factory=dict)
    capabilities: Capabilities = field(default_factory=lambda: Capabilities({}))
    kind_source: str = "--kind"
    preconditions: Mapping[str, str] = field(default_factory=dict)  # see probe.preconditions
    gru_variant: str = GRU_RESET_AFTER  # GRU only: the variant the checks compare against (declared)
    framework: str = (
        ""  # what computes it, as reports name it: 'keras 3.15.1 (torch backend)', 'torch 2.13.0'
    )
    adapter_capabilities: Mapping[str, Any] = field(default_factory=dict)  # an adapter's declaration

    @property
    def name(self) -> str:
        """The spec, which names the implementation in every output."""
        return self.spec

    def make(
        self,
        input_size: int,
        hidden_size: int,
        dtype: torch.dtype = torch.float64,
        device: str = "cpu",
        **overrides: Any,
    ) -> nn.Module:
        """A new instance with the factory's own initialisation, moved to ``dtype`` and ``device``.

        ``overrides`` are extra constructor keywords (``batch_first=True``); a ``batch_first``
        the constructor rejects is set as an attribute instead, when the module has one.
        """
        module = _build(self.factory, input_size, hidden_size, self.relu_kwarg, {**self.options, **overrides})
        return module.to(device=device, dtype=dtype)


def _build(
    factory: Callable[..., Any], input_size: int, hidden_size: int, relu: bool, kwargs: Mapping[str, Any]
) -> nn.Module:
    """``factory(I, H, **kwargs)``; batch_first falls back to the attribute when the keyword is rejected."""
    call = dict(kwargs)
    if relu:
        call["nonlinearity"] = "relu"
    layout = call.pop("batch_first", None)
    if layout is not None and _accepts(factory, "batch_first"):
        call["batch_first"] = layout
        layout = None
    module: nn.Module = factory(input_size, hidden_size, **call)
    if layout is not None and bool(getattr(module, "batch_first", False)) != layout:
        if not hasattr(module, "batch_first"):
            raise TypeError(
                "the constructor takes no batch_first and the module has no batch_first attribute"
            )
        setattr(module, "batch_first", layout)  # noqa: B010 (nn.Module.__setattr__ is typed for tensors)
    return module


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


def _accepts(factory: Callable[..., Any], keyword: str) -> bool:
    """True when ``factory`` names ``keyword`` or takes ``**kwargs``."""
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    return keyword in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _construct(spec: str, factory: Callable[..., Any], relu: bool, options: Mapping[str, Any]) -> nn.Module:
    shown = "".join(
        f", {k}={v!r}" for k, v in {**options, **({"nonlinearity": "relu"} if relu else {})}.items()
    )
    call = f"{spec.partition(':')[2]}({PROBE_INPUT}, {PROBE_HIDDEN}{shown})"
    try:
        module = _build(factory, PROBE_INPUT, PROBE_HIDDEN, relu, options)
    except Exception as exc:
        raise ImplementationLoadError(f"--impl {spec}: {call} raised {type(exc).__name__}: {exc}") from None
    if not isinstance(module, nn.Module):
        raise ImplementationLoadError(
            f"--impl {spec}: {call} returned {type(module).__name__}, not a torch.nn.Module"
        )
    return module


def _kind_from_names(module: nn.Module) -> Kind | None:
    """LSTM, GRU or RNN from the first class in the MRO whose name says one (DPLSTM -> lstm)."""
    for cls in type(module).__mro__:
        name = cls.__name__.upper()
        for word, kind in (("LSTM", Kind.LSTM), ("GRU", Kind.GRU), ("RNN", Kind.RNN_TANH)):
            if word in name:
                return kind
    return None


def _kind_from_shapes(module: nn.Module) -> Kind | None:
    """From weight_ih_l0's rows: 4H LSTM, 3H GRU, H RNN."""
    weight = dict(module.named_parameters()).get("weight_ih_l0")
    hh = dict(module.named_parameters()).get("weight_hh_l0")
    if weight is None or hh is None or weight.dim() != 2 or hh.dim() != 2:
        return None
    rows, hidden = weight.shape[0], hh.shape[1]
    return {4 * hidden: Kind.LSTM, 3 * hidden: Kind.GRU, hidden: Kind.RNN_TANH}.get(rows)


def _with_nonlinearity(kind: Kind, module: nn.Module) -> Kind:
    if kind is Kind.RNN_TANH and str(getattr(module, "nonlinearity", "tanh")).lower() == "relu":
        return Kind.RNN_RELU
    return kind


def infer_kind(spec: str, module: nn.Module) -> tuple[Kind, str]:
    """The kind from ``mode``, else the class names, else the parameter shapes, and where it came from.

    The class name and the shapes must agree; when neither tells (or they disagree) this is a
    load error asking for --kind.
    """
    mode = getattr(module, "mode", None)
    if mode is not None:
        try:
            return Kind.from_mode(str(mode)), f"mode {mode!r}"
        except ValueError as exc:
            raise ImplementationLoadError(f"--impl {spec}: {exc}; pass --kind") from None
    by_name, by_shape = _kind_from_names(module), _kind_from_shapes(module)
    if by_name is not None and by_shape is not None and by_name.gate_count != by_shape.gate_count:
        raise ImplementationLoadError(
            f"--impl {spec}: the class name says {by_name.value} but weight_ih_l0 has "
            f"{by_shape.gate_count}·H rows ({by_shape.value}); pass --kind lstm|gru|rnn|rnn-relu"
        )
    if by_name is not None:
        return _with_nonlinearity(by_name, module), f"class name {type(module).__name__}"
    if by_shape is not None:
        return _with_nonlinearity(by_shape, module), "parameter shapes"
    raise ImplementationLoadError(
        f"--impl {spec}: cannot tell the kind (no 'mode' attribute, no LSTM/GRU/RNN in the class names, "
        "no torch.nn parameter shapes); pass --kind lstm|gru|rnn|rnn-relu"
    )


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


def _check_forward(spec: str, module: nn.Module, kind: Kind, batch_first: bool = False) -> None:
    """forward(x, hx) in the module's own layout returns torch.nn's structure and shapes."""
    dtype = next(module.parameters()).dtype
    x = torch.zeros(PROBE_STEPS, PROBE_BATCH, PROBE_INPUT, dtype=dtype)
    if batch_first:
        x = x.transpose(0, 1).contiguous()  # (B, T, I)
    zeros = torch.zeros(1, PROBE_BATCH, PROBE_HIDDEN, dtype=dtype)
    hx: Any = (zeros, zeros.clone()) if kind.has_cell else zeros
    try:
        result = module(x, hx)
    except TypeError as exc:
        raise ImplementationLoadError(f"--impl {spec}: forward does not accept (x, hx): {exc}") from None
    except (Exception, SystemExit) as exc:
        raise ImplementationMisbehaved(
            f"--impl {spec}: forward(x, hx) raised {type(exc).__name__}: {exc}"
        ) from None
    state_doc = "(h_n, c_n)" if kind.has_cell else "h_n"
    out_shape = (
        (PROBE_BATCH, PROBE_STEPS, PROBE_HIDDEN) if batch_first else (PROBE_STEPS, PROBE_BATCH, PROBE_HIDDEN)
    )
    out_doc = "(B, T, H)" if batch_first else "(T, B, H)"
    shape_doc = f"output {out_doc}={out_shape} and {state_doc} of (1, B, H)"
    if not (isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], Tensor)):
        raise ImplementationMisbehaved(
            f"--impl {spec}: forward must return (output, {state_doc}) like torch.nn, got {type(result).__name__}"
        )
    output, state = result
    if kind.has_cell and not (isinstance(state, tuple) and len(state) == 2):
        raise ImplementationMisbehaved(
            f"--impl {spec}: an LSTM's forward must return (output, (h_n, c_n)); its state is {type(state).__name__}"
        )
    states = state if kind.has_cell and isinstance(state, tuple) else (state,)
    ok_states = len(states) == (2 if kind.has_cell else 1) and all(_is_state(s, PROBE_BATCH) for s in states)
    if tuple(output.shape) != out_shape or not ok_states:
        got = [tuple(t.shape) if isinstance(t, Tensor) else type(t).__name__ for t in (output, *states)]
        raise ImplementationMisbehaved(f"--impl {spec}: forward returned shapes {got}; expected {shape_doc}")


def _options(spec: str, factory: Callable[..., Any], native: Mapping[str, Any]) -> dict[str, Any]:
    """Keywords that bring every instance to the checks' baseline from the module's own defaults."""
    options = {}
    for key, baseline in BASELINE.items():
        if key not in native or native[key] == baseline:
            continue
        if key != "batch_first" and not _accepts(factory, key):
            raise ImplementationLoadError(
                f"--impl {spec}: the module defaults to {key}={native[key]!r} and its constructor "
                f"takes no {key} keyword to ask for {key}={baseline!r}"
            )
        options[key] = baseline
    return options


def load_impl(
    spec: str,
    kind: Kind | None = None,
    *,
    supports: Iterable[Feature] = (),
    unsupported: Iterable[Feature] = (),
) -> LoadedImpl:
    """Import, construct and validate the implementation named by ``spec``, and probe its features.

    The kind comes from ``kind`` (--kind), else the module (``infer_kind``). The layout and
    structure (batch_first, num_layers, bidirectional, proj_size, nonlinearity) are read from a
    default instance; instances for the checks are then asked for the baseline (time-major,
    one layer, one direction) with constructor keywords. ``supports`` / ``unsupported``
    override the class's ``lstm_bench_capabilities`` and the probes (see ``capabilities``).

    Raises ImplementationLoadError with one line for each way a spec can be wrong: bad syntax,
    module not importable, name missing, not callable, construction failing, unknown kind,
    wrong parameter names or shapes, a forward that does not take ``(x, hx)`` or returns the
    wrong structure.
    """
    # a spec naming an adapter (a built-in one such as 'keras.layers:LSTM', an AdapterModule
    # subclass or a RecurrentAdapter object) is built through the adapter's build(); everything
    # below validates it like any module
    from lstm_bench.adapters import resolve_adapter

    adapter = resolve_adapter(spec)
    factory = adapter.build if adapter is not None else _import_factory(spec)
    relu = kind is Kind.RNN_RELU and _accepts(factory, "nonlinearity")
    default = _construct(spec, factory, relu, {})
    mode = getattr(default, "mode", None)
    if kind is not None:
        if mode is not None and str(mode) != kind.torch_mode:
            raise ImplementationLoadError(
                f"--impl {spec}: --kind {kind.value} does not match the module's mode {mode!r}"
            )
        resolved, source = kind, "--kind"
    else:
        resolved, source = infer_kind(spec, default)
    native = {k: getattr(default, k) for k in (*BASELINE, "nonlinearity") if hasattr(default, k)}
    options = _options(spec, factory, native)
    # the contract is validated as the user calls the module, in its own layout; instances in the
    # checks' baseline (``options``) that misbehave are failing checks, not load errors
    _check_parameters(spec, default, resolved)
    _check_forward(spec, default, resolved, bool(native.get("batch_first", False)))
    module = _construct(spec, factory, relu, options) if options else default
    try:
        declaration = declared(type(module))
    except ValueError as exc:
        raise ImplementationLoadError(f"--impl {spec}: {exc}") from None
    if adapter is not None:  # what the adapter states, unless the module's class says otherwise
        declaration = {**adapter.capabilities.declaration(), **declaration}

    def native_builder(**kwargs: Any) -> nn.Module:
        return _build(factory, PROBE_INPUT, PROBE_HIDDEN, relu, kwargs)

    def builder(**kwargs: Any) -> nn.Module:
        return _build(factory, PROBE_INPUT, PROBE_HIDDEN, relu, {**options, **kwargs})

    probed = probe.probe_all(native_builder, resolved, bool(native.get("batch_first", False)))
    return LoadedImpl(
        spec=spec,
        kind=resolved,
        factory=factory,
        relu_kwarg=relu,
        options=options,
        native=native,
        capabilities=resolve(probed, declaration, supports, unsupported),
        kind_source=source,
        preconditions=probe.preconditions(builder, resolved),
        gru_variant=adapter.capabilities.gru_variant if adapter is not None else GRU_RESET_AFTER,
        framework=str(adapter.framework()) if adapter is not None else torch_framework(),
        adapter_capabilities=adapter.capabilities.to_dict() if adapter is not None else {},
    )


def parse_kind(text: str | None) -> Kind | None:
    """Parse an optional ``--kind`` value; a bad value is a usage error."""
    if text is None:
        return None
    try:
        return Kind.parse(text)
    except ValueError as exc:
        raise ImplementationLoadError(str(exc)) from None
