"""A warm process per grading slot: it imports numpy (and torch) once, then forks one child per submission.

A child never holds another submission's data: it is forked *before* its job is read, from this process,
which never reads a job. Before any student code runs the child gets new mount, pid and IPC namespaces,
fresh empty tmpfs over every writable place (``/tmp``, ``/var/tmp``, ``/dev/shm``, the home folder), a
fresh ``/proc``, and becomes pid 1 of its namespace, so everything it starts dies with it. Then it is the
runner (:func:`.runner.main`): it reads its job from stdin, drops every privilege and runs the student's
code. This process only forks and reports how each child ended on its status pipe, which no child keeps.

Started by :class:`autograder.running.sandbox.Slot` inside a bubblewrap sandbox whose filesystem is the
allow-list of its kind; it needs ``CAP_SYS_ADMIN`` there (for the child's mounts), which the child gives
up before any student code runs.
"""

from __future__ import annotations

import ctypes
import fcntl
import importlib
import os
import signal
import struct
import sys

from . import probes, runner  # noqa: F401 - imported once here, so that every child starts with them
from .protocol import ExitCode

CLONE_NEWNS, CLONE_NEWIPC, CLONE_NEWPID = 0x00020000, 0x08000000, 0x20000000
MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REC, MS_PRIVATE = 2, 4, 8, 16384, 1 << 18
PR_SET_PDEATHSIG = 1
F_SETPIPE_SZ, PIPE_SIZE = 1031, 1 << 16
STATUS = struct.Struct(">i")  # a child's exit code, on the status pipe
READY = b"R"

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret: int, what: str) -> None:
    if ret != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    args = [None if s is None else s.encode() for s in (source, target, fstype, data)]
    _check(_libc.mount(args[0], args[1], args[2], ctypes.c_ulong(flags), args[3]), f"mount {target}")


def _fresh_namespaces(writable: list[str], tmp_bytes: int) -> None:
    """New mount, pid and IPC namespaces, with empty private tmpfs over every writable place."""
    _check(_libc.unshare(CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC), "unshare")
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    for place in writable:
        _mount("tmpfs", place, "tmpfs", MS_NOSUID | MS_NODEV, f"size={tmp_bytes},mode=1777")


def _child(status_fd: int, writable: list[str], tmp_bytes: int) -> None:
    """Runs in the forked child; never returns."""
    os.close(status_fd)
    _fresh_namespaces(writable, tmp_bytes)
    pid = os.fork()  # the first process in the new pid namespace is its pid 1
    if pid == 0:
        _check(_libc.prctl(PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), 0, 0, 0), "prctl")
        _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        runner.main()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    os._exit(128 - code if code < 0 else code)


def _reset_pipes() -> None:
    """Undo what the last child may have done to the pipes it shared with this process (flags and size live
    in the pipe, not in the child): blocking again, full size."""
    for fd in (0, 1):
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
        fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE)


def main(status_fd: int, writable: list[str], tmp_bytes: int, preload: list[str]) -> None:
    """Import ``preload``, say ready, then fork a child for every byte read on stdin."""
    for module in preload:
        importlib.import_module(module)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    os.write(status_fd, READY)
    while True:
        _reset_pipes()
        if not os.read(0, 1):
            break
        pid = os.fork()
        if pid == 0:
            try:
                _child(status_fd, writable, tmp_bytes)
            finally:
                os._exit(ExitCode.SETUP_FAILED)
        _, status = os.waitpid(pid, 0)
        os.write(status_fd, STATUS.pack(os.waitstatus_to_exitcode(status)))
    os._exit(0)
