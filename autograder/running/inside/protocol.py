"""The typed grader <-> sandbox protocol: one :class:`Job` in, a stream of events out.

The grader sends one :class:`Job` (plain data, :mod:`.wire`) on the sandbox's stdin; the sandboxed
process answers with events on its stdout: :class:`Ready` once it is confined, :class:`Begin` before
each step, :class:`CellDone` after a code step, one :class:`Answer` per :class:`CallRequest`, then
:class:`End`. The job holds no call: when a :class:`CallsStep` begins, the grader sends its calls on
stdin *one at a time*, each with a fresh id, the next only after the answer to the last has come. So no
code in the sandbox can know a call before it is made, and no answer can depend on a later call's
arguments. The grader accepts exactly one answer per id, to the call it is waiting for, and ignores
(and reports) anything else.

The student's code runs in the process that writes the events, so it can write events too: nothing here
is trusted. :func:`decode_event` turns whatever arrives into a typed event or ``None``, never raising;
what a forged event can say, the student's function could have returned, and the grader decides.
This module runs on both sides, so it imports only the standard library (and :mod:`.wire`).
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any


class ErrorKind(enum.StrEnum):
    """Why a call or a cell produced no value."""

    RAISED = "raised"  # the student's code raised an exception
    TIMEOUT = "timeout"  # the step's CPU or wall-clock budget ran out
    MISSING = "missing"  # a name the call needs is not defined
    NOT_CALLABLE = "not_callable"
    NOT_PLAIN = "not_plain"  # returned something that is not plain data
    UNAVAILABLE = "unavailable"  # needs a module that does not exist in this sandbox (torch in a NumPy part)


class Stop(enum.StrEnum):
    """How a sandbox run ended, decided by the grader's side from what it saw."""

    ENDED = "ended"  # every step ran and End arrived
    EXITED = "exited"  # the process ended before End (os._exit, a crash, a signal, a resource limit)
    STEP_TIMEOUT = "step_timeout"  # a step ran past its wall-clock limit and the sandbox was killed
    WALL_TIMEOUT = "wall_timeout"  # the submission ran past its total wall-clock limit
    OUTPUT_LIMIT = "output_limit"  # more bytes of events than allowed
    SETUP_FAILED = "setup_failed"  # the sandbox could not be confined: no student code ran


class ExitCode(enum.IntEnum):
    """Exit codes of the sandboxed runner itself (anything else is the student's doing or a signal)."""

    OK = 0
    BAD_JOB = 65  # the job could not be read
    SETUP_FAILED = 70  # confinement failed before any student code ran


# ---------------------------------------------------------------------------------------- the job


@dataclass(frozen=True)
class CodeStep:
    """Run one cell's source in the notebook namespace."""

    cell: str
    source: str


@dataclass(frozen=True)
class CallRequest:
    """Call ``target(*args, **kwargs)`` from the namespace, or ``probe:<name>`` from :mod:`.probes`."""

    id: str
    target: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def to_plain(self) -> dict:
        return {"id": self.id, "target": self.target, "args": tuple(self.args), "kwargs": dict(self.kwargs)}

    @classmethod
    def from_plain(cls, data: dict) -> CallRequest:
        return cls(data["id"], data["target"], tuple(data["args"]), dict(data["kwargs"]))


@dataclass(frozen=True)
class CallsStep:
    """Where the calls that decide one test cell are made; the calls themselves come one by one."""

    cell: str
    names: tuple[str, ...]  # names that must be defined; every call is answered MISSING when one is not
    count: int  # how many calls the grader will send


Step = CodeStep | CallsStep


