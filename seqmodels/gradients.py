"""Why gradients vanish or explode in a recurrent network, measured: Jacobian products and clipping.

For the recurrence ``h_t = phi(a_t)`` with ``a_t = W_hh h_{t-1} + u_t`` (``u_t = W_xh x_t + b``, the
input's contribution), the chain rule gives

.. math::
    \\frac{\\partial h_T}{\\partial h_0} = \\prod_{t=T}^{1} \\frac{\\partial h_t}{\\partial h_{t-1}}
    = \\prod_{t=T}^{1} \\operatorname{diag}(\\phi'(a_t)) \\, W_{hh},

so ``||dh_T/dh_0|| <= prod_t ||diag(phi'(a_t))|| * sigma_max(W_hh)^T``: with ``gamma = max phi'``
(1 for ``tanh`` and ``relu``, 1/4 for the sigmoid), ``gamma * sigma_max(W_hh) < 1`` makes the gradient
vanish exponentially (Pascanu, Mikolov & Bengio 2013), and exploding needs ``gamma * sigma_max > 1``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from seqmodels.recurrent import sigmoid

Array = NDArray[np.float64]

# phi and its derivative phi'(a), for the recurrences compared in the book
ACTIVATIONS: dict[str, tuple[Callable[[Array], Array], Callable[[Array], Array]]] = {
    "tanh": (np.tanh, lambda a: 1.0 - np.tanh(a) ** 2),
    "sigmoid": (sigmoid, lambda a: sigmoid(a) * (1.0 - sigmoid(a))),
    "relu": (lambda a: np.maximum(a, 0.0), lambda a: (a > 0).astype(float)),
}


def spectral_radius(W: Array) -> float:
    """``max |eigenvalue|`` of the square matrix ``W``."""
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def matrix_with_spectral_radius(H: int, rho: float, rng: np.random.Generator, positive: bool = False) -> Array:
    """A random ``(H, H)`` matrix rescaled so that its spectral radius is exactly ``rho``.

    Entries are standard normal, or uniform on ``[0, 1)`` when ``positive`` (every entry positive, the
    case the lecture notes picture for ReLU).
    """
    W = rng.random((H, H)) if positive else rng.standard_normal((H, H))
    return W * (rho / spectral_radius(W))


def jacobian_norms(
    W_hh: Array, activation: str, T: int, rng: np.random.Generator, input_std: float = 1.0
) -> Array:
    """``||dh_t/dh_0||_2`` (largest singular value) for ``t = 0 .. T`` along one trajectory.

    ``h_0 ~ N(0, 1)`` (through ``phi``), and the inputs ``u_t ~ N(0, input_std^2)`` independently per unit
    and step. ``W_hh (H, H)``; ``activation`` is a key of :data:`ACTIVATIONS`. Returns ``(T + 1,)``;
    entry 0 is ``||I|| = 1``.
    """
    phi, dphi = ACTIVATIONS[activation]
    H = W_hh.shape[0]
    h = phi(rng.standard_normal(H))
    J = np.eye(H)
    norms = [1.0]
    for _ in range(T):
        a = W_hh @ h + input_std * rng.standard_normal(H)
        J = dphi(a)[:, None] * (W_hh @ J)  # diag(phi'(a_t)) W_hh (dh_{t-1}/dh_0)
        h = phi(a)
        norms.append(float(np.linalg.norm(J, 2)))
    return np.array(norms)


def global_norm(grads: dict[str, Array]) -> float:
    """``sqrt(sum of squares)`` of all the gradients together, as if they were one vector."""
    return float(np.sqrt(sum(np.sum(g ** 2) for g in grads.values())))


def clip_by_global_norm(grads: dict[str, Array], max_norm: float) -> dict[str, Array]:
    """Rescale all gradients by ``min(1, max_norm / ||g||)`` (Pascanu et al. 2013), like
    ``torch.nn.utils.clip_grad_norm_``: the direction is kept, only the length is capped."""
    if max_norm <= 0:
        raise ValueError(f"max_norm must be positive; got {max_norm}")
    scale = min(1.0, max_norm / (global_norm(grads) + 1e-6))
    return {name: g * scale for name, g in grads.items()}
