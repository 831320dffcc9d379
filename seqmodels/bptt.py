"""Backpropagation through time for the vanilla ``tanh`` RNN, in NumPy."""

from __future__ import annotations

import numpy as np

from seqmodels.recurrent import Array, rnn_layer


def rnn_bptt(
    x: Array,
    h0: Array,
    W_ih: Array,
    W_hh: Array,
    b_ih: Array,
    b_hh: Array,
    d_output: Array,
) -> dict[str, Array]:
    """Gradients of a loss on all outputs of :func:`~seqmodels.rnn_layer`, by BPTT.

    The loss ``L`` is any scalar function of ``output``; ``d_output = dL/d output`` is its gradient
    (the "upstream" gradient), shape ``(T, N, H)``. With ``a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh``
    and ``h_t = tanh(a_t)``, walking back from ``t = T``:

    .. math::
        \\delta h_t = \\frac{\\partial L}{\\partial h_t} + W_{hh}^\\top \\delta a_{t+1}, \\qquad
        \\delta a_t = \\delta h_t \\odot (1 - h_t^2),

    and every parameter's gradient is the sum over time of its per-step contribution (the weights
    are shared across steps). Shapes: ``x (T, N, I)``, ``h0 (1, N, H)``. Returns a dict with the
    gradients ``W_ih, W_hh, b_ih, b_hh, h0, x``, each shaped like its variable.
    """
    output, _ = rnn_layer(x, h0, W_ih, W_hh, b_ih, b_hh)
    h_prevs = np.concatenate([h0, output[:-1]])  # h_{t-1} for t = 1..T
    grads = {name: np.zeros_like(p) for name, p in
             {"W_ih": W_ih, "W_hh": W_hh, "b_ih": b_ih, "b_hh": b_hh, "x": x}.items()}
    d_h_next = np.zeros_like(h0[0])  # dL/dh_t flowing in from step t+1
    for t in reversed(range(x.shape[0])):
        d_h = d_output[t] + d_h_next
        d_a = d_h * (1.0 - output[t] ** 2)
        grads["W_ih"] += d_a.T @ x[t]
        grads["W_hh"] += d_a.T @ h_prevs[t]
        grads["b_ih"] += d_a.sum(axis=0)
        grads["b_hh"] += d_a.sum(axis=0)
        grads["x"][t] = d_a @ W_ih
        d_h_next = d_a @ W_hh
    grads["h0"] = d_h_next[None]
    return grads


def numerical_gradient(f, p: Array, eps: float = 1e-6) -> Array:
    """Central-difference gradient of the scalar function ``f()`` w.r.t. the array ``p``.

    ``p`` is perturbed in place, one entry at a time, and restored. Use float64.
    """
    grad = np.zeros_like(p)
    for idx in np.ndindex(p.shape):
        original = p[idx]
        p[idx] = original + eps
        f_plus = f()
        p[idx] = original - eps
        f_minus = f()
        p[idx] = original
        grad[idx] = (f_plus - f_minus) / (2 * eps)
    return grad
