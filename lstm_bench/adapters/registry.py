"""Which ``--impl`` specs name adapters: the built-in ones and a user's ``AdapterModule`` or adapter object.

Built-in specs name the framework's own class (``keras.layers:LSTM``, ``flax.nnx:LSTMCell``,
``equinox.nn:GRUCell``); the framework is imported only when such a spec is loaded, and a
missing one is a one-line usage error naming the extra to install.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass
from typing import Any

from torch import nn

from lstm_bench.adapters.protocol import (
    AdapterClass,
    AdapterModule,
    Capabilities,
    FrameworkInfo,
    RecurrentAdapter,
)
from lstm_bench.errors import ImplementationLoadError
from lstm_bench.kinds import Kind


@dataclass(frozen=True)
class BuiltinAdapter:
    """A built-in adapter: ``module:cls`` inside lstm_bench.adapters, for a framework that needs ``extra``."""

    spec: str
    kind: Kind
    module: str
    cls: str
    requires: str  # the import that must work
    extra: str  # pip extra: lstm-bench[extra]

    @property
    def capabilities(self) -> Capabilities:
        """The adapter class's capabilities (imports the framework)."""
        return self.load_class().declared_capabilities()

    def load_class(self) -> type[AdapterModule]:
        if self.requires == "keras":
            os.environ.setdefault("KERAS_BACKEND", "torch")  # Keras's own default would be TensorFlow
        try:
            importlib.import_module(self.requires)
        except Exception as exc:
            raise ImplementationLoadError(
                f"--impl {self.spec} needs {self.requires} ({type(exc).__name__}: {exc}); "
                f"install it with: pip install 'lstm-bench[{self.extra}]'"
            ) from None
        found: type[AdapterModule] = getattr(
            importlib.import_module(f"lstm_bench.adapters.{self.module}"), self.cls
        )
        return found

    def framework(self) -> FrameworkInfo:
        return self.load_class().framework()

    def build(self, input_size: int, hidden_size: int, **options: Any) -> nn.Module:
        return self.load_class()(input_size, hidden_size, **options)


def _builtin(spec: str, kind: Kind, module: str, cls: str, requires: str, extra: str) -> BuiltinAdapter:
    return BuiltinAdapter(spec, kind, module, cls, requires, extra)


BUILTINS: dict[str, BuiltinAdapter] = {
    b.spec: b
    for b in (
        _builtin("keras.layers:LSTM", Kind.LSTM, "keras_layers", "KerasLSTM", "keras", "keras"),
        _builtin("keras.layers:GRU", Kind.GRU, "keras_layers", "KerasGRU", "keras", "keras"),
        _builtin("keras.layers:SimpleRNN", Kind.RNN_TANH, "keras_layers", "KerasSimpleRNN", "keras", "keras"),
        _builtin("flax.nnx:LSTMCell", Kind.LSTM, "jax_cells", "FlaxLSTMCell", "flax.nnx", "jax"),
        _builtin(
            "flax.nnx:OptimizedLSTMCell", Kind.LSTM, "jax_cells", "FlaxOptimizedLSTMCell", "flax.nnx", "jax"
        ),
        _builtin("flax.nnx:GRUCell", Kind.GRU, "jax_cells", "FlaxGRUCell", "flax.nnx", "jax"),
        _builtin("flax.nnx:SimpleCell", Kind.RNN_TANH, "jax_cells", "FlaxSimpleCell", "flax.nnx", "jax"),
        _builtin("equinox.nn:LSTMCell", Kind.LSTM, "jax_cells", "EquinoxLSTMCell", "equinox", "jax"),
        _builtin("equinox.nn:GRUCell", Kind.GRU, "jax_cells", "EquinoxGRUCell", "equinox", "jax"),
    )
}


def as_adapter(obj: Any) -> RecurrentAdapter | None:
    """``obj`` as an adapter: an ``AdapterModule`` subclass or an object with the protocol; else None."""
    if isinstance(obj, type) and issubclass(obj, AdapterModule):
        return AdapterClass(obj)
    if not isinstance(obj, type) and isinstance(obj, RecurrentAdapter):
        return obj
    return None


def resolve_adapter(spec: str) -> RecurrentAdapter | None:
    """The adapter ``spec`` names, or None when it names a plain module class or factory.

    A spec that cannot be imported gives None here: the loader reports that error itself.
    """
    key = spec.strip()
    if key in BUILTINS:
        BUILTINS[key].load_class()  # a missing framework is a usage error before anything is built
        return BUILTINS[key]
    module_name, sep, attr = key.partition(":")
    if not sep:
        return None
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except Exception:
        return None
    return as_adapter(obj)


def framework_of(spec: str) -> FrameworkInfo:
    """The framework that computes ``spec``: the adapter's, else torch with its version."""
    adapter = resolve_adapter(spec)
    if adapter is not None:
        return adapter.framework()
    import torch

    return FrameworkInfo("torch", str(torch.__version__))
