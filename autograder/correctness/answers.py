"""Checks of answer variables: a value the student sets, compared with the right one."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.correctness.cases import Call, Case


def answer_cases(name: str, expected: object, label: str) -> Callable[[np.random.Generator], list[Case]]:
    return lambda rng: [Case(Call("probe:value", (name,)), expected, label)]


def judge_answer(explain: str) -> Callable[[Case, object], str | None]:
    def judge(case: Case, result: object) -> str | None:
        if result == case.expected and type(result) is type(case.expected):
            return None
        return f"{case.call.args[0]} = {result!r} is not right. {explain}"

    return judge


