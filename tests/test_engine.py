"""The grading engine's parts: wire format, intake, plan, static scan, sandbox isolation, journal/resume."""

from __future__ import annotations

import io
import os
import pickle
import socket
import struct
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest
from engine_course import REPO, make_course, student_notebook, write_submission

from autograder import wire
from autograder.engine import sandbox_keep
from autograder.intake import IntakeError, collect, read_notebook, safe_student_id
from autograder.plan import build_plan, forbidden_use
from autograder.sandbox import SANDBOX_UID_BASE, Limits, run_job

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


# ------------------------------------------------------------------------------------------ intake


def _nb(tmp: Path, rel: str) -> Path:
    path = tmp / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]), path)
    return path


def test_intake_reads_both_layouts_and_wrapped_zips(tmp_path):
    src = tmp_path / "src"
    _nb(src, "alice/ps3_lstm/ps3_lstm.ipynb")
    _nb(src, "bob_12345_ps3_lstm.ipynb")
    subs = {s.student: s for s in collect(src, "ps3_lstm", "ps3_lstm", tmp_path / "u1")}
    assert set(subs) == {"alice", "bob"} and all(s.gradable for s in subs.values())
    archive = tmp_path / "download.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(src / "alice/ps3_lstm/ps3_lstm.ipynb", "submissions/alice/ps3_lstm/ps3_lstm.ipynb")
        z.write(src / "bob_12345_ps3_lstm.ipynb", "submissions/bob_12345_ps3_lstm.ipynb")
        z.writestr("submissions/../../evil.ipynb", "{}")
        z.writestr("__MACOSX/._alice", "junk")
    subs = {s.student: s for s in collect(archive, "ps3_lstm", "ps3_lstm", tmp_path / "u2")}
    assert set(subs) == {"alice", "bob"}
    assert not (tmp_path / "evil.ipynb").exists()


