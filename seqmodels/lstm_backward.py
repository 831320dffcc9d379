"""One LSTM step forward with its gates kept, its backward pass by hand, and the gates over a sequence.

Used by the book's chapter 5. Shapes and gate order are those of :func:`seqmodels.recurrent.lstm_cell`
(PyTorch's ``i, f, g, o``): ``x_t (N, I)``, ``h_prev, c_prev (N, H)``, ``W_ih (4H, I)``,
``W_hh (4H, H)``, ``b_ih, b_hh (4H,)``.

The backward pass applies the chain rule to the forward equations, from the last one to the first.
With ``dh`` and ``dc`` the gradients of the loss with respect to ``h_t`` and ``c_t`` from above
(``dc`` from the next step's cell state, ``dh`` from the output and the next step):

.. math::
    \\bar c_t = dc + dh \\odot o_t \\odot (1 - \\tanh^2 c_t) \\qquad
    \\bar o_t = dh \\odot \\tanh c_t \\qquad
    \\bar f_t = \\bar c_t \\odot c_{t-1} \\qquad
    \\bar i_t = \\bar c_t \\odot g_t \\qquad
    \\bar g_t = \\bar c_t \\odot i_t

    \\bar a_{i,f,o} = \\bar{(i,f,o)}_t \\odot \\sigma (1 - \\sigma) \\qquad
    \\bar a_g = \\bar g_t \\odot (1 - g_t^2) \\qquad
    \\bar c_{t-1} = \\bar c_t \\odot f_t

    \\bar x_t = \\bar a \\, W_{ih} \\qquad \\bar h_{t-1} = \\bar a \\, W_{hh} \\qquad
    \\bar W_{ih} = \\bar a^\\top x_t \\qquad \\bar W_{hh} = \\bar a^\\top h_{t-1} \\qquad
    \\bar b_{ih} = \\bar b_{hh} = \\textstyle\\sum_n \\bar a_n

where ``a = [a_i, a_f, a_g, a_o]`` ``(N, 4H)`` are the gates' pre-activations.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from seqmodels.recurrent import Array, sigmoid


class LSTMCache(NamedTuple):
    """What :func:`lstm_step_backward` needs from the forward step (all ``(N, ·)`` arrays, weights as given)."""

    x_t: Array
    h_prev: Array
    c_prev: Array
    i: Array
    f: Array
    g: Array
    o: Array
    c: Array
    W_ih: Array
    W_hh: Array


def lstm_step_forward(
    x_t: Array, h_prev: Array, c_prev: Array, W_ih: Array, W_hh: Array, b_ih: Array, b_hh: Array
) -> tuple[Array, Array, LSTMCache]:
    """One LSTM step, as :func:`seqmodels.lstm_cell`, that also returns the gates in a cache.

    Returns ``h_t (N, H)``, ``c_t (N, H)`` and an :class:`LSTMCache` holding ``i, f, g, o`` ``(N, H)``.
    """
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh  # (N, 4H) pre-activations
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g
    h = o * np.tanh(c)
    return h, c, LSTMCache(x_t, h_prev, c_prev, i, f, g, o, c, W_ih, W_hh)


def lstm_step_backward(dh: Array, dc: Array, cache: LSTMCache) -> dict[str, Array]:
    """Gradients of a loss through one LSTM step, given ``dh = dL/dh_t`` and ``dc = dL/dc_t`` ``(N, H)``.

    ``dc`` is the gradient reaching ``c_t`` from later steps only (zeros at the last step); the path
    through ``h_t = o_t tanh(c_t)`` is added here. Returns ``{"x_t": (N, I), "h_prev": (N, H),
    "c_prev": (N, H), "W_ih": (4H, I), "W_hh": (4H, H), "b_ih": (4H,), "b_hh": (4H,)}``.
    """
    x_t, h_prev, c_prev, i, f, g, o, c, W_ih, W_hh = cache
    tanh_c = np.tanh(c)
    dc_total = dc + dh * o * (1.0 - tanh_c**2)  # both paths into c_t
    do = dh * tanh_c
    df = dc_total * c_prev
    di = dc_total * g
    dg = dc_total * i
    da = np.concatenate(
        [di * i * (1.0 - i), df * f * (1.0 - f), dg * (1.0 - g**2), do * o * (1.0 - o)], axis=1
    )  # (N, 4H), gate order i, f, g, o
    db = da.sum(axis=0)
    return {
        "x_t": da @ W_ih,
        "h_prev": da @ W_hh,
        "c_prev": dc_total * f,
        "W_ih": da.T @ x_t,
        "W_hh": da.T @ h_prev,
        "b_ih": db,
        "b_hh": db.copy(),
    }


def lstm_gate_trace(
    x: Array, W_ih: Array, W_hh: Array, b_ih: Array, b_hh: Array, h0: Array | None = None, c0: Array | None = None
) -> dict[str, Array]:
    """Run an LSTM over ``x (T, N, I)`` (time-major) and keep every gate and state.

    ``h0, c0 (N, H)`` default to zeros. Returns ``{"i", "f", "g", "o", "c", "h"}``, each ``(T, N, H)``:
    the values at every step, for plotting what the gates do.
    """
    T, N, _ = x.shape
    H = W_hh.shape[1]
    h = np.zeros((N, H), dtype=x.dtype) if h0 is None else h0
    c = np.zeros((N, H), dtype=x.dtype) if c0 is None else c0
    trace: dict[str, list[Array]] = {k: [] for k in ("i", "f", "g", "o", "c", "h")}
    for t in range(T):
        h, c, cache = lstm_step_forward(x[t], h, c, W_ih, W_hh, b_ih, b_hh)
        for k in ("i", "f", "g", "o", "c"):
            trace[k].append(getattr(cache, k))
        trace["h"].append(h)
    return {k: np.stack(v) for k, v in trace.items()}
