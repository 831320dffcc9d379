"""The vocabulary of grading: a :class:`Check` per auto-graded cell, its :class:`Case` s, and how results are judged.

A :class:`Check` decides the points of one nbgrader test cell (``cell_id`` is its ``grade_id``). It
draws :class:`Case` s (inputs plus reference outputs from ``torch.nn``) with ``make_cases(rng)``; each
case is one :class:`Call` made in the student's process, and ``judge(case, result)`` decides in the
grader's process: ``None`` for a pass, else feedback that says what was expected and, where it can,
names the mistake with the catalogue in :mod:`autograder.correctness.variants`. A check whose verdict
is a property of all results together (a mean loss over many predictions) has ``judge_all(cases,
results)`` instead. :func:`decide` turns the results of all cases into a :class:`Verdict`.

Plain data means NumPy arrays, Python scalars, strings, ``None`` and tuples/lists/dicts of them;
:func:`to_json` / :func:`from_json` encode it losslessly for the stored reference cases.
"""

from __future__ import annotations

import base64
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from autograder.correctness.policy import Rule
from autograder.correctness.variants import variants_for
from autograder.messages import t


@dataclass(frozen=True)
class Call:
    """One thing to run in the student's process.

    ``target`` is a name the student defines (``"lstm_layer"``) or ``"probe:<name>"`` for
    ``autograder.probes.<name>(namespace, *args, **kwargs)``.
    """

    target: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)


@dataclass
class Case:
    """A call, its reference result (plain data) and a human-readable label."""

    call: Call
    expected: object
    label: str


@dataclass(frozen=True)
class Check:
    """The rule that decides the points of one auto-graded nbgrader cell."""

    assignment: str
    cell_id: str  # the grade_id of the test cell
    points: float  # equals that cell's nbgrader points
    names: tuple[str, ...]  # names the student must define
    rule: Rule  # what the notebook allows these names to use (autograder.correctness.policy)
    make_cases: Callable[[np.random.Generator], list[Case]]
    judge: Callable[[Case, object], str | None] | None  # each case on its own; None where judge_all decides
    needs_torch: bool = False  # the calls themselves need torch (a trained model, an nn.Module)
    description: str = ""
    judge_all: Callable[[list[Case], list[object]], str | None] | None = None  # all cases' results together

    def __post_init__(self):
        if (self.judge is None) == (self.judge_all is None):
            raise ValueError(f"{self.cell_id}: a check has either a judge of each case or a judge_all, not both")


@dataclass(frozen=True)
class CallError:
    """What a call produced instead of a result: an exception, a time-out, a missing name."""

    message: str


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str  # feedback for the student (also on a pass: what was checked)
    variant: str | None = None  # the known mistake that explains most failing cases


class Feedback(str):
    """A judge's message; ``variant`` is the known mistake it names, if any."""

    variant: str | None = None

    def __new__(cls, text: str, variant: str | None = None):
        obj = super().__new__(cls, text)
        obj.variant = variant
        return obj


# ============================================================================ plain data <-> JSON


def to_json(obj: object) -> object:
    """Encode plain data as JSON-compatible values, exactly (arrays as base64 of their bytes)."""
    if isinstance(obj, np.ndarray):
        arr = np.array(obj, order="C", copy=True)  # (ascontiguousarray would turn 0-d into 1-d)
        return {"__ndarray__": base64.b64encode(arr.tobytes()).decode(), "dtype": arr.dtype.str,
                "shape": list(arr.shape)}
    if isinstance(obj, np.generic):
        return to_json(obj.item())
    if isinstance(obj, tuple):
        return {"__tuple__": [to_json(v) for v in obj]}
    if isinstance(obj, list):
        return [to_json(v) for v in obj]
    if isinstance(obj, dict):
        if not all(isinstance(k, str) for k in obj):
            raise TypeError(f"plain data needs string dict keys; got {list(obj)}")
        return {k: to_json(v) for k, v in obj.items()}
    if obj is None or isinstance(obj, bool | int | float | str):
        return obj
    raise TypeError(f"not plain data: {type(obj).__name__}")


