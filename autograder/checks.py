"""What every auto-graded cell of the assignments checks, in one place.

A :class:`Check` decides the points of one nbgrader test cell (``cell_id`` is its ``grade_id``). It
draws :class:`Case` s (inputs plus reference outputs from ``torch.nn``) with ``make_cases(rng)``,
each case is one :class:`Call` made in the student's process, and ``judge(case, result)`` decides in
the grader's process: ``None`` for a pass, else feedback that says what was expected and, where it
can, names the mistake with the catalogue in :mod:`autograder.variants`.

Two paths use the same checks:

* stock ``nbgrader autograde``: each hidden test cell is
  ``run_check("ps3_lstm", "lstm_layer_batch_first", globals())``, which replays the fixed-seed
  cases stored in ``autograder/data/<assignment>.json`` (written by ``python -m autograder.reference``);
* the ``autograder`` command: draws cases with a secret seed, sends only the ``Call`` s (plain data)
  to a sandboxed process running the student's code, and calls :func:`decide` on the results.

Plain data means NumPy arrays, Python scalars, strings, ``None`` and tuples/lists/dicts of them;
:func:`to_json` / :func:`from_json` encode it losslessly.
"""

from __future__ import annotations

import base64
import copy
import difflib
import dis
import functools
import inspect
import json
import types
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from autograder.variants import variants_for

DATA_DIR = Path(__file__).parent / "data"

# ============================================================================ the interface


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
    numpy_only: bool  # torch / seqmodels / autograder in these names scores 0
    make_cases: Callable[[np.random.Generator], list[Case]]
    judge: Callable[[Case, object], str | None]
    forbid_torch_rnn: bool = False  # torch.nn.GRU/LSTM/RNN (and their cells, functional forms) score 0
    description: str = ""


@dataclass(frozen=True)
class CallError:
    """What a call produced instead of a result: an exception, a time-out, a missing name."""

    message: str


@dataclass(frozen=True)
class Verdict:
    passed: bool
    message: str  # feedback for the student (also on a pass: what was checked)


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


def compare(result: object, expected: object, spec, shapes_only: bool = False) -> str | None:
    """``None`` when ``result`` matches ``expected`` within the dtype's tolerance, else what differs.

    ``spec`` names the parts: ``"h_t"`` for one array, ``("output", ("h_n", "c_n"))`` for nested tuples.
    ``shapes_only`` compares only the structure and the array shapes.
    """
    if not isinstance(spec, str):
        if not isinstance(result, tuple | list) or len(result) != len(spec):
            length = f" of length {len(result)}" if isinstance(result, tuple | list) else ""
            got = f"a {type(result).__name__}{length}"
            return f"expected a tuple {_spec_text(spec)}; got {got}"
        for part, exp, sub in zip(result, expected, spec, strict=True):
            problem = compare(part, exp, sub, shapes_only)
            if problem:
                return problem
        return None
    if not isinstance(result, np.ndarray | np.generic | float | int):
        return f"{spec} should be a NumPy array; got {type(result).__name__}"
    got = np.asarray(result)
    if got.shape != expected.shape:
        return f"{spec} has shape {got.shape}; expected {expected.shape}"
    if shapes_only:
        return None
    if not np.issubdtype(got.dtype, np.number):
        return f"{spec} has dtype {got.dtype}; expected a floating-point array"
    if not np.all(np.isfinite(got)):
        return f"{spec} contains NaN or inf"
    rtol, atol = TOLERANCE.get(expected.dtype, TOLERANCE[np.dtype(np.float64)])
    if not np.allclose(got, expected, rtol=rtol, atol=atol):
        err = float(np.max(np.abs(got.astype(np.float64) - expected)))
        return f"{spec} is wrong: max abs error {err:.3g} (tolerance {atol:g} + {rtol:g}·|expected|)"
    return None


def _matching_variant(case: Case, result: object, spec) -> tuple[str, str] | None:
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
        text = f"{case.call.target}, case {case.label}: {problem}."
        match = None if shapes_only else _matching_variant(case, result, spec)
        if match:
            return Feedback(f"{text} Your output equals {match[1]}.", variant=match[0])
        return Feedback(text)

    return judge


def decide(check: Check, cases: list[Case], results: list[object]) -> Verdict:
    """The grade of one check from the results of its cases (a :class:`CallError` where a call failed).

    Passes when every case passes. On a failure the message counts the failing cases and quotes the
    most telling one: a failure that names a known mistake, preferring the mistake that explains
    most failing cases.
    """
    failures: list[str] = []
    for case, result in zip(cases, results, strict=True):
        if isinstance(result, CallError):
            failures.append(Feedback(f"{case.call.target}, case {case.label}: {result.message}"))
            continue
        try:
            verdict = check.judge(case, result)
        except Exception as err:  # noqa: BLE001 - a malformed result must not crash the grader
            verdict = Feedback(f"{case.call.target}, case {case.label}: could not judge the result ({err!r})")
        if verdict is not None:
            failures.append(verdict if isinstance(verdict, Feedback) else Feedback(verdict))
    if not failures:
        return Verdict(True, f"{check.cell_id}: all {len(cases)} cases pass.")
    named = Counter(f.variant for f in failures if f.variant)
    if named:
        best = named.most_common(1)[0][0]
        quoted = next(f for f in failures if f.variant == best)
    else:
        quoted = failures[0]
    return Verdict(False, f"{check.cell_id}: {len(failures)} of {len(cases)} cases fail. {quoted}")


