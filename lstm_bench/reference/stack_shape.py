"""The two derived sizes of a torch.nn-style recurrent stack, shared by the NumPy and torch references.

With D directions and H_out the width of h_t, layer 0 reads x_t of width I and every later layer
reads the D directions' outputs concatenated, of width D * H_out; the output is (T, B, D * H_out).
"""

from __future__ import annotations

__all__ = ["StackShape"]


class StackShape:
    """Mixin: ``directions`` and ``output_size`` from the class's ``bidirectional``, ``proj_size``, ``hidden_size``."""

    bidirectional: bool
    proj_size: int
    hidden_size: int

    @property
    def directions(self) -> int:
        """D: 2 when bidirectional, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def output_size(self) -> int:
        """H_out: proj_size when projecting (LSTM only), else hidden_size."""
        return self.proj_size if self.proj_size > 0 else self.hidden_size
