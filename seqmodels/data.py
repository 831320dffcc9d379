"""Seeded, deterministic data for the course: time series, long-memory tasks and text.

Every generator takes a ``seed`` and returns the same arrays for the same arguments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


def ar_series(coeffs: list[float], n: int, noise: float = 0.1, seed: int = 0) -> NDArray[np.float64]:
    """A sample path of the AR(p) process ``x_t = sum_k coeffs[k] x_{t-1-k} + noise * eps_t``.

    ``eps_t`` is standard normal; the first ``p`` values are zero and a burn-in of ``10 p + 100``
    steps is discarded so the path starts near stationarity. Returns ``(n,)``.
    """
    rng = np.random.default_rng(seed)
    p = len(coeffs)
    burn_in = 10 * p + 100
    x = np.zeros(n + burn_in)
    eps = rng.standard_normal(n + burn_in)
    for t in range(p, n + burn_in):
        x[t] = np.dot(coeffs, x[t - p:t][::-1]) + noise * eps[t]
    return x[burn_in:]


def noisy_periodic(
    n: int, periods: tuple[float, ...] = (50.0, 13.0), noise: float = 0.2, seed: int = 0
) -> NDArray[np.float64]:
    """``sum_k sin(2 pi t / periods[k]) / (k + 1)`` plus Gaussian noise of std ``noise``. Returns ``(n,)``."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    signal = sum(np.sin(2 * np.pi * t / p) / (k + 1) for k, p in enumerate(periods))
    return signal + noise * rng.standard_normal(n)


