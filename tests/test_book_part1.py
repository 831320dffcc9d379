"""Claims of book part I (chapters 1-4), read from the values the executed chapters glued.

Run `make book` first (`make test` does): these tests read _build/jupyter_execute/book/<chapter>.ipynb,
so they check exactly the numbers a reader sees on the site.
"""

import pytest
from bookdata import ROOT, glued

from seqmodels import course_grammar


@pytest.fixture(scope="module")
def ch1():
    return glued("01_sequential_models")


@pytest.fixture(scope="module")
def ch2():
    return glued("02_rnn")


@pytest.fixture(scope="module")
def ch3():
    return glued("03_bptt")


@pytest.fixture(scope="module")
def ch4():
    return glued("04_char_lm")


# Chapter 1: AR(tau) forecasts and character n-grams.


def test_ch1_ar_error_grows_with_the_horizon_for_short_windows(ch1):
    horizons = ch1["ar_horizons"]
    for tau in ("1", "4", "8"):
        rmse = ch1["ar_rmse"][tau]
        first_four = rmse[: horizons.index(8) + 1]
        assert first_four == sorted(first_four), f"tau={tau}: RMSE not increasing over k = 1..8: {rmse}"
        assert rmse[horizons.index(16)] > 2 * rmse[0]
    assert ch1["ar_rmse_tau4_k16"] > 0.9 * ch1["ar_series_std"]  # "little more than the mean"


def test_ch1_longer_windows_predict_better(ch1):
    one_step = [ch1["ar_rmse"][tau][0] for tau in ("1", "4", "8", "16", "32")]
    assert one_step == sorted(one_step, reverse=True)
    assert ch1["ar_rmse_tau32_k16"] < 0.5 * ch1["ar_rmse_tau4_k16"]


def test_ch1_ar4_represents_the_noise_free_signal_exactly(ch1):
    """A sum of two sinusoids obeys an exact AR(4) recurrence: without noise, forecasts are right to round-off."""
    assert ch1["ar_clean_coeff_error"] < 1e-9
    assert ch1["ar_clean_rmse_tau4_k16"] < 1e-9 and ch1["ar_clean_rmse_tau4_k64"] < 1e-9


def test_ch1_noise_damps_ar4_whatever_the_amount_of_data(ch1):
    assert ch1["ar_noisy_root_tau4"] < 0.95  # roots inside the unit circle: fed-back forecasts decay
    assert ch1["ar_noisy_root_tau4_16steps"] == pytest.approx(ch1["ar_noisy_root_tau4"] ** 16)
    assert ch1["ar_noisy_100k_rmse_tau4_k16"] > 0.8 * ch1["ar_series_std"]  # 100x more data: still the mean
    assert ch1["ar_noisy_root_tau4"] < ch1["ar_noisy_root_tau32"] < 1.0  # a wider window averages the noise


def test_ch1_ngram_curve_falls_then_turns_up_and_stays_above_the_entropy_rate(ch1):
    ce, orders = ch1["ngram_ce"], ch1["ngram_orders"]
    assert ch1["entropy_rate"] == pytest.approx(course_grammar().entropy_rate())
    assert ce[:5] == sorted(ce[:5], reverse=True)
    best = ch1["ngram_best_order"]
    assert 5 < best < orders[-1] and ce[-1] > ch1["ngram_best_ce"]  # the curve turns up after the best order
    assert ch1["ngram_best_ce"] == min(ce) > ch1["entropy_rate"]
    assert ch1["ngram_gap_percent"] > 0


def test_ch1_short_contexts_cannot_tell_subject_from_object(ch1):
    p = ch1["p_bracket"]
    for n in ("5", "9"):
        assert p[n][0] == pytest.approx(p[n][1], abs=1e-12)
    subject, object_ = p["13"]
    assert subject > 0.1 and object_ < 0.01


# Chapter 2: the RNN.


def test_ch2_numpy_rnn_equals_torch(ch2):
    assert ch2["rnn_max_diff"] < 1e-12


def test_ch2_parameter_count_is_independent_of_length(ch2):
    assert ch2["n_params"] == ch2["n_params_formula"] == 32 * 10 + 32 * 32 + 2 * 32


