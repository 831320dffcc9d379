"""``autograder ASSIGNMENT SUBMISSIONS``: grade a folder or zip of submissions into nbgrader's gradebook.

Writes scores through nbgrader's API, the autograded notebooks nbgrader's other commands read, one HTML
feedback page per student, a grades CSV, and prints a summary. Re-running is idempotent; a killed run
resumes without regrading finished submissions (``--regrade`` forces it).

``autograder report ASSIGNMENT`` then writes the class report of the last run beside its grades CSV
(:mod:`autograder.reporting.build`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from autograder.running.sandbox import Limits, SandboxUnavailable


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="autograder", description=__doc__.split("\n\n")[0])
    p.add_argument("assignment", help="assignment id, e.g. ps3_lstm")
    p.add_argument("submissions", type=Path, help="folder or .zip: <student>/<assignment>/<nb>.ipynb or "
                   "<student>_<anything>.ipynb")
    p.add_argument("--course", type=Path, default=Path.cwd(), help="course root holding nbgrader_config.py "
                   "(default: the current folder)")
    p.add_argument("--workers", type=int, default=os.cpu_count(), help="parallel sandboxes (default: all cores)")
    p.add_argument("--timeout", type=float, default=Limits.timeout, help="wall seconds per submission")
    p.add_argument("--step-timeout", type=float, default=None,
                   help="CPU and wall-clock seconds per cell or graded part (default: nbgrader's Execute.timeout from "
                   f"nbgrader_config.py, else {Limits.step_timeout:g})")
    p.add_argument("--memory", type=int, default=Limits.memory_mb,
                   help="MB of address space per process of a submission, on top of numpy/torch")
    p.add_argument("--regrade", action="store_true", help="grade again even what the journal says is done")
    p.add_argument("--csv", type=Path, help="grades CSV (default: <work>/autograder/<assignment>/grades.csv)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_lang(p, "feedback (messages, named mistakes, feedback pages)")
    return p


def _add_lang(p: argparse.ArgumentParser, what: str) -> None:
    from autograder.messages import LANGUAGES

    p.add_argument("--lang", choices=LANGUAGES, default=None,
                   help=f"language of the {what}; it never changes a score (default: the course's "
                   "sphinx.config.course_feedback_language in _config.yml, else en)")


def build_report_parser() -> argparse.ArgumentParser:
    from autograder.reporting.similarity import THRESHOLD

    p = argparse.ArgumentParser(prog="autograder report", description="The class report of the last grading run: "
                                "report.html, report.json and canvas.csv beside the grades CSV. Changes no grade.")
    p.add_argument("assignment", help="assignment id, e.g. ps3_lstm")
    p.add_argument("--course", type=Path, default=Path.cwd(), help="course root holding nbgrader_config.py "
                   "(default: the current folder)")
    p.add_argument("--csv", type=Path, help="the run's grades CSV (default: <work>/autograder/<assignment>/grades.csv)")
    p.add_argument("--threshold", type=float, default=THRESHOLD,
                   help=f"list pairs of students whose code is at least this similar (0 to 1, default {THRESHOLD:g})")
    p.add_argument("--no-similarity", action="store_true", help="skip the similarity check")
    p.add_argument("--book-url", help="the published course site, for the links to the book (default: the "
                   "course's _build/html)")
    p.add_argument("--canvas-assignment-id", help="Canvas' id of the assignment, so that the import updates it "
                   "instead of creating a new one")
    _add_lang(p, "report")
    return p


def report_main(argv: list[str]) -> int:
    args = build_report_parser().parse_args(argv)
    _skip_unused_slow_imports()
    from autograder.messages import default_language
    from autograder.reporting.build import ReportOptions, build_report
    from autograder.reporting.strings import strings

    lang = args.lang or default_language()
    try:
        s = strings(lang)
        options = ReportOptions(args.threshold, lang, args.book_url, args.canvas_assignment_id,
                                not args.no_similarity)
        files = build_report(args.course, args.assignment, args.csv, options)
    except (ValueError, KeyError, FileNotFoundError) as err:
        print(f"autograder report: {err}", file=sys.stderr)
        return 2
    print(s("cli_written", html=files.html, json=files.json, canvas=files.canvas, seconds=files.seconds))
    return 0


def _skip_unused_slow_imports() -> None:
    """jsonschema, under nbformat, compiles 38 grammars of the optional ``rfc3987_syntax`` at import (about 2 s
    of every start here, measured with `time python -c "import nbformat"`) for a string format that no
    notebook schema uses; marking it absent makes jsonschema skip it."""
    sys.modules.setdefault("rfc3987_syntax", None)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["report"]:
        return report_main(argv[1:])
    args = build_parser().parse_args(argv)
    _skip_unused_slow_imports()
    from autograder.messages import default_language
    from autograder.reporting.strings import strings
    from autograder.running.engine import Engine, describe_isolation, load_assignment
    from autograder.running.feedback import summary_table, write_csv, write_feedback
    from autograder.running.gradebook import Course
    from autograder.running.intake import IntakeError

    course = Course.load(args.course)
    try:
        spec = load_assignment(course, args.assignment)
    except (ValueError, KeyError, FileNotFoundError) as err:
        print(f"autograder: {err}", file=sys.stderr)
        return 2
    step = args.step_timeout or course.config.get("Execute", {}).get("timeout") or Limits.step_timeout
    limits = Limits(timeout=args.timeout, step_timeout=min(float(step), args.timeout), memory_mb=args.memory)
    lang = args.lang or default_language()
    engine = Engine(course, spec, limits, workers=args.workers, progress=not args.quiet, lang=lang)
    try:
        summary = engine.run(args.submissions, regrade=args.regrade)
    except (IntakeError, SandboxUnavailable) as err:
        print(f"autograder: {err}", file=sys.stderr)
        return 2
    feedback_root = engine.state_dir / "feedback"  # not nbgrader's feedback folder: generate_feedback skips those
    write_feedback(spec, summary.results, feedback_root, lang)
    csv_path = write_csv(spec, summary.results, args.csv or engine.state_dir / "grades.csv")
    print(summary_table(spec, summary.results))
    print(f"\n{describe_isolation(engine.isolation)}")
    print(f"\n{len(summary.results)} students: {summary.graded} graded now, {summary.resumed} already done "
          f"(journal), {summary.seconds:.1f} s. Grades: {csv_path}. Feedback: "
          f"{feedback_root}/<student>.html")
    print("\n" + strings(lang)("cli_pointer", assignment=spec.name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
