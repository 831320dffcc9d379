"""Claims of the chapters deepened in issue 13 (4, 5, 7 and the new chapter 9), read from the values
the executed chapters glued.

Run `make book` first (`make test` does): these tests read _build/jupyter_execute/book/<chapter>.ipynb
(or the folder named by BOOK_EXECUTED), so they check exactly the numbers a reader sees on the site.
"""

import pytest
from bookdata import glued


@pytest.fixture(scope="module")
def ch9():
    return glued("09_seq2seq_attention")


# Chapter 9: encoder-decoder and attention.

def test_ch9_masked_loss_ignores_padding(ch9):
    assert ch9["ch9_mask_max_diff"] < 1e-5


def test_ch9_attention_beats_no_attention_on_the_longest_strings_for_every_seed(ch9):
    table, longest = ch9["ch9_table"], ch9["ch9_max_len"]
    assert len(ch9["ch9_seeds"]) >= 3
    plain_lo, plain_hi = table[longest]["no attention"]
    attn_lo, attn_hi = table[longest]["attention"]
    assert attn_lo > plain_hi + 0.5  # the worst attention seed beats the best seed without attention
    assert plain_hi < 0.1 and attn_lo > 0.8
    for m in range(longest - 3, longest + 1):  # and at each of the four longest lengths
        assert table[m]["attention"][0] > table[m]["no attention"][1]


def test_ch9_without_attention_accuracy_falls_with_length(ch9):
    table = ch9["ch9_table"]
    lengths = sorted(table)
    means = [sum(table[m]["no attention"]) / 2 for m in lengths]
    assert means[0] > 0.9 and means[-1] < 0.1
    assert ch9["ch9_plain_acc_len4_min"] > 0.8  # short strings do fit through the bottleneck
    assert all(a >= b - 0.05 for a, b in zip(means, means[1:], strict=False))  # non-increasing, up to noise


def test_ch9_text_numbers_match_the_table(ch9):
    table, longest = ch9["ch9_table"], ch9["ch9_max_len"]
    assert ch9["ch9_plain_acc_max_len_max"] == table[longest]["no attention"][1]
    assert ch9["ch9_attn_acc_max_len_min"] == table[longest]["attention"][0]
    assert ch9["ch9_n_seeds"] == len(ch9["ch9_seeds"])


def test_ch9_beam_search_is_at_least_as_likely_as_greedy(ch9):
    assert ch9["ch9_beam1_equals_greedy"] is True
    assert ch9["ch9_beam_lp_gain_min"] > -1e-4  # never less likely, up to float32 rounding
    assert ch9["ch9_beam_lp_gain_mean"] > 0
    assert 0 < ch9["ch9_beam_higher_share"] <= 1
    assert ch9["ch9_beam_rescored_diff"] < 1e-4  # the beam's scores are the model's log-probabilities


def test_ch9_attention_weights_are_a_distribution(ch9):
    assert ch9["ch9_toy_weight_sums"] == pytest.approx([1.0, 1.0])
    assert ch9["ch9_toy_padded_weight"] == 0.0
    assert ch9["ch9_map_row_sums"] == pytest.approx([1.0] * len(ch9["ch9_map_row_sums"]), abs=1e-5)


def test_ch9_attention_map_is_the_anti_diagonal(ch9):
    assert ch9["ch9_map_correct"] is True
    offsets = ch9["ch9_map_offsets"]
    assert len(offsets) == ch9["ch9_max_len"]
    assert ch9["ch9_map_rows_in_band"] == sum(abs(o) <= 1 for o in offsets) >= len(offsets) - 1
    assert ch9["ch9_map_rows_exact"] == sum(o == 0 for o in offsets)
    assert ch9["ch9_map_band_weight"] > 0.6  # most of each row's weight within one position of the letter


def test_ch9_attention_parameters(ch9):
    H = 64
    assert ch9["ch9_attention_extra_params"] == 2 * H * H + H  # W, U (H x H) and v (H)


