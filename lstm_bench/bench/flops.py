"""FLOP counts of recurrent layers: DeepBench's recurrent-only convention and our full count.

A multiply-add counts 2 FLOPs. For T steps, batch N, input size I, hidden size H:

* **DeepBench** (recurrent GEMMs only, the convention of Baidu's DeepBench RNN results):
  LSTM 8·T·N·H², GRU 6·T·N·H², vanilla RNN 2·T·N·H² + T·N·H (the last term: the nonlinearity).
* **full** (what an implementation actually has to compute, input projection included):
  LSTM 8·T·N·H·(I+H), GRU 6·T·N·H·(I+H), RNN 2·T·N·H·(I+H) + T·N·H.
  Elementwise gate arithmetic is not counted (it is O(T·N·H), small beside the GEMMs).
* **backward** = 2 x forward (the data gradient and the weight gradient are each one forward's
  GEMMs), so forward+backward = 3 x forward. Single-step latency is a forward with T = N = 1.

Achieved GFLOP/s = full FLOPs / median seconds / 1e9, and percent of peak compares that with the
device's GEMM peak measured in the same run (``lstm_bench.bench.peak``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lstm_bench.kinds import Kind

FLOP_MODEL = (
    "FLOPs count a multiply-add as 2. DeepBench (recurrent GEMMs only): LSTM 8*T*N*H^2, GRU 6*T*N*H^2, "
    "RNN 2*T*N*H^2 + T*N*H. Full (input projection included): LSTM 8*T*N*H*(I+H), GRU 6*T*N*H*(I+H), "
    "RNN 2*T*N*H*(I+H) + T*N*H. Backward = 2 x forward; forward+backward = 3 x forward. "
    "GFLOP/s and % of peak use the full count; peak = measured square GEMM GFLOP/s, same device, dtype and run."
)

#: Workload name -> multiple of one forward pass.
WORKLOAD_FACTOR = {"forward": 1, "forward-backward": 3, "latency": 1}


@dataclass(frozen=True)
class FlopCount:
    """FLOPs of one workload call under both conventions."""

    deepbench: int
    full: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"deepbench": self.deepbench, "full": self.full}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FlopCount:
        """Inverse of ``to_dict``."""
        return cls(int(data["deepbench"]), int(data["full"]))


def _gate_factor(kind: Kind) -> int:
    """2 FLOPs per multiply-add times the number of H-row gate blocks: 8 LSTM, 6 GRU, 2 RNN."""
    return 2 * kind.gate_count


def forward_flops(kind: Kind, steps: int, batch: int, input_size: int, hidden_size: int) -> FlopCount:
    """FLOPs of one forward pass over T=steps, N=batch (see the module docstring for the formulas)."""
    if min(steps, batch, input_size, hidden_size) < 0:
        raise ValueError("sizes must be non-negative")
    tn = steps * batch
    extra = tn * hidden_size if kind in (Kind.RNN_TANH, Kind.RNN_RELU) else 0
    recurrent = _gate_factor(kind) * tn * hidden_size * hidden_size + extra
    full = _gate_factor(kind) * tn * hidden_size * (input_size + hidden_size) + extra
    return FlopCount(deepbench=recurrent, full=full)


def workload_flops(
    kind: Kind, workload: str, steps: int, batch: int, input_size: int, hidden_size: int
) -> FlopCount:
    """FLOPs of one call of ``workload`` ('forward', 'forward-backward' or 'latency')."""
    if workload not in WORKLOAD_FACTOR:
        raise ValueError(f"unknown workload {workload!r}; expected one of {', '.join(WORKLOAD_FACTOR)}")
    one = forward_flops(kind, steps, batch, input_size, hidden_size)
    factor = WORKLOAD_FACTOR[workload]
    return FlopCount(deepbench=factor * one.deepbench, full=factor * one.full)


def gflops_per_s(flops: int, seconds: float) -> float:
    """FLOPs / seconds / 1e9 (inf for a zero time)."""
    return flops / seconds / 1e9 if seconds > 0 else float("inf")
