"""The real nbgrader pipeline on ps1_rnn and ps2_char_lm: release, solution full marks, untouched release 0."""

import pytest
from assignments_course import REPO, Course

ASSIGNMENTS = ["ps1_rnn", "ps2_char_lm"]


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = Course(tmp_path_factory.mktemp("nbgrader_ps12"))
    for assignment in ASSIGNMENTS:
        released = course.release(assignment)
        course.submit(assignment, "solution", REPO / "solutions" / assignment / f"{assignment}.ipynb")
        course.submit(assignment, "untouched", released)
        course.autograde(assignment)
    return course


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_matches_committed_exercises(course, assignment):
    generated = course.work / "release" / assignment / f"{assignment}.ipynb"
    committed = REPO / "exercises" / assignment / f"{assignment}.ipynb"
    assert generated.read_bytes() == committed.read_bytes(), "exercises/ is stale: run `make exercises`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_gets_full_automatic_marks_and_untouched_release_zero(course, assignment):
    scores, maximum = course.scores(assignment), course.max_auto_score(assignment)
    assert scores["solution"] == maximum
    assert set(scores["untouched"]) == set(maximum) and sum(scores["untouched"].values()) == 0
