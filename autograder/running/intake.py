"""Find one notebook per student in a folder or zip of submissions, with a clear message for every bad case.

Accepted layouts (mixed freely):

* nbgrader's: ``<student>/<assignment>/<notebook>.ipynb`` (also ``<student>/<notebook>.ipynb``);
* a flat LMS download: ``<student>_<anything>.ipynb``.

One student never stops the class: everything here reads student-controlled data totally. Each
:class:`Submission` carries ``problems`` (it cannot be graded: score 0, and the message, which names the
file and the fix, goes to the summary and the student's feedback) and ``notes`` (graded, but the instructor
should know). Only a source that holds no submission at all is an :class:`IntakeError` for the whole run.

Links are never followed out of the submissions, nothing from a zip is written outside its unpack folder,
and a notebook is rebuilt from what grading uses (cell types, sources, nbgrader metadata), so code downstream
never meets a malformed structure.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import nbformat

from autograder.messages import t as msg
from autograder.running.nbmeta import cell_type, multiline_text, nbgrader_meta

MAX_NOTEBOOK_MB = 200
LARGE_NOTEBOOK_MB = 20  # above this a notebook is graded with a note: its outputs are the likely cause
MAX_ZIP_TOTAL_MB = 4096
MAX_CELLS = 10_000  # released notebooks hold about a hundred
MAX_NAME_BYTES = 255  # the longest file name most filesystems accept
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints", ".git"}
NOTEBOOK_SUFFIX = ".ipynb"
CELL_TYPES = ("code", "markdown", "raw")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class IntakeError(ValueError):
    """The submissions source as a whole is unusable (missing, not a zip, empty)."""


@dataclass
class Submission:
    student: str
    path: Path | None  # the notebook that is graded, None when there is none
    notebook: nbformat.NotebookNode | None = None
    digest: str = ""  # sha256 of the graded file's bytes (or of the problem), keys the journal
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def gradable(self) -> bool:
        return self.notebook is not None and not self.problems


@dataclass
class ReadResult:
    """One notebook file, read: ``notebook`` is None exactly when ``problem`` says why it cannot be graded."""

    notebook: nbformat.NotebookNode | None
    digest: str  # sha256 of the file's bytes, or of the problem when they could not be read
    problem: str | None = None
    notes: list[str] = field(default_factory=list)  # graded, but worth saying


class _Unusable(Exception):
    """Why a file cannot be graded, phrased for the student and the instructor."""


# ------------------------------------------------------------------------------------------ names and messages


def safe_student_id(raw: str) -> tuple[str, str | None]:
    """A student id usable as a folder name and gradebook key, and a note when it had to change. It never
    starts with ``-`` (a command-line option to nbgrader; a formula to a spreadsheet opening a grades CSV)."""
    text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = unicodedata.normalize("NFC", text).strip()
    cleaned = re.sub(r"[^\w.-]+", "_", text).strip("._-") or "student"
    if cleaned != raw or "\ufffd" in text:
        suffix = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:6]
        cleaned = f"{re.sub(r'_+', '_', cleaned.replace(chr(0xFFFD), '_')).strip('_') or 'student'}-{suffix}"
        return cleaned, msg("intake.renamed_student", raw=repr(raw), student=cleaned)
    return cleaned, None


def _shown(name: str) -> str:
    """``name`` safe to print and store: undecodable bytes and control characters escaped."""
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in name)


def _why(err: BaseException) -> str:
    """An exception in a few words, for a message."""
    return _shown(f"{type(err).__name__}: {err}")[:200]


def _digest(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


# ------------------------------------------------------------------------------------------ one notebook file


def read_notebook(path: Path, max_mb: int = MAX_NOTEBOOK_MB) -> ReadResult:
    """Read a submitted notebook totally: whatever makes it unusable is a ``problem`` naming it and the fix.

    The notebook returned is rebuilt from the file's cells (type, source and the plain values of their
    nbgrader metadata) as a valid nbformat 4 notebook; outputs, attachments and other metadata are never
    used for grading and are dropped.
    """
    name = _shown(path.name)
    data: bytes | None = None
    try:
        data = _read_bytes(path, max_mb)
        notebook, notes = _parse(data, name)
    except _Unusable as why:
        problem = str(why)
    except Exception as err:  # a case no check above foresaw: still this student's problem, never the run's
        problem = msg("intake.unexpected", name=name, error=_why(err))
    else:
        if len(data) > LARGE_NOTEBOOK_MB << 20:
            notes.insert(0, msg("intake.large_outputs", name=name, size=len(data) / 2**20))
        return ReadResult(notebook, hashlib.sha256(data).hexdigest(), None, notes)
    digest = hashlib.sha256(data).hexdigest() if data is not None else _digest("unread", str(path), problem)
    return ReadResult(None, digest, problem)


def _too_large(name: str, size: int, max_mb: int) -> _Unusable:
    return _Unusable(msg("intake.too_large", name=name, size=size / 2**20, limit=max_mb))


def _read_bytes(path: Path, max_mb: int) -> bytes:
    """The file's bytes, if it is a regular file of at most ``max_mb`` MB."""
    name, limit = _shown(path.name), max_mb << 20
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a pipe must not block the run
    except OSError as err:
        raise _Unusable(msg("intake.cannot_open", name=name, error=err.strerror)) from err
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise _Unusable(msg("intake.folder", name=name))
        if not stat.S_ISREG(info.st_mode):
            raise _Unusable(msg("intake.not_regular", name=name))
        if info.st_size > limit:
            raise _too_large(name, info.st_size, max_mb)
        with open(fd, "rb", closefd=False) as file:
            data = file.read(limit + 1)
    except OSError as err:
        raise _Unusable(msg("intake.cannot_read", name=name, error=err.strerror)) from err
    finally:
        os.close(fd)
    if len(data) > limit:  # it grew since fstat
        raise _too_large(name, len(data), max_mb)
    return data


