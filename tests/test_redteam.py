"""Every red-team submission in tests/fixtures/redteam/, graded together with honest ones in ONE run.

Asserts: no undeserved point (each fixture's exact score), a clear message in each student's feedback,
honest submissions keep their exact scores, the gradebook (read through nbgrader's API) agrees, no
sandbox process survives, nothing outside the sandboxes was touched, and a re-run changes nothing.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import json
import os
from pathlib import Path

import nbformat
import pytest
from engine_course import REPO, make_course, student_notebook, write_submission

from autograder.cli import main as autograder_main
from autograder.running.sandbox import SANDBOX_UID_BASE


FIXTURES = Path(__file__).parent / "fixtures" / "redteam"
MAX = 13

LOOP_STYLE = '''
def lstm_layer(x, h0, c0, W_ih, W_hh, b_ih, b_hh, batch_first=False):
    xs = np.swapaxes(x, 0, 1) if batch_first else x
    h, c = h0[0], c0[0]
    outs = []
    for t in range(xs.shape[0]):
        h, c = lstm_cell(xs[t], h, c, W_ih, W_hh, b_ih, b_hh)
        outs.append(h)
    out = np.stack(outs)
    return (np.swapaxes(out, 0, 1) if batch_first else out), (h[None], c[None])
'''
EINSUM_CELL = '''
def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    z = np.einsum("ni,gi->ng", x_t, W_ih) + np.einsum("nh,gh->ng", h_prev, W_hh) + (b_ih + b_hh)
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))
    i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
'''
IGNORES_BATCH_FIRST = LOOP_STYLE.replace("np.swapaxes(x, 0, 1) if batch_first else x", "x").replace(
    "(np.swapaxes(out, 0, 1) if batch_first else out)", "out")
HONEST = {  # student -> (cells, exact score)
    "honest_full": ({}, MAX),
    "honest_written_differently": ({"lstm_cell_solution": "import numpy as np\n" + EINSUM_CELL,
                                    "lstm_layer_solution": LOOP_STYLE}, MAX),
    "honest_ignores_batch_first": ({"lstm_layer_solution": IGNORES_BATCH_FIRST}, MAX - 3),
}


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"redteam_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fixtures() -> dict[str, object]:
    return {p.stem: _load(p) for p in sorted(FIXTURES.glob("*.py"))}


def _bad_input(kind: str, name: str, course: Path, subs: Path) -> str:
    """Write one bad-input fixture; return the student id it should be graded under (prefix for non-UTF-8)."""
    solved = student_notebook(course)
    if kind == "truncated":
        text = nbformat.writes(solved)
        (p := subs / name / "ps3_lstm" / "ps3_lstm.ipynb").parent.mkdir(parents=True)
        p.write_text(text[: len(text) // 2])
    elif kind == "not_a_notebook":
        (p := subs / name / "ps3_lstm" / "ps3_lstm.ipynb").parent.mkdir(parents=True)
        p.write_text("[1, 2, 3]")
    elif kind == "renamed":
        (p := subs / name / "ps3_lstm" / "ps3_lstm (1).ipynb").parent.mkdir(parents=True)
        nbformat.write(solved, p)
    elif kind == "missing":
        (subs / name / "ps3_lstm").mkdir(parents=True)
        (subs / name / "ps3_lstm" / "notes.txt").write_text("forgot to attach")
    elif kind == "two_files":
        name = "twofiles"
        nbformat.write(student_notebook(course, solved=False), subs / f"{name}_first.ipynb")
        os.utime(subs / f"{name}_first.ipynb", (1_600_000_000, 1_600_000_000))
        nbformat.write(solved, subs / f"{name}_final.ipynb")
    elif kind == "non_utf8":
        name = "caf"
        with open(os.fsencode(subs) + b"/caf\xe9_ps3_lstm.ipynb", "w") as f:
            f.write(nbformat.writes(solved))
    elif kind == "huge_outputs":
        nb = copy.deepcopy(solved)
        code = next(c for c in nb.cells if c.cell_type == "code")
        code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (30 << 20))]
        write_submission(subs, name, nb)
    elif kind == "wrong_assignment":
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "def rnn_cell(x, h, W_ih, W_hh, b_ih, b_hh):\n    return h\n",
            metadata={"nbgrader": {"grade_id": "rnn_cell_solution", "solution": True, "grade": False,
                                   "locked": False, "schema_version": 3}})])
        write_submission(subs, name, nb)
    elif kind == "deleted_reordered":
        nb = copy.deepcopy(solved)
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "lstm_layer_solution"]
        nb.cells.reverse()
        write_submission(subs, name, nb)
    else:
        raise ValueError(kind)
    return name


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("redteam")
    course = make_course(tmp / "course")
    subs = tmp / "submissions"
    subs.mkdir()
    expected: dict[str, tuple[float, str | None]] = {}
    for name, fx in fixtures().items():
        if hasattr(fx, "KIND"):
            student = _bad_input(fx.KIND, name, course, subs)
        else:
            nb = student_notebook(course, answers=fx.CELLS, solved=fx.BASE == "solved")
            if getattr(fx, "ADDED", None):
                nb.cells.append(nbformat.v4.new_code_cell(fx.ADDED))
            write_submission(subs, name, nb)
            student = name
        expected[student] = (fx.EXPECT, fx.MESSAGE)
    for student, (cells, score) in HONEST.items():
        write_submission(subs, student, student_notebook(course, answers=cells))
        expected[student] = (score, None)
    args = ["ps3_lstm", str(subs), "--course", str(course), "--timeout", "120", "--step-timeout", "3",
            "--memory", "1024", "--quiet"]
    assert autograder_main(args) == 0
    work = course / "nbgrader_work"
    return {"course": course, "subs": subs, "args": args, "expected": expected, "work": work,
            "rows": _csv_rows(work), "journal": (work / "autograder/ps3_lstm/journal.jsonl").read_text()}


def _csv_rows(work: Path) -> dict[str, dict]:
    with open(work / "autograder" / "ps3_lstm" / "grades.csv", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def _student(rows: dict, name: str) -> str:
    matches = [s for s in rows if s == name or s.startswith(f"{name}_-") or s.startswith(f"{name}-")]
    assert len(matches) == 1, (name, sorted(rows))
    return matches[0]


def test_there_are_at_least_15_attacks_and_failures():
    assert len(fixtures()) >= 15


def test_every_submission_gets_exactly_its_deserved_score(graded):
    rows = graded["rows"]
    got = {name: float(rows[_student(rows, name)]["score"]) for name in graded["expected"]}
    want = {name: float(score) for name, (score, _) in graded["expected"].items()}
    assert got == want


def test_every_student_feedback_names_what_happened(graded):
    feedback = graded["work"] / "autograder" / "ps3_lstm" / "feedback"
    for name, (_, message) in graded["expected"].items():
        student = _student(graded["rows"], name)
        page = (feedback / f"{student}.html").read_text(encoding="utf-8")
        if message:
            assert message.lower() in page.lower(), (name, message)


def test_gradebook_through_nbgraders_api_matches(graded):
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(graded["work"] / "gradebook.db")) as gb:
        for name, (score, _) in graded["expected"].items():
            student = _student(graded["rows"], name)
            nb = gb.find_submission_notebook("ps3_lstm", "ps3_lstm", student)
            auto = sum(g.auto_score or 0 for g in nb.grades)
            assert auto == pytest.approx(score), name
        for student in HONEST:  # the written answer on batch_first still waits for formgrader
            assert gb.find_submission_notebook("ps3_lstm", "ps3_lstm", student).needs_manual_grade


def test_no_sandbox_process_survives(graded):
    uids = set(range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + 64))
    survivors = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uid_line = next(line for line in status.read_text().splitlines() if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if int(uid_line.split()[1]) in uids:
            survivors.append(status.parent.name)
    assert survivors == []


def test_nothing_outside_the_sandboxes_changed(graded):
    course, subs = graded["course"], graded["subs"]
    assert (course / "solutions" / "ps3_lstm" / "ps3_lstm.ipynb").is_file()
    assert (course / "exercises" / "ps3_lstm" / "ps3_lstm.ipynb").is_file()
    assert (subs / "honest_full" / "ps3_lstm" / "ps3_lstm.ipynb").is_file()
    autograded = course / "nbgrader_work" / "autograded"
    assert (autograded / "honest_full" / "ps3_lstm" / "ps3_lstm.ipynb").is_file()
    leaked = json.loads(graded["journal"].splitlines()[0])  # the journal is readable JSON lines
    assert "student" in leaked


def test_rerun_is_idempotent(graded, capsys):
    assert autograder_main(graded["args"]) == 0
    out = capsys.readouterr().out
    assert "0 graded now" in out
    assert _csv_rows(graded["work"]) == graded["rows"]
    journal = (graded["work"] / "autograder/ps3_lstm/journal.jsonl").read_text()
    assert journal == graded["journal"]
