"""The process inside the sandbox: confine itself, run the student's cells, answer the grader's calls.

A fresh child of the slot's :mod:`.zygote` for every submission, in a bubblewrap sandbox whose filesystem
holds the interpreter, the standard library, this package and the allowed packages (numpy, and torch in
the torch sandbox), and nothing else. It reads one :class:`~.protocol.Job` from stdin, then, before any
student code runs, drops every privilege and sets hard resource limits that the student's code cannot
raise again. Results go to stdout as :mod:`.protocol` events; calls come on stdin, one at a time.

Nothing decided here is trusted: the student's code runs in this process and can change anything in
it. The time limits here (signals) are a courtesy that lets a slow part fail alone; the grader's side
enforces the real ones by killing the sandbox.
"""

from __future__ import annotations

import ast
import ctypes
import importlib.util
import io
import os
import resource
import signal
import sys
import time
import traceback
from typing import Any, BinaryIO

from . import wire
from .protocol import (
    Answer,
    Begin,
    CallRequest,
    CallsStep,
    CellDone,
    CodeStep,
    End,
    ErrorKind,
    Event,
    ExitCode,
    Job,
    Ready,
    encode_event,
)

PR_SET_NO_NEW_PRIVS, PR_SET_SECUREBITS = 38, 28
SECURE_NOROOT_LOCKED_ALL = 0x2F  # noroot, no_setuid_fixup, keep_caps off, all locked: uid 0 gets no capability
_LINUX_CAPABILITY_VERSION_3 = 0x20080522


class StepTimeout(BaseException):
    """Raised by SIGALRM/SIGPROF when a step uses up its wall-clock or CPU budget."""


class Emitter:
    """Writes events to the result channel, a private copy of the original stdout."""

    def __init__(self, fd: int):
        self.fd = fd

    def __call__(self, event: Event) -> None:
        try:
            data = wire.encode(encode_event(event))
        except (TypeError, ValueError, RecursionError) as err:  # a value that JSON cannot hold after all
            data = wire.encode(encode_event(Answer(getattr(event, "id", ""), False, None,
                                                   f"could not encode the result: {err}", ErrorKind.NOT_PLAIN)))
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view):]


# ---------------------------------------------------------------------------------------- confinement


def _address_space() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _drop_capabilities(libc: ctypes.CDLL) -> None:
    """Give up every capability for good (uid 0 of a user namespace): lock the secure bits so that no
    exec can grant them again, then clear them."""
    if libc.prctl(PR_SET_SECUREBITS, ctypes.c_ulong(SECURE_NOROOT_LOCKED_ALL), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECUREBITS)")
    data = (_CapData * 2)()
    if libc.capset(ctypes.byref(_CapHeader(_LINUX_CAPABILITY_VERSION_3, 0)), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def confine(job: Job) -> dict:
    """Drop privileges and set hard limits; returns what was granted (for the grader's summary)."""
    libc = ctypes.CDLL(None, use_errno=True)
    if job.uid is not None:  # the grader runs as root: an unprivileged uid of this slot's own
        os.setgroups([])
        os.setgid(job.uid)
        os.setuid(job.uid)  # clears every capability
    else:  # a user namespace, where this process is its uid 0
        _drop_capabilities(libc)
    no_new_privs = libc.prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), 0, 0, 0) == 0
    limits = {
        resource.RLIMIT_AS: _address_space() + job.memory_bytes,
        resource.RLIMIT_NPROC: job.nproc,
        resource.RLIMIT_FSIZE: job.file_bytes,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NOFILE: 256,
    }
    for which, value in limits.items():
        resource.setrlimit(which, (value, value))
    os.chdir(os.environ.get("HOME", "/tmp"))
    return {"uid": os.getuid(), "no_new_privs": no_new_privs, "modules": sorted(
        m for m in ("torch", "autograder") if importlib.util.find_spec(m) is not None)}


def _private_stdio() -> tuple[int, BinaryIO]:
    """Move the result channel off fd 1 and the calls channel off fd 0, and point the student's stdin,
    stdout and stderr at /dev/null."""
    results, calls = os.dup(1), os.dup(0)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    sys.stderr = sys.stdout
    return results, io.FileIO(calls, "r")


# ---------------------------------------------------------------------------------------- steps


def _describe(err: BaseException) -> str:
    if isinstance(err, StepTimeout):
        return "timed out"
    return "".join(traceback.format_exception_only(type(err), err)).strip()[:2000]