def _parse(data: bytes, name: str) -> tuple[nbformat.NotebookNode, list[str]]:
    """The notebook in ``data``, rebuilt from its cells, and notes on any malformed cells."""
    raw = _notebook_json(_json(data, name), name)
    if len(raw["cells"]) > MAX_CELLS:
        raise _Unusable(msg("intake.too_many_cells", name=name, cells=len(raw["cells"]), limit=MAX_CELLS))
    cells, notes = _cells(raw["cells"], name)
    return nbformat.NotebookNode(nbformat=4, nbformat_minor=5, metadata=nbformat.NotebookNode(), cells=cells), notes


def _json(data: bytes, name: str) -> Any:
    text = data.decode("utf-8-sig", "replace")
    if not text.strip():
        raise _Unusable(msg("intake.empty", name=name, size=len(data)))
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise _Unusable(msg("intake.json_error", name=name, line=err.lineno, column=err.colno, error=err.msg)) from err
    except RecursionError as err:
        raise _Unusable(msg("intake.too_deep", name=name)) from err
    except ValueError as err:  # valid JSON that Python will not load, e.g. an integer of over 4300 digits
        raise _Unusable(msg("intake.invalid", name=name, error=_why(err))) from err


def _notebook_json(raw: Any, name: str) -> dict:
    """The notebook's JSON in nbformat 4 (older formats converted), with a ``cells`` list."""
    not_a_notebook = _Unusable(msg("intake.not_a_notebook", name=name))
    if not isinstance(raw, dict):
        raise not_a_notebook
    version = raw.get("nbformat", 4)
    if isinstance(version, bool) or not isinstance(version, int):
        raise _Unusable(msg("intake.bad_version", name=name, version=_shown(repr(version))[:40]))
    if version < 4:
        raw = _converted(raw, version, name)
    if not isinstance(raw.get("cells"), list):
        raise not_a_notebook
    return raw


def _converted(raw: dict, version: int, name: str) -> dict:
    try:
        return nbformat.convert(nbformat.from_dict(raw), 4)
    except Exception as err:  # nbformat's converters assume a well-formed notebook and raise anything
        raise _Unusable(msg("intake.old_format", name=name, version=version, error=_why(err))) from err


def _cells(raw_cells: list, name: str) -> tuple[list[nbformat.NotebookNode], list[str]]:
    """Each cell rebuilt from its type, source and nbgrader metadata, and notes on the malformed ones."""
    cells, not_cells, not_text = [], [], []
    for number, raw in enumerate(raw_cells, 1):
        kind = cell_type(raw)
        if kind not in CELL_TYPES:
            not_cells.append(number)
            continue
        source = multiline_text(raw.get("source"))
        if source is None:
            not_text.append(number)
        cells.append(_cell(number, kind, _clean(source or ""), _plain_nbgrader(raw)))
    notes = []
    if not_cells:
        notes.append(msg("intake.ignored_cells", name=name, cells=_numbered(not_cells)))
    if not_text:
        notes.append(msg("intake.not_text_cells", name=name, cells=_numbered(not_text)))
    return cells, notes


