"""What a sandbox runs for one submission, built from the *source* notebook and the student's cells.

Cells are matched by nbgrader ``grade_id``, in the source notebook's order: solution cells come from
the student, locked cells from the source (so edited or reordered cells do not matter), and each
auto-graded test cell becomes a :class:`CallsStep` that asks the student's process for the values its
:class:`~autograder.correctness.cases.Check` judges. Test-cell code itself never runs in the sandbox.
Cells the student added (no nbgrader metadata) run after the graded cell they follow, as in stock
nbgrader. Nothing here runs or judges student code: it only reads the notebook, totally.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from autograder.running.inside.protocol import CodeStep
from autograder.running.nbmeta import cell_source, cell_type, grade_id, is_manual, is_solution, is_test

VISIBLE = " (visible test)"  # suffix of the code steps that run a test cell's released code
MAX_TRANSFORMED = 20_000  # characters: IPython's transformer takes time that grows with lines x magics


def to_python(source: str) -> str:
    """IPython syntax (``%magic``, ``!cmd``) as plain Python calling ``get_ipython()``. Cells without ``%`` or
    ``!``, and cells longer than :data:`MAX_TRANSFORMED`, are left as they are (this runs in the grader)."""
    if ("%" not in source and "!" not in source) or len(source) > MAX_TRANSFORMED:
        return source
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - RecursionError included: compile() in the sandbox reports the error
        return source


@dataclass
class Plan:
    """The code steps in order, with the test cells' positions (``calls_at``: test cell -> index in
    ``steps`` before which its calls run, i.e. after every cell above it)."""

    steps: list[CodeStep]
    calls_at: dict[str, int]
    student_cells: dict[str, str]  # grade_id or "added-<n>" -> source the student wrote
    missing_cells: list[str] = field(default_factory=list)  # solution cells the student deleted
    duplicate_cells: list[str] = field(default_factory=list)  # graded cells found twice (the first is graded)

    @property
    def visible_tests(self) -> set[str]:
        """The code steps that are released test cells (not the student's, and graded by no one)."""
        return {s.cell for s in self.steps if s.cell.endswith(VISIBLE)}


def build_plan(source: Any, student: Any, check_ids: set[str], visible: dict[str, str] | None = None) -> Plan:
    """Steps in source order; ``check_ids`` are the test cells that have a check. ``visible`` maps a test cell
    to its released (visible) code, which runs right after the cell's calls, as in the student's kernel:
    a later cell may use what it computed."""
    source_cells = [c for c in source.get("cells", []) if isinstance(c, dict)]
    student_cells_raw = student.get("cells", []) if isinstance(student, dict) else []
    student_cells_raw = student_cells_raw if isinstance(student_cells_raw, list) else []
    source_ids = {grade_id(c) for c in source_cells if grade_id(c)}
    by_id: dict[str, Any] = {}
    added: dict[str | None, list[tuple[str, str]]] = defaultdict(list)
    student_cells: dict[str, str] = {}
    duplicates: list[str] = []
    last: str | None = None
    for n, cell in enumerate(student_cells_raw):
        gid = grade_id(cell)
        if gid in source_ids:
            if gid in by_id:
                duplicates.append(gid)
            by_id.setdefault(gid, cell)
            last = gid
        elif cell_type(cell) == "code":
            name = f"added-{n}"
            added[last].append((name, cell_source(cell)))
            student_cells[name] = cell_source(cell)
    steps = [CodeStep(name, to_python(src)) for name, src in added[None]]
    calls_at: dict[str, int] = {}
    missing: list[str] = []
    for cell in source_cells:
        gid = grade_id(cell)
        if cell_type(cell) == "code" and gid:
            if is_solution(cell):
                mine = by_id.get(gid)
                if mine is None:
                    missing.append(gid)
                else:
                    student_cells[gid] = cell_source(mine)
                    steps.append(CodeStep(gid, to_python(student_cells[gid])))
            elif is_test(cell):
                if gid in check_ids:
                    calls_at[gid] = len(steps)
                if gid in (visible or {}):
                    steps.append(CodeStep(f"{gid}{VISIBLE}", to_python(visible[gid])))
            else:
                steps.append(CodeStep(gid, to_python(cell_source(cell))))
        elif is_manual(cell) and gid in by_id:  # a written answer, graded by hand
            student_cells[gid] = cell_source(by_id[gid])
        if gid:
            steps += [CodeStep(name, to_python(src)) for name, src in added[gid]]
    return Plan(steps, calls_at, student_cells, missing, duplicates)
