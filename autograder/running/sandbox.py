"""Run one submission's job in a fresh sandbox that can reach only what the rules allow.

The guarantee is by capability, not by watching: a :data:`~autograder.correctness.policy.Sandbox.NUMPY`
sandbox's filesystem (bubblewrap) holds the interpreter, the standard library, numpy and the runner
(:mod:`autograder.running.inside`), and nothing else, so ``import torch``, ``seqmodels`` (apart from the
stand-in that locked cells use, see :func:`write_kit`), ``autograder``, the course repository,
``solutions/``, other submissions and other checkouts on the machine do not exist there. The torch
sandbox adds torch and the packages it needs. There is no network.

Each grading slot keeps one warm :mod:`~autograder.running.inside.zygote` per kind (a :class:`Slot`) that
has imported numpy (and torch) once and forks a child per submission *before* the job is read; the child
gets new mount, pid and IPC namespaces with empty private tmpfs over ``/tmp``, ``/var/tmp``, ``/dev/shm``
and home, so no submission can see another's files, memory or processes.

This side enforces the time limits by killing: a step that runs past ``step_timeout`` (wall-clock) plus a
grace, or a run past ``timeout``, ends the whole sandbox (the slot starts a new one for the next
submission). It reads events with :func:`~autograder.running.inside.protocol.decode_event` and keeps
exactly one answer per call id it asked.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import os
import queue
import select
import shutil
import signal
import struct
import subprocess
import sys
import sysconfig
import threading
import time
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

from autograder.correctness.policy import KIT_TOP_LEVEL, LOCKED_CELL_KIT, Sandbox
from autograder.running.inside import wire, zygote
from autograder.running.inside.protocol import (
    Answer,
    Begin,
    CallRequest,
    CallsStep,
    CellDone,
    End,
    Job,
    Ready,
    Stop,
    decode_event,
)

INSIDE = Path(__file__).resolve().parent / "inside"
SANDBOX_UID_BASE = 61000  # a grader running as root runs slot i's student code as uid/gid SANDBOX_UID_BASE + i
SITE, LIB, KIT, HOME = "/opt/grader/site", "/opt/grader/lib", "/opt/grader/kit", "/home/student"
WRITABLE = ["/tmp", "/var/tmp", "/dev/shm", HOME]  # each a private, size-limited tmpfs per submission
ROOT_PACKAGES = {Sandbox.NUMPY: ("numpy",), Sandbox.TORCH: ("numpy", "torch")}


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or the kernel refuses its namespaces: nothing can be graded safely here."""


@dataclass(frozen=True)
class Limits:
    """Per-submission limits."""

    timeout: float = 600.0  # wall seconds for one sandbox run (all steps)
    step_timeout: float = 120.0  # CPU and wall-clock seconds for one cell or one check's calls
    memory_mb: int = 2048  # address space on top of the runner's own (after numpy/torch are imported)
    nproc: int = 16  # processes and threads the student's uid may own
    file_mb: int = 64  # largest file, and the size of each private tmpfs
    output_mb: int = 64  # most bytes of events one run may send back

    @property
    def grace(self) -> float:
        """How long past ``step_timeout`` the grader waits before killing: the runner's own signal should
        end an honest slow step first."""
        return 2.0 + 0.1 * self.step_timeout


@dataclass
class Run:
    """What the grader saw of one sandbox run: only answers to calls it asked, one per id."""

    stop: Stop
    answers: dict[str, Answer] = field(default_factory=dict)
    cells: dict[str, CellDone] = field(default_factory=dict)
    isolation: dict = field(default_factory=dict)
    stopped_in: str | None = None  # the step (cell or test cell) running when the sandbox stopped
    stopped_call: CallRequest | None = None  # the call it was answering then, if any
    exit_code: int | None = None
    ignored: list[str] = field(default_factory=list)  # events that were malformed, unasked or repeated
    seconds: dict[str, float] = field(default_factory=dict)  # start, cells, calls
    call_seconds: dict[str, float] = field(default_factory=dict)  # per answered call id, on the grader's clock


