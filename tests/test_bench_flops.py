"""FLOP formulas: DeepBench's recurrent count and our full count, per kind and workload."""

from __future__ import annotations

import pytest

from lstm_bench.bench.flops import FLOP_MODEL, FlopCount, forward_flops, gflops_per_s, workload_flops
from lstm_bench.kinds import Kind

T, N, I, H = 100, 32, 128, 256


@pytest.mark.parametrize(
    ("kind", "deepbench", "full"),
    [
        (Kind.LSTM, 8 * T * N * H * H, 8 * T * N * H * (I + H)),
        (Kind.GRU, 6 * T * N * H * H, 6 * T * N * H * (I + H)),
        (Kind.RNN_TANH, 2 * T * N * H * H + T * N * H, 2 * T * N * H * (I + H) + T * N * H),
        (Kind.RNN_RELU, 2 * T * N * H * H + T * N * H, 2 * T * N * H * (I + H) + T * N * H),
    ],
)
def test_forward_counts(kind: Kind, deepbench: int, full: int) -> None:
    assert forward_flops(kind, T, N, I, H) == FlopCount(deepbench, full)


def test_workload_factors_and_lstm_reference_figure() -> None:
    fwd = forward_flops(Kind.LSTM, T, N, I, H)
    assert workload_flops(Kind.LSTM, "forward", T, N, I, H) == fwd
    assert workload_flops(Kind.LSTM, "forward-backward", T, N, I, H) == FlopCount(
        3 * fwd.deepbench, 3 * fwd.full
    )
    assert workload_flops(Kind.GRU, "latency", 1, 1, 8, 8).full == 6 * 8 * 16
    # MEASURED.md: torch.nn.LSTM I=H=256, B=32, T=100 fwd+bwd = 3 x T*2B*4H(I+H) FLOPs
    assert (
        workload_flops(Kind.LSTM, "forward-backward", 100, 32, 256, 256).full
        == 3 * 100 * 2 * 32 * 4 * 256 * 512
    )
    with pytest.raises(ValueError):
        workload_flops(Kind.LSTM, "training", T, N, I, H)
    assert gflops_per_s(2 * 10**9, 0.5) == 4.0
    assert "8*T*N*H^2" in FLOP_MODEL and "Backward = 2 x forward" in FLOP_MODEL
    assert FlopCount.from_dict(fwd.to_dict()) == fwd
