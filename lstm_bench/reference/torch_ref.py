"""PyTorch reference RNN, LSTM and GRU that honour the whole ``torch.nn`` contract and expose every gate.

The modules take torch.nn's constructor arguments (``num_layers``, ``bias``, ``batch_first``,
``dropout``, ``bidirectional``, ``proj_size`` for the LSTM), register the same parameters in the same
order (``weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, [weight_hr_l0], weight_ih_l0_reverse,
...``), and accept and return the same structures: batched (T, B, I) or batch-first input, unbatched
(T, I) input, a ``PackedSequence`` (sorted or not) in and out, initial states of shape
(D·num_layers, B, H_out). A state_dict moves freely between them and torch.nn.

Equations per step (x_t input, h_{t-1} previous hidden state; ``torch_cells`` is their one source):

* LSTM: i_t, f_t, o_t = σ(W_i* x_t + b_i* + W_h* h_{t-1} + b_h*), candidate C~_t = tanh(...);
  C_t = f_t ⊙ C_{t-1} + i_t ⊙ C~_t;  h_t = o_t ⊙ tanh(C_t), or W_hr (o_t ⊙ tanh(C_t)) with proj_size.
* GRU: r_t, z_t = σ(...), n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn));
  h_t = (1 - z_t) ⊙ n_t + z_t ⊙ h_{t-1}.
* RNN: h_t = φ(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), φ = tanh or ReLU.

Layer k > 0 reads layer k-1's output (both directions concatenated, forward first); in training
mode with ``dropout`` p > 0 that input is multiplied by a mask of Bernoulli(1 - p) / (1 - p) entries
(not after the last layer). ``dropout_masks`` draws such masks (from a generator if given) and
``trace(..., dropout_masks=...)`` uses given ones, so a run can be repeated exactly elsewhere
(e.g. by ``numpy_stack``). torch.nn's own masks cannot be extracted: compare with it in eval mode.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

from lstm_bench.kinds import Kind
from lstm_bench.reference.gru_variants import GRU_RESET_AFTER, GRU_RESET_BEFORE
from lstm_bench.reference.stack_shape import StackShape
from lstm_bench.reference.torch_cells import LayerRun, _LSTMRecurrence, layer_weights, run_layer

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "GRUResetBefore",
    "LayerTrace",
    "ReferenceRNNBase",
    "TorchTrace",
    "_LSTMRecurrence",
]

State = Tensor | tuple[Tensor, Tensor]


@dataclass(frozen=True)
class LayerTrace:
    """One layer-direction of a trace, time-major: outputs (T, B, H_out), gates name -> (T, B, H),
    cells C_1..C_T (T, B, H) for the LSTM, final h_n (B, H_out) and c_n (B, H)."""

    layer: int
    direction: int
    outputs: Tensor
    h_n: Tensor
    c_n: Tensor | None
    gates: dict[str, Tensor]
    cells: Tensor | None


@dataclass(frozen=True)
class TorchTrace:
    """Everything one forward pass computed, time-major and batched (unbatched input gets B = 1).

    ``outputs`` is the module's output (T, B, D·H_out) (0 past each length for packed input).
    ``gates``, ``cells``, ``h_n`` (B, H_out) and ``c_n`` (B, H) are those of the top layer's forward
    direction (the only one for a single-layer unidirectional model); ``layers[k·D + d]`` holds every
    layer-direction. ``final_h`` / ``final_c`` are the states as torch.nn returns them, (D·L, B, ·).
    ``lengths`` (B,) for packed input, else None; ``dropout_masks`` the masks applied (training).
    """

    kind: Kind
    outputs: Tensor
    h_n: Tensor
    c_n: Tensor | None
    gates: dict[str, Tensor] = field(default_factory=dict)
    cells: Tensor | None = None
    layers: tuple[LayerTrace, ...] = ()
    final_h: Tensor | None = None
    final_c: Tensor | None = None
    lengths: Tensor | None = None
    dropout_masks: tuple[Tensor, ...] = ()


@dataclass(frozen=True)
class _Inputs:
    """A forward's input in one internal layout: x (T, B, I) in the caller's batch order."""

    x: Tensor
    h0: Tensor  # (D·L, B, H_out)
    c0: Tensor | None  # (D·L, B, H)
    lengths: Tensor | None  # (B,) for packed input
    unbatched: bool
    packed: PackedSequence | None


class ReferenceRNNBase(StackShape, nn.Module):
    """Shared constructor, parameters, plumbing and the layer stack of the three reference modules."""

    kind: Kind
    gru_variant: str = GRU_RESET_AFTER  # GRU only: which variant the layers compute

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__()
        _validate(self.kind, input_size, hidden_size, num_layers, dropout, proj_size)
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional, self.proj_size = bidirectional, proj_size
        factory = {"device": device, "dtype": dtype}
        rows, h_out = self.kind.gate_count * hidden_size, self.output_size
        for layer in range(num_layers):
            width = input_size if layer == 0 else self.directions * h_out
            for suffix in ("", "_reverse") if bidirectional else ("",):
                shapes: dict[str, tuple[int, ...]] = {"weight_ih": (rows, width), "weight_hh": (rows, h_out)}
                if bias:
                    shapes |= {"bias_ih": (rows,), "bias_hh": (rows,)}
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for name, shape in shapes.items():
                    setattr(self, f"{name}_l{layer}{suffix}", nn.Parameter(torch.empty(shape, **factory)))  # type: ignore[arg-type]
        if not bias:
            self.register_parameter("bias_ih_l0", None)
            self.register_parameter("bias_hh_l0", None)
        self.reset_parameters()

    @property
    def mode(self) -> str:
        """torch.nn's mode string: 'LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU'."""
        return self.kind.torch_mode

    @property
    def all_weights(self) -> list[list[nn.Parameter]]:
        """torch.nn's grouping: one list per layer-direction, in registration order."""
        params = dict(self.named_parameters())
        groups: dict[str, list[nn.Parameter]] = {}
        for name, p in params.items():
            groups.setdefault(name.split("_", 2)[2], []).append(p)  # key "l{k}[_reverse]"
        return list(groups.values())

    def flatten_parameters(self) -> None:
        """No-op: torch.nn compacts weights for cuDNN here; the reference keeps separate tensors."""

    def reset_parameters(self) -> None:
        """torch.nn's default: every parameter ~ U(-1/sqrt(H), 1/sqrt(H)), in registration order."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False), ("dropout", 0.0)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text + (f", proj_size={self.proj_size}" if self.proj_size else "")

    # -- the contract ---------------------------------------------------------------------------

    def forward(  # type: ignore[override]
        self, input: Tensor | PackedSequence, hx: State | None = None
    ) -> tuple[Tensor | PackedSequence, State]:
        """Same contract as torch.nn: (output, h_n) or, for the LSTM, (output, (h_n, c_n))."""
        inputs = self._prepare(input, hx)
        masks = self._masks_for(inputs, None)
        outputs, runs = self._stack(inputs, masks, record=False)
        return self._finish(inputs, outputs, runs)

    def trace(
        self,
        input: Tensor | PackedSequence,
        hx: State | None = None,
        dropout_masks: Sequence[Tensor] | None = None,
    ) -> TorchTrace:
        """Run forward and return every gate and state per step (see :class:`TorchTrace`).

        ``dropout_masks`` (num_layers - 1 tensors (T, B, D·H_out)) replace the masks a training-mode
        pass would draw; in eval mode they are applied all the same when given.
        """
        inputs = self._prepare(input, hx)
        masks = self._masks_for(inputs, dropout_masks)
        outputs, runs = self._stack(inputs, masks, record=True)
        layers = tuple(
            _layer_trace(k // self.directions, k % self.directions, run) for k, run in enumerate(runs)
        )
        top = layers[-self.directions]
        final_h, final_c = _final_states(runs)
        return TorchTrace(
            self.kind,
            outputs,
            top.h_n,
            top.c_n,
            top.gates,
            top.cells,
            layers,
            final_h,
            final_c,
            inputs.lengths,
            masks,
        )

    def dropout_masks(
        self, steps: int, batch: int, generator: torch.Generator | None = None
    ) -> tuple[Tensor, ...]:
        """Draw num_layers - 1 dropout masks (T, B, D·H_out) of Bernoulli(1 - p) / (1 - p) entries."""
        p, ref = self.dropout, self.weight_ih_l0
        assert isinstance(ref, Tensor)
        shape = (steps, batch, self.directions * self.output_size)
        if p >= 1.0:
            return tuple(ref.new_zeros(shape) for _ in range(self.num_layers - 1))
        return tuple(
            torch.empty(shape, dtype=ref.dtype, device=ref.device).bernoulli_(1 - p, generator=generator)
            / (1 - p)
            for _ in range(self.num_layers - 1)
        )

    # -- internals ------------------------------------------------------------------------------

    def _masks_for(self, inputs: _Inputs, given: Sequence[Tensor] | None) -> tuple[Tensor, ...]:
        if given is not None:
            masks = tuple(given)
            if len(masks) != self.num_layers - 1:
                raise ValueError(f"dropout_masks must have num_layers - 1 = {self.num_layers - 1} entries")
            return masks
        if self.training and self.dropout > 0 and self.num_layers > 1:
            return self.dropout_masks(inputs.x.shape[0], inputs.x.shape[1])
        return ()

    def _stack(
        self, inputs: _Inputs, masks: tuple[Tensor, ...], record: bool
    ) -> tuple[Tensor, list[LayerRun]]:
        """Run every layer and direction; return the top output (T, B, D·H_out) and each run."""
        y, runs, d = inputs.x, [], self.directions
        for layer in range(self.num_layers):
            if layer > 0 and masks:
                y = y * masks[layer - 1]  # dropout between layers, not after the last
            outs = []
            for direction in range(d):
                s = layer * d + direction
                c0 = None if inputs.c0 is None else inputs.c0[s]
                weights = layer_weights(self, layer, direction)
                run = run_layer(
                    self.kind,
                    y,
                    weights,
                    inputs.h0[s],
                    c0,
                    inputs.lengths,
                    direction == 1,
                    record,
                    self.gru_variant,
                )
                outs.append(run.outputs)
                runs.append(run)
            y = outs[0] if d == 1 else torch.cat(outs, dim=-1)  # (T, B, D·H_out)
        return y, runs

    def _prepare(self, input: Tensor | PackedSequence, hx: State | None) -> _Inputs:
        """Validate and convert the input to (T, B, I) in the caller's batch order, states to (D·L, B, ·)."""
        name = type(self).__name__
        lengths, packed = None, None
        if isinstance(input, PackedSequence):
            packed = input
            x, lengths = pad_packed_sequence(input)  # (T, B, I) in the caller's order, lengths (B,)
        else:
            x = input
            if x.dim() not in (2, 3):
                raise ValueError(f"{name}: Expected input to be 2D or 3D, got {x.dim()}D instead")
        if x.size(-1) != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be {self.input_size}, got {x.size(-1)}")
        unbatched = packed is None and x.dim() == 2
        if unbatched:
            x = x.unsqueeze(1)  # (T, 1, I)
        elif packed is None and self.batch_first:
            x = x.transpose(0, 1)  # (B, T, I) -> (T, B, I)
        states = (hx,) if isinstance(hx, Tensor) else hx
        if states is not None and self.kind.has_cell != (len(states) == 2):
            raise ValueError(f"{name}: hx must be {'(h_0, c_0)' if self.kind.has_cell else 'h_0'}")
        batch, layers = x.size(1), self.directions * self.num_layers
        widths = (self.output_size, self.hidden_size) if self.kind.has_cell else (self.output_size,)
        if states is None:
            flat = [x.new_zeros(layers, batch, w) for w in widths]
        else:
            flat = [_state(s, (layers, batch, w), unbatched) for s, w in zip(states, widths, strict=True)]
        return _Inputs(x, flat[0], flat[1] if self.kind.has_cell else None, lengths, unbatched, packed)

    def _finish(
        self, inputs: _Inputs, out: Tensor, runs: list[LayerRun]
    ) -> tuple[Tensor | PackedSequence, State]:
        """Return the output and states in the caller's layout."""
        h_n, c_n = _final_states(runs)
        result: Tensor | PackedSequence = out
        if inputs.packed is not None and inputs.lengths is not None:
            result = _repack(out, inputs.packed, inputs.lengths)
        elif inputs.unbatched:
            result, h_n = out.squeeze(1), h_n.squeeze(1)  # (T, D·H_out), (D·L, H_out)
            c_n = None if c_n is None else c_n.squeeze(1)
        elif self.batch_first:
            result = out.transpose(0, 1)  # (B, T, D·H_out)
        return (result, (h_n, c_n)) if c_n is not None else (result, h_n)