# ============================================================================ forbidden dependencies

FORBIDDEN_ROOTS = ("torch", "seqmodels", "autograder", "tensorflow", "jax", "keras")
TORCH_RNN_ATTRS = frozenset({"RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase", "RNNCellBase",
                             "_VF", "gru", "lstm", "rnn_tanh", "gru_cell", "lstm_cell", "rnn_tanh_cell"})
DYNAMIC_NAMES = frozenset({"__import__", "eval", "exec", "compile", "globals", "vars", "importlib", "sys",
                           "builtins", "__builtins__"})


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
    torch_rnn_only: bool
    own_attributes: frozenset[str]  # attribute names the student's classes define (self.gru_cell is theirs)

    @property
    def roots(self) -> tuple[str, ...]:
        return ("seqmodels", "autograder") if self.torch_rnn_only else FORBIDDEN_ROOTS

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
            found.append(f"{via} uses {root} ({what})")
        elif policy.torch_rnn_only and root == "torch" and getattr(obj, "__name__", "") in TORCH_RNN_ATTRS:
            found.append(f"{via} uses torch's built-in recurrent layer {obj.__name__}")
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
        if name in DYNAMIC_NAMES:
            found.append(f"{via} uses {name} (dynamic imports and lookups are not allowed here)")
        elif name in fn.__globals__:
            target = fn.__globals__[name]
            _scan(target, policy, f"{via} → {name}" if inspect.isfunction(target) and target is not fn else via,
                  seen, found)
    elif ins.opname == "IMPORT_NAME":
        module = str(ins.argval).split(".")[0]
        if module in policy.roots or module in DYNAMIC_NAMES:
            found.append(f"{via} imports {ins.argval}")
    elif (policy.torch_rnn_only and ins.opname in ("LOAD_ATTR", "LOAD_METHOD") and ins.argval in TORCH_RNN_ATTRS
          and ins.argval not in policy.own_attributes):
        found.append(f"{via} uses .{ins.argval} (torch's built-in recurrent layers are not allowed here)")


def _cell_filled(cell) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - raises ValueError when the closure cell is empty
    except ValueError:
        return False
    return True


def find_forbidden(names: tuple[str, ...], namespace: dict, torch_rnn_only: bool = False) -> list[str]:
    """What the student's ``names`` (and the student functions they call) use that they must not.

    With ``torch_rnn_only=False`` (NumPy parts) any use of torch, seqmodels, autograder (or another
    deep-learning library) counts, and so do dynamic imports/lookups (``__import__``, ``eval``,
    ``globals``, ``sys``, ``importlib``). With ``torch_rnn_only=True`` (the PyTorch GRU module) torch
    is allowed but not its recurrent layers (``nn.GRU``, ``nn.GRUCell``, ``_VF``, ...), seqmodels or
    autograder. Returns one message per finding; empty when clean.
    """
    module = namespace.get("__name__", "__main__")
    own_attributes = frozenset(attr for value in list(namespace.values())
                               if inspect.isclass(value) and value.__module__ == module for attr in vars(value))
    policy = _Policy(namespace, torch_rnn_only, own_attributes)
    found: list[str] = []
    seen: set[int] = set()
    for name in names:
        if name in namespace:
            _scan(namespace[name], policy, name, seen, found)
    return list(dict.fromkeys(found))


def forbidden_uses(check: Check, namespace: dict) -> list[str]:
    """:func:`find_forbidden` with the policy of ``check``; empty when the check allows everything."""
    if not (check.numpy_only or check.forbid_torch_rnn):
        return []
    return find_forbidden(check.names, namespace, torch_rnn_only=not check.numpy_only)


def forbidden_message(check: Check, findings: list[str]) -> str:
    rule = ("this part must be written with NumPy only" if check.numpy_only
            else "this part must build the recurrence from torch tensor operations, not torch's recurrent layers")
    return f"{check.cell_id}: scored 0 because {'; '.join(findings)}: {rule}."


# ============================================================================ reference outputs from torch