def _missing_module(err: BaseException) -> str | None:
    """The module an ImportError could not find here (``torch``, ``seqmodels.recurrent``), else None."""
    if isinstance(err, ImportError) and isinstance(err.name, str):
        return err.name
    return None


class TorchAttempts:
    """A last import finder that notes every attempt to import torch where it does not exist, even one that
    the student's code catches (``try: import torch``). The grader uses it only to decide whether a part
    without a rule is worth trying again where torch exists; switching it off can only cost that retry."""

    def __init__(self) -> None:
        self.seen = False

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.split(".")[0] == "torch":
            self.seen = True


def _bound_names(stmt: ast.Import | ast.ImportFrom, missing: str) -> dict[str, str]:
    """The names an import statement would have bound, each mapped to the missing module."""
    if isinstance(stmt, ast.Import):
        return {(a.asname or a.name).split(".")[0]: missing for a in stmt.names}
    return {a.asname or a.name: missing for a in stmt.names}


def _stored_names(stmt: ast.stmt) -> set[str]:
    """The names a statement assigns or defines."""
    names = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        names.add(stmt.name)
    return names


def run_cell(step: CodeStep, ns: dict, unavailable: dict[str, str], attempts: TorchAttempts) -> CellDone:
    """Run a cell statement by statement, as Python would, except that an import of a module that does
    not exist here is skipped (and noted) instead of ending the cell, and so is every later statement that
    fails only because it uses what that import would have defined (the names it assigns are then missing
    too): a NumPy part's own cell may well check itself against torch, and that costs nothing unless the
    graded function needs torch."""
    skipped: list[str] = []
    try:
        tree = ast.parse(step.source, f"<cell {step.cell}>")
        for stmt in tree.body:
            code = compile(ast.Module([stmt], type_ignores=[]), f"<cell {step.cell}>", "exec")
            try:
                exec(code, ns)
            except ImportError as err:
                missing = _missing_module(err)
                if missing is None or not isinstance(stmt, ast.Import | ast.ImportFrom):
                    raise
                skipped.append(missing)
                unavailable.update(_bound_names(stmt, missing.split(".")[0]))
            except NameError as err:
                if getattr(err, "name", None) not in unavailable:
                    raise
                for name in _stored_names(stmt):  # what the statement would have set does not exist either
                    unavailable[name] = unavailable[err.name]
                    ns.pop(name, None)
    except BaseException as err:  # noqa: B036 - student code may raise anything, SystemExit included
        return CellDone(step.cell, False, _describe(err), _tried(skipped, attempts))
    return CellDone(step.cell, True, "", _tried(skipped, attempts))


def _tried(skipped: list[str], attempts: TorchAttempts) -> tuple[str, ...]:
    return tuple(skipped) + (("torch",) if attempts.seen and "torch" not in skipped else ())


def _failure(call: CallRequest, err: BaseException, unavailable: dict[str, str]) -> Answer:
    """An answer for a call that raised; a name whose import was skipped means the module is unavailable."""
    missing = _missing_module(err)
    if missing is None and isinstance(err, NameError) and getattr(err, "name", None) in unavailable:
        missing = unavailable[err.name]
    if missing is not None:
        return Answer(call.id, False, None, missing, ErrorKind.UNAVAILABLE)
    kind = ErrorKind.TIMEOUT if isinstance(err, StepTimeout) else ErrorKind.RAISED
    return Answer(call.id, False, None, _describe(err), kind)


def make_call(call: CallRequest, ns: dict, unavailable: dict[str, str]) -> Answer:
    if call.target.startswith("probe:"):
        from . import probes

        fn = getattr(probes, call.target.removeprefix("probe:"))
        args: tuple = (ns, *call.args)
    else:
        fn = ns.get(call.target)
        if fn is None:
            return Answer(call.id, False, None, call.target, ErrorKind.MISSING)
        if not callable(fn):
            return Answer(call.id, False, None, f"'{call.target}' is a {type(fn).__name__}, not a function",
                          ErrorKind.NOT_CALLABLE)
        args = call.args
    t0 = time.perf_counter()
    try:
        value = fn(*args, **call.kwargs)
        plain = wire.to_plain(value)
    except wire.WireError as err:
        return Answer(call.id, False, None, f"returned something that is not plain data: {err}", ErrorKind.NOT_PLAIN)
    except BaseException as err:  # noqa: B036
        return _failure(call, err, unavailable)
    return Answer(call.id, True, plain, "", None, time.perf_counter() - t0)


