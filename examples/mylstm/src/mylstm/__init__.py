"""An example of a user's own LSTM, tested with lstm-bench's testing API (see tests/)."""

from .cells import LoopLSTM  # relative: the CI recipe in docs/ci.md copies the package under another name

__all__ = ["LoopLSTM"]