LAYER_SHAPES = [  # (T, N, I, H): size-1 dimensions, I != H both ways, T == N, a longer sequence
    (1, 1, 1, 1), (1, 3, 2, 4), (5, 1, 3, 2), (4, 2, 1, 3), (3, 3, 2, 4), (7, 3, 5, 5), (3, 4, 6, 1), (12, 2, 3, 4),
]
CELL_SHAPES = [(1, 1, 1), (3, 2, 4), (1, 3, 2), (2, 1, 3), (4, 5, 5), (4, 6, 1)]  # (N, I, H)
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
DTYPES = (np.float64, np.float32)


def _draw_params(G: int, I: int, H: int, rng: np.random.Generator, dtype) -> dict[str, np.ndarray]:
    """``W_ih, W_hh, b_ih, b_hh`` drawn independently (so a dropped or misplaced bias shows)."""
    shapes = {"W_ih": (G * H, I), "W_hh": (G * H, H), "b_ih": (G * H,), "b_hh": (G * H,)}
    return {name: rng.uniform(-0.8, 0.8, shape).astype(dtype) for name, shape in shapes.items()}


def _torch_module(kind: str, I: int, H: int, params: dict, dtype, cell: bool, batch_first: bool = False):
    import torch

    from seqmodels.torchutil import set_params

    if cell:
        module = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[kind](I, H)
        module = module.to(torch.float64 if dtype == np.float64 else torch.float32)
        with torch.no_grad():
            for ours, theirs in zip(("W_ih", "W_hh", "b_ih", "b_hh"), ("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
                                    strict=True):
                getattr(module, theirs).copy_(torch.from_numpy(params[ours]))
        return module
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](I, H, batch_first=batch_first)
    module = module.to(torch.float64 if dtype == np.float64 else torch.float32)
    set_params(module, params)
    return module


def torch_cell(kind: str, x_t, states: list[np.ndarray], params: dict):
    """``torch.nn.{RNN,LSTM,GRU}Cell`` on NumPy inputs; returns ``h_t`` or ``(h_t, c_t)`` as arrays."""
    import torch

    module = _torch_module(kind, x_t.shape[1], states[0].shape[1], params, x_t.dtype, cell=True)
    with torch.no_grad():
        out = module(torch.from_numpy(x_t), tuple(torch.from_numpy(s) for s in states) if kind == "lstm"
                     else torch.from_numpy(states[0]))
    return tuple(o.numpy() for o in out) if kind == "lstm" else out.numpy()


def torch_layer(kind: str, x, states: list[np.ndarray], params: dict, batch_first: bool):
    """``torch.nn.{RNN,LSTM,GRU}`` on NumPy inputs; returns ``(output, h_n)`` or ``(output, (h_n, c_n))``."""
    import torch

    module = _torch_module(kind, x.shape[2], states[0].shape[2], params, x.dtype, cell=False, batch_first=batch_first)
    with torch.no_grad():
        output, final = module(torch.from_numpy(x), tuple(torch.from_numpy(s) for s in states) if kind == "lstm"
                               else torch.from_numpy(states[0]))
    if kind == "lstm":
        return output.numpy(), (final[0].numpy(), final[1].numpy())
    return output.numpy(), final.numpy()


def _dtype_name(dtype) -> str:
    return np.dtype(dtype).name


def cell_cases(kind: str, rng: np.random.Generator) -> list[Case]:
    """The hidden grid for ``<kind>_cell``: odd shapes, both dtypes, non-zero and zero previous state."""
    grid = [(shape, dtype, False) for shape in CELL_SHAPES for dtype in DTYPES] + [((3, 2, 4), np.float64, True)]
    cases = []
    for (N, I, H), dtype, zero_state in grid:
        params = _draw_params(GATES[kind], I, H, rng, dtype)
        x_t = rng.standard_normal((N, I)).astype(dtype)
        states = [np.zeros((N, H), dtype) if zero_state else rng.standard_normal((N, H)).astype(dtype)
                  for _ in range(2 if kind == "lstm" else 1)]
        expected = torch_cell(kind, x_t, states, params)
        label = f"N={N} I={I} H={H} {_dtype_name(dtype)}" + (" zero state" if zero_state else "")
        cases.append(Case(Call(f"{kind}_cell", (x_t, *states, *params.values())), expected, label))
    return cases


def layer_cases(kind: str, rng: np.random.Generator, batch_first: bool) -> list[Case]:
    """The hidden grid for ``<kind>_layer`` with one ``batch_first`` value."""
    grid = [(shape, dtype, False) for shape in LAYER_SHAPES for dtype in DTYPES] + [((5, 2, 3, 4), np.float64, True)]
    cases = []
    for (T, N, I, H), dtype, zero_state in grid:
        params = _draw_params(GATES[kind], I, H, rng, dtype)
        x = rng.standard_normal((N, T, I) if batch_first else (T, N, I)).astype(dtype)
        states = [np.zeros((1, N, H), dtype) if zero_state else rng.standard_normal((1, N, H)).astype(dtype)
                  for _ in range(2 if kind == "lstm" else 1)]
        expected = torch_layer(kind, x, states, params, batch_first)
        label = (f"T={T} N={N} I={I} H={H} {_dtype_name(dtype)} batch_first={batch_first}"
                 + (" zero initial state" if zero_state else ""))
        cases.append(Case(Call(f"{kind}_layer", (x, *states, *params.values()), {"batch_first": batch_first}),
                          expected, label))
    return cases


