"""The grading engine's parts: wire format, protocol, plan, journal/resume (sandbox: test_sandbox.py; intake:
test_intake.py and test_fuzz.py)."""

from __future__ import annotations

import io
import pickle
import struct

import nbformat
import numpy as np
import pytest
from engine_course import make_course, student_notebook, write_submission

from autograder.running.inside import wire
from autograder.running.inside.protocol import Answer, CallsStep, CodeStep, ErrorKind, decode_event, encode_event
from autograder.running.plan import build_plan
from autograder.running.sandbox import Limits

# ------------------------------------------------------------------------------------------ wire


def test_wire_round_trips_plain_data_exactly():
    value = {"out": (np.arange(6, dtype=np.float32).reshape(2, 3), [1, 2.5, None, True, "s"]),
             "inf": float("inf"), "nested": {"t": (np.float64(3.0), np.int64(2))}}
    back = wire.read_message(io.BytesIO(wire.encode(wire.to_plain(value))))
    assert back["out"][0].dtype == np.float32 and np.array_equal(back["out"][0], value["out"][0])
    assert back["out"][1] == [1, 2.5, None, True, "s"] and isinstance(back["out"], tuple)
    assert back["inf"] == float("inf") and back["nested"]["t"] == (3.0, 2)


def test_wire_refuses_objects_and_pickles():
    with pytest.raises(wire.WireError, match="function"):
        wire.to_plain(lambda: 0)
    with pytest.raises(wire.WireError, match="object"):
        wire.to_plain(np.array([object()]))
    # a hand-made message whose array frame is a pickle: must be refused, never unpickled
    head = b'{"n_arrays": 1, "body": {"__nd__": 0}}'
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    frames = [head, buf.getvalue()]
    data = b"".join(struct.pack(">Q", len(f)) + f for f in frames)
    with pytest.raises(wire.WireError):
        wire.read_message(io.BytesIO(data))
    with pytest.raises(wire.WireError):
        wire.read_message(io.BytesIO(struct.pack(">Q", 5) + pickle.dumps(1)[:5]))


def _frames(*frames: bytes) -> bytes:
    return b"".join(struct.pack(">Q", len(f)) + f for f in frames)


def test_wire_keeps_zero_d_arrays_and_decodes_any_bytes_totally():
    back = wire.read_message(io.BytesIO(wire.encode(wire.to_plain(np.array(2.5)))))
    assert back.shape == () and back == 2.5
    for garbage in (b"", b"\x00" * 8, struct.pack(">Q", 3) + b"[1]", struct.pack(">Q", 11) + b'{"body": 1}',
                    struct.pack(">Q", 30) + b'{"n_arrays": -1, "body": null}',
                    struct.pack(">Q", 37) + b'{"n_arrays": 0, "body": {"__nd__": 7}}',
                    struct.pack(">Q", 9) + b"[" * 9,
                    _frames(b'{"n_arrays": 1, "body": {"__nd__": [0, "<f8", [0, 1e30]]}}', b""),
                    _frames(b'{"n_arrays": 1, "body": {"__nd__": [0, "<f8", [0, 1000000000000000000000000000000]]}}',
                            b"")):
        try:
            wire.read_message(io.BytesIO(garbage))
        except (EOFError, wire.WireError):
            pass


def test_decode_prefix_waits_for_whole_messages():
    data = wire.encode({"a": np.arange(3)}) + wire.encode("next")
    for cut in range(1, 40):
        with pytest.raises(EOFError):
            wire.decode_prefix(data[:cut])
    message, used = wire.decode_prefix(data)
    assert np.array_equal(message["a"], np.arange(3))
    assert wire.decode_prefix(data[used:])[0] == "next"


def test_events_round_trip_and_forged_ones_decode_to_none():
    event = Answer("id1", False, None, "torch", ErrorKind.UNAVAILABLE, 0.5)
    assert decode_event(wire.read_message(io.BytesIO(wire.encode(encode_event(event))))) == event
    for forged in (None, 1, [], {"type": "answer"}, {"type": "answer", "id": 3, "ok": True},
                   {"type": "answer", "id": "x", "ok": "yes"}, {"type": "answer", "id": "x", "ok": True, "kind": "?"},
                   {"type": "begin", "step": "0"}, {"type": "cell", "cell": "c", "ok": 1}, {"type": "nope"}):
        assert decode_event(forged) is None, forged


# ------------------------------------------------------------------------------------------ plan


def _cell(src: str, gid: str | None = None, **meta) -> nbformat.NotebookNode:
    md = {"nbgrader": {"grade_id": gid, **meta}} if gid else {}
    return nbformat.v4.new_code_cell(src, metadata=md)


def test_plan_takes_locked_cells_from_source_and_solutions_by_id():
    source = nbformat.v4.new_notebook(cells=[
        _cell("import numpy as np", "imports", locked=True),
        _cell("def f(x): return x  # solution", "sol", solution=True),
        _cell("assert f(1) == 1", "test", grade=True, points=1),
    ])
    student = nbformat.v4.new_notebook(cells=[
        _cell("assert True  # edited test", "test", grade=True, points=1),
        _cell("helper = 2"),  # added by the student: runs after the graded cell it follows
        _cell("def f(x): return 2 * x", "sol", solution=True),
        _cell("import os; os.system('evil')", "imports", locked=True),
    ])
    plan = build_plan(source, student, {"test"})
    assert [s.cell for s in plan.steps] == ["imports", "sol", "added-1"]
    assert plan.calls_at == {"test": 2}  # after every cell above the test cell, before the added one
    assert plan.steps[0].source.strip() == "import numpy as np"  # the locked cell comes from the source
    assert "2 * x" in plan.steps[1].source
    assert all(isinstance(s, CodeStep) and not isinstance(s, CallsStep) for s in plan.steps)


# ------------------------------------------------------------------------------------------ resume


def test_killed_run_resumes_without_regrading(tmp_path):
    from autograder.running.engine import Engine, load_assignment
    from autograder.running.gradebook import Course

    course_dir = make_course(tmp_path / "course")
    subs = tmp_path / "subs"
    for name in ("ann", "ben", "cat"):
        write_submission(subs, name, student_notebook(course_dir, solved=name != "ben"))
    course = Course.load(course_dir)
    spec = load_assignment(course, "ps3_lstm")

    class Killed(Exception):
        pass

    def die_after_first(result):
        raise Killed(result.student)

    engine = Engine(course, spec, Limits(), workers=1, progress=False)
    with pytest.raises(Killed):
        engine.run(subs, on_result=die_after_first)
    first = engine.journal.path.read_text().splitlines()
    assert len(first) == 1
    again = Engine(course, spec, Limits(), workers=2, progress=False).run(subs)
    assert (again.graded, again.resumed) == (2, 1)
    assert {r.student: r.score for r in again.results} == {"ann": 13, "ben": 0, "cat": 13}
    assert engine.journal.path.read_text().splitlines()[0] == first[0]
    # a changed submission is graded again; the others are not
    write_submission(subs, "ben", student_notebook(course_dir))
    third = Engine(course, spec, Limits(), workers=2, progress=False).run(subs)
    assert (third.graded, third.resumed) == (1, 2)
    assert {r.student: r.score for r in third.results}["ben"] == 13