# ---------------------------------------------------------------------------------------- the view


def _site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"]).resolve()


@cache
def _distribution_closure(roots: tuple[str, ...]) -> tuple[str, ...]:
    """The installed distributions ``roots`` need (their requirements, transitively, extras excluded)."""
    todo, found = list(roots), {}
    while todo:
        name = todo.pop()
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in found:
            continue
        found[key] = dist
        for spec in dist.requires or []:
            req = Requirement(spec)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return tuple(sorted(found))


@cache
def _package_entries(kind: Sandbox) -> tuple[str, ...]:
    """Top-level entries of site-packages (package folders, modules, ``.libs``, ``.dist-info``) that the
    sandbox of ``kind`` may see."""
    site = _site_packages()
    entries: set[str] = set()
    for name in _distribution_closure(ROOT_PACKAGES[kind]):
        for file in metadata.distribution(name).files or []:
            path = (Path(file.locate())).resolve()
            if path.is_relative_to(site):
                entries.add(path.relative_to(site).parts[0])
    return tuple(sorted(e for e in entries if (site / e).exists() and not e.startswith("__pycache__")))


def _stdlib() -> Path:
    """The standard library of the base interpreter (never a virtual environment's lib folder)."""
    return Path(os.path.realpath(os.path.dirname(os.__file__)))


def _interpreter_binds() -> list[str]:
    """The interpreter, the shared library it loaded (if any) and the standard library, read-only, at their own
    paths (the library is read off this process's memory map: sysconfig may name the build machine's)."""
    dynload = os.path.dirname(importlib.util.find_spec("_json").origin)
    paths = [os.path.realpath(sys.executable), str(_stdlib()), dynload]
    with open("/proc/self/maps") as maps:
        paths += {line.split()[-1] for line in maps if "/libpython" in line}
    return sorted(set(map(os.path.realpath, paths)))


def _system_libraries() -> list[str]:
    """Folders of shared libraries (libc, libm, libstdc++, ...), without Python packages."""
    arch = sysconfig.get_config_var("MULTIARCH")
    candidates = ([f"/usr/lib/{arch}", f"/lib/{arch}"] if arch else []) + ["/usr/lib64", "/lib64"]
    return sorted({os.path.realpath(c) for c in candidates if os.path.isdir(c)})


def _parents(paths: list[str]) -> list[str]:
    """Every folder above ``paths``, outermost first (bubblewrap would create them readable by root only)."""
    folders = {str(parent) for p in paths for parent in Path(p).parents if str(parent) != "/"}
    return sorted(folders, key=lambda f: (f.count("/"), f))


