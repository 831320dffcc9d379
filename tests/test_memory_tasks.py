"""seqmodels.memory_tasks: model construction, the forget-gate bias, gradient-vs-lag, and a short training run."""

import numpy as np
import pytest
import torch

from seqmodels.memory_tasks import (
    ADDING_BASELINE_MSE,
    count_parameters,
    gradient_vs_lag,
    recurrent_layer,
    set_forget_bias,
    steps_to_solve,
    train_adding,
)


@pytest.mark.parametrize(("cell", "G"), [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_parameter_count_is_gate_blocks_times_one_rnn(cell, G):
    I, H = 3, 7
    assert count_parameters(recurrent_layer(cell, I, H)) == G * (H * I + H * H + 2 * H)


def test_unknown_cell_is_a_clear_error():
    with pytest.raises(ValueError, match="cell must be one of"):
        recurrent_layer("transformer", 2, 4)


def test_set_forget_bias_sets_the_f_block_only():
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(2, 5, num_layers=2, bidirectional=True)
    before = {n: p.detach().clone() for n, p in lstm.named_parameters()}
    set_forget_bias(lstm, 3.0)
    for name, p in lstm.named_parameters():
        if name.startswith("bias_"):
            expected = before[name].clone()
            expected[5:10] = 3.0 if name.startswith("bias_ih") else 0.0
            torch.testing.assert_close(p.detach(), expected)
        else:
            torch.testing.assert_close(p.detach(), before[name])


def test_set_forget_bias_refuses_a_gru():
    with pytest.raises(TypeError, match="nn.LSTM"):
        set_forget_bias(torch.nn.GRU(2, 3), 1.0)


def test_gradient_vs_lag_matches_the_full_jacobian():
    torch.manual_seed(0)
    layer = torch.nn.LSTM(3, 4, batch_first=True)
    T, n = 6, 5
    g = gradient_vs_lag(layer, T, n_samples=n, seed=1)
    x = torch.randn(n, T, 3, generator=torch.Generator().manual_seed(1))
    expected = np.zeros(T)
    for i in range(n):
        jac = torch.autograd.functional.jacobian(lambda xi: layer(xi[None])[0][0, -1].sum(), x[i])  # (T, 3)
        expected += jac.norm(dim=-1).flip(0).numpy() / n
    np.testing.assert_allclose(g, expected, rtol=1e-5)


def test_gradient_vanishes_beyond_lag_zero_without_recurrence():
    layer = torch.nn.RNN(2, 3, batch_first=True)
    with torch.no_grad():
        layer.weight_hh_l0.zero_()
    g = gradient_vs_lag(layer, 5)
    assert g[0] > 0 and np.all(g[1:] == 0)


def test_gradient_vs_lag_needs_batch_first():
    with pytest.raises(ValueError, match="batch_first=True"):
        gradient_vs_lag(torch.nn.GRU(2, 3), 4)


def test_steps_to_solve():
    losses = [1.0] * 30 + [0.0] * 30
    assert steps_to_solve(losses, threshold=0.5, window=10) == 36  # mean of steps 27..36 is 0.4
    assert steps_to_solve([1.0] * 50, threshold=0.5, window=10) is None


def test_train_adding_gru_beats_the_baseline_on_a_short_task():
    result = train_adding("gru", T=5, steps=150, lr=2e-2, device=torch.device("cpu"))
    assert len(result.losses) == 150 and result.seconds_per_step > 0
    assert result.n_params == 3 * (32 * 2 + 32 * 32 + 2 * 32) + 33
    assert result.test_mse < 0.2 * ADDING_BASELINE_MSE


def test_train_adding_is_deterministic_in_the_seed():
    a = train_adding("lstm", T=4, steps=5, device=torch.device("cpu"), seed=3)
    b = train_adding("lstm", T=4, steps=5, device=torch.device("cpu"), seed=3)
    assert a.losses == b.losses and a.test_mse == b.test_mse


def test_stop_when_solved_ends_at_the_solving_step():
    full = train_adding("gru", T=5, steps=150, lr=2e-2, device=torch.device("cpu"))
    early = train_adding("gru", T=5, steps=150, lr=2e-2, device=torch.device("cpu"), stop_when_solved=True,
                         solve_threshold=0.05)
    assert early.steps_to_solve is not None
    assert len(early.losses) == early.steps_to_solve < 150
    assert early.losses == full.losses[: len(early.losses)]  # same run, cut short
