"""Torch's thread count for a block of work, restored afterwards: the one helper every package uses.

The stability workloads are many small matrix products (B <= 64, H <= 64): on this 2-core CPU
they run no faster on 2 threads, and 2 threads slow down badly beside any other load (OpenMP
threads spin waiting for a core), so training and diagnostics default to 1 thread each; a
process pool then uses one worker per core.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch

__all__ = ["torch_threads"]


@contextlib.contextmanager
def torch_threads(count: int | None) -> Iterator[int]:
    """Run the body with ``count`` torch threads (None: as they are); yields the count in force, then restores the caller's."""
    previous = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(count)
    try:
        yield int(torch.get_num_threads())
    finally:
        torch.set_num_threads(previous)
