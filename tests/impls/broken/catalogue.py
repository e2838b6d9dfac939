"""Which conformance check must catch each broken implementation (the meta-tests read this table)."""

from __future__ import annotations

from typing import NamedTuple


class Planted(NamedTuple):
    """A broken implementation, its kind, the check expected to catch it, and the bug in words."""

    spec: str
    kind: str
    check: str
    bug: str


CATALOGUE: tuple[Planted, ...] = (
    # forward bugs
    Planted(
        "broken.forward_bugs:SwappedGateOrder",
        "lstm",
        "equivalence.zero_state",
        "gate blocks read as (f, i, g, o)",
    ),
    Planted(
        "broken.forward_bugs:ForgetGateComplement", "lstm", "ranges.saturation", "forget gate used as 1 - f"
    ),
    Planted(
        "broken.forward_bugs:OffByOneOutputs", "lstm", "equivalence.zero_state", "outputs are h_0..h_{T-1}"
    ),
    Planted(
        "broken.forward_bugs:GruBiasOutsideReset",
        "gru",
        "equivalence.zero_state",
        "b_hn outside r ⊙ (W_hn h + b_hn)",
    ),
    Planted("broken.forward_bugs:GruUpdateInverted", "gru", "ranges.saturation", "h = z n + (1 - z) h"),
    Planted("broken.forward_bugs:TracedInputGateTanh", "lstm", "ranges.gates", "input gate uses tanh, not σ"),
    Planted("broken.forward_bugs:TracedMissingCellTanh", "lstm", "ranges.hidden", "h = o ⊙ C, no tanh"),
    Planted("broken.forward_bugs:UnsquashedCandidate", "lstm", "ranges.cell", "candidate C~ without tanh"),
    Planted(
        "broken.forward_bugs:ReversedTime",
        "lstm",
        "invariants.causality",
        "recurrence runs backwards in time",
    ),
    Planted(
        "broken.forward_bugs:BidirectionalAverage",
        "lstm",
        "invariants.causality",
        "averages a forward and a backward pass",
    ),
    Planted(
        "broken.forward_bugs:TimeNormalisedInput", "lstm", "invariants.causality", "input centred over time"
    ),
    Planted(
        "broken.forward_bugs:BatchStatistics",
        "lstm",
        "invariants.batch_independence",
        "batch-mean normalisation",
    ),
    # state handling and calling conventions
    Planted(
        "broken.state_bugs:IgnoresInitialState", "lstm", "equivalence.initial_state", "hx ignored, zeros used"
    ),
    Planted(
        "broken.state_bugs:CarriesStateBetweenCalls",
        "gru",
        "invariants.stateless",
        "last h_n reused as next h0",
    ),
    Planted("broken.state_bugs:SwapsHiddenAndCell", "lstm", "equivalence.zero_state", "returns (c_n, h_n)"),
    Planted(
        "broken.state_bugs:InPlaceStateUpdate",
        "lstm",
        "invariants.stateless",
        "writes h_n, c_n into the caller's hx",
    ),
    Planted(
        "broken.state_bugs:SqueezedState",
        "lstm",
        "equivalence.initial_state",
        "hx.squeeze() breaks B = H = 1",
    ),
    Planted(
        "broken.state_bugs:BatchFirstIgnored",
        "lstm",
        "equivalence.batch_first",
        "batch_first accepted, ignored",
    ),
    Planted(
        "broken.state_bugs:UnbatchedWrongAxis", "lstm", "equivalence.unbatched", "(T, I) unsqueezed on axis 0"
    ),
    # numerical bugs
    Planted(
        "broken.numerical_bugs:NaiveSigmoid",
        "lstm",
        "invariants.finite",
        "σ = e^a / (1 + e^a) overflows to NaN",
    ),
    Planted(
        "broken.numerical_bugs:NaiveTanh", "gru", "invariants.finite", "tanh via e^{2a} overflows to NaN"
    ),
    Planted(
        "broken.numerical_bugs:Float32Internals",
        "lstm",
        "equivalence.zero_state",
        "float32 arithmetic inside a float64 model",
    ),
    Planted("broken.numerical_bugs:Float32Only", "lstm", "equivalence.zero_state", "raises for float64"),
    Planted(
        "broken.numerical_bugs:RaisesForLongSequences", "gru", "equivalence.zero_state", "raises for T > 32"
    ),
    # backward-only bugs in a hand-written autograd.Function
    Planted(
        "broken.backward_bugs:TruncatedBackward",
        "lstm",
        "gradients.long_horizon",
        "BPTT truncated to 16 steps",
    ),
    Planted(
        "broken.backward_bugs:MissingForgetInCellGrad",
        "lstm",
        "gradients.jacobian",
        "δC_{t-1} misses the factor f",
    ),
    Planted(
        "broken.backward_bugs:SigmoidDerivativeWrong", "lstm", "gradients.jacobian", "σ' computed as 1 - σ²"
    ),
    Planted(
        "broken.backward_bugs:BiasGradFirstSample",
        "lstm",
        "gradients.jacobian",
        "bias gradient of sample 0 only",
    ),
    Planted(
        "broken.backward_bugs:DropsOutputGradient",
        "lstm",
        "gradients.jacobian",
        "only the last output's gradient used",
    ),
    Planted(
        "broken.backward_bugs:StatefulWeightGrad",
        "lstm",
        "invariants.determinism",
        "∂W_hh accumulated across calls",
    ),
    Planted(
        "broken.backward_bugs:Float32Backward",
        "lstm",
        "equivalence.gradients",
        "backward computed in float32",
    ),
    Planted(
        "broken.backward_bugs:NaiveSigmoidGradient",
        "lstm",
        "invariants.finite",
        "σ' from e^{-a} overflows in backward",
    ),
)

