"""Weights move between the NumPy reference, the PyTorch reference and torch.nn without change."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from lstm_bench.errors import UsageError
from lstm_bench.kinds import Kind
from lstm_bench.reference import numpy_ref, reference_module, torch_nn_module
from lstm_bench.reference.interop import copy_weights, from_numpy, load_npz, save_npz, to_numpy


@pytest.mark.parametrize("kind", list(Kind))
def test_round_trip_numpy_torch_ref_torch_nn(kind: Kind, tmp_path: Path) -> None:
    torch.manual_seed(0)
    native = torch_nn_module(kind, 3, 4, dtype=torch.float64)
    params = to_numpy(native)
    save_npz(tmp_path / "w.npz", params)
    ref = from_numpy(reference_module(kind, 3, 4, dtype=torch.float64), load_npz(tmp_path / "w.npz"))
    for name, value in native.state_dict().items():
        assert torch.equal(value, ref.state_dict()[name])
    x = np.random.default_rng(0).standard_normal((5, 2, 3))
    out = numpy_ref.unroll(kind, params, x).outputs
    with torch.no_grad():
        np.testing.assert_allclose(ref(torch.from_numpy(x))[0].numpy(), out, rtol=0, atol=1e-12)


def test_copy_weights_into_float32_module_keeps_its_dtype() -> None:
    source = torch_nn_module(Kind.GRU, 3, 4, dtype=torch.float64)
    target = copy_weights(source, reference_module(Kind.GRU, 3, 4))
    assert target.weight_hh_l0.dtype == torch.float32
    torch.testing.assert_close(target.weight_hh_l0.double(), source.weight_hh_l0, atol=1e-7, rtol=0)


def test_shape_mismatch_and_bad_file() -> None:
    with pytest.raises(ValueError, match="weight_ih_l0"):
        from_numpy(reference_module(Kind.LSTM, 2, 4), to_numpy(torch_nn_module(Kind.LSTM, 3, 4)))
    with pytest.raises(UsageError, match="cannot read weights"):
        load_npz("/nonexistent/w.npz")
