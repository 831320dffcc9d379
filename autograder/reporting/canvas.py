"""Grades as a CSV that Canvas' gradebook imports (Grades -> Import), beside ``nbgrader export``.

Canvas reads the columns of its own gradebook export: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``,
``Section``, then one column per assignment, named ``<name> (<Canvas assignment id>)`` to update an existing
assignment or just ``<name>`` to create one; the row under the header gives ``Points Possible``. Students are
matched by those ids: the nbgrader student id (the name in the submission's file or folder, which for LMS
downloads is the login) goes into ``SIS Login ID`` and, for display, ``Student``. Scores are each
submission's total in nbgrader's gradebook, so parts graded by hand in formgrader count once they are
graded; a student without a gradebook entry gets an empty cell, which Canvas leaves unchanged.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from pathlib import Path

from nbgrader.api import MissingEntry

from autograder.running.gradebook import Course

COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
POINTS_POSSIBLE = "    Points Possible"  # as Canvas writes it in its exports


def gradebook_totals(course: Course, assignment: str, students: Iterable[str]) -> tuple[dict[str, float], float]:
    """Each student's total score in nbgrader's gradebook (automatic and by hand), and the assignment's
    maximum; students without a submission there are left out."""
    totals: dict[str, float] = {}
    with course.gradebook() as gb:
        try:
            max_score = float(gb.find_assignment(assignment).max_score)
        except MissingEntry:
            return {}, 0.0
        for student in students:
            try:
                totals[student] = float(gb.find_submission(assignment, student).score)
            except MissingEntry:
                continue
    return totals, max_score


def write_canvas_csv(path: Path, assignment: str, totals: dict[str, float], students: Iterable[str],
                     max_score: float, canvas_assignment_id: str | None = None) -> Path:
    """Write the import file (atomically) for ``students`` in order; returns its path."""
    column = f"{assignment} ({canvas_assignment_id})" if canvas_assignment_id else assignment
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow([*COLUMNS, column])
        w.writerow([POINTS_POSSIBLE, "", "", "", "", f"{max_score:g}"])
        for student in students:
            score = totals.get(student)
            w.writerow([student, "", "", student, "", "" if score is None else f"{score:g}"])
    os.replace(tmp, path)
    return path
