"""An example of a user's own LSTM, tested with lstm-bench's testing API (see tests/)."""

from mylstm.cells import LoopLSTM

__all__ = ["LoopLSTM"]
