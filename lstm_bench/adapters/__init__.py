"""Adapters: put recurrent layers that do not look like ``torch.nn.LSTM`` under every check.

``AdapterModule`` is the base a user subclasses (``native_forward``, usually ``to_native``);
``RecurrentAdapter`` the protocol ``--impl`` accepts besides a module class; ``BUILTINS`` the
Keras 3, Flax NNX and Equinox layers chosen by spec. See docs/adapters.md.
"""

from lstm_bench.adapters.protocol import (
    GRU_RESET_AFTER,
    GRU_RESET_BEFORE,
    AdapterClass,
    AdapterModule,
    Capabilities,
    FrameworkInfo,
    RecurrentAdapter,
)
from lstm_bench.adapters.registry import BUILTINS, as_adapter, framework_of, resolve_adapter

__all__ = [
    "BUILTINS",
    "GRU_RESET_AFTER",
    "GRU_RESET_BEFORE",
    "AdapterClass",
    "AdapterModule",
    "Capabilities",
    "FrameworkInfo",
    "RecurrentAdapter",
    "as_adapter",
    "framework_of",
    "resolve_adapter",
]
