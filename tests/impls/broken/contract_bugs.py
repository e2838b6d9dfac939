"""Bugs over the whole torch.nn contract, each one that real implementations shipped.

Every class is the full-contract reference (``lstm_bench.reference.torch_ref``) with one planted
bug in the layer stack, the packed path, dropout, the state layout or the shape checks; the
catalogue names the ``contract.*`` check that must catch each.
"""

from __future__ import annotations

import itertools
from typing import Any

import torch
from torch import Tensor
from torch.nn.utils.rnn import PackedSequence, pad_packed_sequence

from lstm_bench.reference import torch_ref
from lstm_bench.reference.torch_cells import LayerRun, LayerWeights, layer_weights, run_layer
from lstm_bench.reference.torch_ref import State, _Inputs


class Stack:
    """Mixin: torch_ref's layer stack, one overridable hook per decision."""

    kind: Any
    num_layers: int
    directions: int
    training: bool
    dropout: float

    def state_index(self, layer: int, direction: int) -> int:
        """Which row of h0 / c0 a layer-direction starts from: layer-major, as torch.nn."""
        return layer * self.directions + direction

    def weights(self, layer: int, direction: int) -> LayerWeights:
        return layer_weights(self, layer, direction)  # type: ignore[arg-type]

    def run(
        self, y: Tensor, w: LayerWeights, h0: Tensor, c0: Tensor | None, lengths: Tensor | None, reverse: bool
    ) -> LayerRun:
        return run_layer(self.kind, y, w, h0, c0, lengths, reverse, False)

    def combine(self, outs: list[Tensor]) -> Tensor:
        """The next layer's input: both directions side by side, forward first."""
        return outs[0] if len(outs) == 1 else torch.cat(outs, dim=-1)

    def between(self, layer: int, y: Tensor, masks: tuple[Tensor, ...]) -> Tensor:
        """Dropout before layer ``layer`` > 0."""
        return y * masks[layer - 1] if layer > 0 and masks else y

    def top(self, y: Tensor, masks: tuple[Tensor, ...]) -> Tensor:
        """The last layer's output as returned (no dropout)."""
        return y

    def _stack(
        self, inputs: _Inputs, masks: tuple[Tensor, ...], record: bool
    ) -> tuple[Tensor, list[LayerRun]]:
        y, runs = inputs.x, []
        for layer in range(self.num_layers):
            y = self.between(layer, y, masks)
            outs = []
            for direction in range(self.directions):
                s = self.state_index(layer, direction)
                c0 = None if inputs.c0 is None else inputs.c0[s]
                run = self.run(
                    y, self.weights(layer, direction), inputs.h0[s], c0, inputs.lengths, direction == 1
                )
                outs.append(run.outputs)
                runs.append(run)
            y = self.combine(outs)
        return self.top(y, masks), runs


# -- the layer stack ----------------------------------------------------------------------------


class SharedLayerState(Stack, torch_ref.LSTM):
    """Every layer starts from layer 0's (h0, c0): h0[direction] instead of h0[layer·D + direction]."""

    def state_index(self, layer: int, direction: int) -> int:
        return direction


class StateDirectionMajor(Stack, torch_ref.GRU):
    """h0 read direction-major (h0[direction·L + layer]) instead of layer-major."""

    def state_index(self, layer: int, direction: int) -> int:
        return direction * self.num_layers + layer


class NextLayerForwardHalfTwice(Stack, torch_ref.LSTM):
    """After a bidirectional layer the next layer reads [forward, forward]: the reverse half is lost."""

    def combine(self, outs: list[Tensor]) -> Tensor:
        return outs[0] if len(outs) == 1 else torch.cat([outs[0], outs[0]], dim=-1)


class ProjectionIgnored(Stack, torch_ref.LSTM):
    """proj_size ignored: h_t is the first P units of o ⊙ tanh(C_t) instead of W_hr (o ⊙ tanh(C_t))."""

    def weights(self, layer: int, direction: int) -> LayerWeights:
        w = layer_weights(self, layer, direction)
        if w.w_hr is None:
            return w
        eye = torch.eye(w.w_hr.shape[1], dtype=w.w_hr.dtype, device=w.w_hr.device)[: w.w_hr.shape[0]]
        return LayerWeights(w.w_ih, w.w_hh, w.b_ih, w.b_hh, eye + 0 * w.w_hr)


class LargeHiddenTileDrop(Stack, torch_ref.LSTM):
    """A tiled kernel that drops the second tile: units 128.. of h_{t-1} never reach the recurrence."""

    def weights(self, layer: int, direction: int) -> LayerWeights:
        w = layer_weights(self, layer, direction)
        if w.w_hh.shape[1] <= 128:
            return w
        keep = torch.ones_like(w.w_hh)
        keep[:, 128:] = 0.0
        return LayerWeights(w.w_ih, w.w_hh * keep, w.b_ih, w.b_hh, w.w_hr)


