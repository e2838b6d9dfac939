"""Keras 3 ``LSTM``, ``GRU`` and ``SimpleRNN`` under the torch.nn contract, on Keras's torch or JAX backend.

Keras keeps ``kernel`` (I, G·H), ``recurrent_kernel`` (H, G·H) and ``bias``: the transpose of
torch.nn's stacked rows. LSTM gates are i, f, c, o (torch's i, f, g, o) with one bias
(b = b_ih + b_hh). GRU gates are z, r, h (torch's r, z, n, so the first two blocks swap); with
``reset_after=True`` (Keras's default) it computes torch.nn's variant, the reset gate applied
after the recurrent matmul, and keeps two biases ``bias`` (2, 3·H) = [input; recurrent].
SimpleRNN: h_t = act(x_t W + b + h_{t-1} U), act tanh or relu.

The backend is Keras's own (``KERAS_BACKEND``; ``torch`` when unset and Keras is not yet
imported). On torch the layer runs ``stateless_call`` on Keras variables computed from the
torch.nn parameters inside forward, so torch autograd flows through the real Keras layer; on
JAX the same call runs inside ``jax.vjp`` through ``jax_bridge``.

Precision (measured with Keras 3.15.1): off TensorFlow, Keras's type promotion turns float64
into float32 (``keras.ops.matmul`` of two float64 tensors computes in float32), so
``SimpleRNN``, and every layer on the JAX backend, run float64 checks at float32 accuracy and
fail them; ``LSTM`` and ``GRU`` on the torch backend take a pure-torch path and pass in float64.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Any

import torch
from torch import Tensor

from lstm_bench.adapters.jax_bridge import JaxFunction, enable_float64
from lstm_bench.adapters.protocol import (
    GRU_RESET_AFTER,
    GRU_RESET_BEFORE,
    AdapterModule,
    Capabilities,
    FrameworkInfo,
)
from lstm_bench.kinds import Kind

_DTYPES = {torch.float64: "float64", torch.float32: "float32"}
_LAYERS: dict[Any, Any] = {}
_JAX: dict[Any, JaxFunction] = {}


def import_keras() -> Any:
    """Import Keras, choosing its torch backend unless ``KERAS_BACKEND`` says otherwise."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    if os.environ["KERAS_BACKEND"] == "jax":
        enable_float64()
    import keras

    return keras


def keras_framework() -> FrameworkInfo:
    """'keras 3.x (torch backend)' or '(jax backend)'."""
    keras = import_keras()
    return FrameworkInfo("keras", str(keras.__version__), f"{keras.backend.backend()} backend")


def _gru_blocks(weight: Tensor) -> Tensor:
    r, z, n = weight.chunk(3, dim=0)  # torch rows (r, z, n) -> Keras columns (z, r, h)
    return torch.cat([z, r, n], dim=0)


