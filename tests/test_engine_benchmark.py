"""A small-N smoke run of the benchmark: both graders run on the same submissions and agree.

The speed figures themselves are printed by `python -m autograder.tooling.benchmark --n 40`, not asserted here.
"""

import pytest
from engine_course import REPO

from autograder.tooling.benchmark import MIX, run_benchmark

pytestmark = pytest.mark.slow


def test_benchmark_grades_both_ways_and_scores_agree(tmp_path):
    result = run_benchmark(3, tmp_path, workers=2)
    assert result["disagree"] == {}
    assert set(result["kinds"].values()) == set(MIX[:3])
    assert result["scores"]["s000_correct"] == 13
    assert result["scores"]["s002_ignores_batch_first"] == 10
    assert result["stock_rate"] > 0 and result["ours_rate"] > 0


def test_a_cheat_that_fools_stock_nbgrader_is_corrected_and_flagged(tmp_path):
    """Stock `nbgrader autograde` runs the hidden tests in the student's kernel, so rebinding the test
    helper earns points there. The autograder decides outside student code, overwrites the gradebook
    through nbgrader's API, flags the disagreement, and nbgrader's own feedback and export still work."""
    import csv
    import importlib.util
    import subprocess

    from engine_course import make_course, nbgrader_env, student_notebook, write_submission

    from autograder.cli import main as autograder_main
    from autograder.tooling.benchmark import BIN, auto_scores

    spec = importlib.util.spec_from_file_location("cheat", REPO / "tests/fixtures/redteam/rebind_test_helpers.py")
    cheat = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cheat)
    course = make_course(tmp_path / "course")
    submitted = course / "nbgrader_work" / "submitted"
    write_submission(submitted, "mallory", student_notebook(course, answers=cheat.CELLS, solved=False))
    write_submission(submitted, "olivia", student_notebook(course))
    subprocess.run([str(BIN / "nbgrader"), "autograde", "ps3_lstm", "--log-level=ERROR"], cwd=course,
                   env=nbgrader_env(), check=True, capture_output=True)
    stock = auto_scores(course)
    assert stock["mallory"] >= 7 and stock["olivia"] == 13  # the hidden tests were fooled

    assert autograder_main(["ps3_lstm", str(submitted), "--course", str(course), "--quiet"]) == 0
    assert auto_scores(course) == {"mallory": 0, "olivia": 13}
    with open(course / "nbgrader_work/autograder/ps3_lstm/grades.csv", encoding="utf-8") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert "the gradebook held" in rows["mallory"]["review"]
    assert "the gradebook held" not in rows["olivia"]["review"]

    env = nbgrader_env()
    subprocess.run([str(BIN / "nbgrader"), "generate_feedback", "ps3_lstm", "--log-level=ERROR"], cwd=course,
                   env=env, check=True, capture_output=True)
    page = (course / "nbgrader_work/feedback/mallory/ps3_lstm/ps3_lstm.html").read_text(encoding="utf-8")
    assert "cases fail" in page  # the sandboxed judgement, shown as the test cell's error by nbgrader
    subprocess.run([str(BIN / "nbgrader"), "export", "--log-level=ERROR"], cwd=course, env=env, check=True,
                   capture_output=True)
    with open(course / "grades.csv", encoding="utf-8") as f:
        exported = {r["student_id"]: float(r["raw_score"]) for r in csv.DictReader(f)}
    assert exported["mallory"] == 0 and exported["olivia"] == 13
