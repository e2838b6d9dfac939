"""CUDA benchmarks on the chosen suite (``LSTM_BENCH_SUITE=gpu`` for the fastrnns and DeepBench training
shapes): cuDNN, the native kernels with cuDNN disabled, the PyTorch reference eager and compiled, and
any ``--impl``, timed with CUDA events; skipped with a reason without CUDA."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from lstm_bench.bench.workloads import Case

DEVICE = "cuda"
#: The backends timed unless LSTM_BENCH_BACKENDS says otherwise (no NumPy: it cannot run on CUDA).
BACKENDS = ("torch-native", "torch-native-nocudnn", "torch-ref", "torch-ref-compiled")

_WHY = "no CUDA build of torch" if torch.version.cuda is None else "no CUDA device visible"
pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(), reason=f"CUDA is not available ({_WHY}, torch {torch.__version__})"
    ),
]


def test_cuda(run_case: Callable[[Case | None, str, str], None], bench_case: tuple[Case | None, str]) -> None:
    case, backend = bench_case
    run_case(case, backend, DEVICE)
