"""Run a student's notebook code in a separate, resource-limited process and answer calls with plain data.

Process tree, per submission::

    grader (decides)  --pipe-->  warm worker (numpy/torch imported, no secrets)
                                    └─ fork: supervisor A  (unshare: pid, net, mount, ipc namespaces)
                                          └─ fork: student process B  (pid 1 of the new pid namespace)

B hides the repository, the submissions and the grading folder behind empty read-only tmpfs mounts
(keeping the virtual environment), gets a private ``/tmp``, no network (an empty network namespace),
drops to an unprivileged uid with ``no_new_privs``, sets ``RLIMIT_AS``/``CPU``/``NPROC``/``FSIZE``, and
then runs the plan: code cells, and after each test cell's position the calls that decide it. Every
answer goes back as a plain-data event (:mod:`autograder.wire`). A wall-clock deadline kills B, and
because B is the init of its pid namespace the kernel kills every process it started with it.

Where the kernel refuses a namespace, B falls back to what it can do and says so in its ``start``
event (``isolation``); ``python -m autograder.sandbox --report`` prints what holds on this machine.
The warm worker (``python -m autograder.sandbox --worker``) never runs student code itself.
"""

from __future__ import annotations

import argparse
import ctypes
import io
import os
import resource
import select
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from autograder import wire

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWUSER = 0x00020000, 0x08000000, 0x10000000
CLONE_NEWPID, CLONE_NEWNET = 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
SANDBOX_UID_BASE = 61000  # root only: worker i runs student code as uid/gid SANDBOX_UID_BASE + i

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True)
class Limits:
    """Per-submission limits. ``memory_mb`` is address space on top of the warm worker's own."""

    timeout: float = 600.0  # wall seconds for the whole submission (hard kill of B and all it started)
    step_timeout: float = 120.0  # CPU seconds for one cell or one check's calls (soft, SIGPROF): CPU time, so
    # that a submission starved by a fork bomb next door is not cut short
    memory_mb: int = 2048
    nproc: int = 16  # processes and threads B's uid may own
    file_mb: int = 64  # largest file B may write; also the size of its private /tmp
    output_mb: int = 64  # most bytes of events B may send back


@dataclass
class Isolation:
    """What the kernel granted B; every field is checked by tests on this machine."""

    pid_ns: bool = False
    net_ns: bool = False
    mount_ns: bool = False
    hidden: list[str] = field(default_factory=list)
    uid: int = -1
    no_new_privs: bool = False
    notes: list[str] = field(default_factory=list)


class StepTimeout(BaseException):
    """Raised in B by SIGPROF when one cell or one check's calls use more than ``step_timeout`` CPU seconds."""


# ----------------------------------------------------------------------------------------------
# kernel calls


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    enc = [None if s is None else s.encode() for s in (source, target, fstype, data)]
    _check(_libc.mount(enc[0], enc[1], enc[2], ctypes.c_ulong(flags), enc[3]), f"mount {target}")


def _prctl(option: int, arg: int) -> None:
    _check(_libc.prctl(option, ctypes.c_ulong(arg), 0, 0, 0), "prctl")


def _enter_namespaces(iso: Isolation) -> None:
    """In supervisor A: new pid/net/mount/ipc namespaces (with a user namespace when not root)."""
    uid, gid = os.getuid(), os.getgid()
    base = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWIPC
    tries = [base] if uid == 0 else [base | CLONE_NEWUSER]
    tries += [CLONE_NEWPID | CLONE_NEWNS] if uid == 0 else [CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS]
    for flags in tries:
        try:
            _unshare(flags)
        except OSError as err:
            iso.notes.append(f"unshare({flags:#x}) refused: {err.strerror}")
            continue
        if flags & CLONE_NEWUSER:
            Path("/proc/self/setgroups").write_text("deny")
            Path("/proc/self/uid_map").write_text(f"0 {uid} 1")
            Path("/proc/self/gid_map").write_text(f"0 {gid} 1")
        iso.pid_ns, iso.net_ns, iso.mount_ns = bool(flags & CLONE_NEWPID), bool(flags & CLONE_NEWNET), True
        return


