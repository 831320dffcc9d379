"""The data generators are deterministic and have the properties their docstrings promise."""

import numpy as np
import pytest

from seqmodels import (
    ProbabilisticGrammar,
    Rule,
    adding_problem,
    ar_series,
    copy_task,
    course_corpus,
    course_grammar,
    load_text,
    noisy_periodic,
)

GENERATORS = {
    "ar": lambda seed: ar_series([0.6, -0.3], 500, seed=seed),
    "periodic": lambda seed: noisy_periodic(300, seed=seed),
    "adding": lambda seed: adding_problem(16, 30, seed=seed),
    "copy": lambda seed: copy_task(16, 10, seed=seed),
    "corpus": lambda seed: course_corpus(5_000, seed=seed),
}



@pytest.mark.parametrize("name", GENERATORS)
def test_generators_are_deterministic_and_seeded(name):
    make = GENERATORS[name]
    a, b, c = make(0), make(0), make(1)
    if isinstance(a, str):
        assert a == b and a != c
    else:
        a, b, c = (np.concatenate([np.ravel(v).astype(float) for v in (t if isinstance(t, tuple) else (t,))])
                   for t in (a, b, c))
        np.testing.assert_array_equal(a, b)
        assert not np.array_equal(a, c)


def test_ar_series_recovers_its_coefficients():
    x = ar_series([0.6, -0.3], 20_000, noise=0.5, seed=4)
    design = np.stack([x[1:-1], x[:-2]], axis=1)
    coeffs, *_ = np.linalg.lstsq(design, x[2:], rcond=None)
    np.testing.assert_allclose(coeffs, [0.6, -0.3], atol=0.03)


def test_adding_problem_targets_are_the_marked_sums():
    x, y = adding_problem(100, 50, seed=2)
    assert x.shape == (100, 50, 2) and y.shape == (100,)
    assert np.all(x[:, :, 1].sum(axis=1) == 2)
    assert np.all(x[:, :25, 1].sum(axis=1) == 1)  # one marker in each half
    np.testing.assert_allclose((x[:, :, 0] * x[:, :, 1]).sum(axis=1), y, rtol=1e-6)


def test_copy_task_layout():
    x, y = copy_task(4, delay=6, length=3, n_symbols=5, seed=1)
    assert x.shape == y.shape == (4, 12)
    np.testing.assert_array_equal(y[:, -3:], x[:, :3])
    assert np.all(x[:, 3 + 6 - 1] == 6) and np.all(y[:, :-3] == 0)
    assert x[:, :3].min() >= 1 and x[:, :3].max() <= 5


def test_grammar_entropy_rate_matches_monte_carlo():
    grammar = course_grammar()
    _, nll_per_char = grammar.sample(300_000, seed=5)
    assert abs(nll_per_char - grammar.entropy_rate()) < 0.01 * grammar.entropy_rate()


def test_entropy_rate_of_a_coin():
    fair_coin = ProbabilisticGrammar({"s": [Rule(0.5, "a", "s"), Rule(0.5, "b", "s")]}, start="s")
    assert fair_coin.entropy_rate() == pytest.approx(np.log(2))


@pytest.mark.parametrize("rules, message", [
    ({"s": [Rule(0.5, "a", "s"), Rule(0.4, "b", "s")]}, "sum to"),
    ({"s": [Rule(0.5, "a", "s"), Rule(0.5, "ab", "s")]}, "prefix"),
])
def test_grammar_rejects_bad_rules(rules, message):
    with pytest.raises(ValueError, match=message):
        ProbabilisticGrammar(rules, start="s")


def test_corpus_has_balanced_brackets():
    text = course_corpus(20_000, seed=3)
    depth = np.cumsum([{"(": 1, ")": -1}.get(ch, 0) for ch in text])
    assert depth.min() >= 0 and depth.max() == 1 and "(" in text


def test_load_text_errors_name_the_file_and_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        load_text(tmp_path / "missing.txt")
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("café ".encode("latin-1") * 500)
    with pytest.raises(ValueError, match="re-save it as UTF-8"):
        load_text(latin1)
    short = tmp_path / "short.txt"
    short.write_text("hello")
    with pytest.raises(ValueError, match="at least"):
        load_text(short)
    good = tmp_path / "good.txt"
    good.write_text("안녕 " * 400, encoding="utf-8")
    assert load_text(good).startswith("안녕")
