"""The red-team acceptance set: every submission in tests/fixtures/redteam/, graded in ONE run per assignment.

``tests/fixtures/redteam/*.py`` are ``ps3_lstm`` submissions, ``tests/fixtures/redteam/<assignment>/*.py``
those of other assignments (the format is in that folder's README). For each assignment this asserts: the
run completes; every submission gets exactly its deserved score (no undeserved point for an attack, no
point lost by an honest student) and feedback that names what happened; the gradebook, read through
nbgrader's API, agrees; no sandbox process survives; nothing is left outside ``nbgrader_work/`` (the
course, the submissions, the run's temporary folder, and nothing of a sandbox's in /tmp, /var/tmp,
/dev/shm or ~); other checkouts planted on the machine were neither read nor changed; sleeping
submissions cost a few step limits, not what they asked for; and a re-run changes nothing.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import json
import os
import shutil
import stat
import tempfile
import time
from pathlib import Path
from types import ModuleType

import nbformat
import pytest
from engine_course import REPO, make_course, student_notebook, write_submission

from autograder.cli import main as autograder_main
from autograder.running.sandbox import SANDBOX_UID_BASE

FIXTURES = Path(__file__).parent / "fixtures" / "redteam"
MAIN = "ps3_lstm"  # the assignment of the fixtures at the top of FIXTURES
# (--step-timeout, --timeout) per assignment: a step limit of 3 s, and 30 s per sandbox run, well above any
# honest submission's, so that a sandbox living that long stands out; ps2's honest model trains for ~10 s.
LIMITS = {"ps2_char_lm": (60, 120)}
DEFAULT_LIMITS = (3, 30)
SANDBOX_UIDS = range(SANDBOX_UID_BASE, SANDBOX_UID_BASE + 64)
MARKER = "redteam-planted"  # in the name of every file an attack plants
PLACES = ("/tmp", "/var/tmp", "/dev/shm", str(Path.home()))


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"redteam_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fixtures(assignment: str) -> dict[str, ModuleType]:
    folder = FIXTURES if assignment == MAIN else FIXTURES / assignment
    return {p.stem: _load(p) for p in sorted(folder.glob("*.py"))}


ASSIGNMENTS = [MAIN] + sorted(p.name for p in FIXTURES.iterdir() if p.is_dir() and any(p.glob("*.py")))


def is_honest(fx: ModuleType) -> bool:
    return getattr(fx, "HONEST", False)


def is_attack(fx: ModuleType) -> bool:
    """Student code written to break the rules or the grader (bad-input files and honest students are not)."""
    return not is_honest(fx) and not hasattr(fx, "KIND")


# ------------------------------------------------------------------------------------------ other checkouts


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> dict[Path, tuple[bytes, float]]:
    """Fake second checkouts (a ``solutions/`` notebook holding the reference solution) outside the course:
    in this test's temporary folder and, where writable, under /srv and /opt. Returns their bytes and
    mtimes, to check afterwards that nothing changed them."""
    roots = [tmp_path_factory.mktemp("other-checkout")]
    for top in ("/srv", "/opt"):
        if os.access(top, os.W_OK):
            roots.append(Path(tempfile.mkdtemp(prefix="redteam-other-checkout-", dir=top)))
    files = {}
    for root in roots:
        for assignment in ASSIGNMENTS:
            target = root / "solutions" / assignment / f"{assignment}.ipynb"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(REPO / "solutions" / assignment / f"{assignment}.ipynb", target)
            files[target] = (target.read_bytes(), target.stat().st_mtime)
        for path in [root, *root.rglob("*")]:  # readable by anyone: only the sandbox can keep them out
            path.chmod(0o755 if path.is_dir() else 0o644)
    yield files
    for root in roots[1:]:
        shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------------------------------ submissions


def _write_raw(subs: Path, student: str, assignment: str, nb: dict) -> None:
    """A notebook written as JSON without nbformat's validation (a malformed cell is the point)."""
    path = subs / student / assignment / f"{assignment}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(nb), encoding="utf-8")