def tiny_inputs(
    kind: str, N: int = 2, I: int = 3, H: int = 4, T: int | None = None, rng: np.random.Generator | None = None
) -> dict[str, np.ndarray]:
    """The small, hand-readable inputs of the visible tests (the notebooks build the same arrays).

    With ``rng``, arrays of the same shapes with values drawn from it instead: the fresh case that
    every visible check adds, so that hard-coding the visible answer earns nothing.
    """
    G = GATES[kind]
    x_shape = (N, I) if T is None else (T, N, I)
    s_shape = (N, H) if T is None else (1, N, H)

    def values(low: float, high: float, shape: tuple[int, ...]) -> np.ndarray:
        if rng is not None:
            return rng.uniform(-1.0, 1.0, shape)
        return np.linspace(low, high, int(np.prod(shape))).reshape(shape)

    inputs = {"x": values(-1.0, 1.0, x_shape), "h": values(-0.5, 0.5, s_shape)}
    if kind == "lstm":
        inputs["c"] = values(0.5, -0.5, s_shape)
    inputs.update(W_ih=values(-0.4, 0.4, (G * H, I)), W_hh=values(0.3, -0.3, (G * H, H)),
                  b_ih=values(-0.2, 0.2, (G * H,)), b_hh=values(0.1, -0.1, (G * H,)))
    return inputs


def _split_inputs(kind: str, inputs: dict[str, np.ndarray]) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    states = [inputs["h"]] + ([inputs["c"]] if kind == "lstm" else [])
    return states, {k: inputs[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")}


def tiny_cell_cases(kind: str, rng: np.random.Generator) -> list[Case]:
    """The visible test of ``<kind>_cell`` (one tiny case, N=2 I=3 H=4, float64), plus the same shapes
    with values drawn from ``rng``."""
    cases = []
    for draw, label in [(None, "visible tiny case"), (rng, "fresh values, same shapes as the visible case")]:
        inputs = tiny_inputs(kind, rng=draw)
        states, params = _split_inputs(kind, inputs)
        cases.append(Case(Call(f"{kind}_cell", (inputs["x"], *states, *params.values())),
                          torch_cell(kind, inputs["x"], states, params), f"{label} N=2 I=3 H=4 float64"))
    return cases


def tiny_layer_shape_cases(kind: str, rng: np.random.Generator) -> list[Case]:
    """The visible test of ``<kind>_layer`` (shapes only, T=5 N=3 I=2 H=4, ``batch_first=False``), plus
    one case whose sizes are drawn from ``rng``."""
    fresh_shape = tuple(int(n) for n in rng.integers(1, 7, 4))
    cases = []
    for (T, N, I, H), draw, label in [((5, 3, 2, 4), None, "visible shapes"), (fresh_shape, rng, "fresh shapes")]:
        inputs = tiny_inputs(kind, N=N, I=I, H=H, T=T, rng=draw)
        states, params = _split_inputs(kind, inputs)
        cases.append(Case(Call(f"{kind}_layer", (inputs["x"], *states, *params.values()), {"batch_first": False}),
                          torch_layer(kind, inputs["x"], states, params, batch_first=False),
                          f"{label} T={T} N={N} I={I} H={H} batch_first=False"))
    return cases


# ============================================================================ the checks, per assignment

CELL_SPEC = {"rnn": "h_t", "gru": "h_t", "lstm": ("h_t", "c_t")}
LAYER_SPEC = {"rnn": ("output", "h_n"), "gru": ("output", "h_n"), "lstm": ("output", ("h_n", "c_n"))}


def recurrent_checks(assignment: str, kind: str, points: dict[str, float]) -> list[Check]:
    """The five checks of a NumPy cell + layer pair: visible cell, hidden cell, visible layer shapes,
    hidden layer with ``batch_first=False``, hidden layer with ``batch_first=True``."""
    cell, layer = f"{kind}_cell", f"{kind}_layer"
    return [
        Check(assignment, f"{cell}_visible", points[f"{cell}_visible"], (cell,), True,
              lambda rng: tiny_cell_cases(kind, rng), array_judge(CELL_SPEC[kind]),
              description=f"{cell}: shapes and one tiny case"),
        Check(assignment, f"{cell}_hidden", points[f"{cell}_hidden"], (cell,), True,
              lambda rng: cell_cases(kind, rng), array_judge(CELL_SPEC[kind]),
              description=f"{cell} against torch.nn.{kind.upper()}Cell on a grid of shapes and dtypes"),
        Check(assignment, f"{layer}_visible", points[f"{layer}_visible"], (layer,), True,
              lambda rng: tiny_layer_shape_cases(kind, rng), array_judge(LAYER_SPEC[kind], shapes_only=True),
              description=f"{layer}: shapes with batch_first=False"),
        Check(assignment, f"{layer}_time_major", points[f"{layer}_time_major"], (layer,), True,
              lambda rng: layer_cases(kind, rng, batch_first=False), array_judge(LAYER_SPEC[kind]),
              description=f"{layer} against torch.nn.{kind.upper()}, batch_first=False"),
        Check(assignment, f"{layer}_batch_first", points[f"{layer}_batch_first"], (layer,), True,
              lambda rng: layer_cases(kind, rng, batch_first=True), array_judge(LAYER_SPEC[kind]),
              description=f"{layer} against torch.nn.{kind.upper()}, batch_first=True"),
    ]


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
        return f"{name} should be a dict with the keys 'output', 'h_n', 'c_n'; got {result!r}"
    problems = []
    for key, expected in case.expected.items():
        got = result[key]
        if not isinstance(got, tuple | list) or tuple(got) != expected:
            problems.append(f"{key} is {expected}, not {got!r}")
    if not problems:
        return None
    text = f"{name} ({case.label}): " + "; ".join(problems) + "."
    if any(tuple(result[k]) == (SHAPE_QUESTION["N"], 1, SHAPE_QUESTION["H"]) for k in ("h_n", "c_n")
           if isinstance(result[k], tuple | list)):
        return Feedback(text + " h_n and c_n are (num_layers, N, H) whatever batch_first is: batch_first only "
                               "changes the layout of input and output.", variant="h_n_batch_first")
    return Feedback(text)


# ---------------------------------------------------------------- ps4_gru: an nn.Module GRU from scratch

GRU_PARAM_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
MODULE_SHAPES = [(1, 1, 1, 1), (4, 3, 2, 5), (6, 2, 3, 3), (3, 4, 5, 2), (5, 3, 3, 4)]  # (T, N, I, H)


def torch_gru_module(I: int, H: int, batch_first: bool, state_dict: dict, x, h0, d_output=None, d_h_n=None) -> dict:
    """What ``probes.gru_module`` returns, computed with ``torch.nn.GRU``: outputs and, given upstream
    gradients, the gradients of every parameter and of ``x`` and ``h0``."""
    import torch

    module = torch.nn.GRU(I, H, batch_first=batch_first).to(torch.from_numpy(x).dtype)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict.items()})
    from autograder.probes import module_outputs_and_grads

    return module_outputs_and_grads(module, x, h0, d_output, d_h_n)