#: Capability and layout bugs: a feature accepted, declared or defaulted, then got wrong.
CAPABILITY_BUGS: tuple[Planted, ...] = (
    Planted(
        "broken.capability_bugs:BatchFirstKeywordIgnored",
        "lstm",
        "equivalence.zero_state",
        "defaults to batch_first=True and ignores batch_first=False",
    ),
    Planted(
        "broken.capability_bugs:UnbatchedDeclaredRaises",
        "gru",
        "equivalence.unbatched",
        "declares unbatched support, raises on (T, I) input",
    ),
    Planted(
        "broken.capability_bugs:UnbatchedDeclaredWrongState",
        "lstm",
        "equivalence.unbatched",
        "declares unbatched support, ignores (h0, c0) there",
    ),
    Planted(
        "broken.capability_bugs:UnbatchedProbedReversed",
        "lstm",
        "equivalence.unbatched",
        "unbatched input accepted, outputs reversed in time",
    ),
    Planted(
        "broken.capability_bugs:Float32DefaultState",
        "lstm",
        "equivalence.zero_state",
        "forward(x) builds its zero state in float32",
    ),
    Planted(
        "broken.capability_bugs:RequiresHx",
        "lstm",
        "equivalence.zero_state",
        "forward(x) without hx raises (hx is required)",
    ),
)

CATALOGUE = CATALOGUE + CAPABILITY_BUGS

#: Correct implementations that must pass every check.
CORRECT = (
    ("broken.handwritten:HandWrittenLSTM", "lstm"),
    ("broken.base:TracedLoopLSTM", "lstm"),
    ("broken.capability_bugs:DefaultBatchFirstLSTM", "lstm"),
)


class PrecisionPlanted(NamedTuple):
    """A precision bug: caught by ``check`` when the run is in ``dtype`` (it passes in float64)."""

    spec: str
    kind: str
    dtype: str
    check: str
    bug: str


PRECISION_CATALOGUE: tuple[PrecisionPlanted, ...] = (
    PrecisionPlanted(
        "broken.precision_bugs:Bfloat16CellState",
        "lstm",
        "float32",
        "equivalence.zero_state",
        "cell state kept in bfloat16 in a float32 run",
    ),
    PrecisionPlanted(
        "broken.precision_bugs:TruncatedState",
        "lstm",
        "float16",
        "equivalence.zero_state",
        "h and C truncated (not rounded) to 8 bits in a float16 run",
    ),
    PrecisionPlanted(
        "broken.precision_bugs:ApproximateTanh",
        "lstm",
        "float16",
        "equivalence.zero_state",
        "a Padé 'fast tanh', 2% off, in a float16 run",
    ),
)


