"""Jacobian products of recurrences against autograd, and clipping against torch.nn.utils.clip_grad_norm_."""

import numpy as np
import pytest
import torch

from seqmodels.gradients import (
    ACTIVATIONS,
    clip_by_global_norm,
    global_norm,
    jacobian_norms,
    matrix_with_spectral_radius,
    spectral_radius,
)

TORCH_PHI = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_jacobian_norms_match_autograd(activation):
    H, T = 6, 7
    W = matrix_with_spectral_radius(H, 1.3, np.random.default_rng(0))
    norms = jacobian_norms(W, activation, T, np.random.default_rng(1), input_std=0.7)
    # replay the same trajectory in torch: same draws in the same order
    rng = np.random.default_rng(1)
    h0 = torch.tensor(ACTIVATIONS[activation][0](rng.standard_normal(H)))
    inputs = [torch.tensor(0.7 * rng.standard_normal(H)) for _ in range(T)]
    W_t = torch.tensor(W)

    def h_T(h, steps):
        for u in inputs[:steps]:
            h = TORCH_PHI[activation](W_t @ h + u)
        return h

    for t in (1, 3, T):
        J = torch.autograd.functional.jacobian(lambda h, t=t: h_T(h, t), h0)
        assert norms[t] == pytest.approx(torch.linalg.matrix_norm(J, 2).item(), rel=1e-10)
    assert norms[0] == 1.0 and norms.shape == (T + 1,)


def test_spectral_radius_is_set_exactly_and_decides_linear_growth():
    rng = np.random.default_rng(2)
    for rho in (0.5, 1.0, 2.0):
        assert spectral_radius(matrix_with_spectral_radius(20, rho, rng)) == pytest.approx(rho)
    assert np.all(matrix_with_spectral_radius(5, 1.1, rng, positive=True) > 0)
    W = matrix_with_spectral_radius(20, 0.9, rng)
    # ||W^t||^(1/t) -> rho (Gelfand's formula): the linear recurrence's gradient decays like 0.9^t
    assert np.linalg.norm(np.linalg.matrix_power(W, 400), 2) ** (1 / 400) == pytest.approx(0.9, rel=0.02)


def test_sigmoid_vanishes_and_relu_with_a_large_radius_explodes():
    rng = np.random.default_rng(3)
    assert jacobian_norms(matrix_with_spectral_radius(32, 2.0, rng), "sigmoid", 40, rng)[-1] < 1e-6
    assert jacobian_norms(matrix_with_spectral_radius(32, 4.0, rng), "relu", 40, rng)[-1] > 1e6


def test_clipping_matches_torch():
    rng = np.random.default_rng(4)
    grads = {"W": rng.standard_normal((3, 4)) * 10, "b": rng.standard_normal(3)}
    params = [torch.zeros(3, 4, dtype=torch.float64), torch.zeros(3, dtype=torch.float64)]
    for p, g in zip(params, grads.values(), strict=True):
        p.grad = torch.tensor(g)
    total = torch.nn.utils.clip_grad_norm_(params, 1.0)
    clipped = clip_by_global_norm(grads, 1.0)
    assert global_norm(grads) == pytest.approx(total.item())
    for p, g in zip(params, clipped.values(), strict=True):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-12)
    assert global_norm(clipped) == pytest.approx(1.0, rel=1e-5)
    small = {"b": np.array([0.1, 0.2])}
    np.testing.assert_array_equal(clip_by_global_norm(small, 1.0)["b"], small["b"])
    with pytest.raises(ValueError, match="positive"):
        clip_by_global_norm(small, 0.0)
