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


def test_ch6_gates_limiting_cases_hold_to_rounding(ch6):
    """r -> 0: candidate from the input alone; z -> 1: copy the state (1 and 100 steps); z -> 0: overwrite."""
    for name in ("ch6_limit_reset", "ch6_limit_copy", "ch6_limit_copy_100", "ch6_limit_write"):
        assert 0 <= ch6[name] < 1e-9, name
    assert ch6["ch6_limit_typical_move"] > 0.1  # an ordinary step does move the state


def test_ch6_recurrence_timing_was_measured(ch6):
    assert ch6["ch6_time_ratio"] > 0 and ch6["ch6_device"] in ("cpu", "cuda")


# Chapter 7: the PyTorch API.

@pytest.fixture(scope="module")
def ch7():
    return glued("07_pytorch_api")


def test_ch7_batch_first_changes_input_and_output_only(ch7):
    shapes = ch7["ch7_shapes"]
    for cell in ("RNN", "LSTM", "GRU"):
        tm, bf = shapes[f"{cell}, batch_first=False"], shapes[f"{cell}, batch_first=True"]
        for key in ("input", "output"):
            assert bf[key] == [tm[key][1], tm[key][0], tm[key][2]]
        assert bf["h_n"] == tm["h_n"] == [1, tm["input"][1], tm["output"][2]]  # (L*D, N, H) in both layouts
        if cell == "LSTM":
            assert bf["c_n"] == tm["c_n"] == tm["h_n"]


def test_ch7_layouts_compute_the_same(ch7):
    assert ch7["ch7_layout_diff"] < 1e-6


def test_ch7_reshape_scrambles_every_sequence(ch7):
    assert ch7["ch7_reshape_wrong"] == ch7["ch7_n_seq"]
    assert ch7["ch7_scrambled_col0"] == "0, 3, 12, 21"
    assert ch7["ch7_reshape_hn_diff"] > 0.01


def test_ch7_stacked_bidirectional_shapes(ch7):
    assert ch7["ch7_deep_output_shape"][2] == 2 * 6  # D * H
    assert ch7["ch7_deep_hn_shape"][0] == 2 * 2  # L * D
    assert ch7["ch7_direction_diff"] < 1e-6


def test_ch7_packing_gives_the_last_valid_state(ch7):
    assert ch7["ch7_last_valid_diff"] < 1e-6
    naive = ch7["ch7_naive_diff"]  # lengths 6, 2, 4: only the longest is read at its true end
    assert naive[0] < 1e-6 and min(naive[1:]) > 1e-2


def test_ch7_packing_saves_steps(ch7):
    assert ch7["ch7_step_fraction"] < 0.5
    # the text: packing saves time, but less than its share of skipped steps
    assert ch7["ch7_step_fraction"] < ch7["ch7_time_fraction"] < 1


def test_ch7_reading_the_last_valid_step_classifies_better(ch7):
    assert ch7["ch7_acc_valid"] > 0.95
    assert ch7["ch7_acc_valid"] > ch7["ch7_acc_padded"]
    assert ch7["ch7_padded_worse_in_every_bin"] is True


# Chapter 8: the measured comparison.

@pytest.fixture(scope="module")
def ch8():
    return glued("08_comparison")


def _bound(v):
    """A range end; None (an unsolved run) is worse than any number."""
    return math.inf if v is None else v


def test_ch8_setup_is_fair(ch8):
    """One forget-bias policy on both tasks, at least 3 seeds, a learning-rate sweep from which each cell picks."""
    settings = ch8["ch8_settings"]
    assert settings["forget_bias"] == {"adding": 1.0, "lm": 1.0}
    assert len(settings["seeds"]) >= 3 and len(settings["learning_rates"]) >= 3
    for row in [*ch8["ch8_adding_table"].values(), *ch8["ch8_lm_table"].values()]:
        assert row["lr"] in settings["learning_rates"]
        assert row["n_seeds"] == len(settings["seeds"])
    assert ch8["ch8_n_runs"] == len(settings["learning_rates"]) * len(settings["seeds"]) * 3 * 3


def test_ch8_rnn_stays_at_the_baseline_where_gated_cells_solve(ch8):
    """The acceptance claim: at the long T the LSTM and GRU solve the adding problem on every seed, the RNN on none."""
    T, baseline, table = ch8["ch8_T_long"], ch8["ch8_baseline"], ch8["ch8_adding_table"]
    assert baseline == pytest.approx(1 / 6)
    rnn = table[f"rnn_T{T}"]
    assert rnn["n_solved"] == 0 and rnn["steps"] == [None, None] and rnn["test_mse"][0] > 0.8 * baseline
    for cell in ("lstm", "gru"):
        gated = table[f"{cell}_T{T}"]
        assert gated["n_solved"] == gated["n_seeds"] and gated["steps"][1] is not None
        assert gated["test_mse"][1] < 0.1 * baseline  # solved on the training loss; the test MSE is far below 1/6