def from_json(obj: object) -> object:
    """Inverse of :func:`to_json`."""
    if isinstance(obj, dict):
        if "__ndarray__" in obj:
            data = base64.b64decode(obj["__ndarray__"])
            return np.frombuffer(data, dtype=np.dtype(obj["dtype"])).reshape(tuple(obj["shape"])).copy()
        if "__tuple__" in obj:
            return tuple(from_json(v) for v in obj["__tuple__"])
        return {k: from_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [from_json(v) for v in obj]
    return obj


def case_to_json(case: Case) -> dict:
    return {"label": case.label, "target": case.call.target, "args": to_json(case.call.args),
            "kwargs": to_json(case.call.kwargs), "expected": to_json(case.expected)}


def case_from_json(data: dict) -> Case:
    return Case(Call(data["target"], from_json(data["args"]), from_json(data["kwargs"])),
                from_json(data["expected"]), data["label"])


# ============================================================================ comparing results

TOLERANCE = {np.dtype(np.float64): (1e-6, 1e-8), np.dtype(np.float32): (1e-4, 1e-5)}  # (rtol, atol)


def _spec_text(spec) -> str:
    return spec if isinstance(spec, str) else "(" + ", ".join(_spec_text(s) for s in spec) + ")"


def _as_array(value: object) -> np.ndarray | None:
    """``value`` as a numeric array: arrays, numbers and (nested) lists of numbers are all fair answers."""
    if isinstance(value, bool) or value is None or isinstance(value, str | dict):
        return None
    try:
        array = np.asarray(value)
    except (ValueError, TypeError):  # ragged lists
        return None
    return array if array.dtype.kind in "biuf" else None


def compare(result: object, expected: object, spec, shapes_only: bool = False) -> str | None:
    """``None`` when ``result`` matches ``expected`` within the dtype's tolerance, else what differs.

    ``spec`` names the parts: ``"h_t"`` for one array, ``("output", ("h_n", "c_n"))`` for nested tuples.
    ``shapes_only`` compares only the structure and the array shapes.
    """
    if not isinstance(spec, str):
        if not isinstance(result, tuple | list) or len(result) != len(spec):
            if isinstance(result, tuple | list):
                return t("compare.tuple_length", spec=_spec_text(spec), type=type(result).__name__,
                         length=len(result))
            return t("compare.tuple", spec=_spec_text(spec), type=type(result).__name__)
        for part, exp, sub in zip(result, expected, spec, strict=True):
            problem = compare(part, exp, sub, shapes_only)
            if problem:
                return problem
        return None
    got = _as_array(result)
    if got is None:
        return t("compare.not_array", spec=spec, type=type(result).__name__)
    if got.shape != expected.shape:
        return t("compare.shape", spec=spec, got=got.shape, expected=expected.shape)
    if shapes_only:
        return None
    if not np.all(np.isfinite(got)):
        return t("compare.not_finite", spec=spec)
    rtol, atol = TOLERANCE.get(expected.dtype, TOLERANCE[np.dtype(np.float64)])
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(got.astype(np.float64) - expected)))
        return t("compare.wrong", spec=spec, error=err, atol=atol, rtol=rtol)
    return None


def where(case: Case) -> str:
    """``"<function>, case <label>"``: where a message is about."""
    return t("case.where", target=case.call.target, label=case.label)


def matching_variant(case: Case, result: object, spec) -> tuple[str, str] | None:
    """The first known wrong variant of ``case.call.target`` whose output on the case equals ``result``."""
    for variant in variants_for(case.call.target):
        try:
            with np.errstate(all="ignore"):
                wrong = variant.fn(*case.call.args, **case.call.kwargs)
        except Exception:  # noqa: BLE001 - a variant that cannot run on these shapes simply does not match
            continue
        if compare(wrong, case.expected, spec) is not None and compare(result, wrong, spec) is None:
            return variant.name, variant.mistake
    return None


def array_judge(spec, shapes_only: bool = False) -> Callable[[Case, object], str | None]:
    """A judge for functions returning arrays shaped like ``spec``; names a known mistake when it can."""

    def judge(case: Case, result: object) -> str | None:
        problem = compare(result, case.expected, spec, shapes_only)
        if problem is None:
            return None
        text = t("case.problem", where=where(case), problem=problem)
        match = None if shapes_only else matching_variant(case, result, spec)
        if match:
            return Feedback(t("case.equals", text=text, mistake=match[1]), variant=match[0])
        return Feedback(text)

    return judge


def decide(check: Check, cases: list[Case], results: list[object]) -> Verdict:
    """The grade of one check from the results of its cases (a :class:`CallError` where a call failed).

    With ``check.judge_all``, see :func:`decide_together`. Else it passes when every case passes. On a
    failure the message counts the failing cases and quotes the most telling one: a failure that names
    a known mistake, preferring the mistake that explains most failing cases.
    """
    if check.judge_all is not None:
        return decide_together(check, cases, results)
    failures: list[str] = []
    for case, result in zip(cases, results, strict=True):
        if isinstance(result, CallError):
            failures.append(Feedback(t("case.error", where=where(case), error=result.message)))
            continue
        try:
            verdict = check.judge(case, result)
        except Exception as err:  # noqa: BLE001 - a malformed result must not crash the grader
            verdict = Feedback(t("case.could_not_judge", where=where(case), error=repr(err)))
        if verdict is not None:
            failures.append(verdict if isinstance(verdict, Feedback) else Feedback(verdict))
    if not failures:
        return Verdict(True, t("check.all_pass", cell=check.cell_id, total=len(cases)))
    named = Counter(f.variant for f in failures if f.variant)
    best = named.most_common(1)[0][0] if named else None
    quoted = next(f for f in failures if f.variant == best) if best else failures[0]
    return Verdict(False, t("check.fail", cell=check.cell_id, failed=len(failures), total=len(cases), quoted=quoted),
                   best)


def decide_together(check: Check, cases: list[Case], results: list[object]) -> Verdict:
    """The grade of a check with a ``judge_all``: the first failed call fails it, else ``judge_all`` decides."""
    for case, result in zip(cases, results, strict=True):
        if isinstance(result, CallError):
            return Verdict(False, t("check.problem", cell=check.cell_id,
                                     problem=t("case.error", where=where(case), error=result.message)))
    try:
        problem = check.judge_all(cases, results)
    except Exception as err:  # noqa: BLE001 - a malformed result must not crash the grader
        problem = t("check.could_not_judge_all", error=repr(err))
    if problem is None:
        return Verdict(True, t("check.all_pass", cell=check.cell_id, total=len(cases)))
    return Verdict(False, t("check.problem", cell=check.cell_id, problem=problem), getattr(problem, "variant", None))
