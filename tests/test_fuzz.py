"""Property-based fuzzing of intake and plan: whatever a student's file or the class's zip holds, the run goes on.

Three properties, each on examples drawn by hypothesis (derandomized, no example database: CI reproduces
exactly what ran here):

1. any JSON value, and any bytes, as a notebook file: ``read_notebook`` returns a ReadResult, with either
   a problem or a valid notebook, and never raises;
2. the real ``ps3_lstm`` notebook with random fields replaced by random JSON: ``read_notebook`` and then
   ``build_plan`` never raise (nor does ``build_plan`` on the perturbed JSON itself);
3. any zip archive (random member names, bytes and link bits, then random bytes flipped): ``collect``
   raises nothing but IntakeError and writes nothing outside its unpack folder;
4. any bytes or values from a sandbox's result channel: the grader decodes them to typed events or
   ignores them, and reads any stream to an end without raising.

"unexpected" in a problem means a last-resort guard caught an exception that no check foresaw: the run
survived, but that is a gap, so the properties require that it never appears.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.running.inside import wire
from autograder.running.inside.protocol import CallRequest, CallsStep, CodeStep, Job, decode_event
from autograder.running.intake import IntakeError, ReadResult, collect, read_notebook
from autograder.running.nbmeta import grade_id, is_test
from autograder.running.plan import build_plan
from autograder.running.sandbox import Limits, _collect, _Reader

REPO = Path(__file__).resolve().parents[1]
NAME = "ps3_lstm"
SOURCE_PATH = REPO / "solutions" / NAME / f"{NAME}.ipynb"
SOURCE = nbformat.read(SOURCE_PATH, as_version=4)
SOURCE_JSON = json.loads(SOURCE_PATH.read_text())
CHECK_IDS = {grade_id(c) for c in SOURCE.cells if is_test(c)}

FUZZ = settings(max_examples=120, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# ------------------------------------------------------------------------------------------ strategies

NOTEBOOK_KEYS = ["cells", "nbformat", "nbformat_minor", "metadata", "cell_type", "source", "outputs", "nbgrader",
                 "grade_id", "solution", "grade", "points", "locked", "worksheets", "id", "execution_count"]
keys = st.sampled_from(NOTEBOOK_KEYS) | st.text(max_size=6)
scalars = (st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
           | st.sampled_from(["code", "markdown", "raw", "lstm_cell_solution", 3, 4]))
json_values = st.recursive(
    scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4), max_leaves=25)
cells = st.fixed_dictionaries(
    {"cell_type": st.sampled_from(["code", "markdown", "raw"]) | json_values,
     "source": st.text(max_size=30) | st.lists(st.text(max_size=10), max_size=3) | json_values},
    optional={"metadata": st.fixed_dictionaries({}, optional={"nbgrader": st.dictionaries(keys, json_values)})
              | json_values, "outputs": json_values},
) | json_values
notebooks = st.fixed_dictionaries({"cells": st.lists(cells, max_size=6)},
                                  optional={"nbformat": st.sampled_from([4, 3]) | json_values,
                                            "metadata": json_values})


def _paths(value: Any, at: tuple = ()) -> list[tuple]:
    """Every place in a JSON value, as key and index paths from the top."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return [at] + [path for key, child in children for path in _paths(child, (*at, key))]


def _replaced(value: Any, path: tuple, new: Any) -> Any:
    """``value`` with the part at ``path`` replaced by ``new`` (``value`` is not changed)."""
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


@st.composite
def perturbed_notebooks(draw: st.DrawFn) -> Any:
    """The real notebook with one to four of its parts (a field, a cell, a list...) replaced by random JSON."""
    notebook = SOURCE_JSON
    for _ in range(draw(st.integers(1, 4))):
        place = draw(st.sampled_from(_paths(notebook)))
        notebook = _replaced(notebook, place, draw(json_values))
    return notebook


# ------------------------------------------------------------------------------------------ checks


def _read_bytes(data: bytes) -> ReadResult:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "student.ipynb"
        path.write_bytes(data)
        return _checked(read_notebook(path))


def _checked(read: ReadResult) -> ReadResult:
    """A problem that names the file, or a valid notebook that can be written as UTF-8 (what grading relies on)."""
    assert isinstance(read, ReadResult) and len(read.digest) == 64
    if read.notebook is None:
        assert read.problem and "student.ipynb" in read.problem and "unexpected" not in read.problem, read.problem
    else:
        assert read.problem is None
        nbformat.validate(read.notebook)
        nbformat.writes(read.notebook).encode("utf-8")
    return read


def _plan_is_well_formed(student: Any) -> None:
    plan = build_plan(SOURCE, student, CHECK_IDS)
    assert all(isinstance(step, CodeStep) and isinstance(step.source, str) for step in plan.steps)
    assert all(0 <= at <= len(plan.steps) for at in plan.calls_at.values())


# ------------------------------------------------------------------------------------------ 1. any file


@FUZZ
@given(json_values | notebooks)
def test_any_json_is_read_totally(value):
    _read_bytes(json.dumps(value).encode())


