"""Find one notebook per student in a folder or zip of submissions, with a clear message for every bad case.

Accepted layouts (mixed freely):

* nbgrader's: ``<student>/<assignment>/<notebook>.ipynb`` (also ``<student>/<notebook>.ipynb``);
* a flat LMS download: ``<student>_<anything>.ipynb``.

Nothing here raises for a single student's bad input: each :class:`Submission` carries ``problems``
(it cannot be graded: score 0, and the message goes to the summary and the student's feedback) and
``notes`` (graded, but the instructor should know). Only a source that holds no submission at all is
an :class:`IntakeError` for the whole run.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import unicodedata
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

MAX_NOTEBOOK_MB = 200
MAX_ZIP_TOTAL_MB = 4096
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints", ".git"}


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


def safe_student_id(raw: str) -> tuple[str, str | None]:
    """A student id usable as a folder name and gradebook key, and a note when it had to change."""
    text = raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    text = unicodedata.normalize("NFC", text).strip()
    cleaned = re.sub(r"[^\w.-]+", "_", text).strip("._") or "student"
    if cleaned != raw or "\ufffd" in text:
        suffix = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:6]
        cleaned = f"{re.sub(r'_+', '_', cleaned.replace(chr(0xFFFD), '_')).strip('_') or 'student'}-{suffix}"
        return cleaned, f"the name {raw!r} is not a plain UTF-8 name; graded as student id '{cleaned}'"
    return cleaned, None


def _zip_member_name(info: zipfile.ZipInfo) -> str:
    """Zip names without the UTF-8 flag are decoded as cp437 by Python; recover UTF-8 where it was."""
    if info.flag_bits & 0x800:
        return info.filename
    raw = info.filename.encode("cp437")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "surrogateescape")


def extract_zip(zip_path: Path, dest: Path) -> Path:
    """Safely unpack ``zip_path`` into ``dest``: no absolute paths, no ``..``, no links, bounded size."""
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as err:
        raise IntakeError(f"{zip_path} is not a valid zip archive ({err}); download it again from the LMS") from err
    with archive:
        members = [i for i in archive.infolist() if not i.is_dir()]
        if not members:
            raise IntakeError(f"{zip_path} is an empty zip archive: no submissions to grade")
        if sum(i.file_size for i in members) > MAX_ZIP_TOTAL_MB << 20:
            raise IntakeError(f"{zip_path} unpacks to more than {MAX_ZIP_TOTAL_MB} MB; unpack it yourself and pass "
                              "the folder")
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for info in members:
            name = _zip_member_name(info)
            parts = [p for p in Path(name.replace("\\", "/")).parts if p not in ("", ".", "/")]
            if not parts or ".." in parts or Path(name).is_absolute():
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:  # a symlink
                continue
            target = dest.joinpath(*(p.encode("utf-8", "surrogateescape").decode("utf-8", "replace") for p in parts))
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(info) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            if "\ufffd" in str(target.relative_to(dest)):
                (target.parent / ".raw-names").open("a", encoding="utf-8", errors="surrogateescape").write(
                    json.dumps([target.name, name], ensure_ascii=True) + "\n"
                )
    return dest


def _ignored(path: Path, root: Path) -> bool:
    return any(p in IGNORED_PARTS or p.startswith("._") for p in path.relative_to(root).parts)


def _candidates(root: Path, assignment: str) -> dict[str, list[Path]]:
    """``raw student name -> notebook paths`` for both layouts."""
    found: dict[str, list[Path]] = {}
    for entry in sorted(root.iterdir()):
        if entry.name in IGNORED_PARTS or entry.name.startswith("."):
            continue
        if entry.is_dir():
            inner = entry / assignment
            base = inner if inner.is_dir() else entry
            nbs = [p for p in sorted(base.rglob("*.ipynb")) if p.is_file() and not _ignored(p, root)]
            found.setdefault(entry.name, []).extend(nbs)
        elif entry.suffix == ".ipynb" and entry.is_file():
            student = entry.stem.split("_", 1)[0] if "_" in entry.stem else entry.stem
            found.setdefault(student, []).append(entry)
    return found


def _pick(student: str, paths: list[Path], notebook_name: str) -> tuple[Path, list[str]]:
    notes = []
    if len(paths) > 1:
        exact = [p for p in paths if p.name == f"{notebook_name}.ipynb"]
        chosen = exact[0] if len(exact) == 1 else max(paths, key=lambda p: (p.stat().st_mtime, p.name))
        why = "the one named as released" if len(exact) == 1 else "the most recently modified"
        names = ", ".join(p.name for p in paths)
        notes.append(f"{len(paths)} notebooks submitted ({names}); graded {chosen.name} ({why}). "
                     "Check it is the intended one")
    else:
        chosen = paths[0]
    if chosen.name != f"{notebook_name}.ipynb" and not chosen.name.startswith(f"{student}_"):
        notes.append(f"notebook renamed: graded {chosen.name} as {notebook_name}.ipynb")
    return chosen, notes


@dataclass
class ReadResult:
    notebook: nbformat.NotebookNode | None
    problem: str | None  # why it cannot be graded
    note: str | None  # graded, but worth saying
    digest: str  # sha256 of the file's bytes


def read_notebook(path: Path, max_mb: int = MAX_NOTEBOOK_MB) -> ReadResult:
    """Parse a submitted notebook leniently; outputs are dropped (never used for grading)."""
    size = path.stat().st_size
    if size > max_mb << 20:
        return ReadResult(None, f"{path.name} is {size / 2**20:.0f} MB (limit {max_mb} MB): clear all outputs and "
                          "resubmit", None, hashlib.sha256(f"{path}:{size}".encode()).hexdigest())
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        return ReadResult(None, f"{path.name} is empty (0 bytes): save the notebook in Jupyter and resubmit", None,
                          digest)
    try:
        raw = json.loads(data.decode("utf-8", "replace"))
    except json.JSONDecodeError as err:
        return ReadResult(None, (
            f"{path.name} is not a valid notebook: JSON error at line {err.lineno} column {err.colno} "
            f"({err.msg}); the file is probably truncated or was edited as text. Resubmit it as saved by Jupyter"
        ), None, digest)
    if not isinstance(raw, dict) or not isinstance(raw.get("cells"), list):
        return ReadResult(None, f"{path.name} is JSON but not a Jupyter notebook (no 'cells' list): submit the "
                          ".ipynb file", None, digest)
    for cell in raw["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            cell["outputs"], cell["execution_count"] = [], None
    try:
        nb = nbformat.from_dict(raw)
        if nb.get("nbformat", 4) < 4:
            nb = nbformat.convert(nb, 4)
        for cell in nb.cells:
            if isinstance(cell.get("source"), list):
                cell["source"] = "".join(cell["source"])
            cell.setdefault("metadata", {})
    except Exception as err:  # noqa: BLE001 - any malformed structure is the student's file, not our crash
        return ReadResult(None, f"{path.name} has a malformed notebook structure ({err}); resubmit it as saved by "
                          "Jupyter", None, digest)
    note = f"{path.name} is {size / 2**20:.0f} MB because of stored outputs; outputs were ignored" if (
        size > 20 << 20) else None
    return ReadResult(nb, None, note, digest)


def collect(source: Path, assignment: str, notebook_name: str, unpack_dir: Path) -> list[Submission]:
    """All students' submissions in ``source`` (folder or ``.zip``), one :class:`Submission` each."""
    if not source.exists():
        raise IntakeError(f"{source} does not exist: pass the folder or zip of submissions")
    root = extract_zip(source, unpack_dir) if source.is_file() else source
    if source.is_file() and source.suffix.lower() != ".zip" and not zipfile.is_zipfile(source):
        raise IntakeError(f"{source} is neither a folder nor a zip archive")
    entries = [e for e in root.iterdir() if e.name not in IGNORED_PARTS and not e.name.startswith(".")]
    if len(entries) == 1 and entries[0].is_dir() and not (entries[0] / assignment).is_dir():
        inner = [e for e in entries[0].iterdir() if not e.name.startswith(".")]
        if inner and all(e.is_dir() or e.suffix == ".ipynb" for e in inner) and not any(
            e.suffix == ".ipynb" for e in entries[0].iterdir() if e.is_file() and e.stem == notebook_name
        ):
            root = entries[0]  # a zip that wraps everything in one folder
    found = _candidates(root, assignment)
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
        sub = Submission(student, None, notes=[note] if note else [])
        subs[student] = sub
        if not paths:
            sub.problems.append(
                f"no notebook found in {raw}/: expected {raw}/{assignment}/{notebook_name}.ipynb; the student "
                "submitted nothing gradable"
            )
            sub.digest = hashlib.sha256(f"missing:{raw}".encode("utf-8", "surrogateescape")).hexdigest()
            continue
        sub.path, notes = _pick(raw, paths, notebook_name)
        sub.notes += notes
        read = read_notebook(sub.path)
        sub.notebook, sub.digest = read.notebook, read.digest
        sub.notes += [read.note] if read.note else []
        sub.problems += [read.problem] if read.problem else []
    return list(subs.values())
