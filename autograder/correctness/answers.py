"""Checks of answer variables: a value the student sets, compared with the right one."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.correctness.cases import Call, Case
from autograder.messages import t


def answer_cases(name: str, expected: object, label: str) -> Callable[[np.random.Generator], list[Case]]:
    return lambda rng: [Case(Call("probe:value", (name,)), expected, label)]


def judge_answer(explain: str) -> Callable[[Case, object], str | None]:
    def judge(case: Case, result: object) -> str | None:
        if result == case.expected and type(result) is type(case.expected):
            return None
        return t("answer.wrong", name=case.call.args[0], value=repr(result), explain=t(explain))

    return judge


