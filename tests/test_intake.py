"""Intake and plan, case by case: each way a student's submission can be broken is that student's message.

One student never stops the class: every test here grades a broken submission *together with* an honest
one, or reads it directly, and asserts a clear message (naming the file and the fix) instead of an
exception. The property-based versions of these cases are in ``test_fuzz.py``.
"""

from __future__ import annotations

import errno
import json
import os
import zipfile
from pathlib import Path

import nbformat
import pytest

from autograder.running import intake
from autograder.running.intake import IntakeError, collect, read_notebook, safe_student_id
from autograder.running.nbmeta import points
from autograder.running.plan import build_plan, to_python

REPO = Path(__file__).resolve().parents[1]
SOURCE = nbformat.read(REPO / "solutions" / "ps3_lstm" / "ps3_lstm.ipynb", as_version=4)
NAME = "ps3_lstm"


def _nb_json(*cells: dict, **top) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": list(cells), **top})


def _code(source="x = 1", metadata=None, **extra) -> dict:
    return {"cell_type": "code", "source": source, "metadata": {} if metadata is None else metadata,
            "outputs": [], "execution_count": None, **extra}


def _solution(source: str, gid: str = "lstm_cell_solution") -> dict:
    return _code(source, {"nbgrader": {"grade_id": gid, "solution": True, "grade": False, "locked": False}})


def _write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def _honest(folder: Path, student: str = "honest") -> Path:
    return _write(folder / student / NAME / f"{NAME}.ipynb", _nb_json(_solution("def lstm_cell(): pass")))


def _collect(source: Path, tmp: Path) -> dict[str, intake.Submission]:
    subs = {s.student: s for s in collect(source, NAME, NAME, tmp / "state" / "run" / "unpacked")}
    assert subs["honest"].gradable, subs["honest"]
    return subs


def _only_problem(sub: intake.Submission) -> str:
    assert not sub.gradable and len(sub.problems) == 1, sub
    return sub.problems[0]


def _read(tmp: Path, text: str | bytes) -> intake.ReadResult:
    return read_notebook(_write(tmp / "t.ipynb", text))