def test_ch9_positions_read_last_come_out_best(ch9):
    acc = ch9["ch9_ex_position_acc_values"]
    assert acc[0] == max(acc) and acc[0] > acc[len(acc) // 2] + 0.2 and acc[0] > acc[-1] + 0.2


def test_ch9_runs_within_budget(ch9):
    assert ch9["ch9_seconds"] < 90


# Chapter 5: the LSTM, deepened (gate limits, trained gates, backward step).

@pytest.fixture(scope="module")
def ch5():
    return glued("05_lstm")


def test_ch5_gate_limits(ch5):
    assert ch5["ch5_limit_memory_drift"] < 1e-5  # f -> 1, i -> 0: c_50 = c_0
    assert ch5["ch5_limit_slate_vs_g"] < 1e-6  # f -> 0, i -> 1: c_1 = g_1
    assert max(abs(v) for v in ch5["ch5_limit_slate_c1"]) < 1  # ... which lies in (-1, 1), unlike c_0
    assert ch5["ch5_limit_hidden_h"] < 1e-6 and ch5["ch5_limit_hidden_drift"] < 1e-5  # o -> 0: kept but hidden


def test_ch5_trained_gates_are_the_models(ch5):
    assert ch5["ch5_gates_trace_vs_torch"] < 1e-4  # NumPy trace of the trained torch.nn.LSTM
    assert ch5["ch5_gates_lm_loss"] < 0.33  # a trained model: within 15% of the entropy rate 0.288


def test_ch5_a_unit_keeps_the_bracket_and_its_gates_move_at_brackets(ch5):
    assert ch5["ch5_gates_unit_corr"] > 0.4
    gates, most = ch5["ch5_gates_at_unit"], ch5["ch5_gates_most_moved"]
    moves = {k: max(abs(v["("] - v["space"]), abs(v[")"] - v["space"])) for k, v in gates.items()}
    assert most == max(moves, key=moves.get) and ch5["ch5_gates_most_moved_by"] == pytest.approx(moves[most])
    assert moves[most] > 0.2
    assert ch5["ch5_gates_most_moved_name"] == {"i": "input", "f": "forget", "o": "output"}[most]
    direction = "opens" if ch5["ch5_gates_most_moved_bracket"] > ch5["ch5_gates_most_moved_space"] else "closes"
    assert ch5["ch5_gates_most_moved_direction"] == direction
    layer = ch5["ch5_gates_layer_moves"]
    assert [ch5[f"ch5_gates_layer_moves_{k}"] for k in "ifo"] == [layer[k] for k in "ifo"]
    assert sum(layer.values()) >= 3


def test_ch5_backward_step_equals_autograd(ch5):
    assert ch5["ch5_backward_max_diff"] < 1e-10


# Chapter 7: deep and bidirectional RNNs as ideas; the corrected rules about view and proj_size.

@pytest.fixture(scope="module")
def ch7():
    return glued("07_pytorch_api")


def test_ch7_view_after_transpose_fails_only_when_merging(ch7):
    attempts = ch7["ch7_view_attempts"]
    for label, outcome in attempts.items():
        assert outcome == ("fails" if label.startswith("merge") else "works"), label
    assert any(label.startswith("split") for label in attempts)


def test_ch7_proj_size_changes_h_n_but_not_c_n(ch7):
    shapes = ch7["ch7_proj_shapes"]  # L = 2, D = 2, N = 3, T = 5, H = 6, P = 3, batch_first
    assert shapes == {"output": [3, 5, 2 * 3], "h_n": [4, 3, 3], "c_n": [4, 3, 6]}


def test_ch7_bidirectional_language_model_reads_the_answer(ch7):
    floor = ch7["ch7_lm_entropy_rate"]
    assert ch7["ch7_lm_forward_loss"] > floor  # an honest model stays above the entropy rate
    assert ch7["ch7_lm_bidirectional_loss"] < 0.25 * floor  # the bidirectional one is far below it: it cheats


def test_ch7_bidirectional_tagger_wins_on_every_seed(ch7):
    r = ch7["ch7_tag_results"]
    bi_lo = r["bidirectional"]["all"][0]
    assert bi_lo > 0.99
    for one_way in ("forward", "backward"):
        assert bi_lo > r[one_way]["all"][1] + 0.03  # worst bidirectional seed beats the best one-way seed
    # each one-way tagger is at chance on the token whose answer it has not read, right on the other
    assert r["forward"][">"][1] < 0.6 and r["forward"]["<"][0] > 0.98
    assert r["backward"]["<"][1] < 0.6 and r["backward"][">"][0] > 0.98
    assert r["bidirectional"][">"][0] > 0.98 and r["bidirectional"]["<"][0] > 0.98
    assert ch7["ch7_tag_forward_right_hi"] == r["forward"][">"][1]


# Chapter 4: the embedding and the corrected sampling claim.

@pytest.fixture(scope="module")
def ch4():
    return glued("04_char_lm")


def test_ch4_embedding_is_one_hot_times_a_matrix(ch4):
    assert ch4["ch4_embedding_diff"] < 1e-6
    assert ch4["ch4_lm_embedding_diff"] < 1e-5  # the trained W_xh used as an embedding table


def test_ch4_sample_statistics_match_the_bracket_check(ch4):
    ok = ch4["sample_brackets_ok"]
    for t, key in [("0.5", "t05"), ("1.0", "t10"), ("1.5", "t15")]:
        assert 0 <= ch4[f"sample_bad_sentences_{key}"] <= ch4[f"sample_sentences_{key}"]
        if ok[t]:  # a well-formed text has no broken sentence
            assert ch4[f"sample_bad_sentences_{key}"] == 0
    assert ch4["sample_bad_sentences_t05"] == 0 and ch4["sample_nonwords_t05"] == 0
    # the text says tau = 1 is close to the corpus but not equal to it, and tau = 1.5 is worse
    assert ch4["sample_bad_sentences_t10"] + ch4["sample_nonwords_t10"] > 0 or not ok["1.0"]
    assert ch4["sample_nonwords_t15"] > ch4["sample_nonwords_t10"]
    assert ch4["sample_bad_sentences_t15"] >= ch4["sample_bad_sentences_t10"]
