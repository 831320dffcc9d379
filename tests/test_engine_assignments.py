"""The `autograder` command on every real assignment: the solution notebook submitted as-is earns full
marks, the untouched release earns 0, and the assignments engineer's fixture submissions get exactly the
per-cell scores that stock `nbgrader autograde` must give them (EXPECTED_ZERO, one table for both graders).
"""

import csv
import shutil
from pathlib import Path

import pytest
from engine_course import REPO, make_course
from test_assignments_pipeline import EXPECTED_ZERO, FIXTURES

from autograder.cli import main as autograder_main

pytestmark = pytest.mark.slow

ASSIGNMENTS = sorted(p.name for p in (REPO / "solutions").glob("ps*") if p.is_dir())


def _grade(course: Path, assignment: str) -> dict[str, dict]:
    subs = course / f"submissions_{assignment}"
    for student, notebook in [("solution", REPO / "solutions" / assignment / f"{assignment}.ipynb"),
                              ("untouched", course / "exercises" / assignment / f"{assignment}.ipynb")] + [
            (f, FIXTURES / assignment / f"{f}.ipynb") for f in EXPECTED_ZERO.get(assignment, {})]:
        (subs / student / assignment).mkdir(parents=True)
        shutil.copy(notebook, subs / student / assignment / f"{assignment}.ipynb")
    assert autograder_main([assignment, str(subs), "--course", str(course), "--quiet", "--workers", "2"]) == 0
    with open(course / "nbgrader_work" / "autograder" / assignment / "grades.csv", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = make_course(tmp_path_factory.mktemp("all_assignments"), *ASSIGNMENTS)
    return {assignment: _grade(course, assignment) for assignment in ASSIGNMENTS}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_full_marks_release_zero(graded, assignment):
    rows = graded[assignment]
    assert float(rows["solution"]["score"]) == float(rows["solution"]["max_score"]) > 0
    assert float(rows["untouched"]["score"]) == 0


@pytest.mark.parametrize("assignment,fixture", [(a, f) for a, fs in EXPECTED_ZERO.items() for f in fs])
def test_fixture_scores_match_the_stock_expectations(graded, assignment, fixture):
    rows = graded[assignment]
    cells = [c for c in rows["solution"] if c not in ("student", "score", "max_score", "status", "review")]
    full = {c: float(rows["solution"][c]) for c in cells}
    expected = {c: 0.0 if c in EXPECTED_ZERO[assignment][fixture] else full[c] for c in cells}
    assert {c: float(rows[fixture][c]) for c in cells} == expected
