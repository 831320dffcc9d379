"""The tests' one helper for scratch nbgrader courses (the benchmark's builders, plus caching and nbgrader).

``make_course(root, *assignments)`` gives ``root`` the real ``solutions/<assignment>`` and
``nbgrader_config.py`` with the assignments released there by ``nbgrader generate_assignment``, so tests
grade the real notebooks against the real checks without touching the repository's ``exercises/`` or
``nbgrader_work/``. Releasing takes seconds per assignment, so each set of assignments is released once
per test process and copied after that. :class:`Course` runs nbgrader's own commands in such a course.
"""

from __future__ import annotations

import atexit
import shutil
import subprocess
import tempfile
from pathlib import Path

from nbgrader.api import Gradebook

from autograder.tooling import benchmark
from autograder.tooling.benchmark import BIN, REPO, nbgrader_env, student_notebook, write_submission

__all__ = ["REPO", "Course", "make_course", "nbgrader_env", "student_notebook", "write_submission"]

_CACHE = Path(tempfile.mkdtemp(prefix="released-courses-"))
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)


def make_course(root: Path, *assignments: str) -> Path:
    """A scratch course at ``root`` with ``assignments`` released (default ``ps3_lstm``)."""
    assignments = assignments or ("ps3_lstm",)
    cached = _CACHE / "+".join(assignments)
    if not cached.exists():
        building = cached.with_suffix(".building")
        for assignment in assignments:
            benchmark.make_course(building, assignment)
        building.rename(cached)
    shutil.copytree(cached, root, dirs_exist_ok=True)
    return root


class Course:
    """nbgrader's commands in a scratch course, and what its gradebook says."""

    def __init__(self, root: Path):
        self.root = root
        self.work = root / "nbgrader_work"

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(BIN / "nbgrader"), *args], cwd=self.root, env=nbgrader_env(),
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stderr[-3000:]}"
        return proc

    def released(self, assignment: str) -> Path:
        return self.root / "exercises" / assignment / f"{assignment}.ipynb"

    def submit(self, assignment: str, student: str, notebook: Path) -> None:
        folder = self.work / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, folder / f"{assignment}.ipynb")

    def autograde(self, assignment: str) -> subprocess.CompletedProcess:
        return self.nbgrader("autograde", assignment, "--force")

    def scores(self, assignment: str) -> dict[str, dict[str, float]]:
        """Per student, the score of every automatically graded (code) cell."""
        with Gradebook(f"sqlite:///{self.work / 'gradebook.db'}") as gb:
            return {sub.student.id: {g.name: g.score for g in sub.notebooks[0].grades if g.cell.cell_type == "code"}
                    for sub in gb.assignment_submissions(assignment)}

    def max_auto_score(self, assignment: str) -> dict[str, float]:
        with Gradebook(f"sqlite:///{self.work / 'gradebook.db'}") as gb:
            notebook = gb.find_assignment(assignment).notebooks[0]
            return {cell.name: cell.max_score for cell in notebook.grade_cells if cell.cell_type == "code"}
