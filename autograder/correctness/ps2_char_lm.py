"""The checks of ps2_char_lm: one-hot, softmax cross-entropy, sampling (NumPy) and the trained model."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from autograder.correctness.cases import Call, Case, Check, array_judge
from autograder.correctness.policy import Rule
from autograder.messages import t

# ---------------------------------------------------------------- ps2_char_lm

CHAR_LM_THRESHOLD = 0.6  # nats/char on held-out text; the grammar's entropy rate is 0.29, unigrams give 2.78
HELD_OUT = 2000  # characters of new text, a fresh one per run
PREDICTIONS = 600  # positions of it where the model predicts the next character (see prediction_positions)
# The model is shown at most PREFIX characters before a position. The grammar starts afresh after every sentence
# end, and a sentence with its ". " has at most 53 characters: 64 hold all the text the next character depends
# on (trained models' losses with and without the cap agree to 1e-5 nats/char, measured).
PREFIX = 64
MEMORY_DISTANCE = 64  # changes this many steps back must still reach the last prediction (memory)
MEMORY_BEGINNINGS = 4  # different beginnings, of MEMORY_DISTANCE // 2 characters, before the repetitions
LOGIT_RESOLUTION = 1e-3  # a logit change up to this is rounding; a larger one is a dependence


def one_hot_case(indices: np.ndarray, V: int, label: str) -> Case:
    """One call of ``one_hot``, expected from ``torch.nn.functional.one_hot`` as float64."""
    import torch

    expected = torch.nn.functional.one_hot(torch.from_numpy(indices), V).double().numpy()
    return Case(Call("one_hot", (indices, V)), expected, f"{label} indices of shape {indices.shape}, V={V}")


def one_hot_visible_cases(rng: np.random.Generator) -> list[Case]:
    """The notebook's visible case, plus indices of the same shape drawn from ``rng``."""
    return [one_hot_case(np.array([0, 2, 1]), 4, "visible"), one_hot_case(rng.integers(0, 4, 3), 4, "fresh")]


def one_hot_cases(rng: np.random.Generator) -> list[Case]:
    """The hidden grid: size-1 dimensions, a realistic vocabulary, 2-D indices."""
    return [one_hot_case(rng.integers(0, V, shape), V, "hidden")
            for shape, V in [((1,), 1), ((5,), 27), ((2, 7), 5), ((4, 1), 3)]]


def cross_entropy_cases(rng: np.random.Generator, visible: bool = False) -> list[Case]:
    """Mean cross-entropy of softmax(logits) and its gradient, by ``torch.nn.functional.cross_entropy``.

    ``visible``: the notebook's visible case plus one of its sizes drawn from ``rng``; else the hidden grid.
    """
    import torch

    if visible:
        grid = [(np.array([[1.0, 2.0, 0.5], [0.0, -1.0, 3.0]]), np.array([1, 2]), "visible N=2 V=3"),
                (rng.standard_normal((2, 3)), rng.integers(0, 3, 2), "fresh values, visible sizes N=2 V=3")]
    else:
        grid = []
        for N, V, scale in [(1, 2, 1.0), (4, 27, 3.0), (6, 5, 1.0), (3, 4, 1000.0)]:
            label = f"N={N} V={V}" + (" large logits (a stable softmax subtracts the row max)" if scale > 100 else "")
            grid.append((rng.standard_normal((N, V)) * scale, rng.integers(0, V, N), label))
    cases = []
    for logits, targets, label in grid:
        logits_t = torch.from_numpy(logits).requires_grad_()
        loss = torch.nn.functional.cross_entropy(logits_t, torch.from_numpy(targets))
        loss.backward()
        expected = (np.array(loss.item()), logits_t.grad.numpy())
        cases.append(Case(Call("softmax_cross_entropy", (logits, targets)), expected, label))
    return cases


def temperature_cases(rng: np.random.Generator) -> list[Case]:
    import torch

    cases = []
    for V, temperature, scale in [(5, 1.0, 1.0), (27, 0.5, 2.0), (8, 2.0, 2.0), (4, 0.1, 50.0)]:
        logits = rng.standard_normal(V) * scale
        expected = torch.softmax(torch.from_numpy(logits) / temperature, dim=-1).numpy()
        cases.append(Case(Call("softmax_with_temperature", (logits, temperature)), expected,
                          f"V={V} temperature={temperature}"))
    return cases


def sample_cases(rng: np.random.Generator) -> list[Case]:
    """Draw counts from the student's ``sample``; the expected value is the distribution to compare with."""
    import torch

    cases = []
    for V, temperature in [(4, 1.0), (6, 0.5), (5, 2.0)]:
        logits = rng.standard_normal(V)
        probs = torch.softmax(torch.from_numpy(logits) / temperature, dim=-1).numpy()
        cases.append(Case(Call("probe:sample_counts", (logits, temperature, 4000, int(rng.integers(2**31)))), probs,
                          f"V={V} temperature={temperature}, 4000 draws"))
    return cases


