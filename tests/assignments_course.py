"""Run the real nbgrader pipeline on this repository's assignments in a temporary working folder.

The repository's ``nbgrader_config.py`` is used as it is (source ``solutions/``); only the release,
submitted, autograded and feedback folders and the gradebook are redirected under a temporary
folder, so tests never touch ``exercises/`` or ``nbgrader_work/``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from nbgrader.api import Gradebook

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


class Course:
    def __init__(self, work: Path):
        self.work = work
        self.options = [
            f"--CourseDirectory.release_directory={work / 'release'}",
            f"--CourseDirectory.submitted_directory={work / 'submitted'}",
            f"--CourseDirectory.autograded_directory={work / 'autograded'}",
            f"--CourseDirectory.feedback_directory={work / 'feedback'}",
            f"--CourseDirectory.db_url={self.db_url}",
        ]

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.work / 'gradebook.db'}"

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", MPLBACKEND="Agg")
        proc = subprocess.run([str(BIN / "nbgrader"), *args, *self.options], cwd=REPO, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{proc.stderr[-3000:]}"
        return proc

    def release(self, assignment: str) -> Path:
        self.nbgrader("generate_assignment", assignment, "--force")
        return self.work / "release" / assignment / f"{assignment}.ipynb"

    def submit(self, assignment: str, student: str, notebook: Path) -> None:
        folder = self.work / "submitted" / student / assignment
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copy(notebook, folder / f"{assignment}.ipynb")

    def autograde(self, assignment: str) -> subprocess.CompletedProcess:
        return self.nbgrader("autograde", assignment, "--force")

    def scores(self, assignment: str) -> dict[str, dict[str, float]]:
        """Per student, the score of every automatically graded (code) cell."""
        with Gradebook(self.db_url) as gb:
            return {sub.student.id: {g.name: g.score for g in sub.notebooks[0].grades if g.cell.cell_type == "code"}
                    for sub in gb.assignment_submissions(assignment)}

    def max_auto_score(self, assignment: str) -> dict[str, float]:
        with Gradebook(self.db_url) as gb:
            notebook = gb.find_assignment(assignment).notebooks[0]
            return {cell.name: cell.max_score for cell in notebook.grade_cells if cell.cell_type == "code"}
