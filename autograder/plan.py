"""What the sandbox runs for one submission, built from the *source* notebook and the student's cells.

Cells are matched by nbgrader ``grade_id``, in the source notebook's order: solution cells come from
the student, locked cells from the source (so edited or reordered cells do not matter), and each
auto-graded test cell becomes a ``calls`` step that asks the student's process for the values its
:class:`~autograder.checks.Check` judges. Test-cell code itself never runs in the sandbox. Cells the
student added (no nbgrader metadata) run after the graded cell they follow, as in stock nbgrader.

Also here: the static scan that scores a NumPy-only part 0 when the functions it needs use ``torch``,
``seqmodels`` or ``autograder``; it reads the student's source in the grader process.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import nbformat

FORBIDDEN_EVERYWHERE = ("seqmodels", "autograder")  # importing these is never the student's own work
FORBIDDEN_IN_NUMPY = ("torch",)
DYNAMIC_ACCESS = {"__import__", "importlib", "exec", "eval", "compile", "globals", "vars", "sys", "builtins",
                  "__builtins__"}
TORCH_RNN_ATTRS = {"RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase", "RNNCellBase", "_VF"}


def nbgrader_meta(cell: Any) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell: Any) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_solution(cell: Any) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_test(cell: Any) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution") and cell.get("cell_type") == "code"


def to_python(source: str) -> str:
    """IPython syntax (``%magic``, ``!cmd``) as plain Python calling ``get_ipython()``."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - leave it to compile() in the sandbox to report the error
        return source


@dataclass
class Plan:
    steps: list[dict]
    student_cells: dict[str, str]  # grade_id or "added-<n>" -> source the student wrote
    missing_cells: list[str] = field(default_factory=list)  # solution cells the student deleted
    unknown_cells: list[str] = field(default_factory=list)  # grade_ids not in the source notebook


def build_plan(source: nbformat.NotebookNode, student: nbformat.NotebookNode, checks: dict) -> Plan:
    """Steps in source order. ``checks`` maps a test cell's grade_id to its ``Check``; its ``cases``
    are attached later (they are drawn per submission with a secret seed)."""
    source_ids = {grade_id(c) for c in source.cells if grade_id(c)}
    by_id: dict[str, Any] = {}
    added: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
    student_cells: dict[str, str] = {}
    unknown: list[str] = []
    last: str | None = None
    for n, cell in enumerate(student.cells):
        gid = grade_id(cell)
        if gid in source_ids:
            by_id.setdefault(gid, cell)
            last = gid
        elif cell.get("cell_type") == "code":
            if gid:
                unknown.append(gid)
            name = f"added-{n}"
            added[last].append((name, cell.get("source", "")))
            student_cells[name] = cell.get("source", "")
    steps: list[dict] = [{"kind": "code", "cell": name, "source": to_python(src)} for name, src in added[None]]
    missing: list[str] = []
    for cell in source.cells:
        gid = grade_id(cell)
        if cell.get("cell_type") == "code" and gid:
            if is_solution(cell):
                mine = by_id.get(gid)
                if mine is None:
                    missing.append(gid)
                else:
                    student_cells[gid] = mine.get("source", "")
                    steps.append({"kind": "code", "cell": gid, "source": to_python(student_cells[gid])})
            elif is_test(cell):
                if gid in checks:
                    steps.append({"kind": "calls", "cell": gid})
            else:
                steps.append({"kind": "code", "cell": gid, "source": to_python(cell.get("source", ""))})
        elif is_solution(cell) and gid in by_id:  # a written answer, graded by hand
            student_cells[gid] = by_id[gid].get("source", "")
        if gid:
            steps += [{"kind": "code", "cell": name, "source": to_python(src)} for name, src in added[gid]]
    return Plan(steps, student_cells, missing, unknown)


# ------------------------------------------------------------------------------------- static scan


def _module_root(name: str) -> str:
    return name.split(".")[0]


