"""Claims of book part II (chapters 5-8), read from the values the executed chapters glued.

Run `make book` first (`make test` does): these tests read _build/jupyter_execute/book/<chapter>.ipynb,
so they check exactly the numbers a reader sees on the site.
"""

import math

import pytest
from bookdata import glued


@pytest.fixture(scope="module")
def ch5():
    return glued("05_lstm")


@pytest.fixture(scope="module")
def ch6():
    return glued("06_gru")


# Chapter 5: the LSTM.

def test_ch5_numpy_lstm_equals_torch(ch5):
    assert ch5["ch5_max_diff_vs_torch"] < 1e-5


def test_ch5_two_biases_are_redundant(ch5):
    assert ch5["ch5_bias_shift_diff"] < 1e-5


def test_ch5_default_lstm_vanishes_like_the_rnn(ch5):
    """At initialisation the belt does not help: both gradients at lag 50 are negligible."""
    assert ch5["ch5_lag"] == 50
    assert ch5["ch5_grad_rnn_lag50"] < 1e-6
    assert ch5["ch5_grad_lstm_default_lag50"] < 1e-6


def test_ch5_forget_bias_opens_the_path(ch5):
    """A larger forget bias carries orders of magnitude more gradient to lag 50."""
    default, bf1, bf3 = (ch5[f"ch5_grad_lstm_{k}_lag50"] for k in ("default", "bf1", "bf3"))
    assert default < bf1 < bf3
    assert bf3 > 1e4 * ch5["ch5_grad_rnn_lag50"]
    assert bf3 > 0.05 * ch5["ch5_grad_lstm_bf3_lag0"]  # barely decays over 50 steps


def test_ch5_mean_forget_gate_is_sigmoid_of_bias(ch5):
    for b, key in [(0.0, "ch5_mean_f_b0"), (1.0, "ch5_mean_f_b1"), (3.0, "ch5_mean_f_b3")]:
        assert ch5[key] == pytest.approx(1 / (1 + math.exp(-b)), abs=0.02)


def test_ch5_lstm_gradients_can_still_explode(ch5):
    assert ch5["ch5_explode_ratio"] > 100


def test_ch5_exercise_estimate_and_measurement(ch5):
    assert ch5["ch5_ex_b_needed"] == pytest.approx(math.log(0.1 ** (1 / 99) / (1 - 0.1 ** (1 / 99))))
    # the measurement exceeds the belt-only estimate sigma(b)^99, as the solution says
    assert ch5["ch5_ex_ratio_b1"] > (1 / (1 + math.exp(-1.0))) ** 99
    assert ch5["ch5_ex_ratio_bneeded"] > 0.1


# Chapter 6: the GRU.

def test_ch6_numpy_gru_equals_torch(ch6):
    assert ch6["ch6_max_diff_vs_torch"] < 1e-5


def test_ch6_gru_has_three_quarters_of_the_lstm_parameters(ch6):
    assert ch6["ch6_param_ratios"] == [0.75] * len(ch6["ch6_param_ratios"])
    assert ch6["ch6_n_gru_65_128"] * 4 == ch6["ch6_n_lstm_65_128"] * 3


def test_ch6_update_conventions_agree_after_relabelling(ch6):
    assert ch6["ch6_relabel_diff_after"] < 1e-12
    assert ch6["ch6_relabel_diff_before"] < 1e-12


def test_ch6_reset_placement_is_a_different_model(ch6):
    assert ch6["ch6_reset_diff"] > 0.1
    assert ch6["ch6_gap_no_bias"] > 0.1  # not only the bias
    assert ch6["ch6_gap_diagonal"] < 1e-12  # the two coincide when W_hn commutes with r and b_hn = 0


def test_ch6_recurrence_timing_was_measured(ch6):
    assert ch6["ch6_time_ratio"] > 0 and ch6["ch6_device"] in ("cpu", "cuda")