def view_args(kind: Sandbox, kit: Path, tmp_bytes: int) -> list[str]:
    """bubblewrap arguments for the filesystem of ``kind``: an allow-list, nothing else."""
    binds = [(p, p) for p in _system_libraries() + _interpreter_binds()]
    site = _site_packages()
    binds += [(str(site / entry), f"{SITE}/{entry}") for entry in _package_entries(kind)]
    binds += [(str(INSIDE), f"{LIB}/inside"), (str(kit), KIT)]
    args: list[str] = []
    for folder in _parents([dest for _, dest in binds] + [HOME]):  # traversable by the sandbox's uid
        args += ["--perms", "0755", "--dir", folder]
    for src, dest in binds:
        args += ["--ro-bind", src, dest]
    for link in ("/lib", "/lib64", "/bin"):  # merged-/usr systems: keep the loader's path working
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
    if os.path.exists("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    stdlib = _stdlib()
    for packages in ("site-packages", "dist-packages"):  # the base interpreter's own packages stay hidden
        if (stdlib / packages).is_dir():
            args += ["--tmpfs", str(stdlib / packages), "--remount-ro", str(stdlib / packages)]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for place in WRITABLE:  # the zygote's own; each child mounts fresh ones over them
        args += ["--size", str(tmp_bytes), "--perms", "1777", "--tmpfs", place]
    return args


def _functions_only(source: str, names: tuple[str, ...]) -> str:
    """The module's imports (not from seqmodels) and the named top-level functions, as source."""
    tree, lines = ast.parse(source), source.splitlines()
    imports = [ast.get_source_segment(source, node) for node in tree.body
               if isinstance(node, ast.Import | ast.ImportFrom)
               and not (isinstance(node, ast.ImportFrom) and (node.module or "").startswith("seqmodels"))]
    body = ["\n".join(lines[node.lineno - 1:node.end_lineno]) for node in tree.body
            if isinstance(node, ast.FunctionDef) and not node.decorator_list and node.name in names]
    return "\n".join(imports) + "\n\n\n" + "\n\n\n".join(body) + "\n"


def write_kit(folder: Path) -> Path:
    """The stand-in ``seqmodels`` that locked cells import inside a sandbox: only the code listed in
    :data:`~autograder.correctness.policy.LOCKED_CELL_KIT` (whole data modules, or single functions with their
    module's imports), never the reference implementations."""
    package = folder / "seqmodels"
    package.mkdir(parents=True, exist_ok=True)
    exported = []
    for module_name, names in LOCKED_CELL_KIT.items():
        module = importlib.import_module(module_name)
        source = inspect.getsource(module)
        short = module_name.split(".", 1)[1]
        (package / f"{short}.py").write_text(source if names is None else _functions_only(source, names),
                                              encoding="utf-8")
        exported += [f"from seqmodels.{short} import {n}" for n in KIT_TOP_LEVEL if hasattr(module, n)]
    (package / "__init__.py").write_text('"""Stand-in for the course library: what locked cells use."""\n'
                                         + "\n".join(exported) + "\n", encoding="utf-8")
    for path in (folder, package, *package.iterdir()):  # readable by the sandbox's unprivileged uid
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


# ---------------------------------------------------------------------------------------- running


def bwrap_path() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable("bubblewrap (`bwrap`) is not installed: `apt-get install bubblewrap` (Debian/"
                                 "Ubuntu) or `dnf install bubblewrap`. Grading needs Linux namespaces; on macOS "
                                 "or Windows grade inside a Linux VM or container.")
    return path


def _namespace_args() -> list[str]:
    """bubblewrap's namespaces and the zygote's only capabilities: CAP_SYS_ADMIN for its children's mounts,
    and what a child needs to give up every privilege (its own uid as root, its capabilities in a user
    namespace) before any student code runs."""
    if os.getuid() == 0:  # privileged bubblewrap, which would keep every capability of root
        return ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
                "--cap-drop", "ALL", *_caps("CAP_SYS_ADMIN", "CAP_SETUID", "CAP_SETGID")]
    return ["--unshare-all", "--unshare-user", "--disable-userns", "--uid", "0", "--gid", "0",
            *_caps("CAP_SYS_ADMIN", "CAP_SETPCAP")]


def _caps(*names: str) -> list[str]:
    return [arg for name in names for arg in ("--cap-add", name)]  # one capability per --cap-add


def _processes_of(uid: int) -> int:
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nUid:\t{uid}\t" in status.read_text():
                count += 1
        except OSError:
            continue
    return count


# The kernel's key store outlives processes and is shared by every process of a uid: a channel between
# submissions that no namespace closes. A seccomp filter (bubblewrap's --seccomp) makes its three system calls
# fail with EPERM, and with them any x32 system call on x86-64.
KEYRING_SYSCALLS = {"x86_64": (0xC000003E, (248, 249, 250)), "aarch64": (0xC00000B7, (217, 218, 219))}
_X32_BIT = 0x40000000


