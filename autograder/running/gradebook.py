"""Scores into nbgrader's gradebook through nbgrader's own API, so its other commands keep working.

For each submission we write the *autograded notebook* nbgrader would have written
(``<autograded>/<student>/<assignment>/<notebook>.ipynb``: the student's solution cells, the source's
locked and test cells, each test cell's output set from the grader's judgement) and run nbgrader's
``SaveAutoGrades`` preprocessor on it. ``nbgrader generate_feedback``, formgrader (for the cell graded
by hand) and ``nbgrader export`` then see exactly what they would after ``nbgrader autograde``.
Only the grader process writes here, one submission at a time.
"""

from __future__ import annotations

import copy
import os
import tempfile
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import SaveAutoGrades
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from autograder.running.nbmeta import cell_source, grade_id, is_solution, is_test


@dataclass
class Course:
    """nbgrader's view of the course: folders and gradebook, read from ``nbgrader_config.py``."""

    config: Config
    coursedir: CourseDirectory

    @classmethod
    def load(cls, root: Path, config_file: Path | None = None) -> Course:
        root = root.resolve()
        config = Config()
        path = config_file or root / "nbgrader_config.py"
        if path.exists():
            config = PyFileConfigLoader(path.name, path=str(path.parent)).load_config()
        config.CourseDirectory.root = str(root)
        return cls(config, CourseDirectory(config=config))

    def path(self, step: str, student: str, assignment: str) -> Path:
        folder = getattr(self.coursedir, f"{step}_directory")
        return Path(self.coursedir.format_path(folder, student, assignment))

    @property
    def db_url(self) -> str:
        return self.coursedir.db_url

    @property
    def work_dir(self) -> Path:
        """Where nbgrader's submitted/autograded/feedback folders live (the parent of ``autograded``)."""
        return self.path("autograded", ".", ".").resolve().parent

    def gradebook(self) -> Gradebook:
        warnings.filterwarnings("ignore", module="nbgrader.api")  # SQLAlchemy autoflush notes from nbgrader's API
        db = self.db_url
        if db.startswith("sqlite:///"):
            Path(db[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        return Gradebook(db, self.coursedir.course_id)


def ensure_assignment(course: Course, assignment: str) -> None:
    """Record the assignment's cells in the gradebook (as ``nbgrader generate_assignment`` does) if absent.

    The release copy is written to a temporary folder, so the committed ``exercises/`` is never touched.
    """
    with course.gradebook() as gb:
        try:
            if gb.find_assignment(assignment).notebooks:
                return
        except MissingEntry:
            pass
    from nbgrader.converters import GenerateAssignment

    with tempfile.TemporaryDirectory() as tmp:
        config = copy.deepcopy(course.config)
        config.CourseDirectory.release_directory = tmp
        config.CourseDirectory.assignment_id = assignment
        coursedir = CourseDirectory(config=config)
        GenerateAssignment(coursedir=coursedir, config=config).start()


def _error_output(message: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("error", ename="AssertionError", evalue=message, traceback=[message])


def autograded_notebook(
    source: nbformat.NotebookNode,
    release: nbformat.NotebookNode,
    student: nbformat.NotebookNode | None,
    failures: dict[str, str | None],
) -> nbformat.NotebookNode:
    """The notebook nbgrader would store after autograding, built in source order.

    ``failures`` maps each auto-graded test cell's grade_id to ``None`` (passed) or the feedback
    message (failed: becomes the cell's error output, which nbgrader scores 0).
    """
    release_by_id = {grade_id(c): c for c in release.cells if grade_id(c)}
    student_by_id = {grade_id(c): c for c in (student.cells if student else []) if grade_id(c)}
    nb = nbformat.v4.new_notebook(metadata=copy.deepcopy(release.metadata))
    for cell in source.cells:
        gid = grade_id(cell)
        base = release_by_id.get(gid, cell) if gid else cell
        out = copy.deepcopy(base)
        out.setdefault("id", uuid.uuid4().hex[:8])
        if gid and is_solution(cell) and gid in student_by_id:
            out.source = cell_source(student_by_id[gid])
        elif gid and not is_solution(cell):
            out.source = cell.source  # locked and test cells from the source, hidden tests included
        if out.cell_type == "code":
            out.outputs, out.execution_count = [], None
            if is_test(cell) and failures.get(gid):
                out.outputs = [_error_output(failures[gid])]
        nb.cells.append(out)
    return nb


def previous_auto_scores(course: Course, assignment: str, notebook: str, student: str) -> dict[str, float | None]:
    """Auto scores already in the gradebook for this submission (e.g. from a stock nbgrader pass)."""
    with course.gradebook() as gb:
        try:
            sub = gb.find_submission_notebook(notebook, assignment, student)
        except MissingEntry:
            return {}
        return {g.name: g.auto_score for g in sub.grades}


def save_grades(
    course: Course,
    assignment: str,
    notebook_name: str,
    student_id: str,
    notebook: nbformat.NotebookNode | None,
    scores: dict[str, float],
) -> Path | None:
    """Write one submission's grades. With a notebook, through nbgrader's ``SaveAutoGrades`` on the
    autograded notebook (written to nbgrader's ``autograded`` folder, atomically); without one (nothing
    gradable was submitted), every auto-graded cell gets ``scores`` (0), as ``nbgrader autograde`` does for
    a missing notebook. Returns the autograded notebook's path."""
    with course.gradebook() as gb:
        gb.update_or_create_student(student_id)
        gb.update_or_create_submission(assignment, student_id)
    target = None
    if notebook is not None:
        target = course.path("autograded", student_id, assignment) / f"{notebook_name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        resources = {
            "nbgrader": {"db_url": course.db_url, "assignment": assignment, "notebook": notebook_name,
                         "student": student_id}
        }
        SaveAutoGrades().preprocess(copy.deepcopy(notebook), resources)
        tmp = target.with_suffix(".ipynb.tmp")
        nbformat.write(notebook, str(tmp))
        os.replace(tmp, target)
    with course.gradebook() as gb:
        sub = gb.find_submission_notebook(notebook_name, assignment, student_id)
        for grade in sub.grades:
            if grade.name in scores:
                grade.auto_score = scores[grade.name]
                grade.needs_manual_grade = grade.manual_score is not None
            elif notebook is None:
                grade.auto_score, grade.needs_manual_grade = 0.0, False
        gb.db.commit()
    return target