def judge_sample_counts(case: Case, result: object) -> str | None:
    probs, n = case.expected, case.call.args[2]
    counts = np.asarray(result)
    if (counts.shape != probs.shape or counts.dtype.kind not in "iu" or (counts < 0).any()
            or int(counts.sum()) != n):
        return t("sample.cannot_count", label=case.label, n=n, dtype=counts.dtype, shape=counts.shape)
    tolerance = 5 * np.sqrt(n * probs * (1 - probs)) + 2  # five standard deviations
    bad = np.abs(counts - n * probs) > tolerance
    if not bad.any():
        return None
    return t("sample.wrong", label=case.label, got=np.round(counts / n, 3).tolist(),
             expected=np.round(probs, 3).tolist())


def course_vocab() -> list[str]:
    """The notebook's ``vocab``, as its setup cell builds it: a character's id is its index here."""
    from seqmodels import course_corpus

    return sorted(set(course_corpus(20_000, seed=0)))


def prediction_positions(text: str, k: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` distinct positions ``p`` in ``1 .. len(text) - 1``, increasing: where ``text[p]`` is predicted.

    Proportional stratified sampling: word starts (``text[p - 1]`` a space or a newline, where the grammar
    chooses the next word and most of the loss is) make up the same share of the positions as of the text,
    so the mean loss over them estimates the whole text's with about half the variance of a simple random
    sample. Increasing, because the calls are made in this order: no prefix shown before the prediction at
    ``p`` reaches ``text[p]``.
    """
    positions = np.arange(1, len(text))
    at_word_start = np.array([text[p - 1] in " \n" for p in positions])
    k_start = round(k * at_word_start.mean())
    chosen = (rng.choice(positions[at_word_start], k_start, replace=False),
              rng.choice(positions[~at_word_start], k - k_start, replace=False))
    return np.sort(np.concatenate(chosen))


def prediction_cases(text: str, vocab: list[str], rng: np.random.Generator) -> list[Case]:
    """At :data:`PREDICTIONS` positions ``p`` of ``text``: the logits after ``text[p - PREFIX:p]`` (as ids
    ``(T,)``, ``T <= PREFIX``), where the true next id ``text[p]`` is expected."""
    ids = np.array([vocab.index(ch) for ch in text], dtype=np.int64)
    return [Case(Call("probe:char_lm_next", (ids[max(0, p - PREFIX):p],)), int(ids[p]),
                 f"predict character {p} of {len(text)} of new text")
            for p in prediction_positions(text, PREDICTIONS, rng)]


def memory_cases(text: str, vocab: list[str]) -> list[Case]:
    """For every character ``c`` of ``vocab``: :data:`MEMORY_BEGINNINGS` beginnings of ``MEMORY_DISTANCE // 2``
    characters cut from ``text``, each followed by ``MEMORY_DISTANCE`` repetitions of ``c`` (ids ``(3 *
    MEMORY_DISTANCE // 2,)``). Nothing is expected of one case: the judge compares the logits after sequences
    that end alike.

    A repeated character keeps a trained recurrent state away from the resets it learned at sentence ends, so
    the beginning stays visible (which character does it differs between models); a fixed window of fewer
    than ``MEMORY_DISTANCE`` characters sees the same input after every beginning.
    """
    half = MEMORY_DISTANCE // 2
    beginnings = [[vocab.index(ch) for ch in text[i * half:(i + 1) * half]] for i in range(MEMORY_BEGINNINGS)]
    return [Case(Call("probe:char_lm_next", (np.array(start + [c] * MEMORY_DISTANCE, dtype=np.int64),)), None,
                 f"memory: beginning {i + 1}, then {MEMORY_DISTANCE} times {vocab[c]!r}")
            for c in range(len(vocab)) for i, start in enumerate(beginnings)]


def char_lm_cases(rng: np.random.Generator) -> list[Case]:
    """The notebook's ``vocab``, then the model's next-character logits at positions of new text, then after
    the memory sequences: one call each, made one at a time.

    Every number is decided in the grader's process: the student's process only answers each prefix with
    logits, and the loss is computed from them here. The calls of a test cell are sent one at a time, each
    after the answer to the one before, so no answer can depend on a later prefix: the character to predict
    is never in the process before its prediction is in. Causality holds by construction, and is no longer
    measured; a model that reads ahead only sees the prefix's own last characters.
    """
    from seqmodels import course_corpus

    vocab = course_vocab()
    held_out = course_corpus(HELD_OUT, seed=int(rng.integers(1, 2**31)))
    beginnings = course_corpus(MEMORY_BEGINNINGS * MEMORY_DISTANCE // 2, seed=int(rng.integers(1, 2**31)))
    return [Case(Call("probe:value", ("vocab",)), vocab, "the notebook's vocab"),
            *prediction_cases(held_out, vocab, rng), *memory_cases(beginnings, vocab)]


def held_out_loss(cases: list[Case], logits: np.ndarray) -> float:
    """The mean cross-entropy (nats/char) of the predictions among ``cases`` (those that expect a next id);
    ``logits (len(cases), V)``: the answer to each case."""
    rows = [k for k, case in enumerate(cases) if case.expected is not None]
    targets = np.array([cases[k].expected for k in rows])
    shifted = logits[rows] - logits[rows].max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_p[np.arange(len(rows)), targets].mean())


def memory_change(cases: list[Case], logits: np.ndarray) -> float:
    """The largest difference of a logit between the answers to memory cases (those that expect nothing) whose
    sequences end in the same ``MEMORY_DISTANCE`` ids; ``logits (len(cases), V)``: the answer to each case."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    for k, case in enumerate(cases):
        if case.expected is None:
            groups[tuple(case.call.args[0][-MEMORY_DISTANCE:])].append(k)
    return max(float(np.ptp(logits[rows], axis=0).max()) for rows in groups.values())


def _logits_problem(case: Case, result: object, V: int) -> str | None:
    """What is wrong with ``result`` as the ``(V,)`` logits the probe returns, or ``None``."""
    logits = np.asarray(result) if isinstance(result, np.ndarray | list | tuple) else None
    if logits is None or logits.dtype.kind not in "iuf" or logits.shape != (V,):
        got = (t("model.got_shape", shape=logits.shape) if logits is not None
               else t("model.got_type", type=type(result).__name__))
        return t("model.logits", label=case.label, V=V, got=got)
    if not np.all(np.isfinite(logits)):
        return t("model.not_finite", label=case.label)
    return None


def judge_char_lm(cases: list[Case], results: list[object]) -> str | None:
    """The notebook's ``vocab``, then the held-out loss of the predictions, then memory beyond a window."""
    (vocab_case, *model_cases), (vocab, *outputs) = cases, results
    expected_vocab = vocab_case.expected
    if not isinstance(vocab, list | tuple | str) or list(vocab) != expected_vocab:
        return t("model.vocab", expected=repr("".join(expected_vocab)), count=len(expected_vocab),
                 vocab=f"{vocab!r:.200}")
    for case, result in zip(model_cases, outputs, strict=True):
        problem = _logits_problem(case, result, len(expected_vocab))
        if problem:
            return problem
    logits = np.array(outputs, dtype=np.float64)
    loss = held_out_loss(model_cases, logits)
    if loss > CHAR_LM_THRESHOLD:
        predictions = sum(case.expected is not None for case in model_cases)
        return t("model.loss", loss=loss, predictions=predictions, threshold=CHAR_LM_THRESHOLD)
    change = memory_change(model_cases, logits)
    if change <= LOGIT_RESOLUTION:
        return t("model.memory", distance=MEMORY_DISTANCE, change=change)
    return None


CHECKS: list[Check] = [
    Check("ps2_char_lm", "one_hot_visible", 1, ("one_hot",), Rule.NUMPY_ONLY, one_hot_visible_cases,
          array_judge("one_hot(...)"), description="one_hot on the visible case"),
    Check("ps2_char_lm", "one_hot_hidden", 1, ("one_hot",), Rule.NUMPY_ONLY, one_hot_cases, array_judge("one_hot(...)"),
          description="one_hot against torch.nn.functional.one_hot"),
    Check("ps2_char_lm", "cross_entropy_visible", 1, ("softmax_cross_entropy",), Rule.NUMPY_ONLY,
          lambda rng: cross_entropy_cases(rng, visible=True), array_judge(("loss", "d_logits")),
          description="softmax_cross_entropy on the visible case"),
    Check("ps2_char_lm", "cross_entropy_hidden", 2, ("softmax_cross_entropy",), Rule.NUMPY_ONLY, cross_entropy_cases,
          array_judge(("loss", "d_logits")),
          description="loss and gradient against torch.nn.functional.cross_entropy, large logits included"),
    Check("ps2_char_lm", "temperature_hidden", 1, ("softmax_with_temperature",), Rule.NUMPY_ONLY, temperature_cases,
          array_judge("probs"), description="softmax(logits / temperature) against torch.softmax"),
    Check("ps2_char_lm", "sample_hidden", 1, ("sample",), Rule.NUMPY_ONLY, sample_cases, judge_sample_counts,
          description="the frequencies of 4000 draws of sample()"),
    Check("ps2_char_lm", "char_lm_trained", 3, ("model", "vocab"), Rule.ANY, char_lm_cases, None,
          needs_torch=True, judge_all=judge_char_lm,
          description=f"the trained model's predictions of {PREDICTIONS} characters of new text, one prefix at a "
                      f"time, have a loss of at most {CHAR_LM_THRESHOLD} nats/char, and it is recurrent"),
]
