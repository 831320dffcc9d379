"""Leak check: no solution, hidden test or hidden data from the instructor's side reaches students.

Secrets are the lines of every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` and ``### BEGIN HIDDEN TESTS`` ...
``### END HIDDEN TESTS`` block (and mark schemes, and whole solution cells without delimiters, which nbgrader
blanks entirely) in ``solutions/``. A line that is short, or that also appears outside those blocks (it is
in the released notebook anyway: signatures, imports, ``return h_t``), cannot leak anything and is ignored.
Every other secret line is searched for, whitespace-normalised, in the text of the built site (HTML with the
tags stripped, so highlighted code counts; notebooks; search index; sources) and of ``exercises/``. Files of
``autograder/data/`` (hidden-test reference data) must not appear there byte for byte either.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MIN_CHARS = 24  # shorter lines ("return h_n, c_n", "import numpy as np") say nothing about a solution
TEXT_SUFFIXES = {".html", ".js", ".txt", ".md", ".ipynb", ".json", ".py", ".csv", ".xml", ".inv"}
# Secret lines the course team has decided the book may show (each with the reason), e.g. an equation the
# chapter teaches in the same words of code. Empty: every overlap is reported for a person to decide.
TAUGHT_IN_THE_BOOK: dict[str, str] = {}
BLOCKS = [
    ("### BEGIN SOLUTION", "### END SOLUTION"),
    ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"),
    ("=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ==="),
]


@dataclass(frozen=True)
class Leak:
    secret: str  # the normalised secret line
    origin: Path  # the solutions/ notebook it comes from
    found_in: Path  # the published file that contains it


def normalise(line: str) -> str:
    return " ".join(line.split())


def split_cell(source: str, whole_cell_secret: bool) -> tuple[list[str], list[str]]:
    """(secret lines, public lines) of one cell's source."""
    if whole_cell_secret and not any(begin in source for begin, _ in BLOCKS):
        return source.splitlines(), []
    secret, public, closing = [], [], None
    for line in source.splitlines():
        marker = line.strip()
        if closing is None and any(marker == begin for begin, _ in BLOCKS):
            closing = next(end for begin, end in BLOCKS if marker == begin)
        elif closing is not None and marker == closing:
            closing = None
        else:
            (secret if closing else public).append(line)
    return secret, public


def secret_lines(solutions: Path) -> dict[str, Path]:
    """Distinctive secret lines of every notebook under solutions/, each with the notebook it comes from."""
    secrets: dict[str, Path] = {}
    public: set[str] = set()
    for notebook in sorted(solutions.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            source = "".join(cell.get("source", ""))
            secret, rest = split_cell(source, whole_cell_secret=bool(meta.get("solution")))
            public.update(normalise(line) for line in rest)
            for line in map(normalise, secret):
                secrets.setdefault(line, notebook)
    ignored = public | set(TAUGHT_IN_THE_BOOK)
    return {line: nb for line, nb in secrets.items() if len(line) >= MIN_CHARS and line not in ignored}


def strings_in(value) -> list[str]:
    """Every string inside a JSON value (a notebook's sources, outputs and metadata)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    return []


def published_text(path: Path) -> str:
    """A published file's text as a reader or a search engine sees it, whitespace-normalised line by line."""
    raw = path.read_text(encoding="utf-8", errors="replace")
    if path.suffix == ".ipynb":
        try:
            raw = "\n".join(strings_in(json.loads(raw)))
        except json.JSONDecodeError:
            pass
    if path.suffix == ".html":
        raw = raw + "\n" + html.unescape(re.sub(r"<[^>]+>", "", raw))
    return "\n".join(normalise(line) for line in raw.splitlines())


def published_files(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders if folder.is_dir() for p in folder.rglob("*") if p.is_file())


def find_leaks(solutions: Path, published: list[Path]) -> list[Leak]:
    """Every (secret line, published file) pair where the file's text contains the line."""
    secrets = secret_lines(solutions)
    leaks = []
    for path in published:
        if path.suffix not in TEXT_SUFFIXES:
            continue
        text = published_text(path)
        leaks += [Leak(line, origin, path) for line, origin in secrets.items() if line in text]
    return leaks


def find_copied_files(secret_folder: Path, published: list[Path]) -> list[tuple[Path, Path]]:
    """(secret file, published copy) for every published file byte-identical to a file in secret_folder."""
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    secret = {digest(p): p for p in published_files(secret_folder) if p.stat().st_size > 0}
    return [(secret[d], p) for p in published if (d := digest(p)) in secret]


# --- the checker itself, on planted leaks -----------------------------------------------------------------


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
    leaks = find_leaks(planted / "solutions", published_files(site))
    assert [(leak.secret, leak.found_in.name) for leak in leaks] == [(SOLUTION_LINE, "chapter.html")]


def test_checker_finds_hidden_tests_and_answers_in_released_notebooks(planted):
    exercises = planted / "exercises"
    write_notebook(exercises / "ps3_lstm" / "ps3_lstm.ipynb", [("code", f"x = 1\n{HIDDEN_LINE}", {})])
    write_notebook(exercises / "ps3_lstm" / "answers.ipynb", [("markdown", f"**Answer.** {ANSWER_LINE}", {})])
    leaks = find_leaks(planted / "solutions", published_files(exercises))
    assert sorted((leak.secret, leak.found_in.name) for leak in leaks) == [
        (ANSWER_LINE, "answers.ipynb"),
        (HIDDEN_LINE, "ps3_lstm.ipynb"),
    ]


def test_checker_finds_copied_hidden_data(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "site").mkdir()
    (tmp_path / "data" / "ps3_lstm.npz").write_bytes(b"hidden reference outputs")
    (tmp_path / "site" / "renamed.bin").write_bytes(b"hidden reference outputs")
    (tmp_path / "site" / "other.bin").write_bytes(b"something else")
    copies = find_copied_files(tmp_path / "data", published_files(tmp_path / "site"))
    assert [(s.name, p.name) for s, p in copies] == [("ps3_lstm.npz", "renamed.bin")]


# --- the real check ---------------------------------------------------------------------------------------


def test_no_solution_or_hidden_test_in_site_or_exercises():
    solutions, site, exercises = ROOT / "solutions", ROOT / "_build" / "html", ROOT / "exercises"
    if not (site / "index.html").is_file():
        reason = f"{site} is missing: run `make book` first (`make test` does)"
        pytest.fail(reason) if os.environ.get("CI", "").lower() == "true" else pytest.skip(reason)
    if not solutions.is_dir():
        pytest.skip("solutions/ does not exist yet: nothing can leak")
    published = published_files(site, exercises)
    secrets = secret_lines(solutions)
    assert secrets, f"no solution or hidden-test line found in {solutions}: is the leak check reading it right?"
    leaks = find_leaks(solutions, published)
    report = "\n".join(f"{x.found_in.relative_to(ROOT)}: {x.secret!r} (from {x.origin.name})" for x in leaks)
    assert not leaks, f"solution or hidden-test text published:\n{report}"
    copies = find_copied_files(ROOT / "autograder" / "data", published)
    assert not copies, f"hidden data published: {copies}"
    print(f"\nleak check: {len(secrets)} secret lines against {len(published)} published files")
