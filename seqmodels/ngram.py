"""Character n-gram (Markov) models with interpolated absolute discounting, and AR(tau) by least squares.

An n-gram model assumes ``p(x_t | x_<t) = p(x_t | x_{t-n+1} .. x_{t-1})``: the next character depends
on the last ``n - 1`` characters only (a Markov chain of order ``n - 1``). Counts give the maximum
likelihood estimate; *interpolated absolute discounting* (Ney, Essen & Kneser 1994) takes a discount
``D`` off every seen count and gives the freed mass to the (n-1)-gram estimate, so unseen contexts and
characters never get probability 0:

.. math::
    p_n(w \\mid c) = \\frac{\\max(N(c w) - D, 0)}{N(c \\cdot)} + \\frac{D \\, N_{1+}(c \\cdot)}{N(c \\cdot)}
    \\, p_{n-1}(w \\mid c'),

where ``c'`` is ``c`` without its first character, ``N(c .)`` counts ``c`` followed by anything and
``N_{1+}(c .)`` counts the distinct characters seen after ``c``. The recursion ends in the uniform
distribution over the vocabulary.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import numpy as np
from numpy.typing import NDArray


class NGramModel:
    """Character n-gram models of every order ``1 .. max_order``, fitted on one text.

    ``order = n`` conditions on the last ``n - 1`` characters; ``order = 1`` is the unigram model.
    """

    def __init__(self, max_order: int, discount: float = 0.75):
        if max_order < 1:
            raise ValueError(f"max_order must be >= 1; got {max_order}")
        if not 0 < discount < 1:
            raise ValueError(f"discount must lie in (0, 1); got {discount}")
        self.max_order = max_order
        self.discount = discount
        self.vocab: list[str] = []
        # counts[k][context][w] = N(context w) with len(context) = k
        self.counts: list[dict[str, Counter]] = []

    def fit(self, text: str) -> NGramModel:
        """Count every k-gram of ``text`` for ``k <= max_order``. Returns ``self``."""
        if len(text) < self.max_order:
            raise ValueError(f"text of {len(text)} characters is shorter than max_order={self.max_order}")
        self.vocab = sorted(set(text))
        self.counts = []
        for k in range(self.max_order):
            table: dict[str, Counter] = defaultdict(Counter)
            for i in range(k, len(text)):
                table[text[i - k:i]][text[i]] += 1
            self.counts.append(dict(table))
        self._totals = [{c: sum(f.values()) for c, f in table.items()} for table in self.counts]
        return self

    def _probs_by_order(self, context: str, w: str, order: int) -> list[float]:
        """``[p_1(w | c), .., p_order(w | c)]``: the interpolation recursion, one entry per order.

        An order whose context is unseen (or longer than ``context``) keeps the previous order's estimate.
        """
        p, probs = 1.0 / len(self.vocab), []
        for k in range(order):
            c = context[len(context) - k:]
            following = self.counts[k].get(c) if k <= len(context) else None
            if following is None:
                return probs + [p] * (order - len(probs))
            discounted = max(following.get(w, 0) - self.discount, 0.0)
            p = (discounted + self.discount * len(following) * p) / self._totals[k][c]
            probs.append(p)
        return probs

    def prob(self, context: str, w: str, order: int | None = None) -> float:
        """``p(w | context)`` under the model of order ``order`` (default ``max_order``); uses the last
        ``order - 1`` characters of ``context``."""
        order = self._check_order(order)
        return self._probs_by_order(context[max(0, len(context) - order + 1):], w, order)[-1]

    def distribution(self, context: str, order: int | None = None) -> dict[str, float]:
        """``{w: p(w | context)}`` over the vocabulary; the values sum to 1."""
        return {w: self.prob(context, w, order) for w in self.vocab}

    def cross_entropy(self, text: str, order: int | None = None) -> float:
        """Average ``-log p(x_t | x_<t)`` over ``text`` in nats per character (the first character is
        predicted from an empty context)."""
        order = self._check_order(order)
        return self.cross_entropy_by_order(text)[order - 1]

    def cross_entropy_by_order(self, text: str) -> list[float]:
        """:meth:`cross_entropy` of ``text`` for every order ``1 .. max_order``, in one pass (the recursion
        computes all orders on its way to the highest)."""
        self._check_order(None)
        unknown = sorted(set(text) - set(self.vocab))
        if unknown:
            raise ValueError(f"characters {unknown!r} never occur in the training text; fit on a text that has them")
        nll = np.zeros(self.max_order)
        for t, w in enumerate(text):
            nll -= np.log(self._probs_by_order(text[max(0, t - self.max_order + 1):t], w, self.max_order))
        return [float(v) for v in nll / len(text)]

    def _check_order(self, order: int | None) -> int:
        if not self.counts:
            raise RuntimeError("the model has no counts yet: call fit(text) first")
        order = self.max_order if order is None else order
        if not 1 <= order <= self.max_order:
            raise ValueError(f"order must be in 1..{self.max_order}; got {order}")
        return order


def ar_design(x: NDArray[np.float64], tau: int) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Lagged inputs for AR(tau): rows ``[x_{t-1}, .., x_{t-tau}]`` and targets ``x_t`` for ``t = tau .. n-1``.

    Returns ``X (n - tau, tau)`` and ``y (n - tau,)``.
    """
    n = len(x)
    if not 1 <= tau < n:
        raise ValueError(f"tau must be in 1..{n - 1} for a series of length {n}; got {tau}")
    X = np.stack([x[tau - k:n - k] for k in range(1, tau + 1)], axis=1)
    return X, x[tau:]


