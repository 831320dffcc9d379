"""What the autograder hands back: one HTML page per student, a grades CSV, and a summary table."""

from __future__ import annotations

import csv
import html
import os
from pathlib import Path

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


def feedback_html(spec: AssignmentSpec, result: StudentResult) -> str:
    """A self-contained page: total, every graded part with its message, and what went wrong on intake."""
    e = html.escape
    rows = []
    for o in result.outcomes:
        status = '<span class="pass">passed</span>' if o.message is None else '<span class="fail">failed</span>'
        detail = "" if o.message is None else f"<pre>{e(o.message)}</pre>"
        rows.append(f"<tr><td>{e(o.cell_id)}</td><td>{status}</td><td>{o.points:g} / {o.max_points:g}</td>"
                    f"<td>{detail}</td></tr>")
    boxes = "".join(f'<div class="box"><b>Could not grade your notebook.</b> {e(p)}</div>' for p in result.problems)
    boxes += "".join(f'<div class="box">{e(n)}</div>' for n in result.notes)
    errors = "".join(f"<tr><td>{e(c)}</td><td><pre>{e(m)}</pre></td></tr>" for c, m in result.cell_errors.items())
    errors_table = (f"<h2>Cells that raised an error</h2><table><tr><th>cell</th><th>error</th></tr>{errors}</table>"
                    if errors else "")
    manual = (f"<p>Parts graded by hand ({', '.join(map(e, spec.manual_cells))}) are not included in this score.</p>"
              if spec.manual_cells else "")
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{e(spec.name)}: {e(result.student)}</title>"
            f"<style>{_STYLE}</style></head><body><h1>{e(spec.name)}: feedback for {e(result.student)}</h1>"
            f"<p><b>Automatic score: {result.score:g} / {result.max_score:g}</b></p>{manual}{boxes}"
            f"<table><tr><th>part</th><th>result</th><th>points</th><th>feedback</th></tr>{''.join(rows)}</table>"
            f"{errors_table}</body></html>")


def write_feedback(spec: AssignmentSpec, results: list[StudentResult], feedback_root: Path) -> list[Path]:
    """``<feedback_root>/<student>.html`` for every student.

    Not inside nbgrader's feedback folder: ``nbgrader generate_feedback`` skips a student whose folder exists."""
    paths = []
    for r in results:
        path = feedback_root / f"{r.student}.html"
        _write_atomic(path, feedback_html(spec, r))
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
