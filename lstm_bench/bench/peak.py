"""The device's GEMM peak, measured in the same run as the benchmarks it puts in proportion.

Peak = max over square sizes n of 2·n³ / (median seconds of ``torch.mm(a, b, out=c)``), timed with
the same ``Timer`` and block clock as the benchmarks, at the same thread count and dtype. It is
what the BLAS (MKL/oneDNN on CPU, cuBLAS on CUDA) reaches on large matrices, so "% of peak"
says how far a recurrent layer is from the machine's best dense arithmetic.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from lstm_bench.bench.stats import median
from lstm_bench.bench.timer import Timer

#: Square GEMM sizes tried per device kind: large enough to reach the BLAS's plateau.
PEAK_SIZES = {"cpu": (1024,), "cuda": (4096, 8192), "mps": (2048, 4096)}


@dataclass(frozen=True)
class PeakResult:
    """The best square-GEMM throughput found on one device and dtype."""

    device: str
    dtype: str
    size: int  # n of the n x n x n GEMM that reached the peak
    gflops: float
    median_s: float
    samples_s: tuple[float, ...]
    host: str | None = None  # the machine that measured it, in a scale-out grid

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (``host`` only when known)."""
        return {
            "device": self.device,
            "dtype": self.dtype,
            "size": self.size,
            "gflops": self.gflops,
            "median_s": self.median_s,
            "samples_s": list(self.samples_s),
            **({"host": self.host} if self.host is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PeakResult:
        """Inverse of ``to_dict``."""
        return cls(
            str(data["device"]),
            str(data["dtype"]),
            int(data["size"]),
            float(data["gflops"]),
            float(data["median_s"]),
            tuple(float(s) for s in data.get("samples_s", ())),
            None if data.get("host") is None else str(data["host"]),
        )


def measure_gemm_peak(
    device: str, dtype: str, timer: Timer, sizes: tuple[int, ...] | None = None, seed: int = 0
) -> PeakResult:
    """Time square GEMMs of each size on ``device`` in ``dtype`` ('float32' or 'float64'); return the best."""
    import torch

    from lstm_bench.bench.workloads import torch_dtype

    tdtype = torch_dtype(dtype)
    gen = torch.Generator().manual_seed(seed)
    best: PeakResult | None = None
    for n in sizes or PEAK_SIZES[device.split(":")[0]]:
        a, b = (torch.randn(n, n, generator=gen, dtype=tdtype).to(device) for _ in range(2))
        c = torch.empty(n, n, dtype=tdtype, device=device)
        samples = timer.measure(functools.partial(torch.mm, a, b, out=c)).samples_s
        med = median(samples)
        result = PeakResult(device, dtype, n, 2 * n**3 / med / 1e9, med, samples)
        if best is None or result.gflops > best.gflops:
            best = result
        del a, b, c
    assert best is not None
    return best
