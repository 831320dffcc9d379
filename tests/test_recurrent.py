"""The NumPy reference layers reproduce torch.nn.RNN/LSTM/GRU exactly."""

import itertools

import numpy as np
import pytest
import torch

from seqmodels import gru_cell, gru_layer, init_params, lstm_cell, lstm_layer, rnn_cell, rnn_layer
from seqmodels.torchutil import get_params, set_params

# (T, N, I, H): size-1 dimensions, I != H both ways, and a longer sequence.
SHAPES = [(1, 1, 1, 1), (1, 3, 2, 4), (5, 1, 3, 2), (4, 2, 1, 3), (7, 3, 5, 5), (3, 4, 6, 1), (20, 2, 3, 4)]
KINDS = {"rnn": (torch.nn.RNN, 1), "lstm": (torch.nn.LSTM, 4), "gru": (torch.nn.GRU, 3)}
TOLERANCE = {np.float64: 1e-10, np.float32: 1e-5}


def run_numpy(kind, x, h0, c0, params, batch_first):
    if kind == "lstm":
        out, (h_n, c_n) = lstm_layer(x, h0, c0, **params, batch_first=batch_first)
        return out, h_n, c_n
    layer = rnn_layer if kind == "rnn" else gru_layer
    out, h_n = layer(x, h0, **params, batch_first=batch_first)
    return out, h_n, None


def run_torch(kind, x, h0, c0, params, batch_first):
    module_cls, _ = KINDS[kind]
    T_dtype = torch.float64 if x.dtype == np.float64 else torch.float32
    module = module_cls(x.shape[-1], h0.shape[-1], batch_first=batch_first).to(T_dtype)
    set_params(module, params)
    state = torch.from_numpy(h0) if kind != "lstm" else (torch.from_numpy(h0), torch.from_numpy(c0))
    with torch.no_grad():
        out, final = module(torch.from_numpy(x), state)
    if kind == "lstm":
        return out.numpy(), final[0].numpy(), final[1].numpy()
    return out.numpy(), final.numpy(), None


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "T{}N{}I{}H{}".format(*s))
def test_layer_matches_torch(kind, batch_first, dtype, shape):
    T, N, I, H = shape
    rng = np.random.default_rng(hash((kind, shape)) % 2**32)
    params = init_params(KINDS[kind][1], I, H, rng, dtype, scale=0.8)  # biases drawn independently
    x = rng.standard_normal((N, T, I) if batch_first else (T, N, I)).astype(dtype)
    h0 = rng.standard_normal((1, N, H)).astype(dtype)
    c0 = rng.standard_normal((1, N, H)).astype(dtype)
    ours = run_numpy(kind, x, h0, c0, params, batch_first)
    theirs = run_torch(kind, x, h0, c0, params, batch_first)
    for name, a, b in zip(("output", "h_n", "c_n"), ours, theirs, strict=True):
        if b is None:
            continue
        assert a.shape == b.shape, f"{name}: {a.shape} != {b.shape}"
        assert a.dtype == dtype, f"{name} has dtype {a.dtype}, expected {dtype}"
        np.testing.assert_allclose(a, b, rtol=0, atol=TOLERANCE[dtype], err_msg=name)


def test_h_n_shape_ignores_batch_first():
    rng = np.random.default_rng(0)
    params = init_params(4, 3, 5, rng)
    x = rng.standard_normal((2, 7, 3))
    out, (h_n, c_n) = lstm_layer(x, None, None, **params, batch_first=True)
    assert out.shape == (2, 7, 5)
    assert h_n.shape == c_n.shape == (1, 2, 5)
    np.testing.assert_array_equal(h_n[0], out[:, -1])


@pytest.mark.parametrize("kind", KINDS)
def test_zero_initial_state_is_default(kind):
    rng = np.random.default_rng(1)
    params = init_params(KINDS[kind][1], 2, 3, rng)
    x = rng.standard_normal((4, 2, 2))
    zeros = np.zeros((1, 2, 3))
    with_none = run_numpy(kind, x, None, None, params, False)
    with_zeros = run_numpy(kind, x, zeros, zeros, params, False)
    for a, b in zip(with_none, with_zeros, strict=True):
        if a is not None:
            np.testing.assert_array_equal(a, b)


def test_cells_match_single_step_layers():
    rng = np.random.default_rng(2)
    x_t, h, c = rng.standard_normal((3, 2)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    for G, cell, layer in [(1, rnn_cell, rnn_layer), (3, gru_cell, gru_layer)]:
        p = init_params(G, 2, 4, rng)
        np.testing.assert_array_equal(cell(x_t, h, **p), layer(x_t[None], h[None], **p)[1][0])
    p = init_params(4, 2, 4, rng)
    h_t, c_t = lstm_cell(x_t, h, c, **p)
    _, (h_n, c_n) = lstm_layer(x_t[None], h[None], c[None], **p)
    np.testing.assert_array_equal(h_t, h_n[0])
    np.testing.assert_array_equal(c_t, c_n[0])


@pytest.mark.parametrize("kind", KINDS)
def test_get_params_round_trip(kind):
    module_cls, G = KINDS[kind]
    module = module_cls(3, 2, num_layers=2, bidirectional=True).double()
    params = get_params(module, layer=1, reverse=True)
    assert params["W_ih"].shape == (G * 2, 4)  # layer 1 reads both directions of layer 0
    other = module_cls(3, 2, num_layers=2, bidirectional=True).double()
    set_params(other, params, layer=1, reverse=True)
    np.testing.assert_array_equal(other.weight_hh_l1_reverse.detach().numpy(), params["W_hh"])


def test_set_params_rejects_wrong_shape():
    module = torch.nn.GRU(3, 2)
    bad = init_params(4, 3, 2, np.random.default_rng(0))  # LSTM-sized blocks for a GRU
    with pytest.raises(ValueError, match="W_ih has shape"):
        set_params(module, bad)


@pytest.mark.parametrize("bad_state", [np.zeros((2, 3)), np.zeros((1, 3, 4))])
def test_layer_rejects_misshapen_state(bad_state):
    params = init_params(1, 2, 3, np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"\(1, N, H\)"):
        rnn_layer(np.zeros((4, 2, 2)), bad_state, **params)


def test_grid_covers_required_shapes():
    dims = list(itertools.chain.from_iterable(SHAPES))
    assert any(s[0] == 1 for s in SHAPES) and any(s[1] == 1 for s in SHAPES) and any(s[3] == 1 for s in SHAPES)
    assert any(s[2] != s[3] for s in SHAPES) and max(dims) >= 20