def test_ch2_rnn_type_shapes(ch2):
    shapes = ch2["type_shapes"]
    assert shapes["one-to-one"]["logits"] == [2, 5]
    assert shapes["one-to-many"]["logits"] == [2, 6, 5]
    assert shapes["many-to-one"]["logits"] == [2, 5] and shapes["many-to-one"]["h_n"] == [1, 2, 16]
    assert shapes["seq2seq (delayed)"]["logits"] == [2, 6, 5]  # target length, not source length
    assert shapes["seq2seq (synchronous)"]["logits"] == [2, 12, 5]


# Chapter 3: BPTT, vanishing and exploding gradients, clipping, truncation.


def test_ch3_bptt_matches_autograd(ch3):
    assert ch3["bptt_max_diff"] < 1e-10


def test_ch3_gradient_vanishes_or_explodes_as_the_spectral_radius_says(ch3):
    norm = ch3["jacobian_final_norm"]
    assert norm["tanh_0.5"] < 1e-6 and norm["tanh_0.9"] < 1e-3  # tanh, rho < 1: vanishes
    assert norm["tanh_3.0"] > 1e3
    assert norm["relu_3.0"] > 1e3 and norm["relu_0.9"] < 1e-3  # relu: grows well above 1
    assert all(norm[f"sigmoid_{rho}"] < 1e-3 for rho in (0.5, 0.9, 1.5, 3.0))  # max sigmoid' = 1/4
    assert ch3["sigma_over_rho"] > 1


def test_ch3_relu_with_positive_weights_follows_rho(ch3):
    norms = ch3["relu_positive_norms"]
    assert norms["0.9"] < 1e-2 and norms["1.1"] > 10


def test_ch3_training_diverges_without_clipping_and_not_with_it(ch3):
    assert not ch3["clip_unclipped_finite"] and ch3["clip_unclipped_steps"] < 150
    assert ch3["clip_clipped_last"] < ch3["clip_clipped_first"]
    assert ch3["clip_clipped_last"] < 0.5  # finite and near the 1/6 of predicting the mean
    assert ch3["clip_clipped_last"] > 0.1  # ... and no lower: clipping keeps it stable, it does not learn the task


def test_ch3_truncation_shorter_than_the_dependency_cannot_learn_it(ch3):
    delay, accuracy = ch3["echo_delay"], ch3["echo_accuracy"]
    for k, acc in accuracy.items():
        if int(k) < delay:
            assert acc < 0.6, f"k={k} < delay={delay} should stay at chance"
        else:
            assert acc > 0.95, f"k={k} > delay={delay} should learn the echo"


# Chapter 4: the character-level language model.


def test_ch4_lm_reaches_the_entropy_rate_within_ten_percent_and_beats_every_ngram(ch4):
    loss, floor = ch4["lm_final_loss"], ch4["lm_entropy_rate"]
    assert floor == pytest.approx(course_grammar().entropy_rate())
    assert floor < loss <= 1.10 * floor
    assert loss < ch4["lm_best_ngram"]
    assert ch4["lm_gap_percent"] < 10


def test_ch4_ngram_baseline_is_the_one_of_chapter_1(ch1, ch4):
    assert ch4["lm_best_ngram"] == pytest.approx(ch1["ngram_best_ce"])
    assert ch4["lm_best_order"] == ch1["ngram_best_order"]


def test_ch4_validation_loss_falls(ch4):
    curve = ch4["lm_val_curve"]
    assert len(curve) >= 3 and curve[-1] < curve[0]


def test_ch4_cold_samples_respect_the_bracket_rule(ch4):
    assert ch4["sample_brackets_ok"]["0.5"]
    ce = ch4["sample_ce_under_model"]
    assert ce["0.5"] < ce["1.0"] < ce["1.5"]  # hotter samples are less likely under the model


def test_ch4_hidden_state_tracks_brackets(ch4):
    assert ch4["bracket_unit_corr"] > 0.5 > ch4["median_unit_corr"]
    assert ch4["probe_state_accuracy"] > ch4["probe_char_accuracy"] + 0.05


def test_part1_pages_and_figures_are_in_the_site():
    html = ROOT / "_build" / "html" / "book"
    for page in ("01_sequential_models", "02_rnn", "03_bptt", "04_char_lm"):
        text = (html / f"{page}.html").read_text(encoding="utf-8")
        assert "Learning objectives" in text and "Exercises" in text
    images = {p.name for p in (ROOT / "_build" / "html" / "_images").iterdir()}
    for figure in ("ch1_sequence_models.svg", "ch2_unrolled_rnn.svg", "ch2_rnn_types.svg"):
        assert figure in images
