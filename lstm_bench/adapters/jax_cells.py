"""Flax NNX and Equinox recurrent cells, scanned over time, under the torch.nn contract.

The torch.nn parameters are converted to the cell's own layout in torch (differentiable), cross
to JAX through DLPack, and the real library cell is stepped with ``jax.lax.scan`` inside
``jax.vjp`` (``jax_bridge``); float64 works through ``jax_enable_x64``. Layouts:

* Flax ``OptimizedLSTMCell``: ``dense_i.kernel`` (I, 4H) = W_ihᵀ, ``dense_h.kernel`` (H, 4H)
  = W_hhᵀ, ``dense_h.bias`` = b_ih + b_hh; gates i, f, g, o; carry (c, h).
* Flax ``LSTMCell``: one Linear per gate and side (``ii``, ``if_``, ``ig``, ``io`` without bias;
  ``hi``, ``hf``, ``hg``, ``ho`` with the summed bias), kernels (in, H).
* Flax ``SimpleCell``: h_t = tanh(x_t W_i + b + h_{t-1} W_h).
* Equinox ``nn.LSTMCell``: torch's row layout and gate order, one bias b_ih + b_hh.
* Equinox ``nn.GRUCell``: gates r, z, n, reset applied after the recurrent matmul (torch.nn's
  variant); ``bias`` = b_ih + (b_hr, b_hz, 0) and ``bias_n`` = b_hn inside r ⊙ (·).

* Flax ``GRUCell``: gates r, z, n, reset after the recurrent matmul, but ``dense_h`` has no bias
  (flax 0.12.8 computes n = tanh(W_in x + b_in + r ⊙ W_hn h), whatever its docstring says), so it
  cannot hold torch.nn's b_hn: ``dense_i.bias`` = b_ih + (b_hr, b_hz, 0), and b_hn is held at 0
  (``Capabilities(candidate_bias=False)``: instances refuse a nonzero b_hn, the checks draw it as 0).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor

from lstm_bench.adapters.jax_bridge import JaxFunction, enable_float64
from lstm_bench.adapters.protocol import AdapterModule, Capabilities, FrameworkInfo
from lstm_bench.kinds import Kind

JaxFn = Callable[..., tuple[Any, ...]]
_COMPILED: dict[tuple[type, int, int, Kind], dict[torch.dtype, JaxFunction]] = {}


class JaxCell(AdapterModule):
    """Base of a scanned JAX cell: subclasses give ``to_native`` (torch tensors) and ``jax_fn``."""

    def __init__(self, input_size: int, hidden_size: int, **options: Any) -> None:
        super().__init__(input_size, hidden_size, **options)
        enable_float64()

    @property
    def _fns(self) -> dict[torch.dtype, JaxFunction]:
        # shared by instances of one class and size, so each shape compiles once per process
        key = (type(self), self.input_size, self.hidden_size, self.rnn_kind)
        return _COMPILED.setdefault(key, {})

    def to_native(self) -> list[Tensor]:
        """The cell's arrays, in ``jax_fn``'s argument order, computed from the torch.nn parameters."""
        raise NotImplementedError

    def jax_fn(self, dtype: Any) -> JaxFn:
        """fn(*native, x (T, B, I), h0 (B, H), c0 (B, H)) -> (output (T, B, H), h_n, c_n)."""
        raise NotImplementedError

    @property
    def compile_seconds(self) -> float:
        """Seconds spent compiling (first calls at each shape) in this instance so far."""
        return sum(fn.compile_log.total for fn in self._fns.values())

    def native_forward(
        self, x: Tensor, h0: Tensor, c0: Tensor | None
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        if x.dtype not in self._fns:
            import jax.numpy as jnp

            self._fns[x.dtype] = JaxFunction(
                self.jax_fn(jnp.float64 if x.dtype == torch.float64 else jnp.float32)
            )
        c = h0 if c0 is None else c0  # cell-less kinds ignore it
        output, h_n, c_n = self._fns[x.dtype](*self.to_native(), x, h0, c)
        return output, h_n, (c_n if self.kind.has_cell else None)


def _sum_bias(state: dict[str, Tensor]) -> Tensor:
    return state["bias_ih_l0"] + state["bias_hh_l0"]


# ---------------------------------------------------------------------------------------------------
# Flax NNX
# ---------------------------------------------------------------------------------------------------


def flax_framework() -> FrameworkInfo:
    import flax
    import jax

    return FrameworkInfo("flax", str(flax.__version__), f"nnx, jax {jax.__version__}")


class FlaxCell(JaxCell):
    """A Flax NNX cell; ``native_names`` are its flat parameter paths ('dense_h/bias', ...)."""

    cell_name = "OptimizedLSTMCell"

    @classmethod
    def framework(cls) -> FrameworkInfo:
        return flax_framework()

    def native_arrays(self) -> dict[str, Tensor]:
        raise NotImplementedError

    def to_native(self) -> list[Tensor]:
        arrays = self.native_arrays()
        return [arrays[name] for name in sorted(arrays)]

    def jax_fn(self, dtype: Any) -> JaxFn:
        import jax
        from flax import nnx

        options: dict[str, Any] = {"rngs": nnx.Rngs(0), "dtype": dtype, "param_dtype": dtype}
        if self.rnn_kind is Kind.RNN_RELU:
            options["activation_fn"] = nnx.relu
        cell = getattr(nnx, self.cell_name)(self.input_size, self.hidden_size, **options)
        graphdef, state = nnx.split(cell)
        flat = {"/".join(map(str, path)): var for path, var in nnx.to_flat_state(state)}
        names = sorted(flat)
        has_cell = self.kind.has_cell

        def fn(*arrays: Any) -> tuple[Any, ...]:
            params, (x, h0, c0) = arrays[: len(names)], arrays[len(names) :]
            leaves = [(tuple(n.split("/")), flat[n].replace(a)) for n, a in zip(names, params, strict=True)]
            model = nnx.merge(graphdef, nnx.from_flat_state(leaves))
            carry0 = (c0, h0) if has_cell else h0  # Flax carries (c, h)
            carry, ys = jax.lax.scan(lambda carry, xt: model(carry, xt), carry0, x)
            h_n, c_n = (carry[1], carry[0]) if has_cell else (carry, c0)
            return ys, h_n, c_n

        return fn


class FlaxOptimizedLSTMCell(FlaxCell):
    kind = Kind.LSTM
    cell_name = "OptimizedLSTMCell"

    def native_arrays(self) -> dict[str, Tensor]:
        s = self.torch_nn_state()
        return {
            "dense_i/kernel": s["weight_ih_l0"].T,
            "dense_h/kernel": s["weight_hh_l0"].T,
            "dense_h/bias": _sum_bias(s),
        }


class FlaxLSTMCell(FlaxCell):
    kind = Kind.LSTM
    cell_name = "LSTMCell"

    def native_arrays(self) -> dict[str, Tensor]:
        s = self.torch_nn_state()
        found: dict[str, Tensor] = {}
        gates = zip(
            ("i", "f_", "g", "o"),
            s["weight_ih_l0"].chunk(4),
            s["weight_hh_l0"].chunk(4),
            _sum_bias(s).chunk(4),
            strict=True,
        )
        for gate, w_i, w_h, b in gates:
            found[f"i{gate}/kernel"] = w_i.T
            found[f"h{gate.rstrip('_')}/kernel"] = w_h.T
            found[f"h{gate.rstrip('_')}/bias"] = b
        return found


class FlaxSimpleCell(FlaxCell):
    kind = Kind.RNN_TANH
    cell_name = "SimpleCell"

    def native_arrays(self) -> dict[str, Tensor]:
        s = self.torch_nn_state()
        return {
            "dense_i/kernel": s["weight_ih_l0"].T,
            "dense_i/bias": _sum_bias(s),
            "dense_h/kernel": s["weight_hh_l0"].T,
        }


class FlaxGRUCell(FlaxCell):
    """``flax.nnx.GRUCell``: torch.nn's variant without b_hn (held at 0, see the module docstring)."""

    kind = Kind.GRU
    cell_name = "GRUCell"
    capabilities = Capabilities(candidate_bias=False)

    def native_arrays(self) -> dict[str, Tensor]:
        s = self.torch_nn_state()
        b_hr, b_hz, b_hn = s["bias_hh_l0"].chunk(3)  # b_hn is 0 (AdapterModule refuses anything else)
        bias = s["bias_ih_l0"] + torch.cat([b_hr, b_hz, torch.zeros_like(b_hn)])
        return {
            "dense_i/kernel": s["weight_ih_l0"].T,  # (I, 3H), columns r, z, n like torch's rows
            "dense_i/bias": bias,
            "dense_h/kernel": s["weight_hh_l0"].T,  # (H, 3H), no bias
        }


