"""The hand-written LSTM backward step of chapter 5, against torch autograd."""

import numpy as np
import pytest
import torch

import seqmodels
from seqmodels.lstm_backward import lstm_gate_trace, lstm_step_backward, lstm_step_forward


@pytest.fixture
def step_inputs():
    rng = np.random.default_rng(0)
    N, I, H = 3, 4, 5
    params = seqmodels.init_params(4, I, H, rng, scale=0.8)
    x, h, c = rng.standard_normal((N, I)), rng.standard_normal((N, H)), rng.standard_normal((N, H))
    return x, h, c, params


def test_forward_equals_lstm_cell(step_inputs):
    x, h, c, params = step_inputs
    h1, c1, cache = lstm_step_forward(x, h, c, **params)
    h2, c2 = seqmodels.lstm_cell(x, h, c, **params)
    assert np.allclose(h1, h2) and np.allclose(c1, c2)
    assert all(0 < v.min() and v.max() < 1 for v in (cache.i, cache.f, cache.o))


@pytest.mark.parametrize("with_dc", [False, True])
def test_backward_equals_autograd(step_inputs, with_dc):
    x, h, c, params = step_inputs
    rng = np.random.default_rng(1)
    dh = rng.standard_normal(h.shape)
    dc = rng.standard_normal(c.shape) if with_dc else np.zeros_like(c)
    _, _, cache = lstm_step_forward(x, h, c, **params)
    ours = lstm_step_backward(dh, dc, cache)

    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in {"x_t": x, "h_prev": h, "c_prev": c, **params}.items()}
    gates = (leaves["x_t"] @ leaves["W_ih"].T + leaves["b_ih"] + leaves["h_prev"] @ leaves["W_hh"].T + leaves["b_hh"])
    a_i, a_f, a_g, a_o = gates.chunk(4, dim=1)
    c_t = torch.sigmoid(a_f) * leaves["c_prev"] + torch.sigmoid(a_i) * torch.tanh(a_g)
    h_t = torch.sigmoid(a_o) * torch.tanh(c_t)
    ((h_t * torch.tensor(dh)).sum() + (c_t * torch.tensor(dc)).sum()).backward()
    for name, leaf in leaves.items():
        assert ours[name].shape == leaf.shape
        np.testing.assert_allclose(ours[name], leaf.grad.numpy(), atol=1e-10, err_msg=name)


def test_gate_trace_matches_the_layer(step_inputs):
    _, _, _, params = step_inputs
    x = np.random.default_rng(2).standard_normal((6, 3, 4))
    trace = lstm_gate_trace(x, **params)
    out, (h_n, c_n) = seqmodels.lstm_layer(x, None, None, **params)
    assert np.allclose(trace["h"], out) and np.allclose(trace["c"][-1], c_n[0])
    assert trace["f"].shape == (6, 3, 5)
