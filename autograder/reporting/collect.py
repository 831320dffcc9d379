"""What a grading run left, read back into typed data, and the class's numbers computed from it.

:func:`load_results` reads the students of the last run (the rows of the grades CSV the command writes at
the end of every run) and each one's :class:`~autograder.running.engine.StudentResult` from the journal,
keeping only entries made with the current checks. Every parse is total: a journal line or CSV row that
cannot be read is counted and skipped, never an error, so one student's broken data never stops the report.
:func:`summarise` turns the results into a :class:`ClassSummary`: score distribution, pass rate per part,
named mistakes, flagged and ungraded submissions, grading times and the limits each one hit.
"""

from __future__ import annotations

import csv
import json
import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from autograder.running.engine import StudentResult
from autograder.running.inside.protocol import Stop

# The grader's record of each run it ended at a limit (StudentResult.limits, Stop values) -> the report's kinds.
LIMIT_KINDS: dict[str, str] = {
    Stop.STEP_TIMEOUT.value: "step_time",
    Stop.WALL_TIMEOUT.value: "wall_time",
    Stop.OUTPUT_LIMIT.value: "output",
    Stop.EXITED.value: "process",
}


@dataclass(frozen=True)
class PartRate:
    """One auto-graded part: how many graded students passed it."""

    cell_id: str
    points: float
    passed: int
    graded: int

    @property
    def rate(self) -> float:
        return self.passed / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class MistakeCount:
    """One named mistake of the variants catalogue and the graded students who made it."""

    variant: str
    description: str  # the catalogue's text: completes "your output equals ..."
    students: tuple[str, ...]
    parts: tuple[str, ...]  # the parts whose failure named it
    graded: int

    @property
    def share(self) -> float:
        return len(self.students) / self.graded if self.graded else 0.0


@dataclass(frozen=True)
class Listed:
    """A student and the reasons they are listed (flagged for review, or not graded)."""

    student: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Timed:
    """A student's grading time and the limits their submission hit."""

    student: str
    seconds: float
    limits: tuple[str, ...]


@dataclass(frozen=True)
class ClassSummary:
    """Everything the report shows, computed from the results of one run."""

    assignment: str
    max_score: float
    manual_cells: tuple[str, ...]
    students: tuple[str, ...]
    scores: dict[str, float]  # graded students only
    parts: tuple[PartRate, ...]
    mistakes: tuple[MistakeCount, ...]  # most frequent first
    flagged: tuple[Listed, ...]
    ungraded: tuple[Listed, ...]
    timings: tuple[Timed, ...]  # slowest first
    unreadable: int  # journal lines or CSV rows that could not be read

    @property
    def graded(self) -> tuple[str, ...]:
        return tuple(self.scores)

    @property
    def median(self) -> float:
        return statistics.median(self.scores.values()) if self.scores else 0.0

    @property
    def mean(self) -> float:
        return statistics.fmean(self.scores.values()) if self.scores else 0.0

    @property
    def full_marks(self) -> int:
        return sum(1 for s in self.scores.values() if abs(s - self.max_score) < 1e-9)

    def limits_hit(self) -> dict[str, tuple[str, ...]]:
        """Per kind of limit, the students who hit it."""
        out: dict[str, list[str]] = {}
        for t in self.timings:
            for kind in t.limits:
                out.setdefault(kind, []).append(t.student)
        return {kind: tuple(sorted(students)) for kind, students in sorted(out.items())}


# ------------------------------------------------------------------------------------------ reading


@dataclass(frozen=True)
class RosterRow:
    """A row of the grades CSV: the student, whether they were graded, and the review column."""

    student: str
    graded: bool
    review: str


def read_roster(csv_path: Path) -> tuple[list[RosterRow], int]:
    """The students of the last run, from the grades CSV; and how many rows could not be read."""
    rows, bad = [], 0
    try:
        with csv_path.open(encoding="utf-8", errors="replace", newline="") as f:
            for row in csv.DictReader(f):
                student = row.get("student")
                if isinstance(student, str) and student:
                    rows.append(RosterRow(student, row.get("status") != "not graded", str(row.get("review") or "")))
                else:
                    bad += 1
    except (OSError, csv.Error, UnicodeError):
        return [], bad + 1
    return rows, bad


