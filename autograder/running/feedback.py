"""What the autograder hands back: one HTML page per student, a grades CSV, and a summary table."""

from __future__ import annotations

import csv
import html
import os
from pathlib import Path

from autograder.messages import language, t, use
from autograder.running.engine import AssignmentSpec, StudentResult

_STYLE = """body{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;line-height:1.45}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.35em .6em;vertical-align:top}
th{background:#f3f3f3;text-align:left}.pass{color:#1a7f37}.fail{color:#b3261e}.box{background:#fff4e5;
padding:.6em 1em;border-left:4px solid #f0a020;margin:1em 0}pre{white-space:pre-wrap;margin:0}"""


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def feedback_html(spec: AssignmentSpec, result: StudentResult, lang: str | None = None) -> str:
    """A self-contained page: total, every graded part with its message, and what went wrong on intake.

    Its labels are in ``lang`` (default: the current language); the messages are those of the run."""
    with use(lang):
        return _feedback_html(spec, result)


def _feedback_html(spec: AssignmentSpec, result: StudentResult) -> str:
    e = html.escape
    rows = []
    for o in result.outcomes:
        status = (f'<span class="pass">{e(t("page.passed"))}</span>' if o.message is None
                  else f'<span class="fail">{e(t("page.failed"))}</span>')
        detail = "" if o.message is None else f"<pre>{e(o.message)}</pre>"
        rows.append(f"<tr><td>{e(o.cell_id)}</td><td>{status}</td><td>{o.points:g} / {o.max_points:g}</td>"
                    f"<td>{detail}</td></tr>")
    boxes = "".join(f'<div class="box"><b>{e(t("page.could_not_grade"))}</b> {e(p)}</div>' for p in result.problems)
    boxes += "".join(f'<div class="box">{e(n)}</div>' for n in result.notes)
    errors = "".join(f"<tr><td>{e(c)}</td><td><pre>{e(m)}</pre></td></tr>" for c, m in result.cell_errors.items())
    errors_table = (f"<h2>{e(t('page.cells_raised'))}</h2><table><tr><th>{e(t('page.cell'))}</th>"
                    f"<th>{e(t('page.error'))}</th></tr>{errors}</table>" if errors else "")
    manual = (f"<p>{e(t('page.manual', cells=', '.join(spec.manual_cells)))}</p>" if spec.manual_cells else "")
    heads = "".join(f"<th>{e(t(k))}</th>" for k in ("page.part", "page.result", "page.points", "page.feedback"))
    return (f"<!doctype html><html lang='{language()}'><head><meta charset='utf-8'>"
            f"<title>{e(t('page.title', assignment=spec.name, student=result.student))}</title>"
            f"<style>{_STYLE}</style></head><body>"
            f"<h1>{e(t('page.heading', assignment=spec.name, student=result.student))}</h1>"
            f"<p><b>{e(t('page.score', score=result.score, max=result.max_score))}</b></p>{manual}{boxes}"
            f"<table><tr>{heads}</tr>{''.join(rows)}</table>{errors_table}</body></html>")


def write_feedback(spec: AssignmentSpec, results: list[StudentResult], feedback_root: Path,
                   lang: str | None = None) -> list[Path]:
    """``<feedback_root>/<student>.html`` for every student.

    Not inside nbgrader's feedback folder: ``nbgrader generate_feedback`` skips a student whose folder exists."""
    paths = []
    for r in results:
        path = feedback_root / f"{r.student}.html"
        _write_atomic(path, feedback_html(spec, r, lang))
        paths.append(path)
    return paths


def write_csv(spec: AssignmentSpec, results: list[StudentResult], path: Path) -> Path:
    """One row per student: total, each auto-graded part, and the reasons to look at the submission."""
    cells = list(spec.checks)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["student", "score", "max_score", *cells, "status", "review"])
        for r in sorted(results, key=lambda r: r.student):
            by_cell = {o.cell_id: o.points for o in r.outcomes}
            status = "not graded" if r.problems else "graded"
            w.writerow([r.student, f"{r.score:g}", f"{r.max_score:g}", *(f"{by_cell.get(c, 0):g}" for c in cells),
                        status, " | ".join(r.problems + r.flags + r.notes)])
    os.replace(tmp, path)
    return path


def summary_table(spec: AssignmentSpec, results: list[StudentResult]) -> str:
    """The table printed at the end of a run."""
    width = max([len("student")] + [len(r.student) for r in results])
    lines = [f"{'student':<{width}}  {'score':>11}  remarks", "-" * (width + 40)]
    for r in sorted(results, key=lambda r: r.student):
        remarks = r.problems + r.flags + r.notes
        failed = [o.cell_id for o in r.outcomes if o.message]
        if failed and not r.problems:
            remarks = [f"failed: {', '.join(failed)}"] + remarks
        first = remarks[0] if remarks else ""
        lines.append(f"{r.student:<{width}}  {r.score:>5g} / {r.max_score:<3g}  {first[:110]}")
        lines += [f"{'':<{width}}  {'':>11}  {m[:110]}" for m in remarks[1:]]
    return "\n".join(lines)