def test_intake_whole_run_errors_are_clear(tmp_path):
    empty = tmp_path / "empty.zip"
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(IntakeError, match="empty zip"):
        collect(empty, "ps3_lstm", "ps3_lstm", tmp_path / "u")
    (bad := tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(IntakeError, match="not a valid zip"):
        collect(bad, "ps3_lstm", "ps3_lstm", tmp_path / "u")
    (tmp_path / "nothing").mkdir()
    with pytest.raises(IntakeError, match="no submissions found"):
        collect(tmp_path / "nothing", "ps3_lstm", "ps3_lstm", tmp_path / "u")
    with pytest.raises(IntakeError, match="does not exist"):
        collect(tmp_path / "nope", "ps3_lstm", "ps3_lstm", tmp_path / "u")


def test_read_notebook_messages(tmp_path):
    (p := tmp_path / "t.ipynb").write_text('{"cells": [')
    assert "JSON error at line 1" in read_notebook(p).problem
    p.write_text("")
    assert "empty" in read_notebook(p).problem
    p.write_text('{"a": 1}')
    assert "not a Jupyter notebook" in read_notebook(p).problem


def test_student_ids_are_safe_and_stable():
    assert safe_student_id("alice") == ("alice", None)
    weird, note = safe_student_id("caf\udce9 ../x")
    assert "/" not in weird and note and weird == safe_student_id("caf\udce9 ../x")[0]


# ------------------------------------------------------------------------------------------ plan and scan


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
    plan = build_plan(source, student, {"test": object()})
    kinds = [(s["kind"], s["cell"]) for s in plan.steps]
    assert kinds == [("code", "imports"), ("code", "sol"), ("calls", "test"), ("code", "added-1")]
    assert plan.steps[0]["source"].strip() == "import numpy as np"  # the locked cell comes from the source
    assert "2 * x" in plan.steps[1]["source"]


def test_static_scan_follows_helpers_and_aliases():
    cells = {"a": "import torch as T\ndef helper(x):\n    return T.tanh(x)\ndef lstm_cell(x):\n    return helper(x)\n"}
    assert "torch" in forbidden_use(cells, ("lstm_cell",), numpy_only=True)
    assert forbidden_use(cells, ("lstm_cell",), numpy_only=False) is None
    assert "reference code" in forbidden_use({"a": "from seqmodels import lstm_cell"}, ("lstm_cell",), True)
    assert "reference code" in forbidden_use({"a": "import seqmodels as s\nlstm_cell = s.lstm_cell"}, ("lstm_cell",),
                                             True)
    assert forbidden_use({"a": "from seqmodels import lstm_cell"}, ("lstm_cell",), False) is None  # policy: none
    assert "__import__" in forbidden_use({"a": "def f():\n    return __import__('to' + 'rch')"}, ("f",), True)
    clean = {"a": "import numpy as np\ndef lstm_cell(x):\n    return np.tanh(x)\n"}
    assert forbidden_use(clean, ("lstm_cell",), True) is None
    rnn = {"a": "import torch\nclass G(torch.nn.Module):\n    def forward(self, x):\n"
                "        return torch.nn.GRU(1, 1)(x)"}
    assert "GRU" in forbidden_use(rnn, ("G",), numpy_only=False, forbid_torch_rnn=True)


# ------------------------------------------------------------------------------------------ isolation


def _run(cells: list[str], hide: list[str] = (), **limits) -> dict:
    steps = [{"kind": "code", "cell": f"c{i}", "source": s} for i, s in enumerate(cells)]
    job = {"steps": steps, "hide": list(hide), "keep": [os.path.realpath(p) for p in (os.sys.prefix,
                                                                                     os.sys.base_prefix)]}
    return run_job(job, Limits(**limits))


def _cells(run: dict) -> dict[str, dict]:
    return {e["cell"]: e for e in run["events"] if e.get("event") == "cell"}


def test_sandbox_keeps_the_environment_and_course_library_visible_inside_the_hidden_repo():
    """As the engine runs it: the repository (and so the hidden data) hidden, wherever it lies (under /tmp too),
    while the venv and seqmodels, which notebooks import for data, stay importable."""
    run = run_job({"steps": [
        {"kind": "code", "cell": "library", "source":  # from the filesystem, not the forked pytest's sys.modules
            "import sys; [sys.modules.pop(m) for m in list(sys.modules) if m.split('.')[0] == 'seqmodels']\n"
            "from seqmodels import course_corpus; course_corpus(100)"},
        {"kind": "code", "cell": "venv", "source": "import matplotlib"},
        {"kind": "code", "cell": "data", "source": f"open({str(REPO / 'autograder' / 'data' / 'ps3_lstm.json')!r})"},
    ], "hide": [str(REPO), str(REPO.parent)], "keep": sandbox_keep()}, Limits())
    cells = _cells(run)
    assert cells["library"]["ok"], cells["library"]
    assert cells["venv"]["ok"], cells["venv"]
    assert "FileNotFoundError" in cells["data"]["error"]


def test_sandbox_hides_files_blocks_network_and_limits_memory(tmp_path):
    secret = tmp_path / "secret"
    secret.mkdir()
    (secret / "answers.json").write_text("42")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        run = _run([
            f"open({str(secret / 'answers.json')!r}).read()",
            f"import socket; socket.create_connection(('127.0.0.1', {port}), timeout=2)",
            "x = bytearray(8 * 2**30)",
            "import os; assert os.getuid() != 0, 'still root'",
            f"open({str(REPO / 'README.md')!r}).read()",
            # this test forks the pytest process, which may hold seqmodels already: ask the filesystem
            "import sys; [sys.modules.pop(m) for m in list(sys.modules) if m.split('.')[0] == 'seqmodels']\n"
            "import seqmodels",
        ], hide=[str(secret), str(REPO)], memory_mb=512, step_timeout=5)
    finally:
        listener.close()
    cells = _cells(run)
    start = run["events"][0]["isolation"]
    assert start["mount_ns"] and start["net_ns"] and start["pid_ns"], start
    assert "FileNotFoundError" in cells["c0"]["error"]
    assert not cells["c1"]["ok"]  # no network, not even loopback
    assert "MemoryError" in cells["c2"]["error"]
    assert cells["c3"]["ok"]
    assert "FileNotFoundError" in cells["c4"]["error"]
    assert "ModuleNotFoundError" in cells["c5"]["error"]
    assert run["exit"] == 0


def _sandbox_processes() -> list[str]:
    """Processes owned by a sandbox uid (the ones B runs as when the grader is root)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uid = next(line for line in status.read_text().splitlines() if line.startswith("Uid:")).split()[1]
        except (OSError, StopIteration):
            continue
        if SANDBOX_UID_BASE <= int(uid) < SANDBOX_UID_BASE + 64:
            found.append(status.parent.name)
    return found


@pytest.mark.skipif(os.getuid() != 0, reason="sandbox uids exist only when grading as root")
def test_sandbox_kills_everything_at_the_wall_clock_limit():
    run = _run([
        "import os, signal, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\n",
        "signal.signal(signal.SIGPROF, signal.SIG_IGN)\ntime.sleep(600)",
    ], timeout=3, step_timeout=1)
    assert run["exit"] == 124
    assert run["wall"] < 20
    assert _sandbox_processes() == []


def test_sandbox_soft_step_limit_lets_later_cells_run():
    run = _run(["while True:\n    pass", "y = 1"], step_timeout=1)
    cells = _cells(run)
    assert cells["c0"]["error"] == "timed out" and cells["c1"]["ok"]


# ------------------------------------------------------------------------------------------ resume


@pytest.mark.skipif(not (REPO / "solutions" / "ps3_lstm").is_dir(), reason="ps3_lstm not written yet")
def test_killed_run_resumes_without_regrading(tmp_path):
    from autograder.engine import Engine, load_assignment
    from autograder.gradebook import Course

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


def test_a_worker_that_imported_grading_secrets_is_refused():
    from autograder.workers import Worker

    worker = Worker(0, ["autograder.checks"])
    with pytest.raises(RuntimeError, match="grading secrets"):
        worker.start()
    assert worker.proc is None