#: Bugs over the whole torch.nn contract (``broken.contract_bugs``), each caught by its check in
#: ``lstm_bench.conformance.contract``.
CONTRACT_CATALOGUE: tuple[Planted, ...] = (
    Planted(
        "broken.contract_bugs:SharedLayerState",
        "lstm",
        "contract.stack",
        "every layer starts from layer 0's state",
    ),
    Planted(
        "broken.contract_bugs:StateDirectionMajor",
        "gru",
        "contract.stack",
        "h0 read direction-major, not layer-major",
    ),
    Planted(
        "broken.contract_bugs:NextLayerForwardHalfTwice",
        "lstm",
        "contract.stack",
        "the layer after a bidirectional one reads [forward, forward]",
    ),
    Planted(
        "broken.contract_bugs:ProjectionIgnored",
        "lstm",
        "contract.stack",
        "proj_size ignored (W_hr unused)",
    ),
    Planted(
        "broken.contract_bugs:BatchFirstWrongInBackward",
        "lstm",
        "contract.stack",
        "batch_first reshaped instead of transposed, in the backward only",
    ),
    Planted(
        "broken.contract_bugs:LargeHiddenTileDrop",
        "lstm",
        "contract.large_hidden",
        "units 128.. dropped from W_hh h",
    ),
    Planted(
        "broken.contract_bugs:DeepLayerGradientDetached",
        "gru",
        "gradients.directional",
        "no gradient through the input of layers 2..L",
    ),
    Planted(
        "broken.contract_bugs:CellStateDetached", "lstm", "contract.partial_loss", "c_n returned detached"
    ),
    Planted(
        "broken.contract_bugs:ReverseNotReversed",
        "lstm",
        "contract.reverse",
        "reverse direction runs forward in time",
    ),
    Planted(
        "broken.contract_bugs:ReverseOutputNotFlipped",
        "gru",
        "contract.reverse",
        "reverse outputs not flipped back in time",
    ),
    Planted(
        "broken.contract_bugs:ReverseUsesForwardWeights",
        "lstm",
        "contract.reverse",
        "reverse direction uses the forward weights",
    ),
    Planted(
        "broken.contract_bugs:PackedFinalFromPadding",
        "lstm",
        "contract.packed",
        "packed final state taken after the padding",
    ),
    Planted(
        "broken.contract_bugs:PackedIgnoresSortedIndices",
        "gru",
        "contract.packed",
        "PackedSequence.sorted_indices ignored",
    ),
    Planted(
        "broken.contract_bugs:PackedReverseFromPaddedEnd",
        "lstm",
        "contract.packed",
        "packed reverse pass starts at the padded end",
    ),
    Planted("broken.contract_bugs:DropoutInEval", "lstm", "contract.dropout", "dropout applied in eval mode"),
    Planted(
        "broken.contract_bugs:DropoutAfterLastLayer",
        "gru",
        "contract.dropout",
        "dropout after the last layer",
    ),
    Planted(
        "broken.contract_bugs:DropoutMaskNotReused",
        "lstm",
        "contract.dropout",
        "backward under a different dropout mask",
    ),
    Planted(
        "broken.contract_bugs:DropoutUnseeded",
        "lstm",
        "contract.dropout",
        "masks from a private generator: not reproducible under torch.manual_seed",
    ),
    Planted(
        "broken.contract_bugs:BroadcastsHx",
        "lstm",
        "contract.shapes",
        "hx of batch 1 broadcast to batch B",
    ),
    Planted(
        "broken.contract_bugs:SlicesInputWidth",
        "gru",
        "contract.shapes",
        "too-wide input sliced to input_size",
    ),
    Planted(
        "broken.contract_bugs:BackwardMutatesSavedState",
        "gru",
        "invariants.determinism",
        "a second backward through the same graph differs",
    ),
    Planted(
        "broken.contract_bugs:NondeterministicBackward",
        "lstm",
        "invariants.determinism",
        "gradient differs in the last bits from call to call",
    ),
)

#: Correct implementations of the whole contract (every optional feature): no false alarm from the contract checks.
CONTRACT_CORRECT = (
    ("lstm_bench.reference.torch_ref:LSTM", "lstm"),
    ("lstm_bench.reference.torch_ref:GRU", "gru"),
    ("torch.nn:LSTM", "lstm"),
    ("torch.nn:GRU", "gru"),
    ("torch.nn:RNN", "rnn"),
)