def seccomp_filter() -> bytes:
    """A classic BPF program (``struct sock_filter[]``) that refuses add_key, request_key and keyctl."""
    arch, calls = KEYRING_SYSCALLS[os.uname().machine]
    allow, refuse = 0x7FFF0000, 0x00050000 | 1  # SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO | EPERM
    ld, jeq, jge, ret = 0x20, 0x15, 0x35, 0x06  # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JGE|K, BPF_RET|K
    n = len(calls)
    program = [(ld, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, allow), (ld, 0, 0, 0),  # arch, then the number
               (jge, n + 1, 0, _X32_BIT)]
    program += [(jeq, n - i, 0, nr) for i, nr in enumerate(calls)]
    program += [(ret, 0, 0, allow), (ret, 0, 0, refuse)]
    return b"".join(struct.pack("=HBBI", *insn) for insn in program)


def command(kind: Sandbox, kit: Path, limits: Limits, status_fd: int, seccomp_fd: int) -> list[str]:
    """The bubblewrap command line that starts a zygote of ``kind``."""
    preload = list(ROOT_PACKAGES[kind])
    boot = (f"import sys; sys.path[:0] = [{LIB!r}, {SITE!r}, {KIT!r}]; from inside.zygote import main; "
            f"main({status_fd}, {WRITABLE!r}, {limits.file_mb << 20}, {preload!r})")
    return [bwrap_path(), *_namespace_args(), "--seccomp", str(seccomp_fd), "--die-with-parent", "--new-session",
            "--chdir", HOME,
            *view_args(kind, kit, limits.file_mb << 20), os.path.realpath(sys.executable), "-I", "-S", "-B",
            "-c", boot]


def make_job(steps: tuple, limits: Limits, slot: int) -> Job:
    """A job of ``steps`` under ``limits`` for grading slot ``slot`` (its own uid when the grader is root)."""
    root = os.getuid() == 0
    nproc = limits.nproc if root else _processes_of(os.getuid()) + limits.nproc
    return Job(steps, limits.step_timeout, limits.memory_mb << 20, nproc, limits.file_mb << 20,
               SANDBOX_UID_BASE + slot if root else None)