def _bad_input(kind: str, name: str, assignment: str, course: Path, subs: Path) -> str:
    """Write one bad-input fixture; return the student id it should be graded under (prefix for non-UTF-8)."""
    solved = student_notebook(course, assignment)
    folder = subs / name / assignment
    if kind == "truncated":
        text = nbformat.writes(solved)
        folder.mkdir(parents=True)
        (folder / f"{assignment}.ipynb").write_text(text[: len(text) // 2])
    elif kind == "not_a_notebook":
        folder.mkdir(parents=True)
        (folder / f"{assignment}.ipynb").write_text("[1, 2, 3]")
    elif kind == "renamed":
        folder.mkdir(parents=True)
        nbformat.write(solved, folder / f"{assignment} (1).ipynb")
    elif kind == "missing":
        folder.mkdir(parents=True)
        (folder / "notes.txt").write_text("forgot to attach")
    elif kind == "two_files":
        name = "twofiles"
        nbformat.write(student_notebook(course, assignment, solved=False), subs / f"{name}_first.ipynb")
        os.utime(subs / f"{name}_first.ipynb", (1_600_000_000, 1_600_000_000))
        nbformat.write(solved, subs / f"{name}_final.ipynb")
    elif kind == "non_utf8":
        name = "caf"
        with open(os.fsencode(subs) + f"/caf\xe9_{assignment}.ipynb".encode("latin-1"), "w") as f:
            f.write(nbformat.writes(solved))
    elif kind == "huge_outputs":
        nb = copy.deepcopy(solved)
        code = next(c for c in nb.cells if c.cell_type == "code")
        code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (30 << 20))]
        write_submission(subs, name, nb, assignment, assignment)
    elif kind == "wrong_assignment":
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            "def rnn_cell(x, h, W_ih, W_hh, b_ih, b_hh):\n    return h\n",
            metadata={"nbgrader": {"grade_id": "rnn_cell_solution", "solution": True, "grade": False,
                                   "locked": False, "schema_version": 3}})])
        write_submission(subs, name, nb, assignment, assignment)
    elif kind == "deleted_reordered":
        nb = copy.deepcopy(solved)
        nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "lstm_layer_solution"]
        nb.cells.reverse()
        write_submission(subs, name, nb, assignment, assignment)
    elif kind == "deep_metadata":  # {"nested": {"nested": ... 50 000 levels}} in the notebook's metadata
        raw = json.loads(nbformat.writes(solved))
        raw["metadata"]["deep"] = "@DEEP@"
        depth = 50_000
        folder.mkdir(parents=True)
        (folder / f"{assignment}.ipynb").write_text(
            json.dumps(raw).replace('"@DEEP@"', '{"nested": ' * depth + "1" + "}" * depth), encoding="utf-8")
    else:
        raise ValueError(kind)
    return name


def _placed(nb: nbformat.NotebookNode, after: dict[str, list[str]]) -> None:
    """Insert the added cells of ``after`` (grade_id -> sources) right after the cell with that grade_id."""
    for gid, sources in after.items():
        index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == gid)
        nb.cells[index + 1:index + 1] = [nbformat.v4.new_code_cell(source) for source in sources]


def _substituted(source: str, planted: dict[Path, tuple[bytes, float]], course: Path) -> str:
    """``source`` with ``{{PLANTED}}`` replaced by the paths an attack should fail to read: the planted
    checkouts, the repository's and the course's solutions, the course's gradebook."""
    targets = [str(p) for p in planted] + [str(REPO / "solutions"), str(course / "solutions"),
                                           str(course / "nbgrader_work" / "gradebook.db")]
    return source.replace("{{PLANTED}}", repr(targets))


def write_fixture(name: str, fx: ModuleType, assignment: str, course: Path, subs: Path,
                  planted: dict[Path, tuple[bytes, float]]) -> str:
    """Write one fixture's submission; returns the student id it is graded under."""
    if hasattr(fx, "KIND"):
        return _bad_input(fx.KIND, name, assignment, course, subs)
    cells = {gid: _substituted(src, planted, course) for gid, src in getattr(fx, "CELLS", {}).items()}
    nb = student_notebook(course, assignment, answers=cells, solved=getattr(fx, "BASE", "solved") == "solved")
    _placed(nb, {gid: [_substituted(s, planted, course) for s in ([sources] if isinstance(sources, str) else sources)]
                 for gid, sources in getattr(fx, "AFTER", {}).items()})
    added = getattr(fx, "ADDED", [])
    for source in [added] if isinstance(added, str) else added:
        nb.cells.append(nbformat.v4.new_code_cell(_substituted(source, planted, course)))
    if hasattr(fx, "edit"):
        raw = json.loads(nbformat.writes(nb))
        fx.edit(raw)
        _write_raw(subs, name, assignment, raw)
    else:
        write_submission(subs, name, nb, assignment, assignment)
    return name


# ------------------------------------------------------------------------------------------ what a run leaves