def gru_module_cases(rng: np.random.Generator, backward: bool) -> list[Case]:
    """Random ``torch.nn.GRU`` parameters loaded into the student's module, both ``batch_first`` values."""
    cases = []
    for (T, N, I, H) in MODULE_SHAPES:
        for batch_first in (False, True):
            params = _draw_params(3, I, H, rng, np.float64)
            state_dict = dict(zip(GRU_PARAM_NAMES, params.values(), strict=True))
            x = rng.standard_normal((N, T, I) if batch_first else (T, N, I))
            h0 = rng.standard_normal((1, N, H))
            d_output = rng.standard_normal(x.shape[:2] + (H,)) if backward else None
            d_h_n = rng.standard_normal((1, N, H)) if backward else None
            args = (I, H, batch_first, state_dict, x, h0, d_output, d_h_n)
            cases.append(Case(Call("probe:gru_module", ("MyGRU", *args)), torch_gru_module(*args),
                              f"T={T} N={N} I={I} H={H} float64 batch_first={batch_first}"))
    return cases


def gru_module_visible_cases(rng: np.random.Generator) -> list[Case]:
    """The notebook's visible test (``torch.manual_seed(0)``, ``nn.GRU(2, 4)``, ``x = randn(5, 3, 2)``,
    ``h0 = randn(1, 3, 4)``, in that order), plus the same sizes from a seed drawn from ``rng``."""
    import torch

    cases = []
    for seed, label in [(0, "visible"), (int(rng.integers(1, 2**31)), "fresh values, visible sizes")]:
        torch.manual_seed(seed)
        reference = torch.nn.GRU(2, 4)
        x, h0 = torch.randn(5, 3, 2), torch.randn(1, 3, 4)
        state_dict = {k: v.detach().numpy().copy() for k, v in reference.state_dict().items()}
        args = (2, 4, False, state_dict, x.numpy(), h0.numpy(), None, None)
        cases.append(Case(Call("probe:gru_module", ("MyGRU", *args)), torch_gru_module(*args),
                          f"{label} T=5 N=3 I=2 H=4 float32 batch_first=False"))
    return cases


