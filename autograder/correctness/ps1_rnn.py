"""The checks of ps1_rnn: the NumPy RNN cell and layer, BPTT for a many-to-one RNN, the vanishing-gradient answer."""

from __future__ import annotations

import numpy as np

from autograder.correctness.answers import answer_cases, judge_answer
from autograder.correctness.cases import Call, Case, Check, compare
from autograder.correctness.policy import Rule
from autograder.correctness.recurrent import draw_params, recurrent_checks
from autograder.messages import t

# ---------------------------------------------------------------- ps1_rnn: BPTT for a many-to-one RNN

BPTT_SHAPES = [(1, 1, 1, 1, 1), (4, 3, 2, 5, 2), (6, 2, 3, 3, 1), (3, 1, 4, 2, 3), (10, 2, 2, 3, 2)]  # T N I H K


def torch_many_to_one(x, y, h0, W_ih, W_hh, b_ih, b_hh, W_hy, b_hy) -> tuple[float, dict[str, np.ndarray]]:
    """Loss ``L = 1/(2N) sum_n ||h_T W_hy^T + b_hy - y||^2`` of ``torch.nn.RNN`` and its gradients by autograd."""
    import torch

    from seqmodels.torchutil import set_params

    rnn = torch.nn.RNN(x.shape[2], h0.shape[2]).double()
    set_params(rnn, {"W_ih": W_ih, "W_hh": W_hh, "b_ih": b_ih, "b_hh": b_hh})
    W_hy_t, b_hy_t = torch.from_numpy(W_hy).requires_grad_(), torch.from_numpy(b_hy).requires_grad_()
    x_t = torch.from_numpy(x).requires_grad_()
    _, h_n = rnn(x_t, torch.from_numpy(h0))
    loss = 0.5 * ((h_n[0] @ W_hy_t.T + b_hy_t - torch.from_numpy(y)) ** 2).sum() / x.shape[1]
    loss.backward()
    grads = {"W_ih": rnn.weight_ih_l0.grad, "W_hh": rnn.weight_hh_l0.grad, "b_ih": rnn.bias_ih_l0.grad,
             "b_hh": rnn.bias_hh_l0.grad, "W_hy": W_hy_t.grad, "b_hy": b_hy_t.grad, "x": x_t.grad}
    return float(loss.detach()), {k: g.numpy() for k, g in grads.items()}


def bptt_inputs(T: int, N: int, I: int, H: int, K: int, rng: np.random.Generator) -> tuple:
    params = draw_params(1, I, H, rng, np.float64)
    return (rng.standard_normal((T, N, I)), rng.standard_normal((N, K)), rng.standard_normal((1, N, H)),
            *params.values(), rng.uniform(-0.8, 0.8, (K, H)), rng.uniform(-0.8, 0.8, K))


def bptt_cases(rng: np.random.Generator) -> list[Case]:
    cases = []
    for T, N, I, H, K in BPTT_SHAPES:
        args = bptt_inputs(T, N, I, H, K, rng)
        cases.append(Case(Call("rnn_many_to_one_grads", args), torch_many_to_one(*args),
                          f"T={T} N={N} I={I} H={H} K={K} float64"))
    return cases


def bptt_visible_cases(rng: np.random.Generator) -> list[Case]:
    """The notebook's visible test (``np.random.default_rng(0)``, T=4 N=2 I=3 H=5 K=2), plus the same
    sizes with values drawn from ``rng``."""
    cases = []
    for draw, label in [(np.random.default_rng(0), "visible"), (rng, "fresh values, visible sizes")]:
        args = bptt_inputs(4, 2, 3, 5, 2, draw)
        cases.append(Case(Call("rnn_many_to_one_grads", args), torch_many_to_one(*args),
                          f"{label} T=4 N=2 I=3 H=5 K=2"))
    return cases


def judge_bptt(case: Case, result: object) -> str | None:
    where = t("case.where", target="rnn_many_to_one_grads", label=case.label)
    if not isinstance(result, tuple | list) or len(result) != 2 or not isinstance(result[1], dict):
        return t("bptt.not_pair", where=where, type=type(result).__name__)
    loss, grads = result
    exp_loss, exp_grads = case.expected
    problems = []
    if not isinstance(loss, float | int | np.floating | np.ndarray) or np.size(loss) != 1:
        problems.append(t("bptt.loss_not_number", type=type(loss).__name__))
    elif not np.isclose(float(np.asarray(loss).ravel()[0]), exp_loss, rtol=1e-6, atol=1e-10):
        problems.append(t("bptt.loss_wrong", got=float(np.asarray(loss).ravel()[0]), expected=exp_loss))
    for name, expected in exp_grads.items():
        if name not in grads:
            problems.append(t("bptt.no_grad", name=repr(name)))
            continue
        problem = compare(grads[name], expected, f"grads[{name!r}]")
        if problem:
            problems.append(problem)
    return t("bptt.problems", where=where, problems="; ".join(problems)) if problems else None


CHECKS: list[Check] = recurrent_checks("ps1_rnn", "rnn", {
    "rnn_cell_visible": 1, "rnn_cell_hidden": 2, "rnn_layer_visible": 1,
    "rnn_layer_time_major": 2, "rnn_layer_batch_first": 2,
}) + [
    Check("ps1_rnn", "bptt_visible", 1, ("rnn_many_to_one_grads",), Rule.NUMPY_ONLY, bptt_visible_cases, judge_bptt,
          description="loss and gradients of the many-to-one RNN (visible case)"),
    Check("ps1_rnn", "bptt_hidden", 3, ("rnn_many_to_one_grads",), Rule.NUMPY_ONLY, bptt_cases, judge_bptt,
          description="loss and gradients against torch autograd on a grid of shapes"),
    Check("ps1_rnn", "vanishing_answer", 1, ("vanishing_answer",), Rule.ANY,
          answer_cases("vanishing_answer", "b", "the vanishing-gradient experiment"),
          judge_answer("answer.vanishing"),
          description="the vanishing-gradient experiment"),
]
