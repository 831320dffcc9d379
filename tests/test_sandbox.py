"""The sandbox's guarantees, each tested by an attack that tries to break it, on the machine the tests run on.

Every test runs real student-like code in a real bubblewrap sandbox (:func:`autograder.running.sandbox.run`)
and asserts what that code could *reach*: no torch/seqmodels/autograder in a NumPy sandbox, no repository,
no other checkout, no network, no files that outlive the run, no process that outlives its step, one
answer per call id, and time limits that hold even when the student's code ignores every signal.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path

import numpy as np
import pytest

from autograder.correctness.policy import Sandbox
from autograder.running import sandbox
from autograder.running.inside.protocol import CallRequest, CallsStep, CodeStep, ErrorKind, Stop
from autograder.running.sandbox import SANDBOX_UID_BASE, Limits

REPO = Path(__file__).resolve().parents[1]
FAST = Limits(timeout=60, step_timeout=5, memory_mb=512)


@pytest.fixture(scope="module")
def kit(tmp_path_factory) -> Path:
    return sandbox.write_kit(tmp_path_factory.mktemp("kit"))


def job(cells: list[str], calls: dict[str, tuple] | None = None,
        limits: Limits = FAST) -> tuple[sandbox.Job, dict[int, list[CallRequest]]]:
    """``cells`` then one calls step: ``calls`` maps a call id to ``(target, *args)``."""
    steps: list = [CodeStep(f"c{i}", src) for i, src in enumerate(cells)]
    requests = {}
    if calls:
        requests[len(steps)] = [CallRequest(i, t, tuple(a)) for i, (t, *a) in calls.items()]
        steps.append(CallsStep("test", (), len(calls)))
    return sandbox.make_job(tuple(steps), limits, 0), requests


def run(kit: Path, cells: list[str], calls: dict[str, tuple] | None = None, kind: Sandbox = Sandbox.NUMPY,
        limits: Limits = FAST) -> sandbox.Run:
    """One run in a sandbox of its own."""
    return sandbox.run(kind, *job(cells, calls, limits), limits, kit)


@pytest.fixture
def slot(kit):
    """A warm slot that serves several submissions in turn, as in a grading run."""
    warm = sandbox.Slot(Sandbox.NUMPY, FAST, kit)
    yield warm
    warm.stop()


def value(result: sandbox.Run, call_id: str):
    answer = result.answers[call_id]
    assert answer.ok, answer
    return answer.value


def test_numpy_sandbox_has_no_torch_no_course_code_and_no_grader(kit):
    probe = """
import importlib.util, sys
found = {m: importlib.util.find_spec(m) is not None for m in ("numpy", "torch", "autograder", "sympy")}
import seqmodels
kit = sorted(n for n in dir(seqmodels) if not n.startswith("_"))
"""
    result = run(kit, [probe], {"1": ("probe:value", "found"), "2": ("probe:value", "kit")})
    assert value(result, "1") == {"numpy": True, "torch": False, "autograder": False, "sympy": False}
    assert "lstm_cell" not in value(result, "2") and "rnn_bptt" not in value(result, "2")  # only the locked cells' kit


def test_attacks_on_the_numpy_rule_find_nothing_to_import(kit):
    """The attacks that beat the old watcher: exec'd imports, string-built names, attribute chains, threads."""
    attacks = {
        "exec": "exec('from seqmodels.recurrent import lstm_cell')",
        "string": "__import__('tor' + 'ch')",
        "importlib": "import importlib; importlib.import_module('seqmodels.recurrent')",
        "thread": "import threading\nr = []\nt = threading.Thread(target=lambda: r.append(__import__('torch')))\n"
                  "t.start(); t.join()\nassert r, 'no torch in the thread either'",
        "path": "import sys, glob\nsys.path += glob.glob('/**/site-packages', recursive=True)\nimport torch\n"
                "torch.zeros(1)",
        "globals": "import numpy as np\nnp.__spec__.loader.exec_module.__globals__['__import__']('torch')",
    }
    result = run(kit, list(attacks.values()))
    for i, name in enumerate(attacks):
        assert not result.cells[f"c{i}"].ok, name