@FUZZ
@given(st.binary(max_size=200)
       | st.builds(lambda cut, extra: SOURCE_PATH.read_bytes()[:cut] + extra, st.integers(0, 20_000),
                   st.binary(max_size=20))
       | st.integers(1, 100_000).map(lambda depth: b'{"cells": [], "metadata": ' + b"[" * depth + b"]" * depth + b"}"))
def test_any_bytes_are_read_totally(data):
    _read_bytes(data)


# ------------------------------------------------------------------------------------------ 2. perturbed notebooks


@FUZZ
@given(perturbed_notebooks())
def test_perturbed_notebooks_are_read_and_planned_totally(notebook):
    _plan_is_well_formed(notebook)
    read = _read_bytes(json.dumps(notebook).encode())
    if read.notebook is not None:
        _plan_is_well_formed(read.notebook)


# ------------------------------------------------------------------------------------------ 3. any zip

segments = (st.sampled_from(["..", ".", "", "/", "\\", "alice", "bob_1_ps3_lstm.ipynb", NAME, f"{NAME}.ipynb",
                             "__MACOSX", "._x.ipynb", ".ipynb_checkpoints", "x.ipynb", "long" * 80])
            | st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=6))
member_names = st.lists(segments, min_size=1, max_size=4).map("/".join)
contents = (st.sampled_from([SOURCE_PATH.read_bytes(), b"", b"{}"]) | st.binary(max_size=100)
            | json_values.map(lambda v: json.dumps(v).encode()))
members = st.tuples(member_names, contents, st.sampled_from([0, 0o100644, 0o120777, 0o040755, 0o010644]),
                    st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2]))


@st.composite
def zips(draw: st.DrawFn) -> bytes:
    """A zip of random members (names, bytes, file-type bits, compression), then with a few bytes flipped."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data, mode, compression in draw(st.lists(members, max_size=6)):
            info = zipfile.ZipInfo(name)
            info.external_attr, info.compress_type = mode << 16, compression
            archive.writestr(info, data)
    data = bytearray(buffer.getvalue())
    for _ in range(draw(st.integers(0, 3))):
        if data:
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


def _outside(top: Path, unpack: Path) -> dict[Path, bytes | None]:
    """Everything under ``top`` but outside ``unpack``, with its bytes."""
    return {p: None if p.is_dir() else p.read_bytes() for p in top.rglob("*") if not p.is_relative_to(unpack)}


@FUZZ
@given(zips())
@pytest.mark.filterwarnings("ignore:Duplicate name")
def test_any_zip_is_collected_totally_and_unpacked_only_where_asked(archive):
    with tempfile.TemporaryDirectory() as tmp:
        top, unpack = Path(tmp), Path(tmp) / "state" / "run" / "unpacked"  # "../../x" would land in top
        unpack.parent.mkdir(parents=True)
        (top / "submissions.zip").write_bytes(archive)
        before = _outside(top, unpack)
        try:
            subs = collect(top / "submissions.zip", NAME, NAME, unpack)
        except IntakeError:
            subs = []
        assert _outside(top, unpack) == before
        assert not any(p.is_symlink() for p in unpack.rglob("*"))
        for sub in subs:
            assert sub.digest and (sub.gradable or sub.problems)
            assert not any("unexpected" in problem for problem in sub.problems), sub.problems


# ------------------------------------------------------------------------------------------ event streams
# The student's process writes the result channel: whatever bytes come back, the grader's reading of them
# ends in typed events, ignored messages, or a stop, and never in an exception.


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_decode_to_a_message_or_a_clean_refusal(data):
    try:
        wire.decode_prefix(data)
    except (EOFError, wire.WireError):
        pass


@FUZZ
@given(json_values | st.dictionaries(st.sampled_from(["type", "id", "ok", "value", "kind", "step", "cell", "error",
                                                      "unavailable", "isolation", "seconds"]), json_values))
def test_any_value_decodes_to_an_event_or_none(value):
    decode_event(value)


frames = st.lists(json_values.map(lambda v: wire.encode(wire.to_plain(v)) if _plain(v) else b"")
                  | st.binary(max_size=40), max_size=6)


def _plain(value: Any) -> bool:
    try:
        wire.to_plain(value)
    except wire.WireError:
        return False
    return True


@FUZZ
@given(frames, st.booleans())
def test_the_grader_reads_any_event_stream_to_an_end(chunks, ended):
    job = Job((CallsStep("t", (), 1),), 1.0, 1 << 20, 4, 1 << 20, None)
    sent: list[bytes] = []
    events, status = os.pipe(), os.pipe()
    stream = b"".join(chunks) + (wire.encode({"type": "end"}) if ended else b"")
    with open(events[1], "wb") as out:
        out.write(stream[:60000])  # within the pipe's buffer
    with open(status[1], "wb") as out:
        out.write(b"\x00\x00\x00\x00")  # the child ended, exit code 0
    try:
        result = _collect(_Reader(events[0], status[0], 1 << 20), job, {0: [CallRequest("a", "f")]}, sent.append,
                          Limits(timeout=5, step_timeout=1))
    finally:
        os.close(events[0])
        os.close(status[0])
    assert set(result.answers) <= {"a"} and len(sent) <= 1