def adding_problem(
    n_samples: int, T: int, seed: int = 0
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """The adding problem of Hochreiter & Schmidhuber (1997).

    Each input step carries two features: a value drawn uniformly from ``[0, 1)`` and a marker that
    is 1 at exactly two steps (one in each half of the sequence) and 0 elsewhere. The target is the
    sum of the two marked values. Predicting the constant 1 gives a mean squared error of 1/6, the
    trivial baseline. Returns ``x (n_samples, T, 2)`` and ``y (n_samples,)``, float32, batch-first.
    """
    if T < 2:
        raise ValueError(f"the adding problem needs T >= 2; got T={T}")
    rng = np.random.default_rng(seed)
    values = rng.random((n_samples, T))
    markers = np.zeros((n_samples, T))
    half = T // 2
    first = rng.integers(0, half, n_samples)
    second = rng.integers(half, T, n_samples)
    rows = np.arange(n_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)
    return x, y


def copy_task(
    n_samples: int, delay: int, length: int = 5, n_symbols: int = 8, seed: int = 0
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """The copy (memory) task: read ``length`` symbols, wait ``delay`` steps, then write them back.

    Tokens: ``0`` is blank, ``1 .. n_symbols`` are data, ``n_symbols + 1`` is the "go" marker placed
    at the last step before recall. The input is ``symbols, blanks (delay - 1), go, blanks (length)``;
    the target is blank everywhere except the last ``length`` steps, which repeat the symbols.
    A model that cannot remember scores the trivial cross-entropy ``log(n_symbols)`` on the recall
    steps. Returns ``x, y`` of shape ``(n_samples, length + delay + length)``, integer tokens.
    """
    if delay < 1:
        raise ValueError(f"delay must be >= 1; got {delay}")
    rng = np.random.default_rng(seed)
    T = length + delay + length
    symbols = rng.integers(1, n_symbols + 1, (n_samples, length))
    x = np.zeros((n_samples, T), dtype=np.int64)
    y = np.zeros((n_samples, T), dtype=np.int64)
    x[:, :length] = symbols
    x[:, length + delay - 1] = n_symbols + 1
    y[:, -length:] = symbols
    return x, y


@dataclass(frozen=True)
class Rule:
    """From the current state, emit ``word`` with probability ``prob`` and move to ``next_state``."""

    prob: float
    word: str
    next_state: str


class ProbabilisticGrammar:
    """A probabilistic regular grammar over characters, with a computable entropy rate.

    ``rules[state]`` lists the :class:`Rule` s leaving ``state``; their probabilities sum to 1 and
    their words are prefix-free, so the character stream determines the sequence of rules.
    Then the entropy rate of the character process, in nats per character, is

    .. math::
        h = \\frac{\\sum_s \\pi_s H(\\text{rules of } s)}{\\sum_s \\pi_s \\, \\mathbb{E}[\\text{len(word)} \\mid s]},

    where :math:`\\pi` is the stationary distribution of the state chain: rule entropy per step
    divided by characters per step. No model can have a lower expected cross-entropy per character.
    """

    def __init__(self, rules: dict[str, list[Rule]], start: str):
        for state, options in rules.items():
            total = sum(r.prob for r in options)
            if not np.isclose(total, 1.0):
                raise ValueError(f"probabilities leaving state {state!r} sum to {total}, not 1")
            words = [r.word for r in options]
            for a in words:
                for b in words:
                    if a is not b and b.startswith(a):
                        raise ValueError(f"state {state!r}: word {a!r} is a prefix of {b!r}")
        self.rules = rules
        self.start = start
        self.states = list(rules)

    def _transition_matrix(self) -> NDArray[np.float64]:
        index = {s: k for k, s in enumerate(self.states)}
        P = np.zeros((len(self.states), len(self.states)))
        for s, options in self.rules.items():
            for r in options:
                P[index[s], index[r.next_state]] += r.prob
        return P

    def stationary_distribution(self) -> NDArray[np.float64]:
        """``pi`` with ``pi P = pi``: the left eigenvector of the state transition matrix for eigenvalue 1."""
        eigvals, eigvecs = np.linalg.eig(self._transition_matrix().T)
        pi = np.real(eigvecs[:, np.argmin(np.abs(eigvals - 1.0))])
        return pi / pi.sum()

    def entropy_rate(self) -> float:
        """The entropy rate of the character stream in nats per character (see the class docstring)."""
        pi = self.stationary_distribution()
        rule_entropy = np.array([-sum(r.prob * np.log(r.prob) for r in self.rules[s]) for s in self.states])
        mean_length = np.array([sum(r.prob * len(r.word) for r in self.rules[s]) for s in self.states])
        return float(pi @ rule_entropy / (pi @ mean_length))

    def sample(self, n_chars: int, seed: int = 0) -> tuple[str, float]:
        """Generate at least ``n_chars`` characters from the start state, cut to exactly ``n_chars``.

        Returns the text and the average negative log-probability per character of the rules that
        produced it (a Monte Carlo estimate of :meth:`entropy_rate`).
        """
        rng = np.random.default_rng(seed)
        state, pieces, length, nll = self.start, [], 0, 0.0
        while length < n_chars:
            options = self.rules[state]
            k = rng.choice(len(options), p=[r.prob for r in options])
            rule = options[k]
            pieces.append(rule.word)
            length += len(rule.word)
            nll -= np.log(rule.prob)
            state = rule.next_state
        return "".join(pieces)[:n_chars], nll / length


def _choices(words: list[str], next_state: str, weights: list[float] | None = None, mass: float = 1.0) -> list[Rule]:
    """Rules to ``next_state`` sharing probability ``mass`` in proportion to ``weights`` (default equal)."""
    weights = weights or [1.0] * len(words)
    total = sum(weights)
    return [Rule(mass * w / total, word, next_state) for w, word in zip(weights, words, strict=True)]


NOUNS = ["cat ", "dog ", "bird ", "fox ", "child ", "robot "]
VERBS = ["sees ", "likes ", "chases ", "finds "]


def course_grammar() -> ProbabilisticGrammar:
    """The grammar behind the course corpus: short sentences with optional bracketed clauses.

    ``the cat ( that sleeps ) chases a fox . every robot likes the bird . ...`` A bracket opened
    after the subject must be closed before the verb, so a model has to remember whether it is
    inside one: a structure that an n-gram model with a short context cannot see.
    """
    rules = {
        "S": _choices(["the ", "a ", "every "], "SUBJ", [3, 2, 1]),
        "SUBJ": _choices(NOUNS, "AFTER_SUBJ"),
        "AFTER_SUBJ": [Rule(0.3, "( ", "REL")] + _choices(VERBS, "OBJ_DET", mass=0.7),
        "REL": _choices(["that ", "which "], "REL_VERB"),
        "REL_VERB": _choices(["sleeps ", "runs ", "sings "], "REL_ADV"),
        "REL_ADV": [Rule(0.5, ") ", "VERB"), Rule(0.5, "often ) ", "VERB")],
        "VERB": _choices(VERBS, "OBJ_DET"),
        "OBJ_DET": _choices(["the ", "a "], "OBJ"),
        "OBJ": _choices(NOUNS, "END"),
        "END": [Rule(0.75, ". ", "S"), Rule(0.25, ".\n", "S")],
    }
    return ProbabilisticGrammar(rules, start="S")


def course_corpus(n_chars: int = 100_000, seed: int = 0) -> str:
    """``n_chars`` characters of text from :func:`course_grammar`, deterministic in ``seed``."""
    text, _ = course_grammar().sample(n_chars, seed)
    return text


def load_text(path: str | Path, min_chars: int = 1_000) -> str:
    """Read a user-supplied UTF-8 text file to train on, with errors that say how to fix the input."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file; pass the path of a UTF-8 text file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(f"{path}: not UTF-8 ({err}); re-save it as UTF-8 text") from err
    if len(text) < min_chars:
        raise ValueError(f"{path}: only {len(text)} characters; a language model needs at least {min_chars}")
    return text
