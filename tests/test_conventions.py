"""The two GRU conventions: one family up to z <-> 1 - z, but reset placement is a real difference."""

import numpy as np
import pytest

from seqmodels import gru_cell, init_params
from seqmodels.conventions import flip_update_gate, gru_cell_cho, gru_cell_variant


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
    cho = gru_cell_variant(x_t, h, *flipped, reset=reset, update="cho")
    np.testing.assert_allclose(cho, pytorch, atol=1e-14)


def test_reset_placement_changes_the_output(case):
    x_t, h, p = case
    after = gru_cell_variant(x_t, h, **p, reset="after")
    before = gru_cell_variant(x_t, h, **p, reset="before")
    assert np.max(np.abs(after - before)) > 1e-2


def test_cho_differs_from_pytorch_even_with_zero_state(case):
    x_t, _, p = case
    h0 = np.zeros((4, 5))
    assert np.max(np.abs(gru_cell_cho(x_t, h0, **p) - gru_cell(x_t, h0, **p))) > 1e-2