def _judge_module_forward(case: Case, result: dict) -> Feedback | None:
    if not isinstance(result, dict) or not {"output", "h_n"} <= set(result):
        return Feedback(f"MyGRU, case {case.label}: could not run the module (got {type(result).__name__})")
    exp = case.expected
    problem = compare((result["output"], result["h_n"]), (exp["output"], exp["h_n"]), ("output", "h_n"))
    if problem is None:
        return None
    I, H, batch_first, state_dict, x, h0 = case.call.args[1:7]
    layer_case = Case(Call("gru_layer", (x, h0, *state_dict.values()), {"batch_first": batch_first}),
                      (exp["output"], exp["h_n"]), case.label)
    match = _matching_variant(layer_case, (result["output"], result["h_n"]), ("output", "h_n"))
    text = f"MyGRU forward, case {case.label}: {problem}."
    return Feedback(f"{text} Your module computes {match[1]}.", match[0]) if match else Feedback(text)


def judge_gru_module_forward(case: Case, result: object) -> str | None:
    return _judge_module_forward(case, result)


def judge_gru_module_backward(case: Case, result: object) -> str | None:
    forward = _judge_module_forward(case, result)
    if forward is not None:
        return Feedback(f"{forward} The gradients cannot be right while the forward pass is wrong.", forward.variant)
    got = result.get("grads") or {}
    wrong = []
    for name, expected in case.expected["grads"].items():
        if got.get(name) is None:
            wrong.append(f"no gradient reached {name} (is it an nn.Parameter used in forward?)")
            continue
        problem = compare(got[name], expected, f"the gradient of {name}")
        if problem:
            wrong.append(problem)
    if not wrong:
        return None
    return Feedback(f"MyGRU backward, case {case.label} (random upstream gradient on output and h_n): "
                    + "; ".join(wrong) + ".")


# ---------------------------------------------------------------- ps4_gru: the two GRU conventions


def flip_update_cases(rng: np.random.Generator) -> list[Case]:
    """Cho-convention parameters -> the PyTorch parameters with the same update rule (the z block negated)."""
    from seqmodels.conventions import flip_update_gate

    cases = []
    for I, H in [(1, 1), (2, 3), (4, 2)]:
        params = _draw_params(3, I, H, rng, np.float64)
        cases.append(Case(Call("cho_update_to_pytorch", tuple(params.values())), flip_update_gate(*params.values()),
                          f"I={I} H={H}"))
    return cases


def judge_flip_update(case: Case, result: object) -> str | None:
    problem = compare(result, case.expected, ("W_ih", "W_hh", "b_ih", "b_hh"))
    if problem is None:
        return None
    text = f"cho_update_to_pytorch, case {case.label}: {problem}."
    if isinstance(result, tuple | list) and len(result) == 4:
        H = case.call.args[1].shape[1]
        if all(np.shape(r) == np.shape(e) for r, e in zip(result, case.expected, strict=True)):
            untouched = [np.allclose(np.asarray(r)[H:2 * H], np.asarray(a)[H:2 * H])
                         for r, a in zip(result, case.call.args, strict=True)]
            if all(untouched):
                text += (" The z block is unchanged: to turn z into 1 - z, negate its pre-activation "
                         "(sigma(-a) = 1 - sigma(a)).")
    return text


def answer_cases(name: str, expected: object, label: str) -> Callable[[np.random.Generator], list[Case]]:
    return lambda rng: [Case(Call("probe:value", (name,)), expected, label)]


def judge_answer(explain: str) -> Callable[[Case, object], str | None]:
    def judge(case: Case, result: object) -> str | None:
        if result == case.expected and type(result) is type(case.expected):
            return None
        return f"{case.call.args[0]} = {result!r} is not right. {explain}"

    return judge


# ---------------------------------------------------------------- ps1_rnn: BPTT for a many-to-one RNN

BPTT_SHAPES = [(1, 1, 1, 1, 1), (4, 3, 2, 5, 2), (6, 2, 3, 3, 1), (3, 1, 4, 2, 3), (10, 2, 2, 3, 2)]  # T N I H K
BPTT_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh", "W_hy", "b_hy")


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
    params = _draw_params(1, I, H, rng, np.float64)
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
    where = f"rnn_many_to_one_grads, case {case.label}"
    if not isinstance(result, tuple | list) or len(result) != 2 or not isinstance(result[1], dict):
        return f"{where}: expected (loss, grads) with grads a dict; got {type(result).__name__}"
    loss, grads = result
    exp_loss, exp_grads = case.expected
    problems = []
    if not isinstance(loss, float | int | np.floating | np.ndarray) or np.size(loss) != 1:
        problems.append(f"loss should be a number; got {type(loss).__name__}")
    elif not np.isclose(float(np.asarray(loss).ravel()[0]), exp_loss, rtol=1e-6, atol=1e-10):
        problems.append(f"loss is {float(np.asarray(loss).ravel()[0]):.6g}; expected {exp_loss:.6g}")
    for name, expected in exp_grads.items():
        if name not in grads:
            problems.append(f"grads has no {name!r}")
            continue
        problem = compare(grads[name], expected, f"grads[{name!r}]")
        if problem:
            problems.append(problem)
    return f"{where}: " + "; ".join(problems) + "." if problems else None


