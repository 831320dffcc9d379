"""The GRU written in the two conventions found in the literature, for comparing them.

PyTorch (and cuDNN) use ``reset="after"``, ``update="pytorch"``; this is :func:`seqmodels.gru_cell`.
Cho et al. (2014), and the lecture notes, use ``reset="before"``, ``update="cho"``:

* ``reset="after"``:  ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``
* ``reset="before"``: ``n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)``
* ``update="pytorch"``: ``h' = (1 - z) * n + z * h``
* ``update="cho"``:     ``h' = (1 - z) * h + z * n``  (the same family after relabelling ``z <-> 1 - z``)

Parameters use PyTorch's layout: ``W_ih (3H, I)``, ``W_hh (3H, H)``, biases ``(3H,)``, blocks ``(r, z, n)``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from seqmodels.recurrent import Array, sigmoid


def gru_cell_variant(
    x_t: Array,
    h_prev: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array,
    b_hh: Array,
    *,
    reset: Literal["after", "before"] = "after",
    update: Literal["pytorch", "cho"] = "pytorch",
) -> Array:
    """One GRU step in the chosen convention. Shapes: ``x_t (N, I)``, ``h_prev (N, H)``; returns ``(N, H)``."""
    W_hr, W_hz, W_hn = np.split(W_hh, 3, axis=0)
    b_hr, b_hz, b_hn = np.split(b_hh, 3)
    x_r, x_z, x_n = np.split(x_t @ W_ih.T + b_ih, 3, axis=1)
    r_t = sigmoid(x_r + h_prev @ W_hr.T + b_hr)
    z_t = sigmoid(x_z + h_prev @ W_hz.T + b_hz)
    if reset == "after":
        n_t = np.tanh(x_n + r_t * (h_prev @ W_hn.T + b_hn))
    else:
        n_t = np.tanh(x_n + (r_t * h_prev) @ W_hn.T + b_hn)
    if update == "pytorch":
        return (1.0 - z_t) * n_t + z_t * h_prev
    return (1.0 - z_t) * h_prev + z_t * n_t


def gru_cell_cho(x_t: Array, h_prev: Array, W_ih: Array, W_hh: Array, b_ih: Array, b_hh: Array) -> Array:
    """The GRU of Cho et al. (2014) and of the lecture notes: reset before the matmul, ``h' = (1-z) h + z n``."""
    return gru_cell_variant(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, reset="before", update="cho")


def flip_update_gate(W_ih: Array, W_hh: Array, b_ih: Array, b_hh: Array) -> tuple[Array, Array, Array, Array]:
    """Negate the ``z`` block of every parameter, so that ``z`` becomes ``1 - z`` (``sigmoid(-a) = 1 - sigmoid(a)``).

    With these parameters, ``update="cho"`` computes exactly what ``update="pytorch"`` computes with
    the originals: the two update rules are one family up to relabelling.
    """
    def negate_z(p: Array) -> Array:
        H = p.shape[0] // 3
        q = p.copy()
        q[H:2 * H] *= -1
        return q

    return negate_z(W_ih), negate_z(W_hh), negate_z(b_ih), negate_z(b_hh)