def _hide_paths(hide: list[str], keep: list[str], tmp_mb: int, iso: Isolation) -> None:
    """In B: empty read-only tmpfs over each ``hide`` dir, a fresh /tmp, ``keep`` dirs bound back read-only.

    ``keep`` dirs (the virtual environment) stay visible even when they lie under a hidden dir or under
    /tmp, as they do when the repository is cloned under /tmp.
    """
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    keep_fds = {k: os.open(k, os.O_PATH) for k in map(os.path.realpath, keep) if os.path.isdir(k)}
    hidden: list[str] = []
    for path in sorted({os.path.realpath(h) for h in hide if os.path.isdir(h)}, key=len):
        if any(path == h or path.startswith(h + "/") for h in [*hidden, "/tmp"]):
            continue  # already hidden, by a parent or by the fresh /tmp below
        _mount("tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=755")
        hidden.append(path)
    _mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_mb}m,mode=1777")
    for k, fd in keep_fds.items():
        if any(k.startswith(h + "/") for h in [*hidden, "/tmp"]):
            os.makedirs(k, exist_ok=True)
            _mount(f"/proc/self/fd/{fd}", k, None, MS_BIND | MS_REC)
            _mount(None, k, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID)
        os.close(fd)
    for path in hidden:
        _mount("tmpfs", path, "tmpfs", MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, "size=64k,mode=755")
    iso.hidden = hidden
    if iso.pid_ns:
        try:
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV)
        except OSError as err:
            iso.notes.append(f"fresh /proc refused: {err.strerror}")


def _baseline_address_space() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[0])
    return pages * os.sysconf("SC_PAGE_SIZE")


def _confine(job: dict, limits: Limits, result_fd: int, iso: Isolation) -> None:
    """In B, before any student code: hide, drop privileges, limit, clean fds and environment."""
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if iso.mount_ns:
        try:
            _hide_paths(job["hide"], job["keep"], limits.file_mb, iso)
        except OSError as err:
            iso.notes.append(f"hiding paths failed: {err}")
    workdir = "/tmp/work" if iso.mount_ns else tempfile.mkdtemp(prefix="autograder-")  # /tmp is private or not
    os.makedirs(workdir, exist_ok=True)
    if os.getuid() == 0 and os.path.exists("/proc/self/uid_map") and "4294967295" in Path(
        "/proc/self/uid_map"
    ).read_text():
        uid = SANDBOX_UID_BASE + int(job.get("worker_index", 0))
        os.chown(workdir, uid, uid)
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
    iso.uid = os.getuid()
    try:
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        iso.no_new_privs = True
    except OSError as err:
        iso.notes.append(f"no_new_privs refused: {err.strerror}")
    mem = _baseline_address_space() + limits.memory_mb * (1 << 20)
    cpu = int(limits.timeout) + 1
    for res, value in (
        (resource.RLIMIT_AS, mem),
        (resource.RLIMIT_CPU, cpu),
        (resource.RLIMIT_NPROC, limits.nproc),
        (resource.RLIMIT_FSIZE, limits.file_mb << 20),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NOFILE, 256),
    ):
        resource.setrlimit(res, (value, value))
    os.nice(5)  # the grader and the workers stay responsive whatever B does
    os.chdir(workdir)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.closerange(3, result_fd)
    os.closerange(result_fd + 1, 65536)
    os.environ.clear()
    os.environ.update({"HOME": workdir, "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1", "LANG": "C.UTF-8"})
    sys.stdout = io.TextIOWrapper(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), write_through=True)
    sys.stderr = sys.stdout


# ----------------------------------------------------------------------------------------------
# B: run the plan


class _Emitter:
    """Writes events to the result pipe; stops writing past ``limit`` bytes."""

    def __init__(self, fd: int, limit: int):
        self.fd, self.left = fd, limit

    def __call__(self, event: dict) -> None:
        try:
            data = wire.encode(event)
        except (TypeError, ValueError, wire.WireError) as err:
            data = wire.encode({"event": "error", "error": f"could not encode an event: {err}"})
        if len(data) > self.left:
            data = wire.encode({"event": "error", "error": "results exceeded the output limit"})
            self.left = 0
        self.left -= len(data)
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]