def test_ch8_rnn_learns_the_short_task(ch8):
    assert ch8["ch8_adding_table"]["rnn_T10"]["test_mse"][1] < 0.7 * ch8["ch8_baseline"]


def test_ch8_table_is_consistent(ch8):
    for key, row in ch8["ch8_adding_table"].items():
        G = {"rnn": 1, "lstm": 4, "gru": 3}[key.split("_")[0]]
        assert row["params"] == G * (32 * 2 + 32 * 32 + 2 * 32) + 33  # recurrent layer + linear read-out
        low, high = row["steps"]
        assert _bound(low) <= _bound(high) and row["test_mse"][0] <= row["test_mse"][1]
        assert (high is None) == (row["n_solved"] < row["n_seeds"])
    for row in ch8["ch8_live_adding"].values():
        assert row["ms_per_step"] > 0


def test_ch8_gated_cells_need_more_steps_at_longer_T(ch8):
    table, T = ch8["ch8_adding_table"], ch8["ch8_T_long"]
    for cell in ("lstm", "gru"):
        assert _bound(table[f"{cell}_T10"]["steps"][0]) < _bound(table[f"{cell}_T{T}"]["steps"][0])


def test_ch8_language_models_approach_the_floor(ch8):
    floor, lm = ch8["ch8_lm_floor"], ch8["ch8_lm_table"]
    assert abs(floor - ch8["ch8_entropy_rate"]) < 0.02  # a finite text's floor is near the expectation
    assert set(lm) == {"rnn", "lstm", "gru"}
    for row in lm.values():
        assert floor < row["test_loss"][0] <= row["test_loss"][1]  # no model beats the true grammar
    for cell in ("lstm", "gru"):  # the gated cells get close on every seed ...
        assert lm[cell]["test_loss"][1] < 1.05 * floor
        assert ch8["ch8_lm_gated_gap_max"] >= 100 * (lm[cell]["test_loss"][1] / floor - 1)
    # ... the RNN on its best seed, while one seed stalls far above (the text says so)
    assert lm["rnn"]["test_loss"][0] < 1.05 * floor < 1.1 * floor < lm["rnn"]["test_loss"][1]


def test_ch8_live_rerun_reproduces_the_stored_sweep(ch8):
    """Seed 0 re-trained while the page is built lands where the stored sweep says (same code, same seed)."""
    for key, row in ch8["ch8_live_adding"].items():
        if row["stored_steps"] is None:
            assert row["steps"] is None, key
        else:
            assert row["steps"] is not None and abs(row["steps"] - row["stored_steps"]) <= 0.15 * row["stored_steps"]
        assert row["test_mse"] == pytest.approx(row["stored_test_mse"], rel=0.5, abs=2e-3), key
    for cell, row in ch8["ch8_live_lm"].items():
        assert row["test_loss"] == pytest.approx(row["stored_test_loss"], abs=0.01), cell


def test_ch8_learning_rate_matters_more_than_the_cell(ch8):
    """The text's claim: across the grid each gated cell's median moves more than LSTM and GRU differ at their best."""
    for task in ("adding", "lm"):
        assert min(ch8["ch8_lr_effect"][task].values()) > ch8["ch8_cell_effect"][task], task


def test_ch8_verdict_follows_from_the_glued_ranges(ch8):
    """A cell wins a task only if its worst seed beats the other's best; otherwise: no clear winner."""
    ranges, T = ch8["ch8_ranges"], ch8["ch8_T_long"]
    table, lm = ch8["ch8_adding_table"], ch8["ch8_lm_table"]
    assert ranges["adding"] == {c: table[f"{c}_T{T}"]["steps"] for c in ("lstm", "gru")}
    assert ranges["lm"] == {c: lm[c]["test_loss"] for c in ("lstm", "gru")}
    expected = {}
    for task, r in ranges.items():
        (g_low, g_high), (l_low, l_high) = ([_bound(v) for v in r[c]] for c in ("gru", "lstm"))
        expected[task] = "gru" if g_high < l_low else "lstm" if l_high < g_low else None
    assert ch8["ch8_winners"] == expected
    text = ch8["ch8_verdict"]
    decided = {w for w in expected.values() if w}
    if not decided:
        assert text.startswith("No clear winner")
    elif len(decided) == 1:
        name = {"gru": "GRU", "lstm": "LSTM"}[decided.pop()]
        assert text.startswith(f"The {name} did better")
        assert ("no clear winner" in text) == (None in expected.values())
    else:
        assert text.startswith("Mixed")
