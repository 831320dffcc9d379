"""The real nbgrader pipeline on every assignment: release, the solution, the untouched release and the
fixture submissions, autograde, feedback and export, with one gradebook for the module."""

from pathlib import Path

import pytest
from engine_course import REPO, Course, make_course

pytestmark = pytest.mark.slow

FIXTURES = REPO / "tests" / "fixtures" / "submissions"
# Fixture -> the automatically graded cells it must lose; every other cell earns its full points.
EXPECTED_ZERO: dict[str, dict[str, set[str]]] = {
    "ps1_rnn": {},
    "ps2_char_lm": {},
    "ps3_lstm": {
        "correct_alt": set(),
        "gates_ifog": {"lstm_cell_visible", "lstm_cell_hidden", "lstm_layer_time_major", "lstm_layer_batch_first"},
        "batch_first_ignored": {"lstm_layer_batch_first"},
        "h_n_batch_first": {"lstm_layer_batch_first", "shapes_batch_first"},
        "syntax_error": {"lstm_layer_visible", "lstm_layer_time_major", "lstm_layer_batch_first"},
        "missing_function": {"lstm_layer_visible", "lstm_layer_time_major", "lstm_layer_batch_first"},
    },
    "ps4_gru": {
        "gru_notes_convention": {"gru_cell_visible", "gru_cell_hidden", "gru_layer_time_major",
                                 "gru_layer_batch_first"},
        "uses_reference_code": {"gru_cell_visible", "gru_cell_hidden", "gru_layer_visible", "gru_layer_time_major",
                                "gru_layer_batch_first", "gru_module_visible", "gru_module_forward",
                                "gru_module_backward"},
    },
}
ASSIGNMENTS = list(EXPECTED_ZERO)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    course = Course(make_course(tmp_path_factory.mktemp("nbgrader_course"), *ASSIGNMENTS))
    for assignment in ASSIGNMENTS:
        released = course.released(assignment)
        course.submit(assignment, "solution", REPO / "solutions" / assignment / f"{assignment}.ipynb")
        course.submit(assignment, "untouched", released)
        for fixture in EXPECTED_ZERO[assignment]:
            course.submit(assignment, fixture, FIXTURES / assignment / f"{fixture}.ipynb")
        course.autograde(assignment)
    return course


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_release_matches_committed_exercises(course, assignment):
    """exercises/ is what `make exercises` generates now: it has not drifted from solutions/."""
    generated = course.released(assignment)
    committed = REPO / "exercises" / assignment / f"{assignment}.ipynb"
    assert generated.read_bytes() == committed.read_bytes(), "exercises/ is stale: run `make exercises`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_gets_full_automatic_marks_and_untouched_release_zero(course, assignment):
    scores, maximum = course.scores(assignment), course.max_auto_score(assignment)
    assert scores["solution"] == maximum
    assert set(scores["untouched"]) == set(maximum) and sum(scores["untouched"].values()) == 0


@pytest.mark.parametrize(("assignment", "fixture"),
                         [(a, f) for a, fixtures in EXPECTED_ZERO.items() for f in fixtures])
def test_fixture_gets_its_partial_score(course, assignment, fixture):
    scores, maximum = course.scores(assignment)[fixture], course.max_auto_score(assignment)
    expected = {cell: 0.0 if cell in EXPECTED_ZERO[assignment][fixture] else points for cell, points in maximum.items()}
    assert scores == expected


def test_feedback_names_the_mistake_and_export_has_every_student(course):
    course.nbgrader("generate_feedback", "ps3_lstm", "--force")
    feedback = Path(course.work / "feedback" / "gates_ifog" / "ps3_lstm" / "ps3_lstm.html").read_text()
    assert "an LSTM with gates ordered i,f,o,g" in feedback and "PyTorch orders the blocks i,f,g,o" in feedback
    feedback = Path(course.work / "feedback" / "h_n_batch_first" / "ps3_lstm" / "ps3_lstm.html").read_text()
    assert "whatever batch_first is" in feedback
    csv = course.work / "grades.csv"
    course.nbgrader("export", f"--to={csv}")
    rows = {line.split(",")[3]: line.split(",") for line in csv.read_text().splitlines()[1:]
            if line.startswith("ps3_lstm,")}
    assert float(rows["solution"][7]) == 13.0 and float(rows["gates_ifog"][7]) == 3.0
    assert float(rows["solution"][10]) == 15.0  # 13 automatic + 2 for the written answer, graded by hand