# ---------------------------------------------------------------------------------------------------
# Equinox
# ---------------------------------------------------------------------------------------------------


def equinox_framework() -> FrameworkInfo:
    import equinox
    import jax

    return FrameworkInfo("equinox", str(equinox.__version__), f"jax {jax.__version__}")


class EquinoxCell(JaxCell):
    """An Equinox cell (one sample per call): vmapped over the batch and scanned over time."""

    cell_name = "LSTMCell"
    fields: tuple[str, ...] = ("weight_ih", "weight_hh", "bias")

    @classmethod
    def framework(cls) -> FrameworkInfo:
        return equinox_framework()

    def jax_fn(self, dtype: Any) -> JaxFn:
        import equinox as eqx
        import jax

        cell = getattr(eqx.nn, self.cell_name)(
            self.input_size, self.hidden_size, dtype=dtype, key=jax.random.PRNGKey(0)
        )
        fields, has_cell = self.fields, self.kind.has_cell

        def fn(*arrays: Any) -> tuple[Any, ...]:
            params, (x, h0, c0) = arrays[: len(fields)], arrays[len(fields) :]
            model = eqx.tree_at(lambda m: tuple(getattr(m, f) for f in fields), cell, tuple(params))
            step = jax.vmap(model)  # over the batch: (B, I), state (B, H)

            def scan_step(carry: Any, xt: Any) -> tuple[Any, Any]:
                new = step(xt, carry)
                return new, (new[0] if has_cell else new)

            carry, ys = jax.lax.scan(scan_step, (h0, c0) if has_cell else h0, x)
            return (ys, carry[0], carry[1]) if has_cell else (ys, carry, c0)

        return fn


class EquinoxLSTMCell(EquinoxCell):
    kind = Kind.LSTM
    cell_name = "LSTMCell"

    def to_native(self) -> list[Tensor]:
        s = self.torch_nn_state()
        return [s["weight_ih_l0"], s["weight_hh_l0"], _sum_bias(s)]


class EquinoxGRUCell(EquinoxCell):
    kind = Kind.GRU
    cell_name = "GRUCell"
    fields = ("weight_ih", "weight_hh", "bias", "bias_n")

    def to_native(self) -> list[Tensor]:
        s = self.torch_nn_state()
        b_hr, b_hz, b_hn = s["bias_hh_l0"].chunk(3)
        bias = s["bias_ih_l0"] + torch.cat([b_hr, b_hz, torch.zeros_like(b_hn)])
        return [s["weight_ih_l0"], s["weight_hh_l0"], bias, b_hn]
