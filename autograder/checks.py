"""The stock path: the body of every hidden test cell, run by ``nbgrader autograde`` in the student's kernel.

A hidden test cell is one line, ``run_check("ps3_lstm", "lstm_layer_batch_first", globals())``: it
replays the fixed-seed cases stored in ``autograder/data/<assignment>.json`` in the student's own
process and raises ``AssertionError`` with the judge's feedback on a failure.

Nothing can be enforced inside the student's kernel: a student can rebind anything there. So this path
only reports, as a courtesy, what :data:`~autograder.correctness.policy.STOCK_FORBIDDEN` lists for the
part's rule, by following the student's functions through their code, globals, defaults and closures.
The ``autograder`` command decides by what the student's process can reach instead, and flags every
score where it disagrees with this path.
"""

from __future__ import annotations

import copy
import difflib
import dis
import functools
import inspect
import types
from dataclasses import dataclass

import numpy as np

from autograder.correctness import CHECKS, get_check
from autograder.correctness.cases import Call, CallError, Check, decide
from autograder.correctness.policy import DYNAMIC_NAMES, RULE_TEXT, STOCK_FORBIDDEN, TORCH_RNN_NAMES, Rule
from autograder.correctness.reference import load_cases
from autograder.messages import default_language, t, use


def _module_root(obj: object) -> str | None:
    name = obj.__name__ if inspect.ismodule(obj) else getattr(obj, "__module__", None)
    if not isinstance(name, str) and not inspect.isclass(obj) and not callable(obj):
        name = type(obj).__module__
    return name.split(".")[0] if isinstance(name, str) else None


def _codes(code: types.CodeType):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


@dataclass(frozen=True)
class _Policy:
    """What :func:`_scan` looks for, and in which namespace the student's own code lives."""

    namespace: dict
    rule: Rule
    own_attributes: frozenset[str]  # attribute names the student's classes define (self.gru_cell is theirs)

    @property
    def roots(self) -> tuple[str, ...]:
        return STOCK_FORBIDDEN[self.rule]

    @property
    def torch_rnn_only(self) -> bool:
        return self.rule is Rule.OWN_RECURRENCE

    def is_own(self, obj) -> bool:
        module = self.namespace.get("__name__", "__main__")
        if inspect.isfunction(obj):
            return obj.__globals__ is self.namespace or obj.__module__ == module
        return inspect.isclass(obj) and obj.__module__ == module


def _scan(obj, policy: _Policy, via: str, seen: set, found: list[str]) -> None:
    """Append to ``found`` every forbidden thing ``obj`` uses, following the student's own functions and classes."""
    if id(obj) in seen or obj is None or isinstance(obj, bool | int | float | str | bytes | np.ndarray):
        return
    seen.add(id(obj))
    if isinstance(obj, functools.partial):
        for part in (obj.func, *obj.args, *obj.keywords.values()):
            _scan(part, policy, via, seen, found)
        return
    if inspect.ismethod(obj):
        obj = obj.__func__
    if not policy.is_own(obj):
        root = _module_root(obj)
        if root in policy.roots:
            what = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None) or type(obj).__name__
            found.append(t("scan.uses", via=via, root=root, what=what))
        elif policy.torch_rnn_only and root == "torch" and getattr(obj, "__name__", "") in TORCH_RNN_NAMES:
            found.append(t("scan.torch_rnn", via=via, name=obj.__name__))
        return
    if inspect.isclass(obj):
        for base in obj.__mro__[1:]:
            _scan(base, policy, via, seen, found)
        for name, member in vars(obj).items():
            _scan(member.__func__ if isinstance(member, staticmethod | classmethod) else member,
                  policy, f"{via}.{name}", seen, found)
        return
    for value in (*(obj.__defaults__ or ()), *(obj.__kwdefaults__ or {}).values(),
                  *(c.cell_contents for c in obj.__closure__ or () if _cell_filled(c))):
        _scan(value, policy, via, seen, found)
    for code in _codes(obj.__code__):
        for ins in dis.get_instructions(code):
            _scan_instruction(ins, obj, policy, via, seen, found)