def _tree(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, tuple[int, int]]:
    """Every entry under ``root`` (links not followed) with its size and mtime, ``skip`` left out."""
    out = {}
    for here, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if Path(here, d) not in skip]
        for name in dirs + files:
            path = Path(here, name)
            try:
                info = path.lstat()
            except OSError:
                continue
            out[str(path.relative_to(root))] = (info.st_size if not stat.S_ISDIR(info.st_mode) else 0,
                                                info.st_mtime_ns)
    return out


def _shared_places() -> dict[str, int]:
    """The entries of /tmp, /var/tmp, /dev/shm and ~ (two levels, pytest's own folders skipped) and their owners.

    Other processes share these folders, so the test asserts only about entries a sandbox could have made:
    owned by a sandbox uid, or named like what the attacks plant."""
    found = {}
    for place in PLACES:
        try:
            top = list(os.scandir(place))
        except OSError:
            continue
        for entry in top:
            if entry.name.startswith("pytest-of-"):
                continue
            entries = [entry]
            try:
                if entry.is_dir(follow_symlinks=False):
                    entries += list(os.scandir(entry.path))
            except OSError:
                pass
            for e in entries:
                try:
                    found[e.path] = e.stat(follow_symlinks=False).st_uid
                except OSError:
                    continue
    return found


