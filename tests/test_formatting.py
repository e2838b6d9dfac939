"""The one formatting module and the one thread helper: what each caller's spelling comes out as."""

from __future__ import annotations

import math

import pytest
import torch

from lstm_bench.formatting import fmt_clock, fmt_seconds
from lstm_bench.threads import torch_threads


@pytest.mark.parametrize(
    ("value", "kwargs", "text"),
    [
        (0.00123, {}, "1.23 ms"),
        (4.5e-6, {}, "4.50 µs"),
        (4.5e-6, {"trim": True}, "4.5 µs"),
        (8e-8, {"trim": True}, "80 ns"),
        (1234.0, {}, "1234 s"),
        (None, {}, "–"),
        (None, {"missing": "-"}, "-"),
        (math.nan, {"missing": "-"}, "-"),
        ("Infinity", {}, "–"),
    ],
)
def test_fmt_seconds(value: object, kwargs: dict[str, object], text: str) -> None:
    assert fmt_seconds(value, **kwargs) == text  # type: ignore[arg-type]


def test_fmt_clock() -> None:
    assert [fmt_clock(s) for s in (0, 59.6, 61, 3725)] == ["0:00", "1:00", "1:01", "1:02:05"]


def test_torch_threads_restores_the_callers_count() -> None:
    before = torch.get_num_threads()
    with torch_threads(1) as used:
        assert used == 1 == torch.get_num_threads()
    assert torch.get_num_threads() == before
    with torch_threads(None) as used:
        assert used == before
    with pytest.raises(RuntimeError), torch_threads(1):
        raise RuntimeError("restored even so")
    assert torch.get_num_threads() == before
