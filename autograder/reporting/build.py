"""``autograder report ASSIGNMENT``: the class report of the last grading run, beside its grades CSV.

Writes ``report.html`` (the page), ``report.json`` (the same numbers, machine-readable) and ``canvas.csv``
(grades for Canvas' gradebook import) into the folder of the grades CSV,
``nbgrader_work/autograder/<assignment>/`` by default. Reads only what the run left: the grades CSV, the
journal, the autograded notebooks (for each student's own code) and nbgrader's gradebook. Changes no grade.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from autograder.correctness.variants import VARIANTS
from autograder.messages import text_in
from autograder.reporting import charts
from autograder.reporting.canvas import gradebook_totals, write_canvas_csv
from autograder.reporting.collect import ClassSummary, load_results, summarise
from autograder.reporting.page import Charts, Links, render
from autograder.reporting.sections import section_url, site_base
from autograder.reporting.similarity import (
    THRESHOLD,
    SimilarPair,
    StudentCode,
    above,
    compare_all,
    groups,
    own_code,
)
from autograder.reporting.strings import Strings, strings
from autograder.running.engine import AssignmentSpec, StudentResult, load_assignment
from autograder.running.gradebook import Course

HTML_NAME, JSON_NAME, CANVAS_NAME = "report.html", "report.json", "canvas.csv"
TIMING_SHOWN = 20  # slowest submissions in the timing chart and table (all are in the JSON)


@dataclass(frozen=True)
class ReportOptions:
    threshold: float = THRESHOLD
    lang: str = "en"
    book_url: str | None = None  # the published site; default: the course's _build/html, relative to the report
    canvas_assignment_id: str | None = None
    similarity: bool = True


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    json: Path
    canvas: Path
    seconds: float


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def student_codes(spec: AssignmentSpec, results: list[StudentResult]) -> list[StudentCode]:
    """Each graded student's own code, as the grader recorded it."""
    return [own_code(r.student, r.code, spec.release) for r in results if not r.problems]


def _charts(summary: ClassSummary, s: Strings) -> Charts:
    mistakes = summary.mistakes
    timings = summary.timings[:TIMING_SHOWN]
    return Charts(
        scores=charts.histogram(list(summary.scores.values()), summary.max_score,
                                s("score_axis", max=summary.max_score), s("students_axis"))
        if summary.scores else None,
        parts=charts.bars([p.cell_id for p in summary.parts], [100 * p.rate for p in summary.parts],
                          s("pass_axis"), limit=100) if summary.parts and summary.scores else None,
        mistakes=charts.bars([s.mistake(m.variant, m.variant) for m in mistakes], [len(m.students) for m in mistakes],
                             s("students_axis"), counts=True) if mistakes else None,
        timing=charts.bars([t.student for t in timings], [t.seconds for t in timings], s("seconds_axis"),
                           marked=[bool(t.limits) for t in timings]) if timings else None,
    )


def report_json(summary: ClassSummary, pairs: list[SimilarPair] | None, threshold: float, links: dict[str, str],
                s: Strings, canvas: dict[str, float]) -> dict:
    """The numbers of the page as plain data."""
    return {
        "assignment": summary.assignment,
        "max_score": summary.max_score,
        "students": list(summary.students),
        "graded": len(summary.graded),
        "scores": summary.scores,
        "median": summary.median,
        "mean": summary.mean,
        "full_marks": summary.full_marks,
        "parts": [asdict(p) | {"rate": p.rate} for p in summary.parts],
        "mistakes": [asdict(m) | {"share": m.share, "label": s.mistake(m.variant, m.description),
                                  "section": links.get(m.variant)} for m in summary.mistakes],
        "flagged": [asdict(x) for x in summary.flagged],
        "ungraded": [asdict(x) for x in summary.ungraded],
        "timings": [asdict(t) for t in summary.timings],
        "limits_hit": summary.limits_hit(),
        "unreadable": summary.unreadable,
        "similarity": None if pairs is None else {
            "library": "copydetect", "threshold": threshold, "groups": groups(pairs),
            "pairs": [{"a": p.a.student, "b": p.b.student, "similarity": p.similarity, "share_a": p.share_a,
                       "share_b": p.share_b} for p in pairs]},
        "canvas_totals": canvas,
    }


def build_report(course_root: Path, assignment: str, csv_path: Path | None = None,
                 options: ReportOptions | None = None) -> ReportFiles:
    """Build the report of ``assignment``'s last run; ``csv_path`` is the run's grades CSV (default:
    ``<work>/autograder/<assignment>/grades.csv``), beside which the report is written."""
    t0 = time.perf_counter()
    options = options or ReportOptions()
    s = strings(options.lang)
    course = Course.load(course_root)
    spec = load_assignment(course, assignment)
    state_dir = course.work_dir / "autograder" / assignment
    csv_path = csv_path or state_dir / "grades.csv"
    out = csv_path.parent
    out.mkdir(parents=True, exist_ok=True)
    results, unreadable = load_results(state_dir / "journal.jsonl", csv_path, spec.fingerprint(), spec.max_score)
    summary = summarise(assignment, {cid: c.points for cid, c in spec.checks.items()}, spec.manual_cells, results,
                        {v.name: text_in(options.lang, f"variant.{v.name}") for v in VARIANTS}, unreadable)
    pairs = (above(compare_all(student_codes(spec, results)), options.threshold)
             if options.similarity else None)
    base = options.book_url or site_base(course_root.resolve(), out.resolve())
    sections = {m.variant: url for m in summary.mistakes if (url := section_url(m.variant, base))}
    totals, max_total = gradebook_totals(course, assignment, summary.students)
    canvas = write_canvas_csv(out / CANVAS_NAME, assignment, totals, summary.students, max_total,
                              options.canvas_assignment_id)
    generated = s("generated", students=len(summary.students), graded=len(summary.graded),
                  when=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    page = render(summary, pairs, options.threshold, _charts(summary, s),
                  Links(sections, JSON_NAME, CANVAS_NAME, csv_path.name), s, generated, TIMING_SHOWN)
    _write(out / HTML_NAME, page)
    numbers = report_json(summary, pairs, options.threshold, sections, s, totals)
    _write(out / JSON_NAME, json.dumps(numbers, indent=1, allow_nan=False))  # strict JSON: no NaN
    return ReportFiles(out / HTML_NAME, out / JSON_NAME, canvas, time.perf_counter() - t0)
