"""The student edition (autograder/tooling/student_edition.py): what it holds, that it leaks nothing, and that
it stands alone.

Fast tests export into a temporary folder and read it. The slow test makes it a git repository, installs it
the way Colab does (``pip install git+<repository>``) into a new venv that has the course's third-party
packages but not this repository, and runs the student edition's own ``make test`` there: every chapter
executes from scratch, the site passes the browser checks (its Solutions page offers the one released), the
library matches torch, and every released notebook's locked cells run by themselves.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from bookdata import glued_in

from autograder.tooling import course_config, leaks
from autograder.tooling.student_edition import INSTRUCTOR_ONLY, ExportError, export

ROOT = Path(__file__).resolve().parent.parent
GIT = ["git", "-c", "user.name=course", "-c", "user.email=course@example.org"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run([*GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    result = export(tmp_path_factory.mktemp("edition") / "course-public")
    assert result.report.clean, result.report.describe()
    return result.dest


def test_holds_the_book_exercises_library_and_student_files(edition):
    for name in ["_config.yml", "_toc.yml", "book/05_lstm.md", "book/_ext/course_site.py", "seqmodels/recurrent.py",
                 "exercises/ps3_lstm/ps3_lstm.ipynb", "README.md", "LICENSE", "Makefile", "requirements.txt",
                 "pyproject.toml", "tests/test_exercises.py", "tests/test_site.py", "tests/test_recurrent.py"]:
        assert (edition / name).is_file(), f"{name} missing from the student edition"


def test_holds_nothing_of_the_instructors(edition):
    assert [name for name in INSTRUCTOR_ONLY if (edition / name).exists()] == []
    assert not (edition / "worked-solutions").exists()  # nothing released by default
    names = {p.relative_to(edition).as_posix() for p in leaks.published_files(edition)}
    assert not [n for n in names if re.search(r"(^|/)(solutions|autograder|fixtures|nbgrader_work)/", n)]
    requirements = (edition / "requirements.txt").read_text()
    assert "torch==2.13.0" in requirements and not re.search(r"^(ruff|hypothesis|copydetect)", requirements, re.M)
    imports = "\n".join(p.read_text() for p in (edition / "tests").glob("*.py"))
    assert "autograder" not in imports and "solutions/" not in imports


def test_student_readme_and_site_point_at_the_public_repository(edition):
    config = course_config.read(edition / "_config.yml")
    readme = (edition / "README.md").read_text()
    assert f'pip install "git+{config.repository_url}"' in readme and config.site_url in readme
    assert "{" + "repository_url}" not in readme and "nbgrader validate" in readme


def test_released_notebooks_link_to_chapters_on_the_published_site(edition):
    site_url = course_config.read().site_url
    chapters = {p.stem for p in (ROOT / "book").glob("*.md")}
    for notebook in sorted((edition / "exercises").glob("*/*.ipynb")):
        cells = json.loads(notebook.read_text())["cells"]
        text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        assert "../book/" not in text and ".md)" not in text, f"{notebook.name} has a link that breaks once downloaded"
        linked = re.findall(re.escape(site_url) + r"book/(\w+)\.html", text)
        assert linked and set(linked) <= chapters, f"{notebook.name}: chapter links {linked}"


def test_re_export_keeps_git_history_and_refuses_foreign_folders(tmp_path):
    dest = tmp_path / "public"
    export(dest)
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "first export")
    (dest / "book" / "stale.md").write_text("a file the next export must remove\n")
    export(dest)
    assert not (dest / "book" / "stale.md").exists() and "first export" in git(dest, "log", "--oneline")
    foreign = tmp_path / "my-notes"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    with pytest.raises(ExportError, match="not written by this command"):
        export(foreign)
    assert (foreign / "thesis.tex").read_text() == "precious"
    with pytest.raises(ExportError, match="inside the instructor repository"):
        export(ROOT / "nbgrader_work" / "edition")


def test_a_leak_once_committed_to_the_export_is_found_after_deletion(tmp_path):
    dest = tmp_path / "public"
    export(dest)
    secret = next(iter(leaks.secret_lines(ROOT / "solutions")))
    git(dest, "init", "-q")
    (dest / "notes.md").write_text(f"{secret}\n")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "oops")
    git(dest, "rm", "-q", "notes.md")
    git(dest, "commit", "-qm", "remove it")
    result = export(dest)
    assert [leak.secret for leak in result.report.leaks] == [secret]
    assert result.report.leaks[0].found_in.endswith(":notes.md")


def test_releasing_one_assignment_adds_exactly_its_solutions(tmp_path):
    result = export(tmp_path / "public", released=("ps3_lstm",))
    assert result.report.clean, result.report.describe()
    added = sorted(p.relative_to(result.dest).as_posix() for p in (result.dest / "worked-solutions").rglob("*.ipynb"))
    assert added == ["worked-solutions/ps3_lstm/ps3_lstm.ipynb"]
    notebook = json.loads((result.dest / added[0]).read_text())
    text = "\n".join("".join(c["source"]) for c in notebook["cells"])
    ps3_solution_lines = [s for s, nb in leaks.secret_lines(ROOT / "solutions").items() if nb.parent.name == "ps3_lstm"
                          and s not in leaks.secret_lines(ROOT / "solutions", released=["ps3_lstm"])]
    normalised = {leaks.normalise(line) for line in text.splitlines()}
    assert ps3_solution_lines and set(ps3_solution_lines) <= normalised, "the solutions are filled in"
    for marker in ("BEGIN SOLUTION", "HIDDEN TESTS", "MARK SCHEME", "run_check", "autograder"):
        assert marker not in text
    assert all("nbgrader" not in c["metadata"] and not c.get("outputs") for c in notebook["cells"])
    # The same tree is a leak for a course that has not released ps3_lstm.
    unreleased = leaks.check(ROOT / "solutions", ROOT / "autograder" / "data",
                             leaks.from_files(leaks.published_files(result.dest)))
    assert {leak.origin.parent.name for leak in unreleased.leaks} == {"ps3_lstm"}


def test_wheel_holds_only_the_library_and_leaks_nothing(edition, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                           "-w", str(tmp_path), str(edition)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel,) = tmp_path.glob("seqmodels-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names} == {"seqmodels", wheel.name.split("-py3")[0] + ".dist-info"}
    report = leaks.check(ROOT / "solutions", ROOT / "autograder" / "data", leaks.from_files([wheel]))
    assert report.clean and report.checked > len(names) // 2, report.describe()


def fresh_venv(folder: Path) -> Path:
    """A venv with this one's third-party packages (through a .pth line) but not this repository's packages:
    the editable install's own .pth is not read from a folder that a .pth line adds."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    (purelib,) = folder.glob("lib/python3*/site-packages")
    (purelib / "course-third-party.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    # What pip would write for jupyter-book's console script.
    script = folder / "bin" / "jupyter-book"
    script.write_text(f"#!{folder}/bin/python\nimport sys\nfrom jupyter_book.cli.main import main\nsys.exit(main())\n")
    script.chmod(0o755)
    return folder


# Wall-clock measurements (ch8_ms_rnn_T10, ms_per_step, lm_train_seconds, ch7_time_fraction, ...) differ from
# run to run; everything else a chapter glues is a result of seeded computation.
TIMING = re.compile(r"(^|_)(ms|seconds|time|timing|wall)(_|$)")


def assert_same_numbers(ours: Path, theirs: Path) -> None:
    """Every value glued by every chapter of this repository's build is in the student build, equal to
    floating-point rounding (both execute the same code with the same seeds)."""
    chapters = sorted(p.stem for p in ours.glob("*.ipynb"))
    assert chapters, f"{ours} is empty: build this repository's book first (make test does)"
    for chapter in chapters:
        expected, got = glued_in(ours, chapter), glued_in(theirs, chapter)
        assert got.keys() == expected.keys(), f"{chapter}: glued names differ"
        expected = {name: value for name, value in expected.items() if not TIMING.search(name)}
        for name, value in expected.items():
            assert close(got[name], value), f"{chapter}: {name} is {got[name]!r} in the student build, {value!r} here"


def close(a, b) -> bool:
    """Equal, floats to a relative 1e-6 (the same computation, possibly another summation order)."""
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k]) for k in a if not TIMING.search(str(k)))
    if isinstance(a, float) or isinstance(b, float):
        numbers = isinstance(a, (int, float)) and isinstance(b, (int, float))
        return numbers and math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    return a == b