@dataclass(frozen=True)
class Job:
    """Everything one sandbox run needs. Limits are applied by the runner before any student code."""

    steps: tuple[Step, ...]
    step_seconds: float  # CPU and wall-clock seconds per step (soft: the grader kills a bit later)
    memory_bytes: int  # address space on top of the runner's own, after its imports
    nproc: int  # processes and threads the student's uid may own
    file_bytes: int  # largest file it may write
    uid: int | None  # drop to this uid/gid (the grader runs as root), else keep the mapped one

    def to_plain(self) -> dict:
        steps = []
        for s in self.steps:
            if isinstance(s, CodeStep):
                steps.append({"kind": "code", "cell": s.cell, "source": s.source})
            else:
                steps.append({"kind": "calls", "cell": s.cell, "names": list(s.names), "count": s.count})
        return {"steps": steps, "step_seconds": self.step_seconds, "memory_bytes": self.memory_bytes,
                "nproc": self.nproc, "file_bytes": self.file_bytes, "uid": self.uid}

    @classmethod
    def from_plain(cls, data: dict) -> Job:
        """The job the grader wrote (trusted: it comes from the grader, before student code runs)."""
        steps: list[Step] = []
        for s in data["steps"]:
            if s["kind"] == "code":
                steps.append(CodeStep(s["cell"], s["source"]))
            else:
                steps.append(CallsStep(s["cell"], tuple(s["names"]), int(s["count"])))
        return cls(tuple(steps), float(data["step_seconds"]), int(data["memory_bytes"]), int(data["nproc"]),
                   int(data["file_bytes"]), data["uid"])


# ---------------------------------------------------------------------------------------- events


@dataclass(frozen=True)
class Ready:
    """The runner is confined; ``isolation`` says what it got (for the instructor's summary)."""

    isolation: dict


@dataclass(frozen=True)
class Begin:
    step: int  # index into Job.steps


@dataclass(frozen=True)
class CellDone:
    cell: str
    ok: bool
    error: str = ""
    unavailable: tuple[str, ...] = ()  # modules the cell imported that do not exist here (skipped)


@dataclass(frozen=True)
class Answer:
    id: str
    ok: bool
    value: Any = None
    error: str = ""
    kind: ErrorKind | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class End:
    pass


Event = Ready | Begin | CellDone | Answer | End


def encode_event(event: Event) -> dict:
    """An event as a plain dict for :func:`.wire.encode`."""
    if isinstance(event, Ready):
        return {"type": "ready", "isolation": event.isolation}
    if isinstance(event, Begin):
        return {"type": "begin", "step": event.step}
    if isinstance(event, CellDone):
        return {"type": "cell", "cell": event.cell, "ok": event.ok, "error": event.error,
                "unavailable": list(event.unavailable)}
    if isinstance(event, Answer):
        return {"type": "answer", "id": event.id, "ok": event.ok, "value": event.value, "error": event.error,
                "kind": event.kind.value if event.kind else None, "seconds": event.seconds}
    return {"type": "end"}


def _str(value: Any, limit: int = 4000) -> str | None:
    """A string from the sandbox, cut to ``limit`` and made valid UTF-8 (lone surrogates escaped)."""
    if not isinstance(value, str):
        return None
    return value[:limit].encode("utf-8", "backslashreplace").decode("utf-8")


def decode_event(data: Any) -> Event | None:
    """A typed event from whatever arrived, or ``None`` when it is not a well-formed event. Never raises."""
    try:
        return _decode(data)
    except Exception:  # noqa: BLE001 - whatever the student's process wrote: not an event
        return None


def _decode(data: Any) -> Event | None:
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    if kind == "ready" and isinstance(data.get("isolation"), dict):
        return Ready(data["isolation"])
    if kind == "begin" and type(data.get("step")) is int:
        return Begin(data["step"])
    if kind == "cell" and _str(data.get("cell")) is not None and type(data.get("ok")) is bool:
        unavailable = data.get("unavailable")
        names = tuple(n[:200] for n in unavailable if isinstance(n, str)) if isinstance(unavailable, list) else ()
        return CellDone(_str(data["cell"]), data["ok"], _str(data.get("error")) or "",
                        tuple(_str(n) for n in names))
    if kind == "answer" and _str(data.get("id")) is not None and type(data.get("ok")) is bool:
        try:
            error_kind = ErrorKind(data.get("kind")) if data.get("kind") is not None else None
        except ValueError:
            return None
        seconds = data.get("seconds")
        seconds = float(seconds) if type(seconds) is float and math.isfinite(seconds) else 0.0
        return Answer(data["id"], data["ok"], data.get("value"), _str(data.get("error")) or "", error_kind, seconds)
    if kind == "end":
        return End()
    return None