# ---------------------------------------------------------------- ps2_char_lm

CHAR_LM_THRESHOLD = 0.6  # nats/char on held-out text; the grammar's entropy rate is 0.29, unigrams give 2.78


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
    return [Case(Call("probe:char_lm_loss", (held_out,)), {"threshold": CHAR_LM_THRESHOLD},
                 "2000 characters of held-out course corpus")]


def judge_char_lm(case: Case, result: object) -> str | None:
    threshold = case.expected["threshold"]
    if not isinstance(result, float | int) or not np.isfinite(result):
        return f"model: the held-out loss could not be computed (got {result!r})"
    if result <= threshold:
        return None
    return (f"model: held-out loss {result:.3f} nats/char; it must be at most {threshold} (always predicting "
            f"character frequencies gives 2.78, the grammar's entropy rate is 0.29). Train longer or larger.")


CHECKS: dict[str, list[Check]] = {
    "ps3_lstm": recurrent_checks("ps3_lstm", "lstm", {
        "lstm_cell_visible": 1, "lstm_cell_hidden": 3, "lstm_layer_visible": 1,
        "lstm_layer_time_major": 3, "lstm_layer_batch_first": 3,
    }) + [
        Check("ps3_lstm", "shapes_time_major", 1, ("shapes_time_major",), False,
              lambda rng: shape_answer_cases(False), judge_shape_answer,
              description="the shapes of output, h_n, c_n with batch_first=False"),
        Check("ps3_lstm", "shapes_batch_first", 1, ("shapes_batch_first",), False,
              lambda rng: shape_answer_cases(True), judge_shape_answer,
              description="the shapes of output, h_n, c_n with batch_first=True"),
    ],
    "ps4_gru": recurrent_checks("ps4_gru", "gru", {
        "gru_cell_visible": 1, "gru_cell_hidden": 2, "gru_layer_visible": 1,
        "gru_layer_time_major": 2, "gru_layer_batch_first": 2,
    }) + [
        Check("ps4_gru", "gru_module_visible", 1, ("MyGRU",), False, gru_module_visible_cases,
              judge_gru_module_forward, forbid_torch_rnn=True,
              description="MyGRU loads nn.GRU's state_dict and reproduces its outputs (visible case)"),
        Check("ps4_gru", "gru_module_forward", 2, ("MyGRU",), False,
              lambda rng: gru_module_cases(rng, backward=False), judge_gru_module_forward, forbid_torch_rnn=True,
              description="MyGRU's output and h_n against torch.nn.GRU, both batch_first values"),
        Check("ps4_gru", "gru_module_backward", 3, ("MyGRU",), False,
              lambda rng: gru_module_cases(rng, backward=True), judge_gru_module_backward, forbid_torch_rnn=True,
              description="gradients of every parameter, x and h0 against torch.nn.GRU"),
        Check("ps4_gru", "cho_update_to_pytorch_hidden", 2, ("cho_update_to_pytorch",), True, flip_update_cases,
              judge_flip_update, description="parameters that turn the notes' update rule into PyTorch's"),
        Check("ps4_gru", "reset_convertible", 1, ("reset_convertible",), False,
              answer_cases("reset_convertible", False, "can parameters move the reset gate?"),
              judge_answer("r multiplies W_hn h + b_hn in PyTorch but h inside the matmul in the notes; "
                           "r * (W h) and W (r * h) differ for general W, so no choice of parameters turns "
                           "one into the other."),
              description="can a choice of parameters turn the notes' reset into PyTorch's?"),
    ],
    "ps1_rnn": recurrent_checks("ps1_rnn", "rnn", {
        "rnn_cell_visible": 1, "rnn_cell_hidden": 2, "rnn_layer_visible": 1,
        "rnn_layer_time_major": 2, "rnn_layer_batch_first": 2,
    }) + [
        Check("ps1_rnn", "bptt_visible", 1, ("rnn_many_to_one_grads",), True, bptt_visible_cases, judge_bptt,
              description="loss and gradients of the many-to-one RNN (visible case)"),
        Check("ps1_rnn", "bptt_hidden", 3, ("rnn_many_to_one_grads",), True, bptt_cases, judge_bptt,
              description="loss and gradients against torch autograd on a grid of shapes"),
        Check("ps1_rnn", "vanishing_answer", 1, ("vanishing_answer",), False,
              answer_cases("vanishing_answer", "b", "the vanishing-gradient experiment"),
              judge_answer("With small recurrent weights the gradient reaching early inputs shrinks by "
                           "roughly a constant factor per step: it decays geometrically (answer b)."),
              description="the vanishing-gradient experiment"),
    ],
    "ps2_char_lm": [
        Check("ps2_char_lm", "one_hot_visible", 1, ("one_hot",), True, one_hot_visible_cases,
              array_judge("one_hot(...)"), description="one_hot on the visible case"),
        Check("ps2_char_lm", "one_hot_hidden", 1, ("one_hot",), True, one_hot_cases, array_judge("one_hot(...)"),
              description="one_hot against torch.nn.functional.one_hot"),
        Check("ps2_char_lm", "cross_entropy_visible", 1, ("softmax_cross_entropy",), True,
              lambda rng: cross_entropy_cases(rng, visible=True), array_judge(("loss", "d_logits")),
              description="softmax_cross_entropy on the visible case"),
        Check("ps2_char_lm", "cross_entropy_hidden", 2, ("softmax_cross_entropy",), True, cross_entropy_cases,
              array_judge(("loss", "d_logits")),
              description="loss and gradient against torch.nn.functional.cross_entropy, large logits included"),
        Check("ps2_char_lm", "temperature_hidden", 1, ("softmax_with_temperature",), True, temperature_cases,
              array_judge("probs"), description="softmax(logits / temperature) against torch.softmax"),
        Check("ps2_char_lm", "sample_hidden", 1, ("sample",), True, sample_cases, judge_sample_counts,
              description="the frequencies of 4000 draws of sample()"),
        Check("ps2_char_lm", "char_lm_trained", 3, ("model",), False, char_lm_cases, judge_char_lm,
              description=f"the trained model's held-out loss is at most {CHAR_LM_THRESHOLD} nats/char"),
    ],
}