def _numbered(numbers: list[int]) -> str:
    """``cell 3`` or ``cells 3, 7, ... and 12 more``."""
    shown = ", ".join(map(str, numbers[:10]))
    if len(numbers) > 10:
        shown = msg("intake.more", shown=shown, more=len(numbers) - 10)
    return msg("intake.cells" if len(numbers) > 1 else "intake.cell", numbers=shown)


def _cell(number: int, kind: str, source: str, nbgrader: dict) -> nbformat.NotebookNode:
    cell: dict[str, Any] = {"id": f"cell-{number}", "cell_type": kind, "source": source,
                            "metadata": {"nbgrader": nbgrader} if nbgrader else {}}
    if kind == "code":
        cell |= {"outputs": [], "execution_count": None}
    return nbformat.from_dict(cell)


def _plain_nbgrader(cell: dict) -> dict:
    """The plain values of the cell's nbgrader metadata (nbgrader nests nothing there): bounded, JSON-safe."""
    return {_clean(key): _clean(value) if isinstance(value, str) else value
            for key, value in nbgrader_meta(cell).items() if _plain(value)}


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | bool | int) or (isinstance(value, float) and math.isfinite(value))


def _clean(text: str) -> str:
    """``text`` with lone surrogates (JSON allows them, UTF-8 does not) replaced, so it can be written anywhere."""
    return _LONE_SURROGATE.sub("\ufffd", text)


# ------------------------------------------------------------------------------------------ zip archives


def extract_zip(zip_path: Path, dest: Path) -> dict[Path, str]:
    """Unpack the notebooks in ``zip_path`` into a fresh ``dest``; returns why any could not be, by path.

    Only ``.ipynb`` members are written; other members just make their folders exist, so a student who
    submitted no notebook is still seen. Members with an absolute path or ``..`` and junk (``__MACOSX``)
    are skipped, so nothing is written outside ``dest``. The bytes actually written are bounded per notebook
    and in all, whatever sizes the archive declares. A notebook that cannot be unpacked (a link, corrupt,
    too large) is left as an empty file, so its student is still found and told why.
    """
    with _open_zip(zip_path) as archive:
        members = [info for info in archive.infolist() if not info.filename.endswith("/")]  # not folders
        if not members:
            raise IntakeError(f"{zip_path} is an empty zip archive: no submissions to grade")
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        refused: dict[Path, str] = {}
        budget = MAX_ZIP_TOTAL_MB << 20
        for info in members:
            parts = _member_parts(info)
            if parts is None:
                continue
            target = dest.joinpath(*map(_fitted, parts))
            if target.name.endswith(NOTEBOOK_SUFFIX):
                budget -= _unpack_notebook(archive, info, target, budget, refused)
            else:
                with contextlib.suppress(OSError):
                    target.parent.mkdir(parents=True, exist_ok=True)
    return refused