class _TorchWatch:
    """Profile hook that notices a call into torch or seqmodels, or an attempt to remove the hook."""

    def __init__(self) -> None:
        self.hit: str | None = None
        torch = sys.modules.get("torch")
        self.prefixes = tuple(os.path.dirname(m.__file__) + os.sep for m in (torch,) if m and m.__file__)

    def __call__(self, frame: Any, event: str, arg: Any) -> None:
        if self.hit:
            return
        if event == "call" and frame.f_code.co_filename.startswith(self.prefixes):
            self.hit = f"{frame.f_code.co_name} in torch"
        elif event == "c_call" and frame.f_code is not _call.__code__:
            module = getattr(arg, "__module__", None) or ""
            name = getattr(arg, "__name__", "")
            if module.startswith(("torch", "seqmodels", "autograder")):
                self.hit = f"{module}.{name}"
            elif name in ("setprofile", "settrace") and module in ("sys", "threading"):
                self.hit = f"{module}.{name} (removing the grader's watch)"


def _alarm(_signum: int, _frame: Any) -> None:
    raise StepTimeout


def _describe(err: BaseException) -> str:
    if isinstance(err, StepTimeout):
        return "timed out"
    lines = traceback.format_exception_only(type(err), err)
    return "".join(lines).strip()[:2000]


def _call(ns: dict, call: dict, probes: Any, watch: _TorchWatch | None) -> dict:
    target = call["target"]
    if target.startswith("probe:"):
        fn = getattr(probes, target[6:], None) if probes else None
        if fn is None:
            return {"ok": False, "error": f"grader probe {target} is not available"}
        args = (ns, *call["args"])
    else:
        fn = ns.get(target)
        if fn is None:
            return {"ok": False, "missing": target, "error": f"name '{target}' is not defined"}
        if not callable(fn):
            return {"ok": False, "error": f"'{target}' is a {type(fn).__name__}, not a function"}
        args = tuple(call["args"])
    t0 = time.perf_counter()
    if watch:
        sys.setprofile(watch)
    try:
        value = fn(*args, **call["kwargs"])
    finally:
        sys.setprofile(None)
    seconds = time.perf_counter() - t0
    try:
        plain = wire.to_plain(value)
    except wire.WireError as err:
        return {"ok": False, "error": f"returned something that is not plain data: {err}"}
    return {"ok": True, "value": plain, "seconds": seconds, "torch": watch.hit if watch else None}


def _reap_children() -> None:
    """Kill every process B started (a fork bomb, a background job) once a step ends.

    Only where ``kill(-1)`` reaches nothing but this sandbox: inside its own pid namespace, or as a
    uid that belongs to this sandbox alone."""
    if os.getpid() != 1 and os.getuid() < SANDBOX_UID_BASE:
        return
    try:
        os.kill(-1, signal.SIGKILL)
    except ProcessLookupError:
        return
    while True:
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return


def _run_step(step: dict, ns: dict, limits: Limits, probes: Any, timed_out: set[str]) -> dict:
    signal.setitimer(signal.ITIMER_PROF, limits.step_timeout)
    try:
        if step["kind"] == "code":
            try:
                exec(compile(step["source"], f"<cell {step['cell']}>", "exec"), ns)
                return {"event": "cell", "cell": step["cell"], "ok": True}
            except BaseException as err:  # noqa: B036 - student code may raise anything, SystemExit included
                return {"event": "cell", "cell": step["cell"], "ok": False, "error": _describe(err)}
        missing = [n for n in step["names"] if n not in ns]
        results = []
        for call in step["calls"] if not missing else []:
            if call["target"] in timed_out:  # one infinite loop costs one step budget, not one per part
                results.append({"ok": False, "error": "timed out"})
                break
            watch = _TorchWatch() if step["numpy_only"] else None
            try:
                results.append(_call(ns, call, probes, watch))
            except BaseException as err:  # noqa: B036
                sys.setprofile(None)
                results.append({"ok": False, "error": _describe(err)})
                if isinstance(err, StepTimeout):
                    timed_out.add(call["target"])
                    break
        return {"event": "check", "cell": step["cell"], "missing": missing, "results": results}
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        _reap_children()


class _IPythonStub:
    """Stands in for ``get_ipython()`` so that magics in cells are no-ops instead of errors."""

    def run_line_magic(self, *args: Any, **kwargs: Any) -> None:
        return None

    run_cell_magic = system = getoutput = run_line_magic