def _validate(
    kind: Kind, input_size: int, hidden_size: int, num_layers: int, dropout: float, proj_size: int
) -> None:
    """Reject what torch.nn rejects, with its messages."""
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) or not 0 <= float(dropout) <= 1:  # type: ignore[redundant-expr]
        raise ValueError(
            "dropout should be a number in range [0, 1] representing the probability of an element being zeroed"
        )
    if float(dropout) > 0 and num_layers == 1:
        warnings.warn(
            "dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects "
            f"num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
            stacklevel=3,
        )
    for label, value in (
        ("input_size", input_size),
        ("hidden_size", hidden_size),
        ("num_layers", num_layers),
    ):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{label} should be of type int, got: {type(value).__name__}")
        if value <= 0:
            raise ValueError(f"{label} must be greater than zero")
    if proj_size and kind is not Kind.LSTM:
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")


def _state(s: Tensor, expected: tuple[int, int, int], unbatched: bool) -> Tensor:
    """An initial state as (D·L, B, width); unbatched states are (D·L, width)."""
    want = (expected[0], expected[2]) if unbatched else expected
    if tuple(s.shape) != want:
        raise RuntimeError(f"Expected hidden size {want}, got {tuple(s.shape)}")
    return s.unsqueeze(1) if unbatched else s


