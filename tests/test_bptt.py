"""NumPy BPTT for the vanilla RNN against autograd and a numerical gradient."""

import numpy as np
import pytest
import torch

from seqmodels import init_params, numerical_gradient, rnn_bptt, rnn_layer
from seqmodels.torchutil import set_params


def problem(T=6, N=3, I=2, H=4, seed=0):
    rng = np.random.default_rng(seed)
    params = init_params(1, I, H, rng, scale=0.9)
    x = rng.standard_normal((T, N, I))
    h0 = rng.standard_normal((1, N, H))
    d_output = rng.standard_normal((T, N, H))  # the loss is L = sum(output * d_output)
    return params, x, h0, d_output


@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (6, 3, 2, 4), (15, 2, 3, 3)])
def test_bptt_matches_autograd(shape):
    params, x, h0, d_output = problem(*shape)
    grads = rnn_bptt(x, h0, **params, d_output=d_output)

    module = torch.nn.RNN(shape[2], shape[3]).double()
    set_params(module, params)
    x_t = torch.tensor(x, requires_grad=True)
    h0_t = torch.tensor(h0, requires_grad=True)
    out, _ = module(x_t, h0_t)
    (out * torch.from_numpy(d_output)).sum().backward()
    expected = {
        "W_ih": module.weight_ih_l0.grad, "W_hh": module.weight_hh_l0.grad,
        "b_ih": module.bias_ih_l0.grad, "b_hh": module.bias_hh_l0.grad,
        "x": x_t.grad, "h0": h0_t.grad,
    }
    assert set(grads) == set(expected)
    for name, g in expected.items():
        np.testing.assert_allclose(grads[name], g.numpy(), rtol=0, atol=1e-12, err_msg=name)


def test_bptt_matches_numerical_gradient():
    params, x, h0, d_output = problem(T=5, N=2, I=3, H=3, seed=3)

    def loss():
        out, _ = rnn_layer(x, h0, **params)
        return float(np.sum(out * d_output))

    grads = rnn_bptt(x, h0, **params, d_output=d_output)
    for name, array in {**params, "x": x, "h0": h0}.items():
        np.testing.assert_allclose(grads[name], numerical_gradient(loss, array), rtol=1e-6, atol=1e-8, err_msg=name)