def keras_weights(kind: Kind, state: dict[str, Tensor], reset_after: bool = True) -> dict[str, Tensor]:
    """torch.nn parameters -> Keras ``kernel``, ``recurrent_kernel``, ``bias`` (differentiable).

    A reset-before GRU (``reset_after=False``) has one bias: b_hn sits outside r ⊙ (·) there,
    so the two biases add like the other gates'.
    """
    w_ih, w_hh, b_ih, b_hh = (state[n] for n in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"))
    if kind is Kind.GRU and not reset_after:
        kernels = {"kernel": _gru_blocks(w_ih).T, "recurrent_kernel": _gru_blocks(w_hh).T}
        return {**kernels, "bias": _gru_blocks(b_ih + b_hh)}
    if kind is Kind.GRU:
        bias = torch.stack([_gru_blocks(b_ih), _gru_blocks(b_hh)])  # (2, 3H): input, recurrent
        return {"kernel": _gru_blocks(w_ih).T, "recurrent_kernel": _gru_blocks(w_hh).T, "bias": bias}
    return {"kernel": w_ih.T, "recurrent_kernel": w_hh.T, "bias": b_ih + b_hh}


class KerasRecurrent(AdapterModule):
    """A Keras 3 recurrent layer (``layer_name``) computing from torch.nn-layout parameters."""

    layer_name = "LSTM"
    capabilities = Capabilities()

    def __init__(self, input_size: int, hidden_size: int, **options: Any) -> None:
        super().__init__(input_size, hidden_size, **options)
        self.framework_info = keras_framework()  # type: ignore[misc]  # per instance: the backend in use

    @classmethod
    def framework(cls) -> FrameworkInfo:
        return keras_framework()

    @classmethod
    def declared_capabilities(cls) -> Capabilities:
        """On the JAX backend Keras computes float64 in float32 (module docstring): float64 unsupported there."""
        if cls._backend() == "jax":
            return dataclasses.replace(cls.capabilities, float64=False)
        return cls.capabilities

    def _key(self, dtype: torch.dtype) -> tuple[type, int, int, Kind, torch.dtype, str, bool]:
        # one built Keras layer (and compiled JAX function) per class, size and dtype, outside nn.Module
        key = (type(self), self.input_size, self.hidden_size, self.rnn_kind, dtype, self._backend())
        return (*key, self.reset_after())

    def reset_after(self) -> bool:
        """GRU: build ``reset_after=True`` (torch.nn's variant) unless the declared variant is reset-before."""
        return self.capabilities.gru_variant == GRU_RESET_AFTER

    @staticmethod
    def _backend() -> str:
        return str(import_keras().backend.backend())

    def _layer(self, dtype: torch.dtype) -> Any:
        key = self._key(dtype)
        if key not in _LAYERS:
            keras = import_keras()
            options: dict[str, Any] = {
                "return_sequences": True,
                "return_state": True,
                "dtype": _DTYPES[dtype],
            }
            if self.layer_name == "GRU":
                options["reset_after"] = self.reset_after()
            if self.layer_name == "SimpleRNN":
                options["activation"] = "relu" if self.rnn_kind is Kind.RNN_RELU else "tanh"
            layer = getattr(keras.layers, self.layer_name)(self.hidden_size, **options)
            layer.build((None, None, self.input_size))
            _LAYERS[key] = layer
        return _LAYERS[key]

    def _call(
        self, layer: Any, weights: list[Any], fixed: list[Any], x: Any, states: list[Any]
    ) -> tuple[Any, ...]:
        outputs, _ = layer.stateless_call(weights, fixed, x, initial_state=states)
        return tuple(outputs)  # (sequence (B, T, H), h_n[, c_n])

    def native_forward(
        self, x: Tensor, h0: Tensor, c0: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        layer = self._layer(x.dtype)
        native = keras_weights(self.kind, self.torch_nn_state(), self.reset_after())
        weights = [native[v.name] for v in layer.trainable_variables]
        fixed = [v.value for v in layer.non_trainable_variables]
        states = [h0] if c0 is None else [h0, c0]
        xb = x.transpose(0, 1)  # (B, T, I): Keras is batch-major
        if self._backend() == "jax":
            outs = self._jax_call(layer, x.dtype, fixed)(*weights, xb, *states)
        else:
            outs = self._call(layer, weights, fixed, xb, states)
        return outs[0].transpose(0, 1), outs[1], outs[2] if c0 is not None else None

    @property
    def compile_seconds(self) -> float:
        """Seconds the JAX backend spent compiling first calls of this class and size (0 on torch)."""
        mine = (type(self), self.input_size, self.hidden_size, self.rnn_kind)
        return sum(fn.compile_log.total for key, fn in _JAX.items() if key[:4] == mine)

    def _jax_call(self, layer: Any, dtype: torch.dtype, fixed: list[Any]) -> JaxFunction:
        key = self._key(dtype)
        if key not in _JAX:
            count = len(layer.trainable_variables)

            def fn(*arrays: Any) -> tuple[Any, ...]:
                weights, (xb, *states) = list(arrays[:count]), arrays[count:]
                return self._call(layer, weights, fixed, xb, list(states))

            _JAX[key] = JaxFunction(fn)
        return _JAX[key]


class KerasLSTM(KerasRecurrent):
    kind = Kind.LSTM
    layer_name = "LSTM"


class KerasGRU(KerasRecurrent):
    kind = Kind.GRU
    layer_name = "GRU"  # reset_after=True (Keras's default): torch.nn's variant


class KerasGRUResetBefore(KerasRecurrent):
    """``GRU(reset_after=False)``: the original GRU (reset before the recurrent matmul), one bias.

    Not torch.nn's variant: it declares ``gru_variant='reset-before'``, so every check compares it
    with the reset-before reference (``reference.choice``; ``--impl
    lstm_bench.adapters.keras_layers:KerasGRUResetBefore``).
    """

    kind = Kind.GRU
    layer_name = "GRU"
    capabilities = Capabilities(float64=False, gru_variant=GRU_RESET_BEFORE)  # Keras ops: float32 compute


class KerasSimpleRNN(KerasRecurrent):
    kind = Kind.RNN_TANH
    layer_name = "SimpleRNN"
    # Keras's own ops compute float64 in float32 off TensorFlow (``keras.ops.matmul`` promotes
    # float64 x float64 to float32); its LSTM and GRU take a pure-torch path on the torch backend
    capabilities = Capabilities(float64=False)
