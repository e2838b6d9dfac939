"""The other GRU: the reset gate applied *before* the recurrent matmul (Cho et al. 2014), float64 NumPy.

torch.nn's GRU (the default everywhere in lstm-bench) computes
    n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn)).
The original GRU, Keras's ``GRU(reset_after=False)``, computes
    n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn),
with r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr), z_t likewise, and
h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1} in both. Weights are torch.nn's (rows r, z, n).
``GRU_RESET_AFTER`` / ``GRU_RESET_BEFORE`` name the two; ``reference.choice`` picks the reference
model of each (this forward, and ``torch_ref.GRUResetBefore`` for gradients and stacks).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]

#: torch.nn's (and cuDNN's) GRU: n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn)).
GRU_RESET_AFTER = "reset-after"
#: The original GRU (Cho et al. 2014): n_t = tanh(W_in x_t + b_in + W_hn (r_t ⊙ h_{t-1}) + b_hn).
GRU_RESET_BEFORE = "reset-before"
GRU_VARIANTS = (GRU_RESET_AFTER, GRU_RESET_BEFORE)


def _sigmoid(a: Array) -> Array:
    return np.asarray(1.0 / (1.0 + np.exp(-a)))


def gru_reset_before(
    w_ih: Array, w_hh: Array, b_ih: Array, b_hh: Array, x: Array, h0: Array
) -> tuple[Array, Array]:
    """Unroll the reset-before GRU: x (T, B, I), h0 (B, H) -> outputs (T, B, H), h_n (B, H)."""
    hidden = h0.shape[1]
    h, outputs = h0, []
    for xt in x:
        gx = xt @ w_ih.T + b_ih  # (B, 3H): r, z, n input parts with b_i*
        r = _sigmoid(gx[:, :hidden] + h @ w_hh[:hidden].T + b_hh[:hidden])
        z = _sigmoid(gx[:, hidden : 2 * hidden] + h @ w_hh[hidden : 2 * hidden].T + b_hh[hidden : 2 * hidden])
        n = np.tanh(gx[:, 2 * hidden :] + (r * h) @ w_hh[2 * hidden :].T + b_hh[2 * hidden :])
        h = (1.0 - z) * n + z * h
        outputs.append(h)
    return np.stack(outputs), h