def _final_states(runs: list[LayerRun]) -> tuple[Tensor, Tensor | None]:
    """h_n (D·L, B, H_out) and c_n (D·L, B, H) stacked in torch.nn's order (layer, then direction)."""
    h_n = torch.stack([run.h_n for run in runs])
    cells = [run.c_n for run in runs if run.c_n is not None]
    return h_n, torch.stack(cells) if cells else None


def _repack(out: Tensor, like: PackedSequence, lengths: Tensor) -> PackedSequence:
    """Pack out (T, B, ·), in the caller's batch order, with the batch sizes and indices of ``like``."""
    order = like.sorted_indices
    if order is not None:  # back to the sorted order the packed data uses
        out, lengths = out.index_select(1, order), lengths[order.cpu()]
    data = pack_padded_sequence(out, lengths, enforce_sorted=True).data
    return PackedSequence(data, like.batch_sizes, like.sorted_indices, like.unsorted_indices)


def _layer_trace(layer: int, direction: int, run: LayerRun) -> LayerTrace:
    gates = {name: torch.stack(acts) for name, acts in run.gates.items()}
    cells = torch.stack(run.cells) if run.cells else None
    return LayerTrace(layer, direction, run.outputs, run.h_n, run.c_n, gates, cells)


class LSTM(ReferenceRNNBase):
    """Reference LSTM, a drop-in for ``torch.nn.LSTM``: gates i, f, g, o; optional projection."""

    kind = Kind.LSTM


