"""NumPy forward passes of the vanilla RNN, LSTM and GRU, with exactly PyTorch's semantics.

Shapes follow ``torch.nn.RNN/LSTM/GRU`` (one layer, one direction):

* ``x_t``: ``(N, I)``; ``h_prev``, ``c_prev``: ``(N, H)``
* ``W_ih``: ``(G*H, I)``; ``W_hh``: ``(G*H, H)``; ``b_ih``, ``b_hh``: ``(G*H,)``
* gate blocks in PyTorch's order: LSTM ``(i, f, g, o)`` with G=4, GRU ``(r, z, n)`` with G=3,
  RNN G=1 with ``tanh``.

Layers take ``x`` as ``(T, N, I)``, or ``(N, T, I)`` when ``batch_first=True``, and ``h0``/``c0`` as
``(1, N, H)``. The returned ``output`` follows ``batch_first``; ``h_n``/``c_n`` are always
``(1, N, H)``, as in PyTorch. Every function keeps the dtype of its inputs (float32 or float64).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.floating]


def sigmoid(a: Array) -> Array:
    """Logistic function ``1 / (1 + exp(-a))``, written with ``tanh`` so it never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * a))


def rnn_cell(x_t: Array, h_prev: Array, W_ih: Array, W_hh: Array, b_ih: Array, b_hh: Array) -> Array:
    """One step of the Elman RNN: ``h_t = tanh(x_t W_ih^T + b_ih + h_prev W_hh^T + b_hh)``.

    Shapes: ``x_t (N, I)``, ``h_prev (N, H)``, ``W_ih (H, I)``, ``W_hh (H, H)``, biases ``(H,)``.
    Returns ``h_t (N, H)``.
    """
    return np.tanh(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)


def lstm_cell(
    x_t: Array, h_prev: Array, c_prev: Array, W_ih: Array, W_hh: Array, b_ih: Array, b_hh: Array
) -> tuple[Array, Array]:
    """One LSTM step with PyTorch's gate order ``(i, f, g, o)``.

    .. math::
        i_t = \\sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\qquad
        f_t = \\sigma(\\dots) \\qquad g_t = \\tanh(\\dots) \\qquad o_t = \\sigma(\\dots)

        c_t = f_t \\odot c_{t-1} + i_t \\odot g_t \\qquad h_t = o_t \\odot \\tanh(c_t)

    Shapes: ``x_t (N, I)``, ``h_prev, c_prev (N, H)``, ``W_ih (4H, I)``, ``W_hh (4H, H)``,
    biases ``(4H,)``. Returns ``(h_t, c_t)``, each ``(N, H)``.
    """
    gates = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    a_i, a_f, a_g, a_o = np.split(gates, 4, axis=1)
    i_t, f_t, g_t, o_t = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c_t = f_t * c_prev + i_t * g_t
    h_t = o_t * np.tanh(c_t)
    return h_t, c_t


def gru_cell(x_t: Array, h_prev: Array, W_ih: Array, W_hh: Array, b_ih: Array, b_hh: Array) -> Array:
    """One GRU step in PyTorch's convention, gate order ``(r, z, n)``.

    .. math::
        r_t = \\sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\qquad
        z_t = \\sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz})

        n_t = \\tanh(W_{in} x_t + b_{in} + r_t \\odot (W_{hn} h_{t-1} + b_{hn})) \\qquad
        h_t = (1 - z_t) \\odot n_t + z_t \\odot h_{t-1}

    The reset gate multiplies ``W_hn h + b_hn`` *after* the matrix product (cuDNN's choice, and that of
    the first version of Cho et al.'s arXiv:1406.1078); its final version, Chung et al. (2014) and the
    lecture notes apply it to ``h`` before (:mod:`seqmodels.conventions`). The update weighs the old
    state with ``z`` as in Cho et al. (eq. 7); Chung et al. (eq. 5) weigh it with ``1 - z``.
    Shapes: ``x_t (N, I)``, ``h_prev (N, H)``,
    ``W_ih (3H, I)``, ``W_hh (3H, H)``, biases ``(3H,)``. Returns ``h_t (N, H)``.
    """
    x_r, x_z, x_n = np.split(x_t @ W_ih.T + b_ih, 3, axis=1)
    h_r, h_z, h_n = np.split(h_prev @ W_hh.T + b_hh, 3, axis=1)
    r_t = sigmoid(x_r + h_r)
    z_t = sigmoid(x_z + h_z)
    n_t = np.tanh(x_n + r_t * h_n)
    return (1.0 - z_t) * n_t + z_t * h_prev


def init_params(
    G: int, I: int, H: int, rng: np.random.Generator, dtype: type = np.float64, scale: float | None = None
) -> dict[str, np.ndarray]:
    """Independently drawn ``W_ih (G*H, I)``, ``W_hh (G*H, H)``, ``b_ih, b_hh (G*H,)``.

    Uniform on ``[-scale, scale]`` with PyTorch's default ``scale = 1 / sqrt(H)``.
    """
    scale = 1.0 / np.sqrt(H) if scale is None else scale
    shapes = {"W_ih": (G * H, I), "W_hh": (G * H, H), "b_ih": (G * H,), "b_hh": (G * H,)}
    return {name: rng.uniform(-scale, scale, shape).astype(dtype) for name, shape in shapes.items()}