def _open_zip(zip_path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(zip_path)
    except Exception as err:  # BadZipFile, or whatever a corrupt central directory makes zipfile raise
        raise IntakeError(f"{zip_path} is not a valid zip archive ({_why(err)}); download it again from the "
                          "LMS") from err


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """The member's name; names without the UTF-8 flag (decoded as cp437 by Python) are read as UTF-8 where
    they are, else their bytes are kept as surrogate escapes (so a folder is named with exactly those bytes)."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "surrogateescape")


def _member_parts(info: zipfile.ZipInfo) -> list[str] | None:
    """The member's path as folder names under the unpack folder, or None when it is not a submission's file."""
    name = _zip_member_name(info).replace("\\", "/")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if name.startswith("/") or not parts or ".." in parts or any(map(_ignored, parts)):
        return None
    return parts


def _fitted(name: str) -> str:
    """``name``, or when it is too long for the filesystem, its start and a hash of the rest (a flat LMS name
    keeps its student and ``.ipynb``)."""
    raw = name.encode("utf-8", "surrogateescape")
    if len(raw) <= MAX_NAME_BYTES:
        return name
    suffix = NOTEBOOK_SUFFIX if name.endswith(NOTEBOOK_SUFFIX) else ""
    return f"{raw[:200].decode('utf-8', 'surrogateescape')}~{hashlib.sha256(raw).hexdigest()[:12]}{suffix}"


def _unpack_notebook(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int,
                     refused: dict[Path, str]) -> int:
    """Write one notebook member to ``target`` and return the bytes written; or leave an empty file there,
    say why in ``refused`` and return 0."""
    try:
        written = _write_member(archive, info, target, budget)
    except _Unusable as why:
        refused[target] = str(why)
    except Exception as err:  # a corrupt member: zipfile, zlib, bz2 and lzma each raise their own
        refused[target] = msg("intake.unpack_failed", name=_shown(_zip_member_name(info)), error=_why(err))
    else:
        refused.pop(target, None)  # a later member of the same name replaced a refused one
        return written
    with contextlib.suppress(OSError):
        target.write_bytes(b"")
    return 0


def _write_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, budget: int) -> int:
    """Write one member to ``target``; the bytes written, at most the limits."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if stat.S_ISLNK(info.external_attr >> 16):
        raise _Unusable(msg("intake.zip_link", name=_shown(target.name)))
    limit = min(MAX_NOTEBOOK_MB << 20, budget)
    with archive.open(info) as src, open(target, "wb") as out:
        written = _copy_at_most(src, out, limit)
    if written is not None:
        return written
    if limit == MAX_NOTEBOOK_MB << 20:
        raise _Unusable(msg("intake.unpacks_too_large", name=_shown(target.name), limit=MAX_NOTEBOOK_MB))
    raise _Unusable(msg("intake.zip_too_large", name=_shown(target.name), limit=MAX_ZIP_TOTAL_MB))


def _copy_at_most(src: IO[bytes], out: IO[bytes], limit: int) -> int | None:
    """Copy ``src`` to ``out``; the bytes copied, or None as soon as ``src`` holds more than ``limit``."""
    written = 0
    while chunk := src.read(1 << 20):
        written += len(chunk)
        if written > limit:
            return None
        out.write(chunk)
    return written


# ------------------------------------------------------------------------------------------ finding notebooks


def _ignored(name: str) -> bool:
    return name in IGNORED_PARTS or name.startswith("._")


def _stat(path: Path) -> os.stat_result | None:
    """``path``'s status, links followed, or None when it has none we may read."""
    try:
        return path.stat()
    except OSError:
        return None


def _is_dir(path: Path) -> bool:
    return (info := _stat(path)) is not None and stat.S_ISDIR(info.st_mode)


def _is_file(path: Path) -> bool:
    return (info := _stat(path)) is not None and stat.S_ISREG(info.st_mode)


def _inside(path: Path, root: Path) -> bool:
    """Whether ``path``, links followed, lies in ``root``."""
    return Path(os.path.realpath(path)).is_relative_to(os.path.realpath(root))


def _listing(folder: Path) -> list[Path]:
    """The folder's entries, sorted, without hidden and junk ones; raises OSError when it cannot be read."""
    return sorted(e for e in folder.iterdir() if not e.name.startswith(".") and not _ignored(e.name))


def _unwrapped(root: Path, assignment: str, notebook_name: str) -> Path:
    """The one folder that wraps every submission (as some LMS zips do), or ``root`` itself."""
    try:
        entries = _listing(root)
        only = entries[0] if len(entries) == 1 and _is_dir(entries[0]) and _inside(entries[0], root) else None
        inner = _listing(only) if only and not _is_dir(only / assignment) else []
    except OSError:
        return root
    looks_like_students = bool(inner) and all(_is_dir(e) or e.name.endswith(NOTEBOOK_SUFFIX) for e in inner)
    one_students_own = any(e.name == f"{notebook_name}{NOTEBOOK_SUFFIX}" for e in inner)
    return only if looks_like_students and not one_students_own else root


def _flat_student(file_name: str) -> str:
    """The student in an LMS file name ``<student>_<anything>.ipynb``."""
    return file_name.removesuffix(NOTEBOOK_SUFFIX).split("_", 1)[0]


def _candidates(root: Path, assignment: str, refused: dict[Path, str]) -> dict[str, list[Path]]:
    """``raw student name -> notebook paths`` for both layouts; raises OSError when ``root`` cannot be read."""
    found: dict[str, list[Path]] = {}
    for entry in _listing(root):
        if _is_dir(entry):
            found.setdefault(entry.name, []).extend(_student_notebooks(entry, root, assignment, refused))
        elif entry.name.endswith(NOTEBOOK_SUFFIX):
            found.setdefault(_flat_student(entry.name), []).append(entry)
    for path in (path for paths in found.values() for path in paths):
        if path not in refused and not _inside(path, root):
            refused[path] = msg("intake.link_file", name=_shown(path.name))
    return found


def _student_notebooks(folder: Path, root: Path, assignment: str, refused: dict[Path, str]) -> list[Path]:
    """The ``.ipynb`` entries in one student's folder (in its ``<assignment>/`` when there is one), not
    following links to folders. A folder that cannot be searched is itself returned, its reason in ``refused``."""
    label = _shown(folder.name)
    if not _inside(folder, root):
        refused[folder] = msg("intake.link_folder", name=label)
        return [folder]
    inner = folder / assignment
    base = inner if _is_dir(inner) and _inside(inner, root) else folder
    errors: list[OSError] = []
    found = []
    for here, dirs, files in os.walk(base, onerror=errors.append):
        found += [Path(here, n) for n in files + dirs if n.endswith(NOTEBOOK_SUFFIX) and not _ignored(n)]
        dirs[:] = [d for d in dirs if not _ignored(d) and not d.endswith(NOTEBOOK_SUFFIX)]
    if not found and errors:
        refused[folder] = msg("intake.folder_unreadable", name=label, error=errors[0].strerror or _why(errors[0]))
        return [folder]
    return sorted(found)


def _mtime(path: Path) -> float:
    return info.st_mtime if (info := _stat(path)) else 0.0


def _pick(student: str, paths: list[Path], notebook_name: str, refused: dict[Path, str]) -> tuple[Path, list[str]]:
    """The notebook to grade among a student's ``paths`` (usable ones first), and notes on the choice."""
    released = f"{notebook_name}{NOTEBOOK_SUFFIX}"
    chosen, notes = paths[0], []
    if len(paths) > 1:
        usable = [p for p in paths if p not in refused and _is_file(p)] or paths
        exact = [p for p in usable if p.name == released]
        chosen = exact[0] if len(exact) == 1 else max(usable, key=lambda p: (_mtime(p), p.name))
        why = msg("intake.why_released") if len(exact) == 1 else msg("intake.why_recent")
        names = ", ".join(_shown(p.name) for p in paths)
        notes.append(msg("intake.several", count=len(paths), names=names, chosen=_shown(chosen.name), why=why))
    if chosen not in refused and chosen.name != released and not chosen.name.startswith(f"{student}_"):
        notes.append(msg("intake.renamed", chosen=_shown(chosen.name), released=released))
    return chosen, notes


# ------------------------------------------------------------------------------------------ the whole source


def collect(source: Path, assignment: str, notebook_name: str, unpack_dir: Path) -> list[Submission]:
    """All students' submissions in ``source`` (folder or ``.zip``), one :class:`Submission` each.

    Never raises for one student's data; :class:`IntakeError` means ``source`` holds nothing to grade.
    """
    refused: dict[Path, str] = {}  # candidates known to be unusable -> why, phrased for the student
    if _is_dir(source):
        top = source
    elif _is_file(source):
        top, refused = unpack_dir, extract_zip(source, unpack_dir)
    elif os.path.lexists(source):
        raise IntakeError(f"{source} is neither a folder nor a zip archive")
    else:
        raise IntakeError(f"{source} does not exist: pass the folder or zip of submissions")
    root = _unwrapped(top, assignment, notebook_name)
    try:
        found = _candidates(root, assignment, refused)
    except OSError as err:
        raise IntakeError(f"{source} cannot be read ({err.strerror}): fix its permissions") from err
    if not found:
        raise IntakeError(
            f"no submissions found in {source}: expected <student>/{assignment}/{notebook_name}.ipynb "
            f"or <student>_<anything>.ipynb"
        )
    subs: dict[str, Submission] = {}
    for raw, paths in found.items():
        student, note = safe_student_id(raw)
        while student in subs:
            student += "-dup"
        sub = subs[student] = Submission(student, None, notes=[note] if note else [])
        try:
            _read_submission(sub, raw, paths, assignment, notebook_name, refused)
        except Exception as err:  # a case no check foresaw: this student's problem, never the run's
            sub.notebook = None
            sub.problems.append(msg("intake.submission_unexpected", name=_shown(raw), error=_why(err)))
            sub.digest = _digest("failed", raw, sub.problems[-1])
    return list(subs.values())


def _read_submission(sub: Submission, raw: str, paths: list[Path], assignment: str, notebook_name: str,
                     refused: dict[Path, str]) -> None:
    """Fill ``sub`` from the notebook picked among ``paths``, or with the problem that stops it."""
    if not paths:
        sub.problems.append(msg("intake.nothing", name=_shown(raw), assignment=assignment, notebook=notebook_name))
        sub.digest = _digest("missing", raw)
        return
    sub.path, notes = _pick(raw, paths, notebook_name, refused)
    sub.notes += notes
    if sub.path in refused:
        sub.problems.append(refused[sub.path])
        sub.digest = _digest("refused", str(sub.path), refused[sub.path])
        return
    read = read_notebook(sub.path)
    sub.notebook, sub.digest = read.notebook, read.digest
    sub.notes += read.notes
    sub.problems += [read.problem] if read.problem else []
