"""Leak check (autograder/tooling/leaks.py) on planted leaks, then on the real site and exercises/.

The student edition (its tree, git history and wheel) is checked in tests/test_student_edition.py.
"""

from __future__ import annotations

import html
import json
import os
import subprocess
import zipfile
from pathlib import Path

import pytest

from autograder.tooling import course_config
from autograder.tooling.leaks import (
    check,
    find_copied_files,
    find_leaks,
    from_files,
    git_history,
    published_files,
    secret_lines,
)

ROOT = Path(__file__).resolve().parent.parent


def write_notebook(path: Path, cells: list[tuple[str, str, dict]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb_cells = [
        {"cell_type": kind, "metadata": {"nbgrader": meta} if meta else {}, "source": source}
        | ({"outputs": [], "execution_count": None} if kind == "code" else {})
        for kind, source, meta in cells
    ]
    path.write_text(json.dumps({"cells": nb_cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))


SOLUTION_LINE = "gates = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh"
HIDDEN_LINE = 'run_check("lstm_cell_hidden_grid", globals())'
ANSWER_LINE = "h_n is indexed by layer and direction, never by time, so batch_first cannot move it."


@pytest.fixture
def planted(tmp_path: Path) -> Path:
    """A tiny solutions/ tree: a solution block, a hidden test, a written answer, and public lines."""
    write_notebook(
        tmp_path / "solutions" / "ps3_lstm" / "ps3_lstm.ipynb",
        [
            ("markdown", "# Problem set 3\nWrite `lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)`.", {}),
            (
                "code",
                "def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):\n"
                "    ### BEGIN SOLUTION\n"
                f"    {SOLUTION_LINE}\n"
                "    return h_t, c_t\n"
                "    ### END SOLUTION",
                {"solution": True, "grade": False, "grade_id": "lstm_cell"},
            ),
            (
                "code",
                "assert lstm_cell is not None  # visible test\n"
                f"### BEGIN HIDDEN TESTS\n{HIDDEN_LINE}\n### END HIDDEN TESTS",
                {"grade": True, "points": 4, "grade_id": "lstm_cell_tests"},
            ),
            ("markdown", ANSWER_LINE, {"solution": True, "grade": True, "points": 2, "grade_id": "answer"}),
        ],
    )
    return tmp_path


def test_secret_lines_are_the_distinctive_lines_of_solution_and_hidden_test_blocks(planted):
    secrets = secret_lines(planted / "solutions")
    assert set(secrets) == {SOLUTION_LINE, HIDDEN_LINE, ANSWER_LINE}  # "return h_t, c_t" is too short


def test_checker_finds_a_highlighted_solution_line_in_html(planted):
    site = planted / "site"
    site.mkdir()
    highlighted = "".join(
        f'<span class="{"n" if tok[0].isalpha() else "o"}">{html.escape(tok)}</span> ' for tok in SOLUTION_LINE.split()
    )
    (site / "chapter.html").write_text(f"<html><body><pre>    {highlighted}</pre></body></html>")
    (site / "clean.html").write_text("<p>The gates are computed from x_t and h_prev.</p><p>return h_t, c_t</p>")
    leaks = find_leaks(secret_lines(planted / "solutions"), from_files(published_files(site)))
    assert [(leak.secret, Path(leak.found_in).name) for leak in leaks] == [(SOLUTION_LINE, "chapter.html")]


def test_checker_finds_hidden_tests_and_answers_in_released_notebooks(planted):
    exercises = planted / "exercises"
    write_notebook(exercises / "ps3_lstm" / "ps3_lstm.ipynb", [("code", f"x = 1\n{HIDDEN_LINE}", {})])
    write_notebook(exercises / "ps3_lstm" / "answers.ipynb", [("markdown", f"**Answer.** {ANSWER_LINE}", {})])
    leaks = find_leaks(secret_lines(planted / "solutions"), from_files(published_files(exercises)))
    assert sorted((leak.secret, Path(leak.found_in).name) for leak in leaks) == [
        (ANSWER_LINE, "answers.ipynb"),
        (HIDDEN_LINE, "ps3_lstm.ipynb"),
    ]


def test_checker_finds_copied_hidden_data(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "site").mkdir()
    (tmp_path / "data" / "ps3_lstm.npz").write_bytes(b"hidden reference outputs")
    (tmp_path / "site" / "renamed.bin").write_bytes(b"hidden reference outputs")
    (tmp_path / "site" / "other.bin").write_bytes(b"something else")
    copies = find_copied_files(tmp_path / "data", from_files(published_files(tmp_path / "site")))
    assert [(s.name, Path(p).name) for s, p in copies] == [("ps3_lstm.npz", "renamed.bin")]


def test_released_solutions_are_public_but_their_hidden_tests_are_not(planted):
    secrets = secret_lines(planted / "solutions", released=["ps3_lstm"])
    assert set(secrets) == {HIDDEN_LINE}


def test_checker_reads_wheel_members_and_deleted_files_in_git_history(planted, tmp_path):
    edition = tmp_path / "edition"
    edition.mkdir()
    with zipfile.ZipFile(edition / "seqmodels-0.1-py3-none-any.whl", "w", zipfile.ZIP_DEFLATED) as wheel:
        wheel.writestr("seqmodels/hidden.py", f"# {HIDDEN_LINE}\n")
    git = ["git", "-C", str(edition), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    (edition / "notes.md").write_text(f"{SOLUTION_LINE}\n")
    subprocess.run([*git, "add", "notes.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "oops"], check=True)
    subprocess.run([*git, "rm", "-q", "notes.md"], check=True)
    subprocess.run([*git, "commit", "-qm", "remove it"], check=True)
    assert not (edition / "notes.md").exists()
    published = [*from_files(published_files(edition)), *git_history(edition)]
    secrets = secret_lines(planted / "solutions")
    found = sorted((leak.secret, leak.found_in.split(":")[-1].split("!")[-1])
                   for leak in find_leaks(secrets, published))
    assert found == sorted([(HIDDEN_LINE, "seqmodels/hidden.py"), (SOLUTION_LINE, "notes.md")])


def test_an_unreadable_archive_is_reported_not_skipped(tmp_path):
    (tmp_path / "broken.whl").write_bytes(b"PK\x03\x04 not really a wheel")
    with pytest.raises(ValueError, match="broken.whl: cannot open this archive"):
        list(from_files([tmp_path / "broken.whl"]))


# --- the real check ---------------------------------------------------------------------------------------


def test_no_solution_or_hidden_test_in_site_or_exercises():
    solutions, site, exercises = ROOT / "solutions", ROOT / "_build" / "html", ROOT / "exercises"
    if not (site / "index.html").is_file():
        reason = f"{site} is missing: run `make book` first (`make test` does)"
        pytest.fail(reason) if os.environ.get("CI", "").lower() == "true" else pytest.skip(reason)
    if not solutions.is_dir():
        pytest.skip("solutions/ does not exist yet: nothing can leak")
    report = check(solutions, ROOT / "autograder" / "data", from_files(published_files(site, exercises)),
                   released=course_config.read().released_solutions)
    assert report.secrets, f"no solution or hidden-test line found in {solutions}: is the leak check reading it right?"
    assert report.clean, f"solution, hidden-test text or hidden data published:\n{report.describe()}"
    print(f"\nleak check: {report.secrets} secret lines against {report.checked} published files")
