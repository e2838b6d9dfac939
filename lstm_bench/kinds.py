"""The recurrent cell kinds lstm-bench knows, and the facts every module needs about them."""

from __future__ import annotations

from enum import Enum


class Kind(str, Enum):
    """A recurrent cell kind, named as on the command line (``--kind``)."""

    LSTM = "lstm"
    GRU = "gru"
    RNN_TANH = "rnn"
    RNN_RELU = "rnn-relu"

    @property
    def gate_count(self) -> int:
        """Row blocks stacked in ``weight_ih_l0`` (torch layout): 4 for LSTM, 3 for GRU, 1 for RNN."""
        return {Kind.LSTM: 4, Kind.GRU: 3}.get(self, 1)

    @property
    def torch_mode(self) -> str:
        """The ``mode`` attribute torch.nn sets on its RNN modules for this kind."""
        return {
            Kind.LSTM: "LSTM",
            Kind.GRU: "GRU",
            Kind.RNN_TANH: "RNN_TANH",
            Kind.RNN_RELU: "RNN_RELU",
        }[self]

    @property
    def has_cell(self) -> bool:
        """True when the state is a pair (h, c): only the LSTM has a cell state C_t."""
        return self is Kind.LSTM

    @property
    def gate_names(self) -> tuple[str, ...]:
        """Names of the per-step activations a trace records, in torch's row-block order.

        LSTM: i, f, g (candidate C~), o.  GRU: r, z, n (candidate).  RNN: none.
        """
        if self is Kind.LSTM:
            return ("input", "forget", "candidate", "output")
        if self is Kind.GRU:
            return ("reset", "update", "candidate")
        return ()

    @property
    def bounded_hidden(self) -> bool:
        """True when |h_t| <= 1 by construction (all but the ReLU RNN)."""
        return self is not Kind.RNN_RELU

    @classmethod
    def from_mode(cls, mode: str) -> Kind:
        """Map torch.nn's ``mode`` string ('LSTM', 'GRU', 'RNN_TANH', 'RNN_RELU') to a Kind."""
        for kind in cls:
            if kind.torch_mode == mode:
                return kind
        raise ValueError(f"unknown torch.nn mode {mode!r}; expected one of LSTM, GRU, RNN_TANH, RNN_RELU")

    @classmethod
    def parse(cls, text: str) -> Kind:
        """Parse a ``--kind`` value, accepting torch modes too ('LSTM', 'RNN_RELU')."""
        low = text.strip().lower().replace("_", "-")
        aliases = {"rnn-tanh": "rnn", "tanh": "rnn", "relu": "rnn-relu"}
        low = aliases.get(low, low)
        for kind in cls:
            if kind.value == low:
                return kind
        raise ValueError(f"unknown kind {text!r}; expected one of lstm, gru, rnn, rnn-relu")