@pytest.mark.slow
def test_the_student_edition_stands_alone(tmp_path):
    dest = export(tmp_path / "course-public", released=("ps3_lstm",)).dest  # the Solutions page lists one
    git(dest, "init", "-q")
    git(dest, "add", "-A")
    git(dest, "commit", "-qm", "student edition")
    venv = fresh_venv(tmp_path / "venv")
    python = venv / "bin" / "python"
    outside = subprocess.run([str(python), "-c", "import seqmodels"], capture_output=True, text=True, cwd=tmp_path)
    assert outside.returncode != 0, "the new venv must not see this repository's seqmodels"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                              f"git+file://{dest}"], capture_output=True, text=True, cwd=tmp_path)
    assert install.returncode == 0, install.stderr[-3000:]
    where = subprocess.run([str(python), "-c", "import seqmodels; print(seqmodels.__file__)"], capture_output=True,
                           text=True, cwd=tmp_path, check=True).stdout
    assert where.startswith(str(venv)), where
    kernel = subprocess.run([str(python), "-c", "from jupyter_client.kernelspec import KernelSpecManager as K; "
                             "print(K().get_kernel_spec('python3').argv[0])"], capture_output=True, text=True,
                            cwd=tmp_path, check=True).stdout.strip()
    assert kernel == str(python), f"the chapters would execute in {kernel}, not the new venv"
    (venv / ".installed-from-requirements").touch()  # its requirements are there already: skip the install
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    env["CI"] = "true"  # the browser checks must run, not skip
    proc = subprocess.run(["make", "-C", str(dest), "test", f"VENV={venv}", "PYTEST_ARGS=-q -p no:cacheprovider"],
                          capture_output=True, text=True, env=env)
    tail = (proc.stdout + proc.stderr)[-6000:]
    assert proc.returncode == 0, f"the student edition's make test failed:\n{tail}"
    assert re.search(r"\d+ passed", proc.stdout) and " skipped" not in proc.stdout.splitlines()[-1], tail
    assert_same_numbers(ROOT / "_build" / "jupyter_execute" / "book", dest / "_build" / "jupyter_execute" / "book")
    site_report = leaks.check(ROOT / "solutions", ROOT / "autograder" / "data",
                              leaks.from_files(leaks.published_files(dest / "_build" / "html")), released=["ps3_lstm"])
    assert site_report.clean, site_report.describe()
    print(f"\nstudent edition: {proc.stdout.splitlines()[-1]}")
    shutil.rmtree(dest / "_build")