def _student_process(job: dict, limits: Limits, result_fd: int, iso: Isolation) -> None:
    emit = _Emitter(result_fd, limits.output_mb << 20)
    try:
        _confine(job, limits, result_fd, iso)
    except BaseException as err:  # noqa: B036 - never run student code half-confined
        emit({"event": "error", "error": f"sandbox setup failed: {err!r}"})
        os._exit(70)
    emit({"event": "start", "isolation": asdict(iso)})
    signal.signal(signal.SIGPROF, _alarm)
    probes = sys.modules.get("autograder.probes")
    ns: dict = {"__name__": "__main__", "get_ipython": lambda: _IPythonStub()}
    timed_out: set[str] = set()
    for step in job["steps"]:
        emit(_run_step(step, ns, limits, probes, timed_out))
    emit({"event": "end"})
    os._exit(0)


def _supervise(job: dict, limits: Limits, result_fd: int) -> None:
    """A: enter namespaces, fork B, kill B (and so its whole pid namespace) at the deadline."""
    iso = Isolation()
    _enter_namespaces(iso)
    pid = os.fork()
    if pid == 0:
        _student_process(job, limits, result_fd, iso)
    os.close(result_fd)
    deadline = time.monotonic() + limits.timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            os._exit(128 - code if code < 0 else min(code, 120))
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os._exit(124)
        time.sleep(0.005)


def run_job(job: dict, limits: Limits) -> dict:
    """In the warm worker: run one submission's plan in a fresh sandbox and collect its events.

    Returns ``{"events": [...], "exit": int, "wall": float}``; ``exit`` is B's exit code, ``124`` when it
    hit the wall-clock limit, ``128 + n`` when killed by signal ``n`` (``137``: memory or kill).
    """
    r, w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            for fd in (0, 1):
                os.close(fd)
            _supervise(job, limits, w)
        finally:
            os._exit(71)
    os.close(w)
    buf, limit = bytearray(), (limits.output_mb << 20) + 4096
    backstop = t0 + limits.timeout + 10
    while len(buf) <= limit:
        ready, _, _ = select.select([r], [], [], max(0.0, backstop - time.monotonic()))
        if not ready:
            os.kill(pid, signal.SIGKILL)
            break
        chunk = os.read(r, 1 << 20)
        if not chunk:
            break
        buf += chunk
    os.close(r)
    if len(buf) > limit:
        os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    events = _decode_events(bytes(buf[:limit]))
    return {"events": events, "exit": 128 - code if code < 0 else code, "wall": time.monotonic() - t0}


def _decode_events(data: bytes) -> list:
    stream, events = io.BytesIO(data), []
    while True:
        try:
            event = wire.read_message(stream)
        except EOFError:
            return events
        except wire.WireError as err:
            events.append({"event": "error", "error": f"malformed result from the student process: {err}"})
            return events
        if isinstance(event, dict) and isinstance(event.get("event"), str):
            events.append(event)


# ----------------------------------------------------------------------------------------------
# the warm worker


def _preload(modules: list[str]) -> None:
    for name in modules:
        __import__(name)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)


def worker_main(index: int, preload: list[str], stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Serve jobs read from ``stdin`` until it closes: ``{"job": ..., "limits": ...}`` -> result."""
    _preload(preload)
    stdout.write(wire.encode({"ready": True, "pid": os.getpid(), "modules": sorted(sys.modules)}))
    stdout.flush()
    while True:
        try:
            message = wire.read_message(stdin)
        except EOFError:
            return
        job = dict(message["job"], worker_index=index)
        result = run_job(job, Limits(**message["limits"]))
        stdout.write(wire.encode(result))
        stdout.flush()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", type=int, metavar="INDEX", help="serve jobs on stdin/stdout")
    parser.add_argument("--preload", default="numpy", help="comma-separated modules to import once")
    args = parser.parse_args(argv)
    if args.worker is None:
        parser.error("use --worker INDEX (the engine starts workers; see autograder.engine)")
    worker_main(args.worker, [m for m in args.preload.split(",") if m], sys.stdin.buffer, sys.stdout.buffer)


if __name__ == "__main__":
    main()