def _valid(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook is schema-valid and can be written as UTF-8: what gradebook and engine rely on."""
    nbformat.validate(nb)
    nbformat.writes(nb).encode("utf-8")
    return nb


# ------------------------------------------------------------------------------------------ notebook structure


def test_read_notebook_messages(tmp_path):
    assert "JSON error at line 1" in _read(tmp_path, '{"cells": [').problem
    assert "empty" in _read(tmp_path, "").problem
    assert "not a Jupyter notebook" in _read(tmp_path, '{"a": 1}').problem
    assert "not a Jupyter notebook" in _read(tmp_path, "[1, 2]").problem
    assert "JSON error" in _read(tmp_path, b"\xff\xfe{}").problem


def test_deeply_nested_json_is_a_problem_not_a_recursion_error(tmp_path):
    deep = "[" * 50_000 + "]" * 50_000
    for text in ('{"cells": [], "metadata": ' + deep + "}",  # json.loads raised RecursionError
                 _nb_json(_code())[:-2] + ', {"cell_type": "code", "source": "", "outputs": ' + deep + "}]}"):
        read = _read(tmp_path, text)
        assert read.notebook is None and "nested too deeply" in read.problem and "t.ipynb" in read.problem


def test_cells_of_the_wrong_shape_are_ignored_or_read_as_empty(tmp_path):
    read = _read(tmp_path, _nb_json(
        _code(5), _code([1, 2]), _code({"a": 1}), _code(["a = ", "1"]),  # sources that are not text, then a list
        3, "cell", None, {"cell_type": ["code"]}, {},  # entries that are not cells
        _code("y = 2", metadata=[1]), _code("z = 3", metadata={"nbgrader": "x"}),
        _code("w = 4", metadata={"nbgrader": {"grade_id": 5, "solution": True}}),
        _code("v = 5", metadata={"nbgrader": {"grade_id": ["a"], "points": 10**400, "nested": {"a": [1]}}}),
    ))
    nb = _valid(read.notebook)
    assert [c.source for c in nb.cells] == ["", "", "", "a = 1", "y = 2", "z = 3", "w = 4", "v = 5"]
    assert read.notes == ["t.ipynb: ignored cells 5, 6, 7, 8, 9, not notebook cells (no valid cell_type)",
                          "t.ipynb: read cells 1, 2, 3 as empty, their source is not text"]
    assert nb.cells[-1].metadata == {"nbgrader": {"points": 10**400}}  # plain values only; grade_id was a list
    assert points(nb.cells[-1]) == 0.0  # too large for a float: no points rather than OverflowError


def test_format_versions_that_are_not_numbers_or_cannot_be_converted(tmp_path):
    for version in ('"4"', "null", "3.5", "true"):
        read = _read(tmp_path, _nb_json(_code())[:-1] + f', "nbformat": {version}}}')
        assert "invalid format version" in read.problem, read
    for old in ({"nbformat": 3, "cells": [_code()]}, {"nbformat": 3, "worksheets": 5}, {"nbformat": -7}):
        assert "could not be converted" in _read(tmp_path, json.dumps(old)).problem
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "code", "input": "x = 1", "language": "python", "outputs": [], "metadata": {}}]}]}
    assert [c.source for c in _valid(_read(tmp_path, json.dumps(v3)).notebook).cells] == ["x = 1"]


def test_values_python_will_not_load_and_lone_surrogates(tmp_path):
    assert "not a valid notebook" in _read(tmp_path, _nb_json(_code(), big=1)[:-1] + "0" * 5000 + "}").problem
    nb = _valid(_read(tmp_path, _nb_json(_code("s = '\udce9'"))).notebook)  # valid JSON, not valid UTF-8
    assert nb.cells[0].source == "s = '\ufffd'"


def test_huge_outputs_are_ignored_with_a_note(tmp_path):
    big = _code("x = 1", outputs=[{"output_type": "stream", "name": "stdout", "text": "y" * (25 << 20)}])
    read = _read(tmp_path, _nb_json(big))
    assert _valid(read.notebook).cells[0].outputs == [] and "outputs were ignored" in read.notes[0]
    assert "clear all outputs" in read_notebook(tmp_path / "t.ipynb", max_mb=10).problem


def test_too_many_cells(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_CELLS", 3)
    assert "4 cells (limit 3)" in _read(tmp_path, _nb_json(*[_code()] * 4)).problem


def test_whatever_nbformat_raises_is_the_students_problem(tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("nbformat broke")

    monkeypatch.setattr(nbformat, "from_dict", boom)
    read = _read(tmp_path, _nb_json(_code()))
    assert read.notebook is None
    assert "t.ipynb could not be read (unexpected RuntimeError: nbformat broke)" in read.problem


# ------------------------------------------------------------------------------------------ plan


def test_a_long_expression_never_crashes_the_grader():
    source = "x = " + "+".join(["1"] * 6000)  # compile() would raise RecursionError: it runs only in the sandbox
    plan = build_plan(SOURCE, {"cells": [_solution(source)]}, set())
    assert [s.source for s in plan.steps if s.cell == "lstm_cell_solution"] == [to_python(source)]


def test_to_python_falls_back_to_the_source_when_ipython_raises(monkeypatch):
    from IPython.core.inputtransformer2 import TransformerManager

    def deep(self, cell):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(TransformerManager, "transform_cell", deep)
    assert to_python("%time x = 1") == "%time x = 1"


def test_plan_ignores_metadata_of_the_wrong_type():
    student = {"cells": [
        3, None, {"cell_type": "code", "source": 5, "metadata": {"nbgrader": {"grade_id": "lstm_cell_solution"}}},
        _code("a = 1", metadata=[1]), _code("b = 2", metadata={"nbgrader": {"grade_id": 5}}),
    ]}
    plan = build_plan(SOURCE, student, {"lstm_cell_visible"})
    assert plan.student_cells["lstm_cell_solution"] == ""
    assert plan.student_cells["added-3"] == "a = 1" and plan.student_cells["added-4"] == "b = 2"
    for weird in (None, 5, "x", [], {"cells": 5}, {"cells": [[], "x"]}):
        assert build_plan(SOURCE, weird, set()).missing_cells  # every solution cell is missing


# ------------------------------------------------------------------------------------------ folders


def test_intake_reads_both_layouts_and_wrapped_zips(tmp_path):
    src = tmp_path / "src"
    _honest(src, "alice")
    _write(src / "bob_12345_ps3_lstm.ipynb", _nb_json(_code()))
    subs = {s.student: s for s in collect(src, NAME, NAME, tmp_path / "u1")}
    assert set(subs) == {"alice", "bob"} and all(s.gradable for s in subs.values())
    assert subs["bob"].notes == []  # the LMS prefix is not a rename
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(src / "alice/ps3_lstm/ps3_lstm.ipynb", "submissions/alice/ps3_lstm/ps3_lstm.ipynb")
        z.write(src / "bob_12345_ps3_lstm.ipynb", "submissions/bob_12345_ps3_lstm.ipynb")
        z.writestr("__MACOSX/._alice", "junk")
    subs = {s.student: s for s in collect(archive, NAME, NAME, tmp_path / "u2")}
    assert set(subs) == {"alice", "bob"} and all(s.gradable for s in subs.values())


def test_intake_whole_run_errors_are_clear(tmp_path):
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(IntakeError, match="empty zip"):
        collect(empty, NAME, NAME, tmp_path / "u")
    with pytest.raises(IntakeError, match="not a valid zip"):
        collect(_write(tmp_path / "bad.zip", b"not a zip"), NAME, NAME, tmp_path / "u")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(IntakeError, match="no submissions found"):
        collect(tmp_path / "nothing", NAME, NAME, tmp_path / "u")
    with pytest.raises(IntakeError, match="does not exist"):
        collect(tmp_path / "nope", NAME, NAME, tmp_path / "u")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(IntakeError, match="neither a folder nor a zip"):
        collect(tmp_path / "pipe", NAME, NAME, tmp_path / "u")


def test_two_notebooks_newest_is_graded_and_renames_are_noted(tmp_path):
    src = tmp_path / "src"
    _honest(src)
    old = _write(src / "ann" / NAME / "draft.ipynb", _nb_json(_code("old = 1")))
    _write(src / "ann" / NAME / "final.ipynb", _nb_json(_code("new = 1")))
    os.utime(old, (1, 1))
    _write(src / "cy" / NAME / "mine.ipynb", _nb_json(_code()))
    subs = _collect(src, tmp_path)
    assert subs["ann"].path.name == "final.ipynb" and "graded final.ipynb (the most recently modified)" in (
        subs["ann"].notes[0])
    assert subs["cy"].notes == ["notebook renamed: graded mine.ipynb as ps3_lstm.ipynb"]


def test_broken_files_are_their_students_problem(tmp_path):
    src = tmp_path / "src"
    _honest(src)
    (src / "dir" / NAME / f"{NAME}.ipynb").mkdir(parents=True)
    (src / "pipe" / NAME).mkdir(parents=True)
    os.mkfifo(src / "pipe" / NAME / f"{NAME}.ipynb")  # reading it would block the run forever
    _write(src / "nothing" / "notes.txt", "no notebook")
    _write(src / "deep" / NAME / f"{NAME}.ipynb", '{"cells": ' + "[" * 50_000 + "]" * 50_000 + "}")
    subs = _collect(src, tmp_path)
    assert "ps3_lstm.ipynb is a folder, not a notebook file" in _only_problem(subs["dir"])
    assert "ps3_lstm.ipynb is not a regular file" in _only_problem(subs["pipe"])
    assert "no notebook found in nothing/" in _only_problem(subs["nothing"])
    assert "nested too deeply" in _only_problem(subs["deep"])
    assert len({s.digest for s in subs.values()}) == len(subs)  # each keys the journal apart


def test_links_are_not_followed_out_of_the_submissions(tmp_path):
    outside = _write(tmp_path / "elsewhere" / "secret.ipynb", _nb_json(_code("secret = 1")))
    src = tmp_path / "src"
    _honest(src)
    (src / "linker" / NAME).mkdir(parents=True)
    (src / "linker" / NAME / f"{NAME}.ipynb").symlink_to(outside)
    (src / "folder_linker").symlink_to(tmp_path / "elsewhere")
    (src / "flat_linker_ps3_lstm.ipynb").symlink_to(outside)
    (src / "inner" / NAME).mkdir(parents=True)
    (src / "inner" / NAME / f"{NAME}.ipynb").symlink_to(src / "honest" / NAME / f"{NAME}.ipynb")
    subs = _collect(src, tmp_path)
    assert "is a link to a file outside the submissions" in _only_problem(subs["linker"])
    assert "folder_linker/ is a link to a folder outside the submissions" in _only_problem(subs["folder_linker"])
    assert "is a link to a file outside the submissions" in _only_problem(subs["flat"])
    assert subs["inner"].gradable  # a link that stays inside the submissions is followed


def test_an_unreadable_student_folder_is_that_students_problem(tmp_path, monkeypatch):
    src = tmp_path / "src"
    _honest(src)
    locked = _write(src / "locked" / NAME / f"{NAME}.ipynb", _nb_json(_code())).parents[1]
    real_scandir = os.scandir

    def scandir(path="."):  # root reads every folder, so refuse it here the way the kernel would
        if Path(path) in (locked, locked / NAME):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    subs = _collect(src, tmp_path)
    assert "the folder locked/ cannot be read (Permission denied)" in _only_problem(subs["locked"])


def test_student_ids_are_safe_and_stable():
    assert safe_student_id("alice") == ("alice", None)
    weird, note = safe_student_id("caf\udce9 ../x")
    assert "/" not in weird and note and weird == safe_student_id("caf\udce9 ../x")[0]
    for formula in ("-2-3", "-SUM.A1", "=HYPERLINK(1)", "+1", "@A1"):  # options to nbgrader, formulas to Excel
        cleaned, note = safe_student_id(formula)
        assert cleaned[0] not in "-=+@" and note, cleaned


# ------------------------------------------------------------------------------------------ zips


def _zip(path: Path, members: dict[str, bytes | str], patch: dict[bytes, bytes] | None = None) -> Path:
    """A zip of ``members``; ``patch`` then replaces bytes in the file (names Python would not write)."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    data = path.read_bytes()
    for old, new in (patch or {}).items():
        data = data.replace(old, new)
    path.write_bytes(data)
    return path


HONEST = {f"honest/{NAME}/{NAME}.ipynb": _nb_json(_solution("def lstm_cell(): pass"))}


def test_zip_names_that_are_not_utf8_become_distinct_safe_ids(tmp_path):
    members = {**HONEST, f"caf\x01_{NAME}.ipynb": _nb_json(_code()), f"caf\x02_{NAME}.ipynb": _nb_json(_code())}
    archive = _zip(tmp_path / "s.zip", members, {b"caf\x01": b"caf\xe9", b"caf\x02": b"caf\xe8"})  # latin-1 names
    subs = _collect(archive, tmp_path)
    weird = sorted(s for s in subs if s != "honest")
    assert len(weird) == 2 and all(s.startswith("caf-") and subs[s].gradable for s in weird)
    assert all("not a plain UTF-8 name" in subs[s].notes[0] for s in weird)
    with pytest.raises(IntakeError, match="not a valid zip"):  # flagged UTF-8 but is not: the directory is corrupt
        collect(_zip(tmp_path / "f.zip", {**HONEST, "ü.ipynb": "{}"}, {"ü".encode(): b"\xff\xfe"}), NAME, NAME,
                tmp_path / "u")


@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_zip_members_never_land_outside_the_unpack_folder(tmp_path):
    archive = _zip(tmp_path / "s.zip", {
        **HONEST, "../../evil.ipynb": "{}", "/abs/evil.ipynb": "{}", "a/../../evil2.ipynb": "{}",
        "..\\..\\evil3.ipynb": "{}", f"dup/{NAME}/{NAME}.ipynb": "first",
    })
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr(f"dup/{NAME}/{NAME}.ipynb", _nb_json(_code("second = 1")))  # a duplicate name: the last wins
        link = zipfile.ZipInfo(f"linked/{NAME}/{NAME}.ipynb")
        link.external_attr = (0o120777 << 16)
        z.writestr(link, "/etc/passwd")
    before = sorted(p for p in tmp_path.rglob("*"))
    subs = _collect(archive, tmp_path)
    unpacked = tmp_path / "state" / "run" / "unpacked"
    after = sorted(p for p in tmp_path.rglob("*") if not p.is_relative_to(unpacked) and p not in unpacked.parents)
    assert after == before and not Path("/abs/evil.ipynb").exists()
    assert not any(p.is_symlink() for p in unpacked.rglob("*"))
    assert subs["dup"].gradable and subs["dup"].notebook.cells[0].source == "second = 1"
    assert "is a link in the zip, not a notebook file" in _only_problem(subs["linked"])


def _declare_size(archive: Path, member: str, size: int) -> None:
    """Make the zip's directory claim ``size`` bytes for ``member`` (its bytes do not change)."""
    data = bytearray(archive.read_bytes())
    entry = data.rindex(member.encode()) - 46  # the central directory comes last; its entries are 46 bytes + name
    assert data[entry:entry + 4] == b"PK\x01\x02"
    data[entry + 24:entry + 28] = size.to_bytes(4, "little")
    archive.write_bytes(bytes(data))


def test_zip_bombs_are_bounded_by_the_bytes_written_not_the_sizes_declared(tmp_path, monkeypatch):
    monkeypatch.setattr(intake, "MAX_NOTEBOOK_MB", 1)
    monkeypatch.setattr(intake, "MAX_ZIP_TOTAL_MB", 2)
    small = " " * 900_000 + _nb_json(_code())
    archive = _zip(tmp_path / "s.zip", {**HONEST, f"bomb/{NAME}/{NAME}.ipynb": b"\0" * (50 << 20),
                                        f"one/{NAME}/{NAME}.ipynb": small, f"two/{NAME}/{NAME}.ipynb": small,
                                        f"three/{NAME}/{NAME}.ipynb": small,
                                        f"liar/{NAME}/{NAME}.ipynb": _nb_json(_code())})
    _declare_size(archive, f"liar/{NAME}/{NAME}.ipynb", 0xFFFF0000)  # stopped the whole run before
    subs = _collect(archive, tmp_path)
    assert "unpacks to more than 1 MB: clear all outputs" in _only_problem(subs["bomb"])
    assert subs["one"].gradable and subs["two"].gradable
    assert "holds more than 2 MB of notebooks" in _only_problem(subs["three"])
    assert subs["liar"].gradable
    unpacked = tmp_path / "state" / "run" / "unpacked"
    assert sum(p.stat().st_size for p in unpacked.rglob("*") if p.is_file()) <= 2 << 20


def test_zip_names_that_are_empty_or_too_long_for_the_filesystem(tmp_path):
    archive = _zip(tmp_path / "s.zip", {**HONEST, f"ann_1_{'é' * 200}.ipynb": _nb_json(_code())})  # 400 bytes
    with zipfile.ZipFile(archive, "a") as z:
        z.writestr(zipfile.ZipInfo(""), "{}")  # zipfile's own is_dir() raises IndexError on it
    subs = _collect(archive, tmp_path)
    assert set(subs) == {"honest", "ann"} and subs["ann"].gradable and subs["ann"].path.name.endswith(".ipynb")


def test_a_corrupt_member_is_its_students_problem(tmp_path):
    archive = _zip(tmp_path / "s.zip", {**HONEST, f"crc/{NAME}/{NAME}.ipynb": _nb_json(_code("checked = 1"))})
    with zipfile.ZipFile(archive) as z:
        info = z.getinfo(f"crc/{NAME}/{NAME}.ipynb")
    data = bytearray(archive.read_bytes())
    data[info.header_offset + 30 + len(info.filename) + 5] ^= 0xFF  # a byte of the compressed data
    archive.write_bytes(bytes(data))
    subs = _collect(archive, tmp_path)
    assert "ps3_lstm.ipynb could not be unpacked from the zip" in _only_problem(subs["crc"])