def _checked(result: StudentResult) -> StudentResult:
    """``result`` when every field the report reads has its type; else ``TypeError``."""
    def texts(value: object) -> bool:
        return isinstance(value, list) and all(isinstance(t, str) for t in value)

    numbers = (result.score, result.max_score, result.seconds)
    if not (isinstance(result.student, str) and result.student and texts(result.flags) and texts(result.problems)
            and texts(result.notes) and texts(result.limits) and isinstance(result.cell_errors, dict)
            and isinstance(result.code, dict) and all(isinstance(v, str) for v in result.code.values())
            and all(isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n) for n in numbers)
            and all(isinstance(o.cell_id, str) and isinstance(o.points, int | float) and math.isfinite(o.points)
                    and isinstance(o.message, str | None) and isinstance(o.variant, str | None)
                    for o in result.outcomes)):
        raise TypeError(f"a journal entry of unexpected shape ({str(result.student)[:40]!r})")
    return result


def read_journal(journal_path: Path, fingerprint: str) -> tuple[dict[str, StudentResult], int]:
    """Each student's last journal entry made with the checks of ``fingerprint``; and how many lines could
    not be read (entries of other checks are not errors: they are an earlier version's)."""
    entries: dict[str, StudentResult] = {}
    bad = 0
    try:
        lines = journal_path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return {}, 0
    for line in lines:
        try:
            entry = json.loads(line)
            if not str(entry["key"]).startswith(f"{fingerprint}:"):
                continue
            result = _checked(StudentResult.from_json(entry["result"]))
            entries[result.student] = result
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError):
            bad += 1
    return entries, bad


def load_results(journal_path: Path, csv_path: Path | None, fingerprint: str, max_score: float
                 ) -> tuple[list[StudentResult], int]:
    """The results of the last run's students, in the CSV's order (every journal entry of the current
    checks when there is no CSV), and the number of unreadable lines and rows. A student of the CSV without
    a journal entry was not stored (the grader failed on it): a result carrying the CSV's review text."""
    entries, bad = read_journal(journal_path, fingerprint)
    if csv_path is None or not csv_path.exists():
        return sorted(entries.values(), key=lambda r: r.student), bad
    roster, bad_rows = read_roster(csv_path)
    last = {row.student: row for row in roster}  # a student listed twice counts once, as the last row says
    results = []
    for row in last.values():
        result = entries.get(row.student)
        if result is None or not row.graded:  # not graded in this run: never an older entry's score
            result = StudentResult(row.student, "", 0.0, max_score, problems=[row.review or "not stored"])
        results.append(result)
    return results, bad + bad_rows + len(roster) - len(last)


# ------------------------------------------------------------------------------------------ the numbers


def limits_of(result: StudentResult) -> tuple[str, ...]:
    """The kinds of limit (values of :data:`LIMIT_KINDS`) that the grader recorded for ``result``."""
    return tuple(dict.fromkeys(LIMIT_KINDS[stop] for stop in result.limits if stop in LIMIT_KINDS))


def summarise(assignment: str, parts: dict[str, float], manual_cells: Iterable[str],
              results: list[StudentResult], descriptions: dict[str, str], unreadable: int = 0) -> ClassSummary:
    """The class's numbers. ``parts`` are the auto-graded cells and their points, ``descriptions`` the
    variants catalogue's text per variant name."""
    graded = [r for r in results if not r.problems]
    passed = {cell: 0 for cell in parts}
    made: dict[str, dict[str, set[str]]] = {}  # variant -> student -> parts
    for r in graded:
        for o in r.outcomes:
            if o.message is None and o.cell_id in passed:
                passed[o.cell_id] += 1
            if o.message is not None and o.variant:
                made.setdefault(o.variant, {}).setdefault(r.student, set()).add(o.cell_id)
    mistakes = sorted(
        (MistakeCount(v, descriptions.get(v, ""), tuple(sorted(who)), tuple(sorted(set().union(*who.values()))),
                      len(graded)) for v, who in made.items()),
        key=lambda m: (-len(m.students), m.variant))
    return ClassSummary(
        assignment=assignment,
        max_score=float(sum(parts.values())),
        manual_cells=tuple(manual_cells),
        students=tuple(r.student for r in results),
        scores={r.student: float(r.score) for r in graded},
        parts=tuple(PartRate(cell, points, passed[cell], len(graded)) for cell, points in parts.items()),
        mistakes=tuple(mistakes),
        flagged=tuple(Listed(r.student, tuple(r.flags)) for r in results if r.flags),
        ungraded=tuple(Listed(r.student, tuple(r.problems)) for r in results if r.problems),
        timings=tuple(sorted((Timed(r.student, float(r.seconds), limits_of(r)) for r in results),
                             key=lambda t: (-t.seconds, t.student))),
        unreadable=unreadable,
    )