class GRU(ReferenceRNNBase):
    """Reference GRU, a drop-in for ``torch.nn.GRU``: gates r, z, n with b_hn inside the reset product."""

    kind = Kind.GRU


class GRUResetBefore(GRU):
    """The original GRU (Cho et al. 2014; Keras ``GRU(reset_after=False)``), torch.nn's parameters and
    contract: n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn)."""

    gru_variant = GRU_RESET_BEFORE


class RNN(ReferenceRNNBase):
    """Reference Elman RNN, a drop-in for ``torch.nn.RNN`` with ``nonlinearity`` 'tanh' or 'relu'."""

    kind = Kind.RNN_TANH

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        self.kind = Kind.RNN_TANH if nonlinearity == "tanh" else Kind.RNN_RELU
        super().__init__(
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device=device,
            dtype=dtype,
        )


def reference_module(
    kind: Kind, input_size: int, hidden_size: int, gru_variant: str = GRU_RESET_AFTER, **kwargs: object
) -> ReferenceRNNBase:
    """Construct the reference module of ``kind`` (RNN_RELU gets ``nonlinearity='relu'``; a GRU of
    ``gru_variant`` 'reset-before' is ``GRUResetBefore``)."""
    if kind is Kind.LSTM:
        return LSTM(input_size, hidden_size, **kwargs)  # type: ignore[arg-type]
    if kind is Kind.GRU and gru_variant == GRU_RESET_BEFORE:
        return GRUResetBefore(input_size, hidden_size, **kwargs)  # type: ignore[arg-type]
    if kind is Kind.GRU:
        return GRU(input_size, hidden_size, **kwargs)  # type: ignore[arg-type]
    nonlinearity = "relu" if kind is Kind.RNN_RELU else "tanh"
    return RNN(input_size, hidden_size, nonlinearity=nonlinearity, **kwargs)  # type: ignore[arg-type]


def torch_nn_module(kind: Kind, input_size: int, hidden_size: int, **kwargs: object) -> nn.Module:
    """Construct the matching ``torch.nn`` module (the native oneDNN / cuDNN implementation)."""
    if kind is Kind.LSTM:
        return nn.LSTM(input_size, hidden_size, **kwargs)  # type: ignore[arg-type]
    if kind is Kind.GRU:
        return nn.GRU(input_size, hidden_size, **kwargs)  # type: ignore[arg-type]
    nonlinearity = "relu" if kind is Kind.RNN_RELU else "tanh"
    return nn.RNN(input_size, hidden_size, nonlinearity=nonlinearity, **kwargs)  # type: ignore[arg-type]
