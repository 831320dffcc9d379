"""The two GRU conventions: one family up to z <-> 1 - z, but reset placement is a real difference."""

import numpy as np
import pytest

from seqmodels import gru_cell, init_params
from seqmodels.conventions import flip_update_gate, gru_cell_chung, gru_cell_variant


@pytest.fixture
def case():
    rng = np.random.default_rng(7)
    return rng.standard_normal((4, 3)), rng.standard_normal((4, 5)), init_params(3, 3, 5, rng, scale=1.0)


def test_pytorch_convention_is_gru_cell(case):
    x_t, h, p = case
    np.testing.assert_allclose(gru_cell_variant(x_t, h, **p), gru_cell(x_t, h, **p), atol=1e-14)


@pytest.mark.parametrize("reset", ["after", "before"])
def test_update_conventions_agree_after_relabelling(case, reset):
    x_t, h, p = case
    flipped = flip_update_gate(p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    pytorch = gru_cell_variant(x_t, h, **p, reset=reset, update="pytorch")
    chung = gru_cell_variant(x_t, h, *flipped, reset=reset, update="chung")
    np.testing.assert_allclose(chung, pytorch, atol=1e-14)
    # and back: flipping twice is the identity, so PyTorch's update with flipped parameters is Chung's
    back = gru_cell_variant(x_t, h, *flipped, reset=reset, update="pytorch")
    np.testing.assert_allclose(back, gru_cell_variant(x_t, h, **p, reset=reset, update="chung"), atol=1e-14)


def test_reset_placement_changes_the_output(case):
    x_t, h, p = case
    after = gru_cell_variant(x_t, h, **p, reset="after")
    before = gru_cell_variant(x_t, h, **p, reset="before")
    assert np.max(np.abs(after - before)) > 1e-2


def test_chung_differs_from_pytorch_even_with_zero_state(case):
    x_t, _, p = case
    h0 = np.zeros((4, 5))
    assert np.max(np.abs(gru_cell_chung(x_t, h0, **p) - gru_cell(x_t, h0, **p))) > 1e-2


def test_chung_is_the_notes_equations_written_out(case):
    """Chung et al. (2014), eqs. 5-8: reset before the matmul, h = (1 - z) h_prev + z n."""
    x_t, h, p = case
    H = h.shape[1]
    W_ir, W_iz, W_in = np.split(p["W_ih"], 3)
    W_hr, W_hz, W_hn = np.split(p["W_hh"], 3)
    b_r, b_z, b_n = np.split(p["b_ih"] + p["b_hh"], 3)

    def sigmoid(a):
        return 1 / (1 + np.exp(-a))

    r = sigmoid(x_t @ W_ir.T + h @ W_hr.T + b_r)
    z = sigmoid(x_t @ W_iz.T + h @ W_hz.T + b_z)
    n = np.tanh(x_t @ W_in.T + (r * h) @ W_hn.T + b_n)
    assert n.shape == (4, H)
    np.testing.assert_allclose(gru_cell_chung(x_t, h, **p), (1 - z) * h + z * n, atol=1e-13)


def test_unknown_convention_is_refused(case):
    x_t, h, p = case
    with pytest.raises(ValueError, match="chung"):
        gru_cell_variant(x_t, h, **p, update="cho")