ENV = {"PATH": "/usr/bin:/bin", "HOME": HOME, "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1",
       "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "CUDA_VISIBLE_DEVICES": ""}


class _Reader:
    """Frames from the sandbox's stdout, read without blocking past a deadline, until the child ends (its
    exit status arrives on the zygote's status pipe) or the stream closes."""

    def __init__(self, fd: int, status_fd: int, limit: int):
        self.fd, self.status_fd, self.buf, self.limit, self.total = fd, status_fd, bytearray(), limit, 0
        self.closed = False
        self.exit_status = b""  # the zygote's word that the child ended, once it came

    def fill(self, timeout: float) -> None:
        """Read what arrives within ``timeout``; once the child has ended, what is left in the pipe."""
        ready, _, _ = select.select([self.fd, self.status_fd], [], [], max(0.0, timeout))
        if self.status_fd in ready and not self.exit_status:
            self.exit_status = _read_exact(self.status_fd, zygote.STATUS.size, 1.0)
            self.closed = True  # nothing more can come from the child; drain what it wrote
        while self.fd in ready or (self.closed and _pending(self.fd)):
            chunk = os.read(self.fd, 1 << 20)
            self.buf += chunk
            self.total += len(chunk)
            if not chunk or self.total > self.limit:
                self.closed = True
                return
            ready = ()

    def messages(self) -> list:
        """Complete messages in the buffer; a malformed frame yields a :class:`wire.WireError` instance."""
        out = []
        while True:
            try:
                message, used = wire.decode_prefix(bytes(self.buf))
            except EOFError:
                return out
            except Exception as err:  # noqa: BLE001 - WireError, or anything no check foresaw: the stream is bad
                out.append(err)
                self.buf.clear()
                self.closed = True  # nothing after a malformed frame can be trusted to be framed right
                return out
            del self.buf[:used]
            out.append(message)


class Slot:
    """One grading slot's warm zygote of one kind, started on first use and again after any run that did
    not end cleanly (a kill, a malformed stream): a run never inherits a stream or a process from another."""

    def __init__(self, kind: Sandbox, limits: Limits, kit: Path):
        self.kind, self.limits, self.kit = kind, limits, kit
        self.proc: subprocess.Popen | None = None
        self.status_fd = -1

    def _start(self) -> float:
        """Start the zygote and wait until it has imported its packages; returns the seconds it took."""
        t0 = time.monotonic()
        status_r, status_w = os.pipe()
        seccomp_r, seccomp_w = os.pipe()
        os.write(seccomp_w, seccomp_filter())  # a few dozen bytes: the pipe holds them until bubblewrap reads
        os.close(seccomp_w)
        self.proc = subprocess.Popen(command(self.kind, self.kit, self.limits, status_w, seccomp_r),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env=ENV, start_new_session=True, pass_fds=(status_w, seccomp_r))
        os.close(status_w)
        os.close(seccomp_r)
        self.status_fd = status_r
        if _read_exact(status_r, 1, 300.0) != zygote.READY:
            self.stop()
            raise SandboxUnavailable(
                f"the {self.kind.value} sandbox does not start on this machine (bwrap exit code "
                f"{self.proc.returncode if self.proc else '?'}). Grading needs Linux namespaces: root, or "
                "unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1).")
        return time.monotonic() - t0

    def stop(self) -> None:
        """End the zygote's sandbox, and with it every process in it."""
        if self.proc is not None:
            _kill(self.proc)
            os.close(self.status_fd)
            self.proc, self.status_fd = None, -1

    def run(self, job: Job, calls: dict[int, list[CallRequest]]) -> Run:
        """Run ``job`` in a fresh child of the zygote, send each calls step's ``calls`` (by step index) one
        at a time, and collect what it answers, within the limits."""
        started = 0.0 if self.proc is not None and self.proc.poll() is None else self._start()
        writer = _Writer(self.proc.stdin)  # the child reads while we read its events: no pipe fills both ways
        writer.send(b"g" + wire.encode(job.to_plain()))
        reader = _Reader(self.proc.stdout.fileno(), self.status_fd, self.limits.output_mb << 20)
        result = _collect(reader, job, calls, writer.send, self.limits)
        writer.close()
        result.seconds["start"] = result.seconds.get("start", 0.0) + started
        if result.stop in (Stop.ENDED, Stop.EXITED) and not reader.exit_status:
            reader.exit_status = _read_exact(self.status_fd, zygote.STATUS.size, 10.0)
        exit_code = reader.exit_status
        clean = (result.stop is Stop.ENDED and len(exit_code) == zygote.STATUS.size and not reader.buf
                 and not _pending(self.proc.stdout.fileno()))
        if len(exit_code) == zygote.STATUS.size:
            result.exit_code = zygote.STATUS.unpack(exit_code)[0]
        if not clean:  # killed, or the stream may be out of step: the next run gets a new zygote
            self.stop()
            if result.stop is Stop.ENDED:
                result.ignored.append("bytes after the end of the run")
        return result


class _Writer:
    """Writes to the sandbox's stdin from a thread of its own, so that a child that stops reading can block
    only that thread, never the grader's deadlines."""

    def __init__(self, stream):
        self.stream, self.queue = stream, queue.SimpleQueue()
        threading.Thread(target=self._loop, daemon=True).start()

    def send(self, data: bytes) -> None:
        self.queue.put(data)

    def close(self) -> None:
        self.queue.put(None)

    def _loop(self) -> None:
        while (data := self.queue.get()) is not None:
            try:
                self.stream.write(data)
                self.stream.flush()
            except (BrokenPipeError, ValueError, OSError):  # the sandbox ended (or was killed) first
                return


def _read_exact(fd: int, n: int, timeout: float) -> bytes:
    """Up to ``n`` bytes from ``fd`` within ``timeout`` seconds (fewer when it closes or time runs out)."""
    data, deadline = b"", time.monotonic() + timeout
    while len(data) < n:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, n - len(data))
        if not chunk:
            break
        data += chunk
    return data