def _reap_children() -> None:
    """Kill every process the student started (a fork bomb, a background job) once a step ends. Only as
    pid 1 of the submission's own pid namespace (:mod:`.zygote`): anywhere else kill(-1) would reach every
    process of the user."""
    if os.getpid() != 1:
        return
    try:
        os.kill(-1, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _alarm(_signum: int, _frame: Any) -> None:
    raise StepTimeout


def run_calls(step: CallsStep, ns: dict, calls_in: BinaryIO, emit: Emitter, unavailable: dict[str, str],
              timed_out: set[str]) -> None:
    """Read the step's calls from the grader one at a time and answer each before the next comes."""
    missing = [n for n in step.names if n not in ns]
    for _ in range(step.count):
        call = CallRequest.from_plain(wire.read_message(calls_in))
        if missing:
            answer = Answer(call.id, False, None, missing[0], ErrorKind.MISSING)
        elif call.target in timed_out:  # one endless function costs one step budget, not one per part
            answer = Answer(call.id, False, None, "timed out", ErrorKind.TIMEOUT)
        else:
            answer = make_call(call, ns, unavailable)
            if answer.kind is ErrorKind.TIMEOUT:
                timed_out.add(call.target)
        emit(answer)


def run_steps(job: Job, ns: dict, emit: Emitter, calls_in: BinaryIO, attempts: TorchAttempts) -> None:
    unavailable: dict[str, str] = {}  # names whose import was skipped -> the module that does not exist here
    timed_out: set[str] = set()
    runner = os.getpid()
    for index, step in enumerate(job.steps):
        emit(Begin(index))
        signal.setitimer(signal.ITIMER_REAL, job.step_seconds)
        signal.setitimer(signal.ITIMER_PROF, job.step_seconds)
        done = CellDone(step.cell, False, "timed out")
        try:
            if isinstance(step, CodeStep):
                done = run_cell(step, ns, unavailable, attempts)
            else:
                run_calls(step, ns, calls_in, emit, unavailable, timed_out)
        except StepTimeout:  # fired between the student's code and ours
            pass
        finally:
            if os.getpid() != runner:  # a process the student forked came back here: it is not the runner
                os._exit(0)
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.setitimer(signal.ITIMER_PROF, 0)
            _reap_children()
        if isinstance(step, CodeStep):
            emit(done)


class _IPythonStub:
    """Stands in for ``get_ipython()``: magics that time or capture code run that code once (so ``%%time``
    on a solution cell still defines its functions); shell commands and other magics do nothing."""

    RUNS_ITS_CODE = {"time", "timeit", "capture", "prun"}

    def __init__(self, ns: dict):
        self.ns = ns

    def run_line_magic(self, name: str, line: str, *args: Any, **kwargs: Any) -> None:
        if name in self.RUNS_ITS_CODE and line.strip() and not line.lstrip().startswith("-"):
            exec(compile(line, "<magic>", "exec"), self.ns)

    def run_cell_magic(self, name: str, line: str, cell: str, *args: Any, **kwargs: Any) -> None:
        if name in self.RUNS_ITS_CODE:
            exec(compile(cell, "<cell magic>", "exec"), self.ns)

    def system(self, *args: Any, **kwargs: Any) -> None:
        return None

    def getoutput(self, *args: Any, **kwargs: Any) -> list[str]:
        return []


def _display(*objects: Any, **kwargs: Any) -> None:
    """``display`` is a builtin in Jupyter kernels; here there is nobody to show anything to."""


def main() -> None:
    try:
        job = Job.from_plain(wire.read_message(io.FileIO(0, "r", closefd=False)))  # unbuffered: no read-ahead
    except Exception:  # noqa: BLE001 - the grader wrote it; nothing of the student's has run
        os._exit(ExitCode.BAD_JOB)
    results, calls_in = _private_stdio()
    emit = Emitter(results)
    try:
        isolation = confine(job)
    except BaseException:  # noqa: B036 - never run student code half-confined
        os._exit(ExitCode.SETUP_FAILED)
    emit(Ready(isolation))
    signal.signal(signal.SIGALRM, _alarm)
    signal.signal(signal.SIGPROF, _alarm)
    attempts = TorchAttempts()
    if "torch" not in sys.modules:
        sys.meta_path.append(attempts)
    ns: dict = {"__name__": "__main__", "display": _display}
    ipython = _IPythonStub(ns)
    ns["get_ipython"] = lambda: ipython
    try:
        run_steps(job, ns, emit, calls_in, attempts)
    except (EOFError, wire.WireError):  # the grader stopped sending calls: it has what it needs
        os._exit(ExitCode.OK)
    emit(End())
    os._exit(ExitCode.OK)