class DeepLayerGradientDetached(Stack, torch_ref.GRU):
    """The backward stops at each layer's input: layer k > 0 reads a detached copy of layer k-1."""

    def between(self, layer: int, y: Tensor, masks: tuple[Tensor, ...]) -> Tensor:
        return super().between(layer, y.detach() if layer > 0 else y, masks)


# -- the reverse direction ----------------------------------------------------------------------


class ReverseNotReversed(Stack, torch_ref.LSTM):
    """The reverse direction runs t = 0..T-1 (with its own weights), like the forward one."""

    def run(
        self, y: Tensor, w: LayerWeights, h0: Tensor, c0: Tensor | None, lengths: Tensor | None, reverse: bool
    ) -> LayerRun:
        return super().run(y, w, h0, c0, lengths, False)


class ReverseOutputNotFlipped(Stack, torch_ref.GRU):
    """The reverse direction's outputs are left in processing order (not flipped back in time)."""

    def run(
        self, y: Tensor, w: LayerWeights, h0: Tensor, c0: Tensor | None, lengths: Tensor | None, reverse: bool
    ) -> LayerRun:
        found = super().run(y, w, h0, c0, lengths, reverse)
        return LayerRun(found.outputs.flip(0), found.h_n, found.c_n) if reverse else found


class ReverseUsesForwardWeights(Stack, torch_ref.LSTM):
    """The reverse direction reads weight_*_l{k}, not weight_*_l{k}_reverse."""

    def weights(self, layer: int, direction: int) -> LayerWeights:
        w = layer_weights(self, layer, 0)
        own = layer_weights(self, layer, direction)
        if direction == 0:
            return w
        # same values as the forward direction, but gradients still reach the reverse parameters
        return LayerWeights(
            w.w_ih.detach() + 0 * own.w_ih,
            w.w_hh.detach() + 0 * own.w_hh,
            None if w.b_ih is None or own.b_ih is None else w.b_ih.detach() + 0 * own.b_ih,
            None if w.b_hh is None or own.b_hh is None else w.b_hh.detach() + 0 * own.b_hh,
            None if w.w_hr is None or own.w_hr is None else w.w_hr.detach() + 0 * own.w_hr,
        )


# -- packed input -------------------------------------------------------------------------------


class PackedFinalFromPadding(Stack, torch_ref.LSTM):
    """The final state of a packed batch is taken at step T-1, i.e. after running over the padding."""

    def run(
        self, y: Tensor, w: LayerWeights, h0: Tensor, c0: Tensor | None, lengths: Tensor | None, reverse: bool
    ) -> LayerRun:
        masked = super().run(y, w, h0, c0, lengths, reverse)
        if lengths is None:
            return masked
        padded = super().run(y, w, h0, c0, None, reverse)
        return LayerRun(masked.outputs, padded.h_n, padded.c_n)


class PackedReverseFromPaddedEnd(Stack, torch_ref.LSTM):
    """The reverse direction of a packed batch starts at the padded end T-1, not at each length."""

    def run(
        self, y: Tensor, w: LayerWeights, h0: Tensor, c0: Tensor | None, lengths: Tensor | None, reverse: bool
    ) -> LayerRun:
        return super().run(y, w, h0, c0, None if reverse else lengths, reverse)


class PackedIgnoresSortedIndices(torch_ref.GRU):
    """Unpacks a PackedSequence as if its batch were in the caller's order (sorted_indices ignored)."""

    def _prepare(self, input: Tensor | PackedSequence, hx: State | None) -> _Inputs:
        if isinstance(input, PackedSequence) and input.sorted_indices is not None:
            x, lengths = pad_packed_sequence(PackedSequence(input.data, input.batch_sizes))
            found = super()._prepare(x, hx)
            return _Inputs(found.x, found.h0, found.c0, lengths, False, input)
        return super()._prepare(input, hx)


# -- dropout ------------------------------------------------------------------------------------


class DropoutInEval(Stack, torch_ref.LSTM):
    """Dropout masks are drawn in eval mode too."""

    def between(self, layer: int, y: Tensor, masks: tuple[Tensor, ...]) -> Tensor:
        if layer > 0 and not masks and self.dropout > 0:
            mask = (
                torch.empty_like(y).bernoulli_(1 - self.dropout) / (1 - self.dropout)
                if self.dropout < 1
                else 0 * y
            )
            return y * mask
        return super().between(layer, y, masks)


class DropoutAfterLastLayer(Stack, torch_ref.GRU):
    """In training, dropout is applied to the last layer's output as well."""

    def top(self, y: Tensor, masks: tuple[Tensor, ...]) -> Tensor:
        if not masks:
            return y
        p = self.dropout
        return y * 0 if p >= 1 else y * (torch.empty_like(y).bernoulli_(1 - p) / (1 - p))


