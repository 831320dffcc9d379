"""Similarity between students' own code, for the instructor to look at; it never changes a grade.

Each student's code is the code the grader ran from their notebook (solution cells, and cells they added,
as recorded in the journal, at most ``CODE_KEPT`` characters), with every line that the released notebook
already had in that cell (the starter code: signatures, docstrings, ``# YOUR CODE HERE``) removed first.
Pairs are scored by `copydetect <https://pypi.org/project/copydetect/>`_ (winnowing over Pygments tokens
with names, strings and comments normalised away, so renamed variables, added comments and blank lines do
not hide a copy). Its fingerprints are every ``k``-gram of the normalised code (a window of 1:
the Python hash of a string changes from process to process, and a wider window would make the chosen
fingerprints, and so the scores, change with it). A pair's similarity is the larger of the two shares
of each notebook's code found in the other, so that copying one function out of several still counts.
``tests/similarity_eval.py`` measures this against Dolos on planted near-copies and honest solutions.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import combinations

import nbformat

from autograder.running.nbmeta import cell_source, grade_id, is_solution
from autograder.running.plan import build_plan

K = 25  # characters of normalised code per fingerprint (copydetect's default noise threshold)
THRESHOLD = 0.55  # a pair at or above this similarity is listed (measured: README, "Class report")


@dataclass(frozen=True)
class StudentCode:
    """One student's own code: their solution cells, the released starter lines removed."""

    student: str
    text: str


@dataclass(frozen=True)
class Span:
    """A matching fragment: ``text[start:end]`` of a student's code."""

    start: int
    end: int


@dataclass(frozen=True)
class SimilarPair:
    """Two students whose code overlaps by ``similarity`` (0 to 1); ``spans_*`` are the shared fragments."""

    a: StudentCode
    b: StudentCode
    similarity: float
    share_a: float  # the part of a's code found in b's
    share_b: float
    spans_a: tuple[Span, ...]
    spans_b: tuple[Span, ...]


def _starter_lines(release: nbformat.NotebookNode) -> dict[str, set[str]]:
    """Per solution cell of the released notebook, its non-blank lines, stripped."""
    return {grade_id(c): {line.strip() for line in cell_source(c).splitlines() if line.strip()}
            for c in release.cells if grade_id(c) and is_solution(c)}


def notebook_code(source: nbformat.NotebookNode, notebook: object) -> dict[str, str]:
    """The cells of ``notebook`` that the grader would run as the student's own (its :class:`Plan`'s
    ``student_cells``): for notebooks that were not graded by the engine (the similarity evaluation)."""
    return build_plan(source, notebook, set()).student_cells


def own_code(student: str, cells: dict[str, str], release: nbformat.NotebookNode) -> StudentCode:
    """The code the grader ran from the student's notebook (``StudentResult.code``: solution cells and any
    cells they added, in notebook order), each line of the released starter code removed, each cell headed
    by a comment with its name (comments do not count for similarity). Total: odd input gives less code."""
    starter = _starter_lines(release)
    every_starter_line = set().union(*starter.values()) if starter else set()
    parts = []
    for name, source in cells.items() if isinstance(cells, dict) else ():
        if not isinstance(source, str):
            continue
        ignored = starter.get(name, every_starter_line)
        lines: list[str] = []
        for line in source.splitlines():
            if line.strip() in ignored or (not line.strip() and (not lines or not lines[-1].strip())):
                continue  # a starter line, or a blank line at the start or after another blank
            lines.append(line)
        while lines and not lines[-1].strip():
            lines.pop()
        if lines:
            parts.append(f"# {name}\n" + "\n".join(lines) + "\n")
    return StudentCode(student, "\n".join(parts))


def _fingerprint(code: StudentCode, k: int):
    from copydetect import CodeFingerprint  # imports matplotlib.pyplot: only when similarity is asked for

    return CodeFingerprint(f"{code.student}.py", k, 1, fp=io.StringIO(code.text), language="python")


def _spans(slices) -> tuple[Span, ...]:
    if len(slices) == 0 or len(slices[0]) == 0:
        return ()
    return tuple(Span(int(s), int(e)) for s, e in zip(slices[0], slices[1], strict=True))


def compare_all(codes: Sequence[StudentCode], k: int = K) -> list[SimilarPair]:
    """Every pair of students with any overlap, most similar first. Identical texts are fingerprinted and
    compared once (a class often has many copies of one text, e.g. the code everyone wrote the same way)."""
    from copydetect import compare_files

    same: dict[str, list[StudentCode]] = {}
    for code in codes:
        if code.text.strip():
            same.setdefault(code.text, []).append(code)
    prints = [(group, _fingerprint(group[0], k)) for group in same.values()]
    pairs = []
    for group, fp in prints:
        if len(group) > 1:
            _, _, (slices, _) = compare_files(fp, fp)
            pairs += [SimilarPair(a, b, 1.0, 1.0, 1.0, _spans(slices), _spans(slices))
                      for a, b in combinations(group, 2)]
    for (group_a, fa), (group_b, fb) in combinations(prints, 2):
        if not fa.hashes & fb.hashes:
            continue
        _, (share_a, share_b), (slices_a, slices_b) = compare_files(fa, fb)
        spans_a, spans_b = _spans(slices_a), _spans(slices_b)
        pairs += [SimilarPair(a, b, float(max(share_a, share_b)), float(share_a), float(share_b), spans_a, spans_b)
                  for a in group_a for b in group_b]
    return sorted(pairs, key=lambda p: (-p.similarity, p.a.student, p.b.student))


def above(pairs: Iterable[SimilarPair], threshold: float = THRESHOLD) -> list[SimilarPair]:
    """The pairs at or above ``threshold``."""
    return [p for p in pairs if p.similarity >= threshold]


def groups(pairs: Iterable[SimilarPair]) -> list[list[str]]:
    """The students linked by ``pairs``, as groups (connected components), largest first."""
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for p in pairs:
        parent[root(p.a.student)] = root(p.b.student)
    found: dict[str, list[str]] = {}
    for student in sorted(parent):
        found.setdefault(root(student), []).append(student)
    return sorted(found.values(), key=lambda g: (-len(g), g))
