"""The checks of ps3_lstm: the NumPy LSTM cell and layer, and the batch_first shapes question."""

from __future__ import annotations

from autograder.correctness.cases import Call, Case, Check, Feedback
from autograder.correctness.policy import Rule
from autograder.correctness.recurrent import recurrent_checks
from autograder.messages import t

# ---------------------------------------------------------------- ps3_lstm: the batch_first question

SHAPE_QUESTION = {"T": 5, "N": 3, "I": 2, "H": 4}


def shape_answer_cases(batch_first: bool) -> list[Case]:
    """The shapes ``torch.nn.LSTM`` gives ``output, h_n, c_n`` for the question's sizes."""
    import torch

    T, N, I, H = SHAPE_QUESTION.values()
    lstm = torch.nn.LSTM(I, H, batch_first=batch_first)
    with torch.no_grad():
        output, (h_n, c_n) = lstm(torch.zeros((N, T, I) if batch_first else (T, N, I)))
    expected = {"output": tuple(output.shape), "h_n": tuple(h_n.shape), "c_n": tuple(c_n.shape)}
    name = "shapes_batch_first" if batch_first else "shapes_time_major"
    return [Case(Call("probe:value", (name,)), expected, f"T={T} N={N} I={I} H={H} batch_first={batch_first}")]


def judge_shape_answer(case: Case, result: object) -> str | None:
    name = case.call.args[0]
    if not isinstance(result, dict) or set(result) != {"output", "h_n", "c_n"}:
        return t("shapes.not_dict", name=name, value=repr(result))
    problems = []
    for key, expected in case.expected.items():
        got = result[key]
        if not isinstance(got, tuple | list) or tuple(got) != expected:
            problems.append(t("shapes.key_wrong", key=key, expected=expected, got=repr(got)))
    if not problems:
        return None
    text = t("shapes.problems", name=name, label=case.label, problems="; ".join(problems))
    if any(tuple(result[k]) == (SHAPE_QUESTION["N"], 1, SHAPE_QUESTION["H"]) for k in ("h_n", "c_n")
           if isinstance(result[k], tuple | list)):
        return Feedback(t("shapes.h_n_hint", text=text), variant="h_n_batch_first")
    return Feedback(text)


CHECKS: list[Check] = recurrent_checks("ps3_lstm", "lstm", {
    "lstm_cell_visible": 1, "lstm_cell_hidden": 3, "lstm_layer_visible": 1,
    "lstm_layer_time_major": 3, "lstm_layer_batch_first": 3,
}) + [
    Check("ps3_lstm", "shapes_time_major", 1, ("shapes_time_major",), Rule.ANY,
          lambda rng: shape_answer_cases(False), judge_shape_answer,
          description="the shapes of output, h_n, c_n with batch_first=False"),
    Check("ps3_lstm", "shapes_batch_first", 1, ("shapes_batch_first",), Rule.ANY,
          lambda rng: shape_answer_cases(True), judge_shape_answer,
          description="the shapes of output, h_n, c_n with batch_first=True"),
]
