"""Leak check: no solution, hidden test or hidden data from the instructor's side reaches students.

Secrets are the lines of every ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` and ``### BEGIN HIDDEN TESTS`` ...
``### END HIDDEN TESTS`` block (and mark schemes, and whole solution cells without delimiters, which nbgrader
blanks entirely) in ``solutions/``. Once an assignment's solutions are released (``course_released_solutions``
in ``_config.yml``), its solution lines stop being secret; its hidden tests and mark schemes never do.
A line that is short, or that also appears outside those blocks (it is in the released notebook anyway:
signatures, imports, ``return h_t``), cannot leak anything and is ignored.

Every other secret line is searched for, whitespace-normalised, in the text of what students get: the built
site (HTML with the tags stripped, so highlighted code counts; notebooks; search index; sources), the student
edition's files, every blob ever committed to its git history, and the members of every wheel or archive.
Files of ``autograder/data/`` (hidden-test reference data) must not appear there byte for byte either.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import subprocess
import tarfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

MIN_CHARS = 24  # shorter lines ("return h_n, c_n", "import numpy as np") say nothing about a solution
ARCHIVE_SUFFIXES = (".whl", ".zip", ".tar.gz", ".tgz", ".tar")
# Secret lines the course team has decided students may see (each with the reason): an equation a chapter
# teaches, or library code the student edition ships, in the same words as a solution. Every other overlap is
# reported for a person to decide.
TAUGHT_IN_THE_BOOK: dict[str, str] = {
    "output = np.stack(outputs)": "seqmodels.rnn_layer/lstm_layer/gru_layer (chapters 2, 5, 6 use them)",
    "output = output.transpose(1, 0, 2)": "seqmodels' layers: batch_first is a transpose (chapter 7 teaches it)",
    "x = x.transpose(1, 0, 2)": "batch_first is a transpose (chapter 7); every layer's solution starts with it",
    "output = output.transpose(0, 1)": "seqmodels.batching, the torch form of the same transpose (chapter 7)",
    "return negate_z(W_ih), negate_z(W_hh), negate_z(b_ih), negate_z(b_hh)":
        "seqmodels.conventions.flip_update_gate; chapter 6 proves the relabelling and its exercise gives this recipe",
}
SOLUTION = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")
MARK_SCHEME = ("=== BEGIN MARK SCHEME ===", "=== END MARK SCHEME ===")
BLOCKS = [SOLUTION, HIDDEN, MARK_SCHEME]


@dataclass(frozen=True)
class Published:
    """One thing students can read: its name (a path, ``archive!member`` or ``git:<commit>:<path>``) and bytes."""

    name: str
    data: bytes


@dataclass(frozen=True)
class Leak:
    secret: str  # the normalised secret line
    origin: Path  # the solutions/ notebook it comes from
    found_in: str  # the published file that contains it


def normalise(line: str) -> str:
    return " ".join(line.split())


def split_cell(source: str, whole_cell_secret: bool, released: bool = False) -> tuple[list[str], list[str]]:
    """(secret lines, public lines) of one cell's source; a released assignment keeps only tests and schemes secret."""
    if whole_cell_secret and not any(begin in source for begin, _ in BLOCKS):
        return ([], source.splitlines()) if released else (source.splitlines(), [])
    secret, public, block = [], [], None
    for line in source.splitlines():
        marker = line.strip()
        if block is None and any(marker == begin for begin, _ in BLOCKS):
            block = next(pair for pair in BLOCKS if marker == pair[0])
        elif block is not None and marker == block[1]:
            block = None
        elif block is None or (released and block == SOLUTION):
            public.append(line)
        else:
            secret.append(line)
    return secret, public


