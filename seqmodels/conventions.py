"""The GRU written in the conventions found in the literature, for comparing them.

Two choices differ between sources:

* where the reset gate acts on the candidate:

  - ``reset="after"``:  ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``: PyTorch, cuDNN, Keras'
    ``reset_after=True`` (which Keras traces to the first version, v1, of Cho et al.'s arXiv:1406.1078);
  - ``reset="before"``: ``n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)``: Cho et al. (arXiv:1406.1078v3,
    eq. 8), Chung et al. 2014 (arXiv:1412.3555), d2l, and the lecture notes;

* which gate weighs the old state:

  - ``update="pytorch"``: ``h' = (1 - z) * n + z * h``: PyTorch, and Cho et al. (arXiv:1406.1078, eq. 7);
  - ``update="chung"``:   ``h' = (1 - z) * h + z * n``: Chung et al. (arXiv:1412.3555, eq. 5), Colah's blog
    and the lecture notes. The same family after relabelling ``z <-> 1 - z`` (:func:`flip_update_gate`).

:func:`seqmodels.gru_cell` is ``reset="after"``, ``update="pytorch"``; the lecture notes' GRU is
``reset="before"``, ``update="chung"`` (:func:`gru_cell_chung`).

Parameters use PyTorch's layout: ``W_ih (3H, I)``, ``W_hh (3H, H)``, biases ``(3H,)``, blocks ``(r, z, n)``.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from seqmodels.recurrent import Array, sigmoid


def gru_gates(
    x_t: Array,
    h_prev: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array,
    b_hh: Array,
    *,
    reset: Literal["after", "before"] = "after",
) -> tuple[Array, Array, Array]:
    """The reset gate ``r_t``, update gate ``z_t`` and candidate ``n_t`` of one GRU step, each ``(N, H)``.

    ``r_t = sigmoid(W_ir x + b_ir + W_hr h + b_hr)``, ``z_t = sigmoid(W_iz x + b_iz + W_hz h + b_hz)`` and
    ``n_t`` with the reset ``"after"`` or ``"before"`` the matmul (see the module docstring).
    Shapes: ``x_t (N, I)``, ``h_prev (N, H)``, ``W_ih (3H, I)``, ``W_hh (3H, H)``, ``b_ih, b_hh (3H,)``.
    """
    if reset not in ("after", "before"):
        raise ValueError(f"reset must be 'after' or 'before'; got {reset!r}")
    W_hr, W_hz, W_hn = np.split(W_hh, 3, axis=0)
    b_hr, b_hz, b_hn = np.split(b_hh, 3)
    x_r, x_z, x_n = np.split(x_t @ W_ih.T + b_ih, 3, axis=1)
    r_t = sigmoid(x_r + h_prev @ W_hr.T + b_hr)
    z_t = sigmoid(x_z + h_prev @ W_hz.T + b_hz)
    if reset == "after":
        n_t = np.tanh(x_n + r_t * (h_prev @ W_hn.T + b_hn))
    else:
        n_t = np.tanh(x_n + (r_t * h_prev) @ W_hn.T + b_hn)
    return r_t, z_t, n_t


def gru_cell_variant(
    x_t: Array,
    h_prev: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array,
    b_hh: Array,
    *,
    reset: Literal["after", "before"] = "after",
    update: Literal["pytorch", "chung"] = "pytorch",
) -> Array:
    """One GRU step in the chosen convention (see the module docstring).

    Shapes: ``x_t (N, I)``, ``h_prev (N, H)``, ``W_ih (3H, I)``, ``W_hh (3H, H)``, ``b_ih, b_hh (3H,)``,
    blocks ``(r, z, n)``. Returns ``h_t (N, H)``.
    """
    if update not in ("pytorch", "chung"):
        raise ValueError(f"update must be 'pytorch' or 'chung'; got {update!r}")
    _, z_t, n_t = gru_gates(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, reset=reset)
    if update == "pytorch":
        return (1.0 - z_t) * n_t + z_t * h_prev  # Cho et al. (2014), eq. 7: z keeps the old state
    return (1.0 - z_t) * h_prev + z_t * n_t  # Chung et al. (2014), eq. 5: z writes the candidate


def gru_cell_chung(x_t: Array, h_prev: Array, W_ih: Array, W_hh: Array, b_ih: Array, b_hh: Array) -> Array:
    """The GRU of Chung et al. (2014, arXiv:1412.3555, eqs. 5-8) and of the lecture notes.

    Reset before the matmul, ``n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)``, and
    ``h' = (1 - z) * h + z * n``. Shapes as in :func:`gru_cell_variant`; returns ``h_t (N, H)``.
    """
    return gru_cell_variant(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, reset="before", update="chung")


def flip_update_gate(W_ih: Array, W_hh: Array, b_ih: Array, b_hh: Array) -> tuple[Array, Array, Array, Array]:
    """Negate the ``z`` block of every parameter, so that ``z`` becomes ``1 - z`` (``sigmoid(-a) = 1 - sigmoid(a)``).

    With these parameters, ``update="chung"`` computes exactly what ``update="pytorch"`` computes with
    the originals, and the other way round: the two update rules are one family up to relabelling.
    Shapes: ``W_ih (3H, I)``, ``W_hh (3H, H)``, ``b_ih, b_hh (3H,)``; returns new arrays of the same shapes.
    """
    def negate_z(p: Array) -> Array:
        H = p.shape[0] // 3
        q = p.copy()
        q[H:2 * H] *= -1
        return q

    return negate_z(W_ih), negate_z(W_hh), negate_z(b_ih), negate_z(b_hh)


def with_gate_bias(params: dict[str, Array], gate: Literal["r", "z"], value: float) -> dict[str, Array]:
    """A copy of GRU ``params`` whose ``gate`` block has bias ``value`` (``b_i = value``, ``b_h = 0``).

    With ``value = +-30`` the gate is within ``1e-13`` of 1 or 0 for inputs of order 1: the limiting cases
    of chapter 6. ``params`` holds ``W_ih (3H, I)``, ``W_hh (3H, H)``, ``b_ih, b_hh (3H,)``, blocks ``(r, z, n)``.
    """
    block = {"r": 0, "z": 1}[gate]
    H = params["W_hh"].shape[1]
    out = {name: p.copy() for name, p in params.items()}
    out["b_ih"][block * H:(block + 1) * H] = value
    out["b_hh"][block * H:(block + 1) * H] = 0.0
    return out