def _time_major(x: Array, batch_first: bool) -> Array:
    """Return ``x`` as ``(T, N, I)``; it is ``(N, T, I)`` when ``batch_first``."""
    if x.ndim != 3:
        raise ValueError(f"x must be 3-D (T, N, I) or (N, T, I) with batch_first=True; got shape {x.shape}")
    return x.transpose(1, 0, 2) if batch_first else x


def _initial_state(state: Array | None, x_tm: Array, W_hh: Array) -> Array:
    """Take ``h0``/``c0`` of shape ``(1, N, H)`` to ``(N, H)``; ``None`` means zeros."""
    N, H = x_tm.shape[1], W_hh.shape[1]
    if state is None:
        return np.zeros((N, H), dtype=x_tm.dtype)
    if state.shape != (1, N, H):
        raise ValueError(f"initial state must have shape (1, N, H) = {(1, N, H)}; got {state.shape}")
    return state[0]


def _unroll(
    step: Callable[[Array, tuple[Array, ...]], tuple[Array, ...]],
    x: Array,
    state: tuple[Array, ...],
    batch_first: bool,
) -> tuple[Array, tuple[Array, ...]]:
    """Run ``step`` over time. ``state`` holds ``(N, H)`` arrays; the first one is ``h``.

    Returns ``output`` (``(T, N, H)``, or ``(N, T, H)`` when ``batch_first``) and the final state,
    each array reshaped to ``(1, N, H)``.
    """
    x_tm = _time_major(x, batch_first)
    outputs = []
    for x_t in x_tm:
        state = step(x_t, state)
        outputs.append(state[0])
    output = np.stack(outputs)
    if batch_first:
        output = output.transpose(1, 0, 2)
    return output, tuple(s[None] for s in state)


def rnn_layer(
    x: Array,
    h0: Array | None,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array,
    b_hh: Array,
    batch_first: bool = False,
) -> tuple[Array, Array]:
    """A one-layer ``tanh`` RNN over a sequence, like ``torch.nn.RNN``.

    Shapes: ``x (T, N, I)`` (``(N, T, I)`` if ``batch_first``), ``h0 (1, N, H)`` or ``None``.
    Returns ``(output, h_n)``: ``output (T, N, H)`` (``(N, T, H)`` if ``batch_first``), ``h_n (1, N, H)``.
    """
    x_tm = _time_major(x, batch_first)
    h = _initial_state(h0, x_tm, W_hh)
    output, (h_n,) = _unroll(lambda x_t, s: (rnn_cell(x_t, s[0], W_ih, W_hh, b_ih, b_hh),), x, (h,), batch_first)
    return output, h_n


def lstm_layer(
    x: Array,
    h0: Array | None,
    c0: Array | None,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array,
    b_hh: Array,
    batch_first: bool = False,
) -> tuple[Array, tuple[Array, Array]]:
    """A one-layer LSTM over a sequence, like ``torch.nn.LSTM``.

    Shapes: ``x (T, N, I)`` (``(N, T, I)`` if ``batch_first``), ``h0, c0 (1, N, H)`` or ``None``.
    Returns ``(output, (h_n, c_n))``: ``output (T, N, H)`` (``(N, T, H)`` if ``batch_first``) and
    ``h_n, c_n (1, N, H)`` whatever ``batch_first`` is.
    """
    x_tm = _time_major(x, batch_first)
    state = (_initial_state(h0, x_tm, W_hh), _initial_state(c0, x_tm, W_hh))
    output, (h_n, c_n) = _unroll(
        lambda x_t, s: lstm_cell(x_t, s[0], s[1], W_ih, W_hh, b_ih, b_hh), x, state, batch_first
    )
    return output, (h_n, c_n)


def gru_layer(
    x: Array,
    h0: Array | None,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array,
    b_hh: Array,
    batch_first: bool = False,
) -> tuple[Array, Array]:
    """A one-layer GRU over a sequence, like ``torch.nn.GRU`` (PyTorch's convention).

    Shapes: ``x (T, N, I)`` (``(N, T, I)`` if ``batch_first``), ``h0 (1, N, H)`` or ``None``.
    Returns ``(output, h_n)``: ``output (T, N, H)`` (``(N, T, H)`` if ``batch_first``), ``h_n (1, N, H)``.
    """
    x_tm = _time_major(x, batch_first)
    h = _initial_state(h0, x_tm, W_hh)
    output, (h_n,) = _unroll(lambda x_t, s: (gru_cell(x_t, s[0], W_ih, W_hh, b_ih, b_hh),), x, (h,), batch_first)
    return output, h_n