def _pending(fd: int) -> bool:
    return bool(select.select([fd], [], [], 0)[0])


def _collect(reader: _Reader, job: Job, calls: dict[int, list[CallRequest]], send, limits: Limits) -> Run:
    """Read one child's events until End, a limit or the child's end, sending each calls step's calls one at a
    time. Deadlines are the grader's own: a step may take ``step_timeout`` (plus a grace) from its Begin, and
    the run at most as long as its steps could honestly take, whatever the child says."""
    t0 = time.monotonic()
    result = Run(Stop.EXITED)
    deadline = t0 + min(limits.timeout, (limits.step_timeout + limits.grace) * (len(job.steps) + 1))
    step_deadline, current, step_start, ready_at = deadline, -1, t0, None
    waiting: list[CallRequest] = []  # the calls of the current step not yet sent; waiting[0] was sent

    sent_at = 0.0

    def send_next() -> None:
        nonlocal sent_at
        if waiting:
            sent_at = time.monotonic()
            send(wire.encode(waiting[0].to_plain()))

    while True:
        for message in reader.messages():
            event = None if isinstance(message, wire.WireError) else decode_event(message)
            if event is None:
                result.ignored.append(f"a malformed message from the sandbox ({message})"[:300])
            elif isinstance(event, Ready) and ready_at is None:
                ready_at, result.isolation = time.monotonic(), event.isolation
                result.seconds["start"] = ready_at - t0
            elif isinstance(event, Begin) and ready_at is not None and current < event.step < len(job.steps):
                now = time.monotonic()
                if current >= 0:
                    _account(result, job.steps[current], now - step_start)
                current, step_start = event.step, now
                step_deadline = min(deadline, now + limits.step_timeout + limits.grace)
                waiting = list(calls.get(current, ()))
                send_next()
            elif isinstance(event, CellDone) and event.cell not in result.cells:
                result.cells[event.cell] = event
            elif isinstance(event, Answer) and waiting and event.id == waiting[0].id:
                result.answers[event.id] = event
                result.call_seconds[event.id] = time.monotonic() - sent_at
                waiting.pop(0)
                send_next()
            elif isinstance(event, End) and not waiting:
                if current >= 0:
                    _account(result, job.steps[current], time.monotonic() - step_start)
                result.stop = Stop.ENDED
                return result
            else:
                result.ignored.append(f"an unexpected or repeated {type(event).__name__} event")
        if reader.total > reader.limit:
            result.stop = Stop.OUTPUT_LIMIT
            break
        if reader.closed:
            break
        now = time.monotonic()
        if now >= step_deadline:
            result.stop = Stop.WALL_TIMEOUT if step_deadline >= deadline else Stop.STEP_TIMEOUT
            break
        reader.fill(step_deadline - now)
    if current >= 0:
        result.stopped_in = job.steps[current].cell
        result.stopped_call = waiting[0] if waiting else None
    if ready_at is None and result.stop is Stop.EXITED:
        result.stop = Stop.SETUP_FAILED
    return result


def run(kind: Sandbox, job: Job, calls: dict[int, list[CallRequest]], limits: Limits, kit: Path) -> Run:
    """Run one job in a slot of its own (a new zygote, stopped afterwards)."""
    slot = Slot(kind, limits, kit)
    try:
        return slot.run(job, calls)
    finally:
        slot.stop()


def _account(result: Run, step, seconds: float) -> None:
    key = "calls" if isinstance(step, CallsStep) else "cells"
    result.seconds[key] = result.seconds.get(key, 0.0) + seconds


def _kill(proc: subprocess.Popen) -> None:
    """End bubblewrap and with it the sandbox's pid namespace (everything the student started)."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait()
    for stream in (proc.stdin, proc.stdout):
        try:
            stream.close()
        except OSError:
            pass
