"""n-gram character models and AR(tau): probabilities that sum to one, exact counts, recovered coefficients."""

import numpy as np
import pytest

from seqmodels import ar_series, course_corpus, course_grammar, noisy_periodic
from seqmodels.ngram import (
    NGramModel,
    ar_design,
    ar_forecast_errors,
    ar_root_moduli,
    fit_ar,
    sinusoid_ar_coefficients,
)


def test_distributions_sum_to_one_for_seen_and_unseen_contexts():
    model = NGramModel(4).fit("abracadabra " * 20)
    for context in ["", "ab", "abr", "zzz", "a c"]:
        for order in (1, 2, 4):
            assert sum(model.distribution(context, order).values()) == pytest.approx(1.0)


def test_probabilities_follow_the_discounted_counts():
    text = "abab" * 50 + "abc"  # after "b": "a" 100 times, "c" once
    model = NGramModel(2, discount=0.5).fit(text)
    unigram = model.prob("", "a", order=1)
    counts_a, counts_all = text.count("a"), len(text)
    assert unigram == pytest.approx((counts_a - 0.5 + 0.5 * 3 / 3) / counts_all)
    after_b = text[:-1].count("b")  # "b" followed by something
    expected = (100 - 0.5 + 0.5 * 2 * model.prob("", "a", order=1)) / after_b
    assert model.prob("xb", "a") == pytest.approx(expected)


def test_cross_entropy_falls_with_order_and_stays_above_the_entropy_rate():
    train, val = course_corpus(30_000, seed=0), course_corpus(5_000, seed=1)
    model = NGramModel(6).fit(train)
    ce = [model.cross_entropy(val, n) for n in range(1, 7)]
    assert all(a > b for a, b in zip(ce[:4], ce[1:5], strict=True))
    assert ce[0] == pytest.approx(2.78, abs=0.05)  # the unigram entropy of the corpus' characters
    assert min(ce) > course_grammar().entropy_rate()


def test_cross_entropy_by_order_is_the_mean_negative_log_probability():
    model = NGramModel(4).fit(course_corpus(5_000, seed=0))
    text = course_corpus(300, seed=2)
    for order, ce in enumerate(model.cross_entropy_by_order(text), start=1):
        nll = [-np.log(model.prob(text[max(0, t - order + 1):t], text[t], order)) for t in range(len(text))]
        assert ce == pytest.approx(np.mean(nll), rel=1e-12)
        assert model.cross_entropy(text, order) == ce


def test_errors_name_the_problem():
    model = NGramModel(3)
    with pytest.raises(RuntimeError, match="fit"):
        model.prob("a", "b")
    model.fit("hello world")
    with pytest.raises(ValueError, match="'z'"):
        model.cross_entropy("zoo")
    with pytest.raises(ValueError, match="order must be in 1..3"):
        model.prob("a", "b", order=4)


def test_ar_design_and_least_squares_recover_the_process():
    x = np.arange(6.0)
    X, y = ar_design(x, 2)
    np.testing.assert_array_equal(X, [[1, 0], [2, 1], [3, 2], [4, 3]])
    np.testing.assert_array_equal(y, [2, 3, 4, 5])
    series = ar_series([0.6, -0.3], 20_000, noise=0.5, seed=4)
    np.testing.assert_allclose(fit_ar(series, 2), [0.6, -0.3], atol=0.03)


def test_forecast_errors_feed_predictions_back():
    coeffs = np.array([0.5])
    x = np.array([1.0, 2.0, 4.0, 8.0])
    # one step: x_t - 0.5 x_{t-1}; two steps from origin 1: x_2 - 0.25 x_0
    np.testing.assert_allclose(ar_forecast_errors(x, coeffs, 1), [1.5, 3.0, 6.0])
    np.testing.assert_allclose(ar_forecast_errors(x, coeffs, 2), [4.0 - 0.25, 8.0 - 0.5])
    series = ar_series([0.6, -0.3], 5_000, noise=0.5, seed=1)
    rmse = [np.sqrt(np.mean(ar_forecast_errors(series, fit_ar(series, 2), k) ** 2)) for k in (1, 2, 5)]
    assert rmse[0] == pytest.approx(0.5, rel=0.05) and rmse[0] < rmse[1] < rmse[2]


@pytest.mark.parametrize("periods", [(50.0,), (50.0, 13.0), (7.0, 19.0, 31.0)])
def test_sum_of_sinusoids_obeys_its_exact_recurrence(periods):
    a = sinusoid_ar_coefficients(periods)
    assert a.shape == (2 * len(periods),)
    x = noisy_periodic(400, periods=periods, noise=0.0)
    X, y = ar_design(x, len(a))
    np.testing.assert_allclose(X @ a, y, atol=1e-9)  # x_t = sum_k a_k x_{t-k}, exactly
    np.testing.assert_allclose(ar_root_moduli(a), 1.0, atol=1e-6)  # undamped: every root on the unit circle