def _scan_instruction(ins: dis.Instruction, fn, policy: _Policy, via: str, seen: set, found: list[str]) -> None:
    """One bytecode instruction of the student's function ``fn``: global names, imports, attributes."""
    if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
        name = ins.argval
        if name in DYNAMIC_NAMES and policy.rule is Rule.NUMPY_ONLY:
            found.append(t("scan.dynamic", via=via, name=name))
        elif name in fn.__globals__:
            target = fn.__globals__[name]
            _scan(target, policy, f"{via} → {name}" if inspect.isfunction(target) and target is not fn else via,
                  seen, found)
    elif ins.opname == "IMPORT_NAME":
        module = str(ins.argval).split(".")[0]
        if module in policy.roots or (module in DYNAMIC_NAMES and policy.rule is Rule.NUMPY_ONLY):
            found.append(t("scan.imports", via=via, module=ins.argval))
    elif (policy.torch_rnn_only and ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and ins.argval in TORCH_RNN_NAMES
          and ins.argval not in policy.own_attributes):
        found.append(t("scan.rnn_attribute", via=via, name=ins.argval))


def _cell_filled(cell) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - raises ValueError when the closure cell is empty
    except ValueError:
        return False
    return True


def find_forbidden(names: tuple[str, ...], namespace: dict, rule: Rule) -> list[str]:
    """What the student's ``names`` (and the student functions they call) use that ``rule`` forbids.

    :data:`Rule.NUMPY_ONLY`: torch, seqmodels, autograder (or another deep-learning library) and dynamic
    imports (``__import__``, ``eval``, ``importlib``, ...). :data:`Rule.OWN_RECURRENCE`: torch's recurrent
    layers (``nn.GRU``, ``nn.GRUCell``, ``_VF``, ...), seqmodels or autograder. Returns one message per
    finding; empty when clean or when the rule allows everything.
    """
    if not STOCK_FORBIDDEN[rule]:
        return []
    module = namespace.get("__name__", "__main__")
    own_attributes = frozenset(attr for value in list(namespace.values())
                               if inspect.isclass(value) and value.__module__ == module for attr in vars(value))
    policy = _Policy(namespace, rule, own_attributes)
    found: list[str] = []
    seen: set[int] = set()
    for name in names:
        if name in namespace:
            _scan(namespace[name], policy, name, seen, found)
    return list(dict.fromkeys(found))


def forbidden_message(check: Check, findings: list[str]) -> str:
    return t("stock.forbidden", cell=check.cell_id, findings="; ".join(findings), rule=RULE_TEXT[check.rule])


def call_in_namespace(call: Call, namespace: dict) -> object:
    """Make ``call`` in this process: the student's function from ``namespace``, or a probe."""
    args, kwargs = copy.deepcopy(call.args), copy.deepcopy(call.kwargs)  # the student may modify inputs in place
    if call.target.startswith("probe:"):
        from autograder.running.inside import probes

        return getattr(probes, call.target.removeprefix("probe:"))(namespace, *args, **kwargs)
    return namespace[call.target](*args, **kwargs)


def missing_message(check: Check, missing: list[str], namespace: dict) -> str:
    """Feedback for names the student did not define, with the closest names they did define."""
    contract = {name for c in CHECKS[check.assignment] for name in c.names}
    defined = [k for k, v in namespace.items() if callable(v) and not k.startswith("_") and k not in contract]
    hints = [t("stock.close_names", name=name, close=", ".join(close))
             if (close := difflib.get_close_matches(name, defined, 2, 0.5)) else name for name in missing]
    return t("stock.missing", cell=check.cell_id, names="; ".join(hints))


def run_check(assignment: str, cell_id: str, namespace: dict) -> None:
    """The body of a hidden test cell: replay the stored cases in this kernel, raise ``AssertionError`` on failure.

    Its messages are in the course's feedback language (:func:`autograder.messages.default_language`)."""
    with use(default_language()):
        _run_check(assignment, cell_id, namespace)


def _run_check(assignment: str, cell_id: str, namespace: dict) -> None:
    check = get_check(assignment, cell_id)
    missing = [name for name in check.names if name not in namespace]
    if missing:
        raise AssertionError(missing_message(check, missing, namespace))
    findings = find_forbidden(check.names, namespace, check.rule)
    if findings:
        raise AssertionError(forbidden_message(check, findings))
    cases = load_cases(assignment, cell_id)
    results: list[object] = []
    for case in cases:
        try:
            results.append(call_in_namespace(case.call, namespace))
        except Exception as err:  # noqa: BLE001 - the student's exception becomes feedback
            results.append(CallError(t("stock.raised", type=type(err).__name__, error=err)))
    verdict = decide(check, cases, results)
    if not verdict.passed:
        raise AssertionError(verdict.message)
    print(verdict.message)
