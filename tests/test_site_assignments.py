"""The assignments page generator (book/_ext/course_site.py) on tiny temporary exercises/ trees."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from sphinx.errors import ExtensionError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "book" / "_ext"))
from course_site import find_assignments, parse_fallback, render  # noqa: E402

CHAPTERS = {"02_rnn", "05_lstm", "07_pytorch_api"}


def release(folder: Path, name: str, cells: list[dict]) -> Path:
    path = folder / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


def cell(kind: str, source: str, **nbgrader) -> dict:
    return {"cell_type": kind, "source": source, "metadata": {"nbgrader": nbgrader} if nbgrader else {}}


def test_no_exercises_folder_gives_an_empty_list_and_a_note(tmp_path):
    assert find_assignments(tmp_path / "exercises", CHAPTERS, {}) == []
    assert "No assignment has been released yet" in render([], tmp_path / "book")


def test_points_title_and_linked_chapters_come_from_the_notebook(tmp_path):
    release(
        tmp_path / "exercises",
        "ps3_lstm",
        [
            cell("markdown", "# Problem set 3: LSTM\nRead [chapter 5](../../book/05_lstm.md) and 07_pytorch_api."),
            cell("code", "def lstm_cell(): ...", solution=True, grade=False, grade_id="lstm_cell"),
            cell("code", "assert True", grade=True, solution=False, points=3, grade_id="cell_tests"),
            cell("code", "assert True", grade=True, solution=False, points=4.5, grade_id="layer_tests"),
            cell("markdown", "YOUR ANSWER HERE", grade=True, solution=True, points=2, grade_id="why"),
        ],
    )
    [ps3] = find_assignments(tmp_path / "exercises", CHAPTERS, {"ps3_lstm": ["02_rnn"]})
    assert ps3.title == "Problem set 3: LSTM"
    assert ps3.chapters == ["05_lstm", "07_pytorch_api"]  # the notebook's own links win over the fallback
    assert [(p.grade_id, p.points, p.by_hand) for p in ps3.parts] == [
        ("cell_tests", 3, False),
        ("layer_tests", 4.5, False),
        ("why", 2, True),
    ]
    page = render([ps3], tmp_path / "book")
    assert "{download}`ps3_lstm.ipynb <../exercises/ps3_lstm/ps3_lstm.ipynb>`" in page
    assert "[](./05_lstm.md), [](./07_pytorch_api.md)" in page
    assert "| `why` | instructor | 2 |" in page and "| **total** | | **9.5** |" in page


def test_fallback_chapters_and_unpublished_chapters(tmp_path):
    release(tmp_path / "exercises", "ps1_rnn", [cell("markdown", "# PS1")])
    release(tmp_path / "exercises", "ps4_gru", [cell("markdown", "# PS4")])
    fallback = parse_fallback("ps1_rnn: 02_rnn, 03_bptt\nps4_gru: 06_gru\n")
    assert fallback == {"ps1_rnn": ["02_rnn", "03_bptt"], "ps4_gru": ["06_gru"]}
    ps1, ps4 = find_assignments(tmp_path / "exercises", CHAPTERS, fallback)
    assert ps1.chapters == ["02_rnn"]  # 03_bptt is not in the book (yet): no link to a missing page
    assert ps4.chapters == [] and "(chapter not published yet)" in render([ps4], tmp_path / "book")


def test_a_broken_release_notebook_is_named_with_the_fix(tmp_path):
    broken = tmp_path / "exercises" / "ps2_char_lm" / "ps2_char_lm.ipynb"
    broken.parent.mkdir(parents=True)
    broken.write_text('{"cells": [')
    with pytest.raises(ExtensionError, match=r"ps2_char_lm\.ipynb is not a readable notebook.*make exercises"):
        find_assignments(tmp_path / "exercises", CHAPTERS, {})
