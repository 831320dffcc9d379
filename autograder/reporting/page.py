"""The class report as one self-contained HTML page: inline style, charts as embedded PNGs, no scripts.

Everything a student controls (ids, code, messages) passes through :func:`html.escape` on its way in; the
only markup that is not escaped is this module's own. Light and dark colour schemes follow the browser.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass

from autograder.reporting.charts import Chart
from autograder.reporting.collect import ClassSummary
from autograder.reporting.similarity import SimilarPair, Span, groups
from autograder.reporting.strings import Strings

PAIRS_SHOWN = 30  # similar pairs shown side by side; all of them are in the JSON

_STYLE = """
:root{color-scheme:light dark;--bg:#fff;--fg:#1f2328;--muted:#59636e;--line:#d0d7de;--head:#f6f8fa;
--mark:#fff3b0;--link:#0a58ca;--warn:#fff4e5;--warn-line:#f0a020}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--fg:#e6edf3;--muted:#9198a1;--line:#3d444d;--head:#161b22;
--mark:#5c4a00;--link:#79b8ff;--warn:#2d2110;--warn-line:#d29922}}
body{background:var(--bg);color:var(--fg);font-family:system-ui,sans-serif;line-height:1.45;max-width:62em;
margin:1.5em auto;padding:0 1em}
a{color:var(--link)}h1{margin-bottom:.2em}p.muted{color:var(--muted)}
nav ul{display:flex;flex-wrap:wrap;gap:.4em 1.2em;padding:0;list-style:none}
table{border-collapse:collapse;width:100%;margin:.6em 0}td,th{border:1px solid var(--line);padding:.3em .6em;
vertical-align:top;text-align:left}th{background:var(--head)}td.num{text-align:right;white-space:nowrap}
img{max-width:100%;height:auto}section{margin:2em 0}
.pair{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:.8em}figure{margin:0}
.pair pre{margin:0;overflow-x:auto;font-size:.82em;
border:1px solid var(--line);padding:.5em;background:var(--head);white-space:pre}
mark{background:var(--mark);color:inherit}.box{background:var(--warn);border-left:4px solid var(--warn-line);
padding:.5em 1em}details summary{cursor:pointer}
"""


@dataclass(frozen=True)
class Charts:
    """The report's charts (``None`` when there is nothing to draw)."""

    scores: Chart | None
    parts: Chart | None
    mistakes: Chart | None
    timing: Chart | None


@dataclass(frozen=True)
class Links:
    """Where the page links to: the book section per variant, and the files beside the page (relative)."""

    sections: dict[str, str]
    json_name: str
    canvas_name: str
    grades_name: str


def e(value: object) -> str:
    """Text for HTML: escaped, quotes included."""
    return html.escape(str(value), quote=True)


def picture(chart: Chart | None, alt: str) -> str:
    """The chart as an ``<img>`` with its dark version as a ``prefers-color-scheme`` source."""
    if chart is None:
        return ""
    light, dark = (base64.b64encode(chart.png[name]).decode("ascii") for name in ("light", "dark"))
    return (f'<picture><source media="(prefers-color-scheme: dark)" srcset="data:image/png;base64,{dark}">'
            f'<img src="data:image/png;base64,{light}" alt="{e(alt)}"></picture>')


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    """A table whose cells are already HTML; columns in ``numeric`` are right-aligned."""
    head = "".join(f"<th scope='col'>{h}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td class='num'>{c}</td>" if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def highlighted(text: str, spans: Sequence[Span]) -> str:
    """``text`` escaped, with each span (clipped, merged where they overlap) in ``<mark>``."""
    out, at = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        start, end = max(span.start, at), min(span.end, len(text))
        if end <= start:
            continue
        out += [e(text[at:start]), "<mark>", e(text[start:end]), "</mark>"]
        at = end
    out.append(e(text[at:]))
    return "".join(out)


def _listed(s: Strings, rows, empty_key: str) -> str:
    if not rows:
        return f"<p>{e(s(empty_key))}</p>"
    return table([e(s("student")), e(s("reason"))],
                 [[e(r.student), "<br>".join(e(reason) for reason in r.reasons)] for r in rows])


def _scores(summary: ClassSummary, s: Strings, charts: Charts) -> str:
    text = s("score_summary", max=summary.max_score, median=summary.median, mean=summary.mean,
             full=summary.full_marks, graded=len(summary.graded))
    manual = f" {s('manual_note', cells=', '.join(summary.manual_cells))}" if summary.manual_cells else ""
    alt = s("score_hist_alt", graded=len(summary.graded), max=summary.max_score)
    return f"<p>{e(text + manual)}</p>{picture(charts.scores, alt)}"


def _parts(summary: ClassSummary, s: Strings, charts: Charts) -> str:
    rows = [[f"<code>{e(p.cell_id)}</code>", f"{p.points:g}", f"{p.passed} / {p.graded}", f"{100 * p.rate:.0f} %"]
            for p in summary.parts]
    return (picture(charts.parts, s("parts_alt"))
            + table([e(s("part")), e(s("points")), e(s("passed")), e(s("pass_rate"))], rows, numeric=(1, 2, 3)))


def _mistakes(summary: ClassSummary, s: Strings, charts: Charts, links: Links) -> str:
    if not summary.mistakes:
        return f"<p>{e(s('mistakes_none'))}</p>"
    rows = []
    for m in summary.mistakes:
        label = s("mistake_line", percent=100 * m.share, label=s.mistake(m.variant, m.description))
        url = links.sections.get(m.variant)
        where = f"<a href='{e(url)}'>{e(url.rsplit('/', 1)[-1])}</a>" if url else e(s("none"))
        who = (f"<details><summary>{len(m.students)}</summary>{', '.join(e(x) for x in m.students)}</details>")
        rows.append([f"{e(label)}<br><small><code>{e(m.variant)}</code>: {e(m.description)}</small>",
                     who, f"{100 * m.share:.0f} %", where])
    return (f"<p>{e(s('mistakes_intro'))}</p>{picture(charts.mistakes, s('mistakes_alt'))}"
            + table([e(s("mistake")), e(s("students")), e(s("share")), e(s("read"))], rows, numeric=(2,)))


def _timing(summary: ClassSummary, s: Strings, charts: Charts, shown: int) -> str:
    top = summary.timings[:shown]
    names = {kind: s(f"limit_{kind}") for kind in ("step_time", "wall_time", "output", "process")}
    rows = [[e(t.student), f"{t.seconds:.2f}", e(", ".join(names.get(k, k) for k in t.limits))] for t in top]
    hit = summary.limits_hit()
    limits = ("<ul>" + "".join(f"<li>{e(names.get(kind, kind))}: {', '.join(e(x) for x in who)}</li>"
                               for kind, who in hit.items()) + "</ul>") if hit else f"<p>{e(s('limits_none'))}</p>"
    alt = s("timing_alt", shown=len(top))
    return (f"<p>{e(s('timing_intro', shown=len(top), total=len(summary.timings)))}</p>"
            f"{picture(charts.timing, alt)}"
            + table([e(s("student")), e(s("seconds")), e(s("limits"))], rows, numeric=(1,))
            + f"<h3>{e(s('limits'))}</h3>{limits}")


def _pair(pair: SimilarPair, s: Strings) -> str:
    side = []
    for code, share, spans in ((pair.a, pair.share_a, pair.spans_a), (pair.b, pair.share_b, pair.spans_b)):
        caption = e(s("pair_share", percent=100 * share, student=code.student))
        side.append(f"<figure><figcaption>{caption}</figcaption><pre><code>{highlighted(code.text, spans)}"
                    f"</code></pre></figure>")
    heading = s("pair_heading", a=pair.a.student, b=pair.b.student, percent=100 * pair.similarity)
    return f"<h3>{e(heading)}</h3><div class='pair'>{''.join(side)}</div>"


def _similarity(pairs: Sequence[SimilarPair] | None, threshold: float, s: Strings) -> str:
    if pairs is None:
        return f"<p>{e(s('similarity_off'))}</p>"
    intro = f"<p>{e(s('similarity_intro', threshold=100 * threshold))}</p>"
    if not pairs:
        return intro + f"<p>{e(s('similarity_none', threshold=100 * threshold))}</p>"
    linked = groups(pairs)
    listed = (f"<p>{e(s('similarity_groups', count=len(linked)))}</p><ul>"
              + "".join(f"<li>{', '.join(e(x) for x in group)}</li>" for group in linked) + "</ul>")
    same = groups([p for p in pairs if p.a.text == p.b.text])
    identical = "".join(f"<p>{e(s('similarity_identical', count=len(g), students=', '.join(g)))}</p>" for g in same)
    different = _distinct_texts([p for p in pairs if p.a.text != p.b.text])
    more = len(different) - PAIRS_SHOWN
    tail = f"<p>{e(s('similarity_more', more=more))}</p>" if more > 0 else ""
    return intro + listed + identical + "".join(_pair(p, s) for p in different[:PAIRS_SHOWN]) + tail


def _distinct_texts(pairs: Sequence[SimilarPair]) -> list[SimilarPair]:
    """The first pair of each pair of texts: students with identical code are one text, shown once."""
    seen: set[frozenset[str]] = set()
    out = []
    for p in pairs:
        key = frozenset((p.a.text, p.b.text))
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out


def render(summary: ClassSummary, pairs: Sequence[SimilarPair] | None, threshold: float, charts: Charts,
           links: Links, s: Strings, generated: str, timing_shown: int) -> str:
    """The whole page."""
    sections = [
        ("scores", s("scores"), _scores(summary, s, charts)),
        ("parts", s("parts"), _parts(summary, s, charts)),
        ("mistakes", s("mistakes"), _mistakes(summary, s, charts, links)),
        ("flagged", s("flagged"), _listed(s, summary.flagged, "flagged_none")),
        ("ungraded", s("ungraded"), _listed(s, summary.ungraded, "ungraded_none")),
        ("timing", s("timing"), _timing(summary, s, charts, timing_shown)),
        ("similarity", s("similarity"), _similarity(pairs, threshold, s)),
        ("files", s("exports"), "<ul>" + "".join(
            f"<li><a href='{e(name)}'>{e(name)}</a>: {e(what)}</li>"
            for name, what in ((links.json_name, s("export_json")), (links.canvas_name, s("export_canvas")),
                               (links.grades_name, s("export_csv")))) + "</ul>"),
    ]
    nav = "".join(f"<li><a href='#{key}'>{e(title)}</a></li>" for key, title, _ in sections)
    body = "".join(f"<section id='{key}' aria-labelledby='h-{key}'><h2 id='h-{key}'>{e(title)}</h2>{content}"
                   f"</section>" for key, title, content in sections)
    warning = (f"<p class='box'>{e(s('journal_unreadable', count=summary.unreadable))}</p>"
               if summary.unreadable else "")
    title = s("title", assignment=summary.assignment)
    return (f"<!doctype html><html lang='{e(s.lang)}'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<meta name='color-scheme' content='light dark'><title>{e(title)}</title><style>{_STYLE}</style>"
            f"</head><body><header><h1>{e(title)}</h1><p class='muted'>{e(generated)}</p>{warning}"
            f"<nav aria-label='{e(s('nav_label'))}'><ul>{nav}</ul></nav></header><main>{body}</main></body></html>")
