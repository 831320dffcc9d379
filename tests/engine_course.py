"""A scratch nbgrader course for the grading-engine tests and the benchmark.

``make_course`` copies the real ``solutions/<assignment>`` and ``nbgrader_config.py`` into a temporary
folder and runs ``nbgrader generate_assignment`` there, so tests grade the real notebooks against the
real checks without touching the repository's ``exercises/`` or ``nbgrader_work/``.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def nbgrader_env() -> dict[str, str]:
    """nbgrader shells out to ``alembic`` and Jupyter finds kernels on PATH: put the venv first."""
    return dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


def make_course(root: Path, assignment: str = "ps3_lstm") -> Path:
    """A course folder with ``solutions/``, ``exercises/`` and a gradebook that knows ``assignment``."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions" / assignment, root / "solutions" / assignment, dirs_exist_ok=True)
    subprocess.run([str(BIN / "nbgrader"), "generate_assignment", assignment, "--force", "--log-level=ERROR"],
                   cwd=root, env=nbgrader_env(), check=True)
    return root


def _strip_markers(source: str) -> str:
    """The solution as a student would have typed it (nbgrader's solution markers removed)."""
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", source, flags=re.M)


def student_notebook(course: Path, assignment: str = "ps3_lstm", answers: dict[str, str] | None = None,
                     solved: bool = True) -> nbformat.NotebookNode:
    """The released notebook with its solution cells filled in: the reference solution (``solved``) or
    the release stub, then ``answers`` (grade_id -> code) on top."""
    name = next((course / "solutions" / assignment).glob("*.ipynb")).name
    release = nbformat.read(course / "exercises" / assignment / name, as_version=4)
    source = nbformat.read(course / "solutions" / assignment / name, as_version=4)
    solutions = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in source.cells}
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if meta.get("solution") and solved:
            cell.source = _strip_markers(solutions[gid])
        if gid in (answers or {}):
            cell.source = answers[gid]
    return nb


def write_submission(folder: Path, student: str, nb: nbformat.NotebookNode, assignment: str = "ps3_lstm",
                     notebook: str = "ps3_lstm") -> Path:
    """``folder/<student>/<assignment>/<notebook>.ipynb`` (nbgrader's layout)."""
    path = folder / student / assignment / f"{notebook}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
