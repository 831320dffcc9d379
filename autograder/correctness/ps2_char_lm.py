"""The checks of ps2_char_lm: one-hot, softmax cross-entropy, sampling (NumPy) and the trained model."""

from __future__ import annotations

import numpy as np

from autograder.correctness.cases import Call, Case, Check, array_judge
from autograder.correctness.policy import Rule

# ---------------------------------------------------------------- ps2_char_lm

CHAR_LM_THRESHOLD = 0.6  # nats/char on held-out text; the grammar's entropy rate is 0.29, unigrams give 2.78
FUTURE_CUTS = (100, 700, 1300, 1900)  # steps t after which the held-out input is changed (causality)
MEMORY_DISTANCE = 64  # changes this many steps back must still reach the last prediction (memory)
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
    if counts.shape != probs.shape:
        return f"sample, case {case.label}: could not count the draws (got {counts.shape})"
    tolerance = 5 * np.sqrt(n * probs * (1 - probs)) + 2  # five standard deviations
    bad = np.abs(counts - n * probs) > tolerance
    if not bad.any():
        return None
    return (f"sample, case {case.label}: the draws do not follow softmax(logits / temperature): frequencies "
            f"{np.round(counts / n, 3).tolist()}, expected {np.round(probs, 3).tolist()}.")


def char_lm_cases(rng: np.random.Generator) -> list[Case]:
    from seqmodels import course_corpus

    held_out = course_corpus(2000, seed=int(rng.integers(1, 2**31)))
    call = Call("probe:char_lm_loss", (held_out,), {"cuts": FUTURE_CUTS, "distance": MEMORY_DISTANCE})
    return [Case(call, {"threshold": CHAR_LM_THRESHOLD, "resolution": LOGIT_RESOLUTION},
                 "2000 characters of held-out course corpus")]


def judge_char_lm(case: Case, result: object) -> str | None:
    """Causal (no reading ahead), recurrent (a dependence beyond a fixed window), then the held-out loss."""
    facts = ("loss", "future_change", "memory_change")
    if not isinstance(result, dict) or not all(isinstance(result.get(k), float) and np.isfinite(result[k])
                                               for k in facts):
        return f"model: could not be evaluated on held-out text (got {result!r})"
    threshold, resolution = case.expected["threshold"], case.expected["resolution"]
    if result["future_change"] > resolution:
        return (f"model: the model's output at step t changes when characters after t change: it reads the future "
                f"(a logit moved by {result['future_change']:.3g}). The logits at step t predict character t + 1 and "
                f"may use only the characters up to t.")
    if result["memory_change"] <= resolution:
        return (f"model: the last prediction does not change when only characters {case.call.kwargs['distance']} or "
                f"more steps earlier change (by {result['memory_change']:.2g}): a recurrent model carries its state "
                f"along the whole text, a fixed window such as an n-gram cannot; the task asks for a recurrent model.")
    if result["loss"] <= threshold:
        return None
    return (f"model: held-out loss {result['loss']:.3f} nats/char; it must be at most {threshold} (always predicting "
            f"character frequencies gives 2.78, the grammar's entropy rate is 0.29). Train longer or larger.")


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
    Check("ps2_char_lm", "char_lm_trained", 3, ("model",), Rule.ANY, char_lm_cases, judge_char_lm,
          needs_torch=True,
          description=f"the trained model is causal and recurrent, and its held-out loss is at most "
                      f"{CHAR_LM_THRESHOLD} nats/char"),
]