def fit_ar(x: NDArray[np.float64], tau: int) -> NDArray[np.float64]:
    """Least-squares coefficients ``a (tau,)`` of ``x_t ~ sum_k a_k x_{t-k}``."""
    X, y = ar_design(x, tau)
    coeffs, *_ = np.linalg.lstsq(X, y, rcond=None)
    return coeffs


def ar_forecast_errors(x: NDArray[np.float64], coeffs: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """Errors of the k-step-ahead forecasts of AR(tau) with ``coeffs`` over the series ``x``.

    From each origin ``t`` the model predicts ``x_{t+1}``, feeds that prediction back as if it were
    data, and so on ``k`` times (``k = 1`` is the one-step-ahead forecast, always fed true values).
    Returns ``x_{t+k} - prediction`` for every origin with ``tau`` past values, shape ``(n - tau - k + 1,)``.
    """
    tau = len(coeffs)
    n = len(x)
    if k < 1 or n - tau - k + 1 < 1:
        raise ValueError(f"k must be in 1..{n - tau}; got {k}")
    origins = np.arange(tau, n - k + 1)  # first predicted index of each run
    window = np.stack([x[origins - j] for j in range(1, tau + 1)], axis=1)  # (origins, tau), newest first
    for _ in range(k):
        prediction = window @ coeffs
        window = np.concatenate([prediction[:, None], window[:, :-1]], axis=1)
    return x[origins + k - 1] - prediction


def sinusoid_ar_coefficients(periods: tuple[float, ...]) -> NDArray[np.float64]:
    """The exact AR coefficients ``a (2 K,)`` of any sum of ``K`` sinusoids with these ``periods`` (no offset).

    A sinusoid of angular frequency ``w`` obeys ``s_t = 2 cos(w) s_{t-1} - s_{t-2}``: its characteristic
    polynomial is ``z^2 - 2 cos(w) z + 1``. A sum of sinusoids obeys the recurrence whose polynomial is
    the product of theirs, ``z^{2K} - a_1 z^{2K-1} - ... - a_{2K}``, whatever the amplitudes and phases.
    So ``x_t = sum_k a_k x_{t-k}`` holds exactly, with ``2 K`` lags.
    """
    polynomial = np.array([1.0])
    for period in periods:
        polynomial = np.convolve(polynomial, [1.0, -2.0 * np.cos(2.0 * np.pi / period), 1.0])
    return -polynomial[1:]


def ar_root_moduli(coeffs: NDArray[np.float64]) -> NDArray[np.float64]:
    """Moduli of the roots of ``z^tau - a_1 z^{tau-1} - ... - a_tau``, largest first, shape ``(tau,)``.

    Fed its own forecasts, AR(tau) behaves like a sum of ``r^k`` terms over these roots ``r``: roots of
    modulus 1 keep an oscillation going for ever, roots inside the unit circle make it decay as ``|r|^k``.
    """
    return np.sort(np.abs(np.roots(np.concatenate([[1.0], -np.asarray(coeffs)]))))[::-1]