def secret_lines(solutions: Path, released: Iterable[str] = ()) -> dict[str, Path]:
    """Distinctive secret lines of every notebook under solutions/, each with the notebook it comes from.

    ``released``: assignment ids (folders of solutions/) whose solutions have been given out.
    """
    released = set(released)
    secrets: dict[str, Path] = {}
    public: set[str] = set()
    for notebook in sorted(solutions.rglob("*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        is_released = notebook.relative_to(solutions).parts[0] in released
        for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            source = "".join(cell.get("source", ""))
            secret, rest = split_cell(source, whole_cell_secret=bool(meta.get("solution")), released=is_released)
            public.update(normalise(line) for line in rest)
            for line in map(normalise, secret):
                secrets.setdefault(line, notebook)
    ignored = public | set(TAUGHT_IN_THE_BOOK)
    return {line: nb for line, nb in secrets.items() if len(line) >= MIN_CHARS and line not in ignored}


def strings_in(value) -> list[str]:
    """Every string inside a JSON value (a notebook's sources, outputs and metadata)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    return []


def readable_text(name: str, data: bytes) -> str:
    """A published file's text as a reader or a search engine sees it, whitespace-normalised line by line."""
    raw = data.decode("utf-8", errors="replace")
    if name.endswith(".ipynb"):
        try:
            raw = "\n".join(strings_in(json.loads(raw)))
        except json.JSONDecodeError:
            pass
    if name.endswith(".html"):
        raw = raw + "\n" + html.unescape(re.sub(r"<[^>]+>", "", raw))
    return "\n".join(normalise(line) for line in raw.splitlines())


def published_files(*folders: Path, skip: tuple[str, ...] = (".git",)) -> list[Path]:
    """Every file under the folders, except inside folders named in ``skip`` (git's store is read as history)."""
    return sorted(
        p for folder in folders if folder.is_dir() for p in folder.rglob("*")
        if p.is_file() and not skip_part(p.relative_to(folder), skip)
    )


def skip_part(relative: Path, skip: tuple[str, ...]) -> bool:
    return any(part in skip for part in relative.parts)


def from_files(paths: Iterable[Path]) -> Iterator[Published]:
    """Each file, and each member of each wheel or archive among them."""
    for path in paths:
        data = path.read_bytes()
        yield Published(str(path), data)
        if path.name.endswith(ARCHIVE_SUFFIXES):
            yield from archive_members(str(path), data)


def archive_members(name: str, data: bytes) -> Iterator[Published]:
    """The files inside a zip (wheels included) or tar archive; an unreadable archive is itself reported."""
    try:
        if zipfile.is_zipfile(io.BytesIO(data)):
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.infolist():
                    if not member.is_dir():
                        yield Published(f"{name}!{member.filename}", archive.read(member))
            return
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            for member in archive.getmembers():
                extracted = archive.extractfile(member) if member.isfile() else None
                if extracted is not None:
                    yield Published(f"{name}!{member.name}", extracted.read())
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as error:
        raise ValueError(f"{name}: cannot open this archive to check it for leaks ({error}); remove it") from error


def git_history(repository: Path) -> Iterator[Published]:
    """Every blob reachable from any ref or the index of the git repository at ``repository``, once each.

    A file committed once and deleted later is still in the history students can clone.
    """
    if not (repository / ".git").exists():
        return
    listing = subprocess.run(["git", "-C", str(repository), "rev-list", "--all", "--objects"],
                             capture_output=True, text=True, check=True).stdout
    index = subprocess.run(["git", "-C", str(repository), "ls-files", "--stage"],
                           capture_output=True, text=True, check=True).stdout
    paths = {}
    for line in listing.splitlines():
        sha, _, path = line.partition(" ")
        if path:
            paths.setdefault(sha, path)
    for line in index.splitlines():
        meta, _, path = line.partition("\t")
        paths.setdefault(meta.split()[1], path)
    batch = subprocess.run(["git", "-C", str(repository), "cat-file", "--batch"],
                           input="".join(f"{sha}\n" for sha in paths).encode(), capture_output=True, check=True).stdout
    at = 0
    for sha, path in paths.items():
        header_end = batch.index(b"\n", at)
        _, kind, size = batch[at:header_end].decode().split()
        data = batch[header_end + 1 : header_end + 1 + int(size)]
        at = header_end + 1 + int(size) + 1
        if kind == "blob":
            yield Published(f"git:{sha[:10]}:{path}", data)
            if path.endswith(ARCHIVE_SUFFIXES):
                yield from archive_members(f"git:{sha[:10]}:{path}", data)


def find_leaks(secrets: dict[str, Path], published: Iterable[Published]) -> list[Leak]:
    """Every (secret line, published file) pair where the file's text contains the line."""
    leaks = []
    for item in published:  # every file, whatever its name says: a solution hidden in an .svg or .png counts
        text = readable_text(item.name, item.data)
        leaks += [Leak(line, origin, item.name) for line, origin in secrets.items() if line in text]
    return leaks


def find_copied_files(secret_folder: Path, published: Iterable[Published]) -> list[tuple[Path, str]]:
    """(secret file, published name) for every published file byte-identical to a file in secret_folder."""
    digest = lambda data: hashlib.sha256(data).hexdigest()  # noqa: E731
    secret = {digest(p.read_bytes()): p for p in published_files(secret_folder) if p.stat().st_size > 0}
    return [(secret[d], item.name) for item in published if (d := digest(item.data)) in secret]


@dataclass(frozen=True)
class LeakReport:
    """What a leak check looked at and what it found."""

    secrets: int
    checked: int
    leaks: list[Leak]
    copies: list[tuple[Path, str]]

    @property
    def clean(self) -> bool:
        return not self.leaks and not self.copies

    def describe(self) -> str:
        lines = [f"{x.found_in}: {x.secret!r} (from {x.origin.name})" for x in self.leaks]
        lines += [f"{name}: a copy of {secret}" for secret, name in self.copies]
        return "\n".join(lines)


def check(
    solutions: Path, hidden_data: Path, published: Iterable[Published], released: Iterable[str] = ()
) -> LeakReport:
    """Run the whole leak check over ``published``."""
    items = list(published)
    secrets = secret_lines(solutions, released)
    return LeakReport(len(secrets), len(items), find_leaks(secrets, items), find_copied_files(hidden_data, items))