# ------------------------------------------------------------------------------------------ the runs


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, tmp_path_factory, planted, monkeypatch_module):
    assignment = request.param
    tmp = tmp_path_factory.mktemp(f"redteam-{assignment}")
    course = make_course(tmp / "course", assignment)
    subs = tmp / "submissions"
    subs.mkdir()
    expected: dict[str, ModuleType] = {}
    for name, fx in fixtures(assignment).items():
        expected[write_fixture(name, fx, assignment, course, subs, planted)] = fx
    run_tmp = tmp / "run-tmp"  # the grader's own temporary files go here, so that they can be checked
    run_tmp.mkdir()
    monkeypatch_module.setenv("TMPDIR", str(run_tmp))
    monkeypatch_module.setattr(tempfile, "tempdir", str(run_tmp))
    before = {"course": _tree(course), "subs": _tree(subs), "shared": _shared_places()}
    step, timeout = LIMITS.get(assignment, DEFAULT_LIMITS)
    args = [assignment, str(subs), "--course", str(course), "--timeout", str(timeout), "--step-timeout", str(step),
            "--memory", "1024", "--quiet"]
    t0 = time.monotonic()
    assert autograder_main(args) == 0
    wall = time.monotonic() - t0
    work = course / "nbgrader_work"
    after = {"course": _tree(course, skip=(work,)), "subs": _tree(subs), "shared": _shared_places()}
    before["course"] = {k: v for k, v in before["course"].items() if not k.startswith("nbgrader_work")}
    journal = (work / "autograder" / assignment / "journal.jsonl").read_text()
    results = {}
    for line in journal.splitlines():
        entry = json.loads(line)
        results[entry["student"]] = entry["result"]
    return {"assignment": assignment, "course": course, "subs": subs, "args": args, "expected": expected,
            "work": work, "rows": _csv_rows(work, assignment), "journal": journal, "results": results,
            "before": before, "after": after, "wall": wall, "run_tmp": run_tmp, "step": step}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def _csv_rows(work: Path, assignment: str) -> dict[str, dict]:
    with open(work / "autograder" / assignment / "grades.csv", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def _student(rows: dict, name: str) -> str:
    matches = [s for s in rows if s == name or s.startswith(f"{name}_-") or s.startswith(f"{name}-")]
    assert len(matches) == 1, (name, sorted(rows))
    return matches[0]


# ------------------------------------------------------------------------------------------ the assertions


def test_the_set_has_at_least_40_attacks_and_12_honest_submissions():
    every = [fx for a in ASSIGNMENTS for fx in fixtures(a).values()]
    assert sum(map(is_attack, every)) >= 40
    assert sum(map(is_honest, every)) >= 12


def test_the_readme_table_lists_every_fixture_with_its_class_and_score():
    listed, section = set(), None
    for line in (FIXTURES / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            section = line.split()[1]
        elif line.startswith("| ") and section in ASSIGNMENTS and not line.startswith("| fixture"):
            name, cls, score = (cell.strip() for cell in line.strip("|").split("|"))
            listed.add((section, name, cls, score))
    actual = {(a, name, str(fx.CLASS), f"{fx.EXPECT:g}") for a in ASSIGNMENTS for name, fx in fixtures(a).items()}
    assert listed == actual


def test_no_undeserved_point_and_no_honest_point_lost(graded):
    rows = graded["rows"]
    got = {name: float(rows[_student(rows, name)]["score"]) for name in graded["expected"]}
    want = {name: float(fx.EXPECT) for name, fx in graded["expected"].items()}
    wrong = {name: f"got {got[name]:g}, deserves {want[name]:g}" for name in want if got[name] != want[name]}
    assert wrong == {}


def test_every_student_feedback_names_what_happened(graded):
    feedback = graded["work"] / "autograder" / graded["assignment"] / "feedback"
    missing = {}
    for name, fx in graded["expected"].items():
        student = _student(graded["rows"], name)
        page = (feedback / f"{student}.html").read_text(encoding="utf-8").lower()
        phrases = fx.MESSAGE if isinstance(fx.MESSAGE, tuple) else (fx.MESSAGE,)
        if fx.MESSAGE and not any(p.lower() in page for p in phrases):
            missing[name] = fx.MESSAGE
        review = getattr(fx, "REVIEW", None)
        if review and review.lower() not in graded["rows"][student]["review"].lower():
            missing[name] = f"review column: {review}"
    assert missing == {}


def test_gradebook_through_nbgraders_api_matches(graded):
    from nbgrader.api import Gradebook

    assignment = graded["assignment"]
    with Gradebook("sqlite:///" + str(graded["work"] / "gradebook.db")) as gb:
        for name, fx in graded["expected"].items():
            student = _student(graded["rows"], name)
            nb = gb.find_submission_notebook(assignment, assignment, student)
            auto = sum(g.auto_score or 0 for g in nb.grades)
            assert auto == pytest.approx(fx.EXPECT), name
            if is_honest(fx) and assignment == MAIN:  # the written answer on batch_first waits for formgrader
                assert nb.needs_manual_grade, name


def test_no_sandbox_process_survives(graded):
    survivors = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uid_line = next(line for line in status.read_text().splitlines() if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if int(uid_line.split()[1]) in SANDBOX_UIDS:
            survivors.append(status.parent.name)
    assert survivors == []


def test_nothing_is_left_outside_nbgrader_work(graded):
    before, after = graded["before"], graded["after"]
    assert after["course"] == before["course"]  # the course outside nbgrader_work/: nothing added, changed, removed
    assert after["subs"] == before["subs"]  # the submissions are read, never written
    assert sorted(os.listdir(graded["run_tmp"])) == []  # the grader's own temporary files are gone
    new = {path: uid for path, uid in after["shared"].items() if path not in before["shared"]}
    left = {path: uid for path, uid in new.items() if uid in SANDBOX_UIDS or MARKER in path}
    assert left == {}
    autograded = graded["work"] / "autograded"
    honest = next(name for name, fx in graded["expected"].items() if is_honest(fx))
    assigned = graded["assignment"]
    assert (autograded / _student(graded["rows"], honest) / assigned / f"{assigned}.ipynb").is_file()


def test_no_other_checkout_was_read_or_changed(graded, planted):
    for path, (data, mtime) in planted.items():
        assert path.read_bytes() == data and path.stat().st_mtime == mtime, path
    readers = [name for name, fx in graded["expected"].items() if "{{PLANTED}}" in Path(fx.__file__).read_text()]
    rows = graded["rows"]
    for name in readers:
        assert float(rows[_student(rows, name)]["score"]) == graded["expected"][name].EXPECT, name


def test_sleeping_costs_a_few_step_limits_not_what_it_asks_for(graded):
    """Each submission with ``MAX_SECONDS`` (the sleepers and those that ignore the time limits) took at
    most that long, and the whole run stayed far below the sleep its submissions asked for."""
    results, rows = graded["results"], graded["rows"]
    slow = {}
    asked = 0.0
    for name, fx in graded["expected"].items():
        limit = getattr(fx, "MAX_SECONDS", None)
        if limit is None:
            continue
        asked += getattr(fx, "SLEEPS", 0)
        seconds = results[_student(rows, name)]["seconds"]
        if seconds > limit:
            slow[name] = f"{seconds:.1f} s > {limit} s"
    assert slow == {}
    assert graded["wall"] < 0.1 * asked or asked == 0


def test_rerun_is_idempotent(graded, capsys):
    assert autograder_main(graded["args"]) == 0
    out = capsys.readouterr().out
    assert "0 graded now" in out
    assert _csv_rows(graded["work"], graded["assignment"]) == graded["rows"]
    journal = (graded["work"] / "autograder" / graded["assignment"] / "journal.jsonl").read_text()
    assert journal == graded["journal"]
