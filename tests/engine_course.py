"""The scratch nbgrader course of the grading-engine tests: the benchmark's helpers, re-exported.

``make_course`` copies the real ``solutions/<assignment>`` and ``nbgrader_config.py`` into a temporary
folder and runs ``nbgrader generate_assignment`` there, so tests grade the real notebooks against the
real checks without touching the repository's ``exercises/`` or ``nbgrader_work/``.
"""

from autograder.tooling.benchmark import REPO, make_course, nbgrader_env, student_notebook, write_submission

__all__ = ["REPO", "make_course", "nbgrader_env", "student_notebook", "write_submission"]
