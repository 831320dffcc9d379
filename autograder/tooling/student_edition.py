"""Export the student edition: the public repository students clone, without anything of the instructor's.

``make student-edition DEST=../course-public`` (``python -m autograder.tooling.student_edition DEST``) writes
into DEST the book, the released notebooks, the ``seqmodels`` library, the site configuration, a student test
suite, and the files of ``student/`` (README, Makefile, requirements, packaging, licence), then the solution
notebook of every assignment listed in ``course_released_solutions`` (``_config.yml``). It never writes
``solutions/``, ``autograder/``, ``tests/fixtures/``, ``nbgrader_config.py`` or the gradebook.

Re-running it updates DEST in place: everything but ``.git`` is replaced, so a repository there keeps its
history. A DEST that exists, is not empty and was not written by this command is refused (nothing is lost).
At the end the leak check (``autograder/tooling/leaks.py``) reads the whole export, including every blob in
DEST's git history and every wheel or archive in it; a leak is an error, exit status 1.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests, ClearMarkScheme

from autograder.tooling import course_config, leaks
from autograder.tooling.release import link_to_site

ROOT = Path(__file__).resolve().parents[2]
OVERLAY = ROOT / "student"  # the files only the student edition has; its tests/ joins the shared ones
MARKER = ".student-edition"  # written into DEST; its presence makes DEST safe to replace
SOLUTIONS_DIR = "worked-solutions"  # DEST/worked-solutions/<id>/<id>.ipynb, listed on the Solutions page
# What the two editions share, as paths or globs relative to the repository root.
SHARED = [
    "_config.yml",
    "_toc.yml",
    "book",
    "exercises",
    "seqmodels",
    "tests/bookdata.py",
    "tests/test_book_*.py",
    "tests/test_site.py",
    "tests/test_site_assignments.py",
    "tests/test_site_ko.py",
    "tests/test_i18n.py",
    "tests/test_terms.py",
    # the library against torch
    "tests/test_batching.py",
    "tests/test_bptt.py",
    "tests/test_charlm.py",
    "tests/test_conventions.py",
    "tests/test_data.py",
    "tests/test_gradients.py",
    "tests/test_memory_tasks.py",
    "tests/test_ngram.py",
    "tests/test_recurrent.py",
    "tests/test_comparison.py",
    "tests/test_lstm_backward.py",
    "tests/test_seq2seq.py",
    "tests/test_tagging.py",
]
# Never exported, whatever SHARED says; checked again after the copy.
INSTRUCTOR_ONLY = ["solutions", "autograder", "tests/fixtures", "nbgrader_config.py", "nbgrader_work", "gradebook.db"]
INSTRUCTOR_PACKAGES = {"hypothesis", "ruff", "copydetect"}  # fuzzing and linting the grader; the class report
SKIPPED = shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints", "*.pyc", ".DS_Store", "*.mo")


class ExportError(Exception):
    """The export cannot go on; the message names the file and the fix."""


@dataclass(frozen=True)
class Export:
    """What one export wrote and what its leak check found."""

    dest: Path
    files: list[Path]
    released: tuple[str, ...]
    report: leaks.LeakReport

    @property
    def size(self) -> int:
        return sum(path.stat().st_size for path in self.files)


def prepare(dest: Path) -> None:
    """Make DEST an empty folder except for ``.git``; refuse a folder this command did not write."""
    if dest.resolve() == ROOT or ROOT in dest.resolve().parents:
        raise ExportError(f"{dest} is inside the instructor repository; export to a folder outside it")
    if dest.exists() and not dest.is_dir():
        raise ExportError(f"{dest} is a file; give a folder")
    dest.mkdir(parents=True, exist_ok=True)
    contents = [p for p in dest.iterdir() if p.name != ".git"]
    if contents and not (dest / MARKER).is_file():
        raise ExportError(f"{dest} is not empty and holds no {MARKER} file: it was not written by this command. "
                          "Give an empty or new folder (or a clone of the student repository made by this command)")
    for path in contents:
        shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()


def copy_shared(dest: Path) -> None:
    for pattern in SHARED:
        sources = sorted(ROOT.glob(pattern))
        if not sources:
            raise ExportError(f"{pattern}: listed in SHARED ({__file__}) but missing from {ROOT}")
        for source in sources:
            target = dest / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target, ignore=SKIPPED)
            else:
                shutil.copy2(source, target)


def copy_overlay(dest: Path, config: course_config.CourseConfig) -> None:
    """``student/`` into DEST; ``{repository_url}``, ``{repository_name}`` and ``{site_url}`` in its README
    become the configured ones."""
    shutil.copytree(OVERLAY, dest, ignore=SKIPPED, dirs_exist_ok=True)
    readme = dest / "README.md"
    text = readme.read_text(encoding="utf-8")
    for key, value in {"repository_url": config.repository_url, "site_url": config.site_url,
                       "repository_name": config.repository_url.rsplit("/", 1)[-1]}.items():
        text = text.replace("{" + key + "}", value)
    readme.write_text(text, encoding="utf-8")


def write_requirements(dest: Path) -> None:
    """The instructor's exact pins, less the packages only the instructor's tooling uses."""
    kept = [line for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
            if line.split("==")[0].strip().lower() not in INSTRUCTOR_PACKAGES]
    header = "# Exact pins, as in the course's own build (torch 2.13.0; Jupyter Book 1.x).\n"
    (dest / "requirements.txt").write_text(header + "\n".join(k for k in kept if not k.startswith("#")) + "\n")


def worked_solution(source: Path, site_url: str) -> nbformat.NotebookNode:
    """The solution notebook students get: solutions filled in, hidden tests and mark schemes removed.

    nbgrader's own ``ClearHiddenTests`` and ``ClearMarkScheme`` remove those blocks; the solution delimiters,
    nbgrader's metadata and all outputs go too, and book links point at the site.
    """
    notebook = nbformat.read(source, as_version=4)
    notebook, _ = ClearHiddenTests().preprocess(notebook, {})
    notebook, _ = ClearMarkScheme().preprocess(notebook, {})
    delimiters = {leaks.SOLUTION[0], leaks.SOLUTION[1]}
    for cell in notebook.cells:
        lines = [line for line in cell.source.splitlines() if line.strip() not in delimiters]
        cell.source = "\n".join(lines)
        if cell.cell_type == "markdown":
            cell.source = link_to_site(cell.source, site_url)
        cell.metadata.pop("nbgrader", None)
        for key in ("deletable", "editable"):
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    title = nbformat.v4.new_markdown_cell(
        f"**Solutions to `{source.parent.name}`**, released after grading. Compare them with your own notebook: "
        "the hidden tests are not included, and other correct answers exist.")
    notebook.cells.insert(0, title)
    return notebook


def write_solutions(dest: Path, released: tuple[str, ...], site_url: str) -> None:
    for assignment in released:
        sources = sorted((ROOT / "solutions" / assignment).glob("*.ipynb"))
        if not sources:
            raise ExportError(f"_config.yml releases the solutions of {assignment!r}, but solutions/{assignment}/ "
                              "holds no notebook; fix course_released_solutions")
        for source in sources:
            target = dest / SOLUTIONS_DIR / assignment / source.name
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(worked_solution(source, site_url), target)


def export(dest: Path, released: tuple[str, ...] | None = None) -> Export:
    """Write the student edition into ``dest`` and leak-check it; ``released`` overrides ``_config.yml``."""
    config = course_config.read()
    released = config.released_solutions if released is None else released
    prepare(dest)
    copy_shared(dest)
    copy_overlay(dest, config)
    write_requirements(dest)
    write_solutions(dest, released, config.site_url)
    (dest / MARKER).write_text(json.dumps({"released_solutions": list(released)}) + "\n")
    present = [name for name in INSTRUCTOR_ONLY if (dest / name).exists()]
    if present:
        raise ExportError(f"{dest}: {present} must never be exported; remove them from SHARED or student/")
    files = leaks.published_files(dest)
    report = leaks.check(ROOT / "solutions", ROOT / "autograder" / "data",
                         [*leaks.from_files(files), *leaks.git_history(dest)], released)
    return Export(dest, files, released, report)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.tooling.student_edition",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("dest", type=Path, help="the student edition's folder (created, or updated in place)")
    args = parser.parse_args(argv)
    try:
        result = export(args.dest)
    except (ExportError, ValueError) as error:
        print(f"student-edition: {error}", file=sys.stderr)
        return 2
    print(f"student edition in {result.dest}: {len(result.files)} files, {result.size / 1e6:.1f} MB; "
          f"solutions released: {', '.join(result.released) or 'none'}")
    print(f"leak check: {result.report.secrets} secret lines against {result.report.checked} files and git blobs")
    if not result.report.clean:
        print(f"LEAK: instructor material in the student edition:\n{result.report.describe()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