def test_function_needing_torch_is_reported_as_unavailable(kit):
    cell = "import numpy as np\nimport torch\ndef f(x):\n    return torch.tanh(torch.as_tensor(x)).numpy()\n"
    result = run(kit, [cell], {"1": ("f", np.ones(2))})
    assert result.cells["c0"].ok and result.cells["c0"].unavailable == ("torch",)  # the import was skipped
    answer = result.answers["1"]
    assert answer.kind is ErrorKind.UNAVAILABLE and answer.error == "torch"
    torch_run = run(kit, [cell], {"1": ("f", np.ones(2))}, kind=Sandbox.TORCH)
    np.testing.assert_allclose(value(torch_run, "1"), np.tanh(np.ones(2)), rtol=1e-6)


def test_no_repository_no_venv_no_other_checkout(kit, tmp_path):
    other = tmp_path / "another-checkout" / "solutions" / "ps3_lstm"
    other.mkdir(parents=True)
    (other / "ps3_lstm.ipynb").write_text("{}")
    paths = [str(REPO), str(REPO / "solutions"), str(REPO / "autograder" / "data"), os.path.realpath(os.sys.prefix),
             str(other), "/root/.ssh", "/etc/passwd", "/home"]
    cell = f"import os\nseen = {{p: os.path.exists(p) for p in {paths!r}}}\n"
    result = run(kit, [cell], {"1": ("probe:value", "seen")})
    assert value(result, "1") == {p: p == "/home" for p in paths}  # /home holds only the private home


