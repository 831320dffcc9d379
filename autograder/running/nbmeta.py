"""nbgrader's cell metadata, read totally: a cell from a student's file may hold anything.

Every helper returns a safe default (``{}``, ``None``, ``False``, ``""``) for metadata that is missing or
of the wrong type, so a malformed notebook is graded as far as it can be instead of stopping the run.
"""

from __future__ import annotations

import math
from typing import Any


def nbgrader_meta(cell: Any) -> dict:
    """The ``metadata.nbgrader`` dict of ``cell``, or ``{}``."""
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nb = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nb if isinstance(nb, dict) else {}


def grade_id(cell: Any) -> str | None:
    """The cell's nbgrader ``grade_id`` when it is a non-empty string, else ``None``."""
    gid = nbgrader_meta(cell).get("grade_id")
    return gid if isinstance(gid, str) and gid else None


def cell_type(cell: Any) -> str | None:
    kind = cell.get("cell_type") if isinstance(cell, dict) else None
    return kind if isinstance(kind, str) else None


def multiline_text(value: Any) -> str | None:
    """nbformat's multiline string (a string, or a list of strings to join) as one string, else ``None``."""
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        return "".join(value)
    return value if isinstance(value, str) else None


def cell_source(cell: Any) -> str:
    """The cell's source as one string; a source that is not text is ``""``."""
    source = multiline_text(cell.get("source")) if isinstance(cell, dict) else None
    return source or ""


def is_solution(cell: Any) -> bool:
    return nbgrader_meta(cell).get("solution") is True


def is_test(cell: Any) -> bool:
    """An auto-graded test cell: graded, not a solution, code."""
    meta = nbgrader_meta(cell)
    return meta.get("grade") is True and meta.get("solution") is not True and cell_type(cell) == "code"


def is_manual(cell: Any) -> bool:
    """A solution cell graded by hand in formgrader (a written answer)."""
    meta = nbgrader_meta(cell)
    return meta.get("grade") is True and meta.get("solution") is True


def points(cell: Any) -> float:
    """The cell's points when they are a finite number, else ``0.0``."""
    value = nbgrader_meta(cell).get("points", 0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    try:
        number = float(value)
    except OverflowError:  # an int too large for a float
        return 0.0
    return number if math.isfinite(number) else 0.0
