"""nbgrader's configuration for this course: run every `nbgrader` command from the repository root.

Layout (nbgrader's steps -> folders):
  source    -> solutions/<assignment>/        instructor notebooks: solutions and hidden tests (committed)
  release   -> exercises/<assignment>/        student notebooks, made by `make exercises` (committed)
  submitted, autograded, feedback, the gradebook -> nbgrader_work/ (git-ignored, one working folder)
Hidden test cells call autograder.checks.run_check, so the repository's `pip install -e .` must be in
the kernel's environment (the course venv). Keep .venv/bin on PATH: nbgrader shells out to `alembic`.
"""

import os

ROOT = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(ROOT, "nbgrader_work")
os.makedirs(WORK, exist_ok=True)

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.root = ROOT
c.CourseDirectory.course_id = "seqmodels"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
c.CourseDirectory.submitted_directory = os.path.join(WORK, "submitted")
c.CourseDirectory.autograded_directory = os.path.join(WORK, "autograded")
c.CourseDirectory.feedback_directory = os.path.join(WORK, "feedback")
c.CourseDirectory.solution_directory = os.path.join(WORK, "solution")
c.CourseDirectory.source_with_tests_directory = os.path.join(WORK, "source_with_tests")
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(WORK, "gradebook.db")

# ps2_char_lm trains a small model inside the notebook: give a cell up to two minutes.
c.Execute.timeout = 120