class DropoutMaskNotReused(Stack, torch_ref.LSTM):
    """The backward uses freshly drawn masks: the value uses mask m, the gradient flows as under m'."""

    def between(self, layer: int, y: Tensor, masks: tuple[Tensor, ...]) -> Tensor:
        if layer == 0 or not masks:
            return y
        p = self.dropout
        other = torch.empty_like(y).bernoulli_(1 - p) / (1 - p) if p < 1 else 0 * y
        value = y * masks[layer - 1]
        return value.detach() + (y * other - (y * other).detach())


class DropoutUnseeded(Stack, torch_ref.LSTM):
    """Draws its masks from its own generator: torch.manual_seed does not make training repeat."""

    def between(self, layer: int, y: Tensor, masks: tuple[Tensor, ...]) -> Tensor:
        if layer == 0 or not masks:
            return y
        p = self.dropout
        if p >= 1:
            return y * masks[layer - 1]
        gen = self.__dict__.setdefault("_own_generator", torch.Generator().manual_seed(12345))
        mask = torch.rand(y.shape, generator=gen, dtype=torch.float64).to(y) >= p
        return y * mask.to(y) / (1 - p)


# -- layout, shapes, partial losses, determinism ------------------------------------------------


class BatchFirstWrongInBackward(torch_ref.LSTM):
    """batch_first handled right in the forward values, but the gradient flows as if x were
    reshaped (B, T, I) -> (T, B, I) instead of transposed."""

    def forward(  # type: ignore[override]
        self, input: Tensor | PackedSequence, hx: State | None = None
    ) -> tuple[Tensor | PackedSequence, State]:
        out, state = super().forward(input, hx)
        if not (self.batch_first and isinstance(input, Tensor) and input.dim() == 3):
            return out, state
        self.batch_first = False
        try:
            wrong, _ = super().forward(input.reshape(input.shape[1], input.shape[0], -1), hx)
        finally:
            self.batch_first = True
        assert isinstance(out, Tensor) and isinstance(wrong, Tensor)
        wrong = wrong.reshape(out.shape)
        return out.detach() + (wrong - wrong.detach()) + (out - out.detach()) * 0, state


class BroadcastsHx(torch_ref.LSTM):
    """An initial state of batch 1 is silently expanded to the input's batch."""

    def forward(  # type: ignore[override]
        self, input: Tensor | PackedSequence, hx: State | None = None
    ) -> tuple[Tensor | PackedSequence, State]:
        if isinstance(input, Tensor) and input.dim() == 3 and isinstance(hx, tuple):
            batch = input.shape[0] if self.batch_first else input.shape[1]
            hx = (hx[0].expand(-1, batch, -1), hx[1].expand(-1, batch, -1))
        return super().forward(input, hx)


class SlicesInputWidth(torch_ref.GRU):
    """An input wider than input_size is silently cut to its first input_size columns."""

    def forward(  # type: ignore[override]
        self, input: Tensor | PackedSequence, hx: State | None = None
    ) -> tuple[Tensor | PackedSequence, State]:
        if isinstance(input, Tensor) and input.shape[-1] > self.input_size:
            input = input[..., : self.input_size]
        return super().forward(input, hx)


class CellStateDetached(torch_ref.LSTM):
    """c_n is returned detached: a loss on c_n alone gets no gradient."""

    def forward(  # type: ignore[override]
        self, input: Tensor | PackedSequence, hx: State | None = None
    ) -> tuple[Tensor | PackedSequence, State]:
        out, (h_n, c_n) = super().forward(input, hx)  # type: ignore[misc]
        return out, (h_n, c_n.detach())


class NondeterministicBackward(torch_ref.LSTM):
    """The backward accumulates in an order that changes per call (modelled as a last-bit wobble)."""

    def forward(  # type: ignore[override]
        self, input: Tensor | PackedSequence, hx: State | None = None
    ) -> tuple[Tensor | PackedSequence, State]:
        out, state = super().forward(input, hx)
        if not isinstance(out, Tensor):
            return out, state
        calls = self.__dict__.setdefault("_calls", itertools.count())
        wobble = 1e-9 * (next(calls) % 5)
        return out + (out - out.detach()) * wobble, state


class _DriftingBackward(torch.autograd.Function):
    """Identity forward; each backward through the same graph scales by a factor it then updates."""

    @staticmethod
    def forward(ctx: Any, y: Tensor) -> Tensor:  # type: ignore[override]
        ctx.factor = [1.0]
        return y.clone()

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> Tensor:  # type: ignore[override]
        factor = ctx.factor[0]
        ctx.factor[0] *= 1 + 1e-9  # state kept on the graph and modified by the backward
        return grad * factor


class BackwardMutatesSavedState(torch_ref.GRU):
    """A custom backward that updates what it saved: a second backward through the graph differs."""

    def forward(  # type: ignore[override]
        self, input: Tensor | PackedSequence, hx: State | None = None
    ) -> tuple[Tensor | PackedSequence, State]:
        out, state = super().forward(input, hx)
        if not isinstance(out, Tensor):
            return out, state
        return _DriftingBackward.apply(out), state  # type: ignore[no-untyped-call]
