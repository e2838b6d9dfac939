"""Reference models: NumPy float64 with hand-written BPTT (``numpy_ref``) and PyTorch (``torch_ref``).

``lstm_bench.reference:LSTM`` (and ``:GRU``, ``:RNN``) are valid ``--impl`` specs.
"""

from lstm_bench.reference.torch_ref import GRU, LSTM, RNN, TorchTrace, reference_module, torch_nn_module

__all__ = ["GRU", "LSTM", "RNN", "TorchTrace", "reference_module", "torch_nn_module"]