# ============================================================================ lookup and the in-kernel path


def get_check(assignment: str, cell_id: str) -> Check:
    if assignment not in CHECKS:
        raise KeyError(f"no checks for assignment {assignment!r}; known: {sorted(CHECKS)}")
    for check in CHECKS[assignment]:
        if check.cell_id == cell_id:
            return check
    raise KeyError(f"{assignment} has no check {cell_id!r}; known: {[c.cell_id for c in CHECKS[assignment]]}")


def reference_seed(assignment: str, cell_id: str) -> int:
    """The fixed seed of the stored reference cases of one check."""
    return zlib.crc32(f"{assignment}:{cell_id}".encode())


def data_path(assignment: str) -> Path:
    return DATA_DIR / f"{assignment}.json"


@functools.cache
def _stored(assignment: str) -> dict:
    path = data_path(assignment)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: reference data missing; run `python -m autograder.reference` to write it")
    return json.loads(path.read_text())


def load_cases(assignment: str, cell_id: str) -> list[Case]:
    """The stored fixed-seed cases of one check (from ``autograder/data/<assignment>.json``)."""
    stored = _stored(assignment)["checks"]
    if cell_id not in stored:
        raise KeyError(f"{data_path(assignment)} has no cases for {cell_id!r}; run `python -m autograder.reference`")
    return [case_from_json(c) for c in stored[cell_id]]


def call_in_namespace(call: Call, namespace: dict) -> object:
    """Make ``call`` in this process: the student's function from ``namespace``, or a probe."""
    args, kwargs = copy.deepcopy(call.args), copy.deepcopy(call.kwargs)  # the student may modify inputs in place
    if call.target.startswith("probe:"):
        from autograder import probes

        return getattr(probes, call.target.removeprefix("probe:"))(namespace, *args, **kwargs)
    return namespace[call.target](*args, **kwargs)


def missing_message(check: Check, missing: list[str], namespace: dict) -> str:
    """Feedback for names the student did not define, with the closest names they did define."""
    contract = {name for c in CHECKS[check.assignment] for name in c.names}
    defined = [k for k, v in namespace.items() if callable(v) and not k.startswith("_") and k not in contract]
    hints = [f"{name} (you defined {', '.join(close)})" if (close := difflib.get_close_matches(name, defined, 2, 0.5))
             else name for name in missing]
    return (f"{check.cell_id}: {'; '.join(hints)} is not defined; run the cell that defines it and keep the "
            f"name from the assignment.")


def run_check(assignment: str, cell_id: str, namespace: dict) -> None:
    """The body of a hidden test cell: replay the stored cases in this kernel, raise ``AssertionError`` on failure."""
    check = get_check(assignment, cell_id)
    missing = [name for name in check.names if name not in namespace]
    if missing:
        raise AssertionError(missing_message(check, missing, namespace))
    findings = forbidden_uses(check, namespace)
    if findings:
        raise AssertionError(forbidden_message(check, findings))
    cases = load_cases(assignment, cell_id)
    results: list[object] = []
    for case in cases:
        try:
            results.append(call_in_namespace(case.call, namespace))
        except Exception as err:  # noqa: BLE001 - the student's exception becomes feedback
            results.append(CallError(f"raised {type(err).__name__}: {err}"))
    verdict = decide(check, cases, results)
    if not verdict.passed:
        raise AssertionError(verdict.message)
    print(verdict.message)