def test_no_network_not_even_loopback(kit):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    try:
        port = listener.getsockname()[1]
        result = run(kit, [f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)"])
    finally:
        listener.close()
    assert not result.cells["c0"].ok


def test_memory_limit_and_unprivileged_uid(kit):
    result = run(kit, ["x = bytearray(8 * 2**30)", "import os\nuid = os.getuid()"], {"1": ("probe:value", "uid")})
    assert "MemoryError" in result.cells["c0"].error
    assert value(result, "1") != 0
    if os.getuid() == 0:
        assert value(result, "1") == SANDBOX_UID_BASE


SHM = "import ctypes\nlibc = ctypes.CDLL(None, use_errno=True)\n"


def test_writable_places_are_private_and_vanish(slot):
    """The next submission in the same slot finds nothing the previous one planted: files or SysV memory."""
    marker = f"planted-{os.getpid()}-{time.monotonic_ns()}"
    plant = ("import os\n"
             f"for d in ('/tmp', '/var/tmp', '/dev/shm', os.path.expanduser('~'), os.getcwd()):\n"
             f"    open(os.path.join(d, {marker!r}), 'w').write('def lstm_cell(): ...')\n"
             + SHM + "segment = libc.shmget(4242, 4096, 0o1666)\n")  # IPC_CREAT | 0666
    first = slot.run(*job([plant], {"1": ("probe:value", "segment")}))
    assert first.cells["c0"].ok, first.cells["c0"]
    assert value(first, "1") >= 0
    look = (f"import os, glob\nfound = [d for d in ('/tmp', '/var/tmp', '/dev/shm', os.path.expanduser('~'), "
            f"os.getcwd()) if os.path.exists(os.path.join(d, {marker!r}))]\n" + SHM
            + "segment = libc.shmget(4242, 4096, 0o666)\n")
    second = slot.run(*job([look], {"1": ("probe:value", "found"), "2": ("probe:value", "segment")}))
    assert value(second, "1") == []
    assert value(second, "2") == -1  # no such segment: a new IPC namespace
    for place in ("/tmp", "/var/tmp", "/dev/shm"):  # and nothing was left on the machine
        assert not (Path(place) / marker).exists()


def test_a_new_process_per_submission_holds_no_earlier_data(slot):
    """Children are forked from a process that never read a job: the previous student's code is not in memory.
    The same probe run in the first student's own process finds it, so the probe can see what it looks for."""
    digits = str(time.monotonic_ns())
    previous = f"def lstm_cell():\n    return 'previous_student_{digits}'"
    probe = ("import gc\n"
             f"target = ''.join(['previous', '_student_', {digits!r}])\n"  # built at run time: no constant
             "def mentions(o):\n"
             "    items = list(o.values()) if isinstance(o, dict) else o if isinstance(o, list | tuple) else \\\n"
             "        o.__code__.co_consts if hasattr(o, '__code__') else ()\n"
             "    return any(isinstance(i, str) and target in i and i is not target for i in items)\n"
             "hits = sum(1 for o in gc.get_objects() if mentions(o))\n")
    same = slot.run(*job([previous, probe], {"1": ("probe:value", "hits")}))
    assert value(same, "1") > 0
    slot.run(*job([previous]))
    later = slot.run(*job([probe], {"1": ("probe:value", "hits")}))
    assert value(later, "1") == 0


def test_files_larger_than_the_limit_cannot_be_written(kit):
    limits = Limits(timeout=60, step_timeout=10, memory_mb=512, file_mb=4)
    result = run(kit, ["open('/tmp/big', 'wb').write(b'x' * (16 << 20))"], limits=limits)
    assert not result.cells["c0"].ok


def test_only_the_first_answer_to_an_asked_call_counts(kit):
    """The student's process holds the result channel: it may write anything, the grader keeps one answer per id,
    to the call it is waiting for; calls arrive one at a time, so no earlier cell can know them."""
    forge = """
import gc
from inside.protocol import Answer
from inside.runner import Emitter
emit = next(o for o in gc.get_objects() if isinstance(o, Emitter))
def f():
    return 1
"""
    late = "emit(Answer('1', True, 99))\nemit(Answer('unasked', True, 5))\nemit(Answer('1', True, 100))"
    early = ("from inside.protocol import CallRequest\n"
             "known = [o for o in gc.get_objects() if isinstance(o, CallRequest)]")
    steps = (CodeStep("c0", forge + early), CallsStep("test", ("f",), 2), CodeStep("c1", late))
    calls = {1: [CallRequest("1", "f"), CallRequest("2", "probe:value", ("known",))]}
    result = sandbox.run(Sandbox.NUMPY, sandbox.make_job(steps, FAST, 0), calls, FAST, kit)
    assert result.cells["c1"].ok, result.cells["c1"]
    assert value(result, "1") == 1
    assert value(result, "2") == []  # no call exists in the sandbox before the grader makes it
    assert len(result.ignored) == 3 and "unasked" not in result.answers


def test_malformed_frames_end_the_run_without_breaking_the_grader(kit):
    attack = "import gc, os\nfrom inside.runner import Emitter\nfd = next(o for o in gc.get_objects() if " \
             "isinstance(o, Emitter)).fd\nos.write(fd, (2**62).to_bytes(8, 'big') + b'garbage')\n"
    result = run(kit, ["x = 1", attack, "y = 2"])
    assert result.stop is not Stop.ENDED and result.ignored


def test_a_sleeper_loses_its_step_not_the_class_time(kit):
    limits = Limits(timeout=60, step_timeout=1, memory_mb=512)
    t0 = time.monotonic()
    polite = run(kit, ["import time\ndef f():\n    time.sleep(600)\n", "y = 1"], {"1": ("f",), "2": ("f",)},
                 limits=limits)
    assert polite.stop is Stop.ENDED and polite.cells["c1"].ok
    assert polite.answers["1"].kind is ErrorKind.TIMEOUT and polite.answers["2"].kind is ErrorKind.TIMEOUT
    rude = run(kit, ["import signal, time\nfor s in (signal.SIGALRM, signal.SIGPROF):\n"
                     "    signal.signal(s, signal.SIG_IGN)\ntime.sleep(600)", "y = 1"], limits=limits)
    assert rude.stop is Stop.STEP_TIMEOUT and rude.stopped_in == "c0"
    assert time.monotonic() - t0 < 20


def test_a_killed_run_leaves_the_next_submission_a_new_sandbox(slot):
    limits = Limits(timeout=60, step_timeout=1, memory_mb=512)
    rude = "import signal\nfor s in (signal.SIGALRM, signal.SIGPROF):\n    signal.signal(s, signal.SIG_IGN)\n" \
           "while True:\n    pass"
    first = slot.run(*job([rude], limits=limits))
    assert first.stop is Stop.STEP_TIMEOUT and slot.proc is None
    second = slot.run(*job(["x = 41 + 1"], {"1": ("probe:value", "x")}))
    assert second.stop is Stop.ENDED and value(second, "1") == 42


def test_nothing_the_student_starts_survives(kit):
    limits = Limits(timeout=60, step_timeout=1, memory_mb=512)
    cells = ["import os, time\nif os.fork() == 0:\n    os.setsid()\n    time.sleep(600)\n",
             "import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\nsignal.signal(signal.SIGPROF, "
             "signal.SIG_IGN)\nwhile True:\n    pass"]
    result = run(kit, cells, limits=limits)
    assert result.stop is Stop.STEP_TIMEOUT
    time.sleep(0.5)
    assert sandbox_processes() == []


def test_fork_bomb_is_contained(kit):
    bomb = "import os\nfor _ in range(10000):\n    try:\n        os.fork()\n    except OSError:\n        break\n"
    result = run(kit, [bomb, "y = 1"], {"1": ("probe:value", "y")})
    assert value(result, "1") == 1
    time.sleep(0.5)
    assert sandbox_processes() == []


def sandbox_processes() -> list[str]:
    """Processes of a sandbox uid still alive on this machine (when grading as root)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uid = next(line for line in status.read_text().splitlines() if line.startswith("Uid:")).split()[1]
        except (OSError, StopIteration):
            continue
        if SANDBOX_UID_BASE <= int(uid) < SANDBOX_UID_BASE + 256:
            found.append(status.parent.name)
    return found


def test_missing_bubblewrap_is_a_clear_refusal(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(sandbox.SandboxUnavailable, match="apt-get install bubblewrap"):
        sandbox.bwrap_path()


def test_the_kernel_key_store_is_closed(slot):
    """Keys outlive processes and are shared by a uid: add_key and keyctl are refused (seccomp)."""
    plant = (SHM + "data = b'left for the next student'\n"
             "added = libc.syscall(248, b'user', b'planted', data, len(data), -4)\n"  # add_key, user keyring
             "error = ctypes.get_errno()\n")
    result = slot.run(*job([plant], {"1": ("probe:value", "added"), "2": ("probe:value", "error")}))
    assert value(result, "1") == -1 and value(result, "2") == 1  # EPERM


def test_what_a_child_does_to_the_shared_pipes_does_not_reach_the_next(slot):
    spoil = ("import fcntl, os\nfor fd in map(int, os.listdir('/proc/self/fd')):\n    try:\n"
             "        if os.readlink(f'/proc/self/fd/{fd}').startswith('pipe:'):\n"
             "            fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_NONBLOCK)\n"
             "            fcntl.fcntl(fd, 1031, 4096)\n"
             "    except OSError:\n        pass\n")
    assert slot.run(*job([spoil])).stop is Stop.ENDED
    for _ in range(2):
        after = slot.run(*job(["x = 'y' * 100000"], {"1": ("probe:value", "x")}))
        assert after.stop is Stop.ENDED and value(after, "1") == "y" * 100000
