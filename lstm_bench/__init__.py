"""lstm-bench: is your LSTM, GRU or RNN correct, trainable over long horizons, and fast?"""

__version__ = "0.1.0"
