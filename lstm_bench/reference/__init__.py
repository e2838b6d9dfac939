"""Reference models: NumPy float64 with hand-written BPTT (``numpy_ref`` one layer, ``numpy_stack`` the
whole torch.nn contract) and PyTorch (``torch_ref``, stepping with ``torch_cells``).

``lstm_bench.reference:LSTM`` (and ``:GRU``, ``:RNN``) are valid ``--impl`` specs.
"""

from lstm_bench.reference.torch_ref import (
    GRU,
    LSTM,
    RNN,
    LayerTrace,
    TorchTrace,
    reference_module,
    torch_nn_module,
)

__all__ = ["GRU", "LSTM", "RNN", "LayerTrace", "TorchTrace", "reference_module", "torch_nn_module"]