class _Scan(ast.NodeVisitor):
    """Aliases bound to forbidden modules, and the names each student function refers to."""

    def __init__(self) -> None:
        self.aliases: dict[str, str] = {}  # local name -> forbidden root module
        self.imports: set[str] = set()  # forbidden root modules imported anywhere
        self.uses: dict[str, set[str]] = defaultdict(set)  # function -> names it refers to
        self._stack: list[str] = []

    def _bind(self, local: str, module: str) -> None:
        root = _module_root(module)
        if root in FORBIDDEN_EVERYWHERE + FORBIDDEN_IN_NUMPY:
            self.aliases[local] = root
            self.imports.add(root)

    def visit_Import(self, node: ast.Import) -> None:
        for a in node.names:
            self._bind((a.asname or a.name).split(".")[0], a.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for a in node.names:
            self._bind(a.asname or a.name, node.module or "")

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self._stack.append(node.name)
        self.generic_visit(node)
        self._stack.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _visit_function

    def visit_Attribute(self, node: ast.Attribute) -> None:
        for fn in self._stack:
            self.uses[fn].add("." + node.attr)
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        """``lstm_cell = seqmodels.lstm_cell`` at the top level: the name uses what its value uses."""
        if not self._stack:
            targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
            self._stack.extend(targets)
            self.generic_visit(node)
            del self._stack[len(self._stack) - len(targets):]
        else:
            self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        for fn in self._stack:
            self.uses[fn].add(node.id)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and node.value.split(".")[0] in FORBIDDEN_EVERYWHERE + FORBIDDEN_IN_NUMPY:
            for fn in self._stack:
                self.uses[fn].add("__import__")


def forbidden_use(
    student_cells: dict[str, str], names: tuple[str, ...], numpy_only: bool, forbid_torch_rnn: bool = False
) -> str | None:
    """A message when the student's code for ``names`` relies on code it must not, else ``None``.

    The policy is the check's (:class:`autograder.checks.Check`): a check with neither flag allows
    everything. Otherwise, following ``names`` through the student's functions, classes and top-level
    assignments: ``seqmodels`` or ``autograder`` always count; for a NumPy-only part also ``torch`` and
    dynamic imports; with ``forbid_torch_rnn``, torch's recurrent layers (``nn.GRU``, ``_VF``, ...).
    """
    if not (numpy_only or forbid_torch_rnn):
        return None
    roots = FORBIDDEN_EVERYWHERE + (FORBIDDEN_IN_NUMPY if numpy_only else ())
    scan = _Scan()
    for src in student_cells.values():
        try:
            scan.visit(ast.parse(to_python(src)))
        except SyntaxError:
            continue
    seen, todo = set(), list(names)
    while todo:
        fn = todo.pop()
        if fn in seen:
            continue
        seen.add(fn)
        if scan.aliases.get(fn) in roots:
            return _forbidden_message(fn, fn, scan.aliases[fn])
        for used in sorted(scan.uses.get(fn, ())):
            if scan.aliases.get(used) in roots:
                return _forbidden_message(fn, used, scan.aliases[used])
            if numpy_only and used in DYNAMIC_ACCESS:
                return f"`{fn}` uses `{used}` in a NumPy-only part: import nothing but NumPy"
            if forbid_torch_rnn and used.lstrip(".") in TORCH_RNN_ATTRS and (used.startswith(".") or used in
                                                                              scan.aliases):
                return f"`{fn}` uses torch's built-in recurrent layer `{used.lstrip('.')}`: build it from tensor ops"
            if used in scan.uses or used in scan.aliases:
                todo.append(used)
    return None


def _forbidden_message(fn: str, used: str, root: str) -> str:
    if root == "torch":
        return f"`{fn}` uses torch (`{used}`) in a NumPy-only part: use NumPy only"
    return f"`{fn}` uses the course's reference code (`{used}` from {root}): write it yourself"
