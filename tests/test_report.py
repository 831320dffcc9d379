"""The class report (``autograder report``): its numbers on a graded mix, its page in a browser, its files.

One ``autograder`` run grades a known mix of ``ps3_lstm`` submissions (the fixture submissions, red-team
submissions that get flagged, cannot be graded or hit a time limit, the benchmark's synthetic kinds, and two
students whose code tries to break out of the page), then ``autograder report`` builds the report; the
test compares its JSON with what each submission is known to do, part by part, and checks the page in
Chromium. The catalogue checks (every named mistake has a book section and a label, every language has
every string) and the totality of every parse run without a grader.
"""

from __future__ import annotations

import csv
import json
import os
import re
import string
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from engine_course import REPO, make_course, student_notebook, write_submission
from test_assignments_pipeline import EXPECTED_ZERO
from test_redteam import fixtures, write_fixture

from autograder.cli import main as autograder_main
from autograder.correctness.variants import VARIANTS
from autograder.reporting.collect import load_results, read_journal, summarise
from autograder.reporting.page import Charts, Links, render
from autograder.reporting.sections import SECTIONS
from autograder.reporting.similarity import StudentCode, compare_all, notebook_code, own_code
from autograder.reporting.strings import CATALOGUES, strings
from autograder.running.engine import Outcome, StudentResult
from autograder.tooling.benchmark import write_mix

SITE = REPO / "_build" / "html"
SCREENSHOTS = REPO / "_build" / "screenshots"
FIXTURES = REPO / "tests" / "fixtures" / "submissions" / "ps3_lstm"
CELL_PARTS = {"lstm_cell_visible", "lstm_cell_hidden"}
LAYER_PARTS = {"lstm_layer_visible", "lstm_layer_time_major", "lstm_layer_batch_first"}
ALL_PARTS = CELL_PARTS | LAYER_PARTS | {"shapes_time_major", "shapes_batch_first"}
HOSTILE = "</textarea><script>alert('x')</script>"


def missing(reason: str) -> None:
    """Skip with the reason, or fail under CI=true, where every check must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


# ------------------------------------------------------------------------------------------ the catalogues


def test_every_named_mistake_has_a_book_section_and_a_label():
    names = {v.name for v in VARIANTS}
    assert set(SECTIONS) == names  # none missing, none left over from a renamed variant
    for lang, (_, mistakes) in CATALOGUES.items():
        assert set(mistakes) == names, lang


def test_every_section_link_exists_in_the_built_site():
    if not (SITE / "book").is_dir():
        missing("the site is not built (_build/html): run `make book`")
    for variant, section in SECTIONS.items():
        page = (SITE / "book" / f"{section.page}.html").read_text(encoding="utf-8")
        assert f'id="{section.anchor}"' in page, (variant, section)


def test_every_language_has_every_string_with_the_same_placeholders():
    def fields(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    english, _ = CATALOGUES["en"]
    for lang, (text, _) in CATALOGUES.items():
        assert set(text) == set(english), lang
        assert {k: fields(v) for k, v in text.items()} == {k: fields(v) for k, v in english.items()}, lang


# ------------------------------------------------------------------------------------------ totality, escaping


def test_own_code_drops_the_starter_and_survives_any_notebook():
    release = nbformat.read(REPO / "exercises" / "ps3_lstm" / "ps3_lstm.ipynb", as_version=4)
    nb = student_notebook(REPO, "ps3_lstm")
    source = nbformat.read(REPO / "solutions" / "ps3_lstm" / "ps3_lstm.ipynb", as_version=4)
    code = own_code("ann", notebook_code(source, nb), release).text
    assert "np.stack(outputs)" in code and "YOUR CODE HERE" not in code
    assert '"""The logistic function' not in code and "def lstm_cell(" not in code  # released lines
    assert own_code("ann", notebook_code(source, release), release).text == ""  # the untouched release
    for broken in (None, {}, {"cells": 3}, {"cells": [1, None, {"source": 7, "metadata": []}]},
                   {"cells": [{"cell_type": "code", "source": ["a", 1],
                               "metadata": {"nbgrader": {"grade_id": "lstm_cell_solution", "solution": True}}}]}):
        assert own_code("ann", notebook_code(source, broken), release).text == ""
    for broken in (None, 3, {"a": None}, {"lstm_cell_solution": ["x"]}):
        assert own_code("ann", broken, release).text == ""


def test_copied_code_in_added_or_duplicated_cells_is_compared():
    """The code that was graded is compared: a copy moved into a new cell, or into the first of two copies
    of a solution cell (the grader grades the first), is still the student's code."""
    source = nbformat.read(REPO / "solutions" / "ps3_lstm" / "ps3_lstm.ipynb", as_version=4)
    release = nbformat.read(REPO / "exercises" / "ps3_lstm" / "ps3_lstm.ipynb", as_version=4)
    honest = notebook_code(source, student_notebook(REPO, "ps3_lstm"))
    added = nbformat.read(REPO / "exercises" / "ps3_lstm" / "ps3_lstm.ipynb", as_version=4)
    at = next(i for i, c in enumerate(added.cells)
              if c.metadata.get("nbgrader", {}).get("grade_id") == "lstm_cell_solution")
    added.cells.insert(at + 1, nbformat.v4.new_code_cell(honest["lstm_cell_solution"]))
    duplicated = nbformat.read(REPO / "exercises" / "ps3_lstm" / "ps3_lstm.ipynb", as_version=4)
    first = nbformat.from_dict(dict(duplicated.cells[at]))
    first.source = honest["lstm_cell_solution"]
    duplicated.cells.insert(at, first)
    codes = [own_code(name, cells, release) for name, cells in
             [("honest", honest), ("added", notebook_code(source, added)),
              ("duplicated", notebook_code(source, duplicated))]]
    pairs = {frozenset((p.a.student, p.b.student)): p.similarity for p in compare_all(codes)}
    assert pairs[frozenset(("added", "honest"))] > 0.5 and pairs[frozenset(("duplicated", "honest"))] > 0.5, pairs


def test_a_broken_journal_line_is_counted_not_fatal(tmp_path):
    good = StudentResult("ann", "d", 13.0, 13.0, outcomes=[Outcome("c", 1.0, 1.0, None)], seconds=0.5)
    from dataclasses import asdict

    lines = ["{", "[]", json.dumps({"key": "fp:x", "result": {"student": 3}}),
             json.dumps({"key": "fp:x", "result": asdict(good) | {"outcomes": [{"cell_id": 1, "junk": 2}]}}),
             json.dumps({"key": "fp:x", "result": asdict(good) | {"seconds": "slow"}}),
             json.dumps({"key": "other:x", "result": asdict(good)}),  # another version's checks: not an error
             json.dumps({"key": "fp:x", "result": asdict(good)})]
    journal = tmp_path / "journal.jsonl"
    journal.write_text("\n".join(lines) + "\n")
    entries, bad = read_journal(journal, "fp")
    assert list(entries) == ["ann"] and bad == 5
    grades = tmp_path / "grades.csv"
    grades.write_bytes(b"student,score,status,review\nann,13,graded,\n,1,graded,\nbob,0,not graded,the grader failed\n"
                       b"\xff\xfe,0,graded,\n")
    results, bad = load_results(journal, grades, "fp", 13.0)
    assert [r.student for r in results] == ["ann", "bob", "\ufffd\ufffd"] and bad == 6
    assert results[1].problems == ["the grader failed"]
    assert load_results(tmp_path / "none.jsonl", tmp_path / "none.csv", "fp", 13.0) == ([], 0)


def test_everything_a_student_controls_is_escaped():
    """A hostile student id, message and code reach the page only as text."""
    result = StudentResult(HOSTILE, "d", 0.0, 2.0, outcomes=[Outcome("p", 0.0, 2.0, HOSTILE, "lstm_gates_ifog")],
                           flags=[HOSTILE], seconds=1.0)
    ungraded = StudentResult(f"b{HOSTILE}", "d", 0.0, 2.0, problems=[HOSTILE])
    summary = summarise("ps3_lstm", {"p": 2.0}, [], [result, ungraded], {"lstm_gates_ifog": HOSTILE})
    code = StudentCode(HOSTILE, f"x = '{HOSTILE}'\ny = x + x + x + x + x + x + x + x\n")
    pairs = compare_all([code, StudentCode(f"c{HOSTILE}", code.text + "z = x * 2\n")])
    page = render(summary, pairs, 0.5, Charts(None, None, None, None), Links({}, "a.json", "b.csv", "c.csv"),
                  strings(), "generated", 20)
    assert "<script" not in page and "</textarea" not in page
    assert page.count("&lt;/textarea&gt;&lt;script&gt;") >= 6  # id, flag, problem, mistake, both codes
    assert "x = &#x27;&lt;/textarea&gt;" in page  # the code itself, shown side by side


# ------------------------------------------------------------------------------------------ the graded mix


@dataclass(frozen=True)
class Known:
    """What a submission is known to do: the parts it fails, the mistakes named, and what gets it listed."""

    failing: frozenset[str] = frozenset()
    mistakes: frozenset[str] = frozenset()
    flagged: bool = False
    ungraded: bool = False
    limits: tuple[str, ...] = ()


def _known(failing=(), mistakes=(), **kw) -> Known:
    return Known(frozenset(failing), frozenset(mistakes), **kw)


FIXTURE_MISTAKES = {"gates_ifog": {"lstm_gates_ifog"}, "batch_first_ignored": {"ignore_batch_first"},
                    "h_n_batch_first": {"h_n_batch_first"}}
SYNTHETIC = {  # the benchmark's kinds (autograder.tooling.benchmark.KINDS)
    "correct": _known(),
    "ignores_batch_first": _known({"lstm_layer_batch_first"}, {"ignore_batch_first"}),
    "gates_ifog": _known(CELL_PARTS | LAYER_PARTS - {"lstm_layer_visible"}, {"lstm_gates_ifog"}),
    "syntax_error": _known(LAYER_PARTS),
    "raises": _known(CELL_PARTS | LAYER_PARTS),
    "blank": _known(ALL_PARTS),
}
REDTEAM = {
    "honest_full": _known(),
    "torch_lstm_in_numpy": _known(CELL_PARTS | LAYER_PARTS, flagged=True),  # torch in a NumPy-only part
    "forge_unasked_ids": _known(flagged=True),  # forged events, ignored
    "truncated": _known(ALL_PARTS, ungraded=True),
    "not_a_notebook": _known(ALL_PARTS, ungraded=True),
    "sleep_in_function": _known(LAYER_PARTS, limits=("step_time",)),
}
# Raises the sandbox runner's own timeout exception at once: the report must not believe it hit a limit.
FORGED_TIMEOUT_CELL = '''import sys as _s
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))

def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    for m in list(_s.modules.values()):
        T = getattr(m, "StepTimeout", None)
        if T is not None:
            raise T()
    raise RuntimeError("no StepTimeout found")
'''
HOSTILE_CELL = f'''def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))  # {HOSTILE}


def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    note = "{HOSTILE}"
    pre = x_t @ W_ih.T + h_prev @ W_hh.T + b_ih + b_hh
    i, f, g, o = np.split(pre, 4, axis=1)
    c = sigmoid(f) * c_prev + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c
'''


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The mix graded in one run, and the report built by the command; the expectations per student."""
    tmp = tmp_path_factory.mktemp("report")
    course = make_course(tmp / "course")
    subs = tmp / "submissions"
    known: dict[str, Known] = {}
    for path in sorted(FIXTURES.glob("*.ipynb")):
        write_submission(subs, f"fx_{path.stem}", nbformat.read(path, as_version=4))
        known[f"fx_{path.stem}"] = _known(EXPECTED_ZERO["ps3_lstm"][path.stem], FIXTURE_MISTAKES.get(path.stem, ()))
    redteam = fixtures("ps3_lstm")
    for name, expectation in REDTEAM.items():
        known[write_fixture(name, redteam[name], "ps3_lstm", course, subs, {})] = expectation
    kinds = write_mix(course, [subs], 10)
    known |= {student: SYNTHETIC[kind] for student, kind in kinds.items()}
    for student, extra in (("hostile_a", ""), ("hostile_b", "\nscale = 1.0\n")):  # near-copies: side by side
        cell = HOSTILE_CELL + extra
        write_submission(subs, student, student_notebook(course, answers={"lstm_cell_solution": cell}))
        known[student] = _known()
    write_submission(subs, "forged_timeout",
                     student_notebook(course, answers={"lstm_cell_solution": FORGED_TIMEOUT_CELL}))
    known["forged_timeout"] = _known(CELL_PARTS | LAYER_PARTS)  # no limit: it took no time
    assert autograder_main(["ps3_lstm", str(subs), "--course", str(course), "--step-timeout", "3",
                            "--timeout", "30", "--quiet"]) == 0
    assert autograder_main(["report", "ps3_lstm", "--course", str(course)]) == 0
    out = course / "nbgrader_work" / "autograder" / "ps3_lstm"
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {"course": course, "subs": subs, "out": out, "known": known, "report": report}


@pytest.mark.slow
def test_every_run_points_to_the_report_command(graded, capsys, tmp_path):
    assert autograder_main(["ps3_lstm", str(graded["subs"]), "--course", str(graded["course"]), "--quiet"]) == 0
    assert "autograder report ps3_lstm" in capsys.readouterr().out.splitlines()[-1]
    elsewhere = tmp_path / "grades.csv"  # the report goes beside the grades CSV it is given
    elsewhere.write_bytes((graded["out"] / "grades.csv").read_bytes())
    args = ["report", "ps3_lstm", "--course", str(graded["course"]), "--csv", str(elsewhere), "--no-similarity"]
    assert autograder_main(args) == 0
    assert str(tmp_path / "report.html") in capsys.readouterr().out
    assert json.loads((tmp_path / "report.json").read_text())["similarity"] is None


@pytest.mark.slow
def test_korean_report_has_the_same_numbers_in_korean(graded, capsys, tmp_path):
    """``autograder report --lang ko``: every string and mistake label in Korean, the numbers unchanged."""
    elsewhere = tmp_path / "grades.csv"
    elsewhere.write_bytes((graded["out"] / "grades.csv").read_bytes())
    args = ["report", "ps3_lstm", "--course", str(graded["course"]), "--csv", str(elsewhere), "--no-similarity",
            "--lang", "ko"]
    assert autograder_main(args) == 0
    assert "반 전체 보고서:" in capsys.readouterr().out
    korean = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    english = graded["report"]
    for key in ("students", "scores", "parts"):
        if key in english:
            assert korean[key] == english[key], key
    assert ([(m["variant"], m["students"]) for m in korean["mistakes"]]
            == [(m["variant"], m["students"]) for m in english["mistakes"]])
    labels = CATALOGUES["ko"][1]
    assert all(m["label"] == labels[m["variant"]] for m in korean["mistakes"])
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "lang='ko'" in page and strings("ko")("mistakes") in page and labels["lstm_gates_ifog"] in page


@pytest.mark.slow
def test_report_counts_match_what_each_submission_does(graded):
    known, report = graded["known"], graded["report"]
    gradable = {s: k for s, k in known.items() if not k.ungraded}
    assert sorted(report["students"]) == sorted(known)
    assert report["graded"] == len(gradable)
    assert {p["cell_id"]: p["passed"] for p in report["parts"]} == {
        part: sum(part not in k.failing for k in gradable.values()) for part in sorted(ALL_PARTS)}
    assert all(p["graded"] == len(gradable) for p in report["parts"])
    expected_mistakes: dict[str, list[str]] = {}
    for student, k in sorted(known.items()):
        for variant in k.mistakes:
            expected_mistakes.setdefault(variant, []).append(student)
    assert {m["variant"]: m["students"] for m in report["mistakes"]} == expected_mistakes
    counts = [len(m["students"]) for m in report["mistakes"]]
    assert counts == sorted(counts, reverse=True)
    assert {m["variant"]: m["share"] for m in report["mistakes"]} == {
        v: len(who) / len(gradable) for v, who in expected_mistakes.items()}
    assert sorted(x["student"] for x in report["flagged"]) == sorted(s for s, k in known.items() if k.flagged)
    assert sorted(x["student"] for x in report["ungraded"]) == sorted(s for s, k in known.items() if k.ungraded)
    assert all(x["reasons"] for x in report["flagged"] + report["ungraded"])
    assert {s: tuple(t["limits"]) for s, t in ((t["student"], t) for t in report["timings"]) if t["limits"]} == {
        s: k.limits for s, k in known.items() if k.limits}
    seconds = [t["seconds"] for t in report["timings"]]
    assert seconds == sorted(seconds, reverse=True) and len(seconds) == len(known)


@pytest.mark.slow
def test_report_links_each_mistake_to_its_book_section(graded):
    for m in graded["report"]["mistakes"]:
        assert m["section"].endswith(SECTIONS[m["variant"]].path)
        assert m["section"].startswith("../../../_build/html/")


@pytest.mark.slow
def test_similar_pairs_include_the_copies_and_never_change_a_grade(graded):
    pairs = {frozenset((p["a"], p["b"])): p["similarity"] for p in graded["report"]["similarity"]["pairs"]}
    assert pairs[frozenset(("hostile_a", "hostile_b"))] > 0.9
    correct = sorted(s for s in graded["known"] if s.endswith("_correct"))
    assert pairs[frozenset(correct[:2])] == 1.0  # the synthetic correct ones are the same notebook
    assert all(p >= graded["report"]["similarity"]["threshold"] for p in pairs.values())
    with open(graded["out"] / "grades.csv", encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert float(rows["hostile_a"]["score"]) == 13 and "similar" not in rows["hostile_a"]["review"].lower()


@pytest.mark.slow
def test_canvas_csv_has_canvas_columns_and_the_gradebook_totals(graded):
    with open(graded["out"] / "canvas.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "ps3_lstm"]
    assert rows[1][0].strip() == "Points Possible" and rows[1][5] == "15"  # 13 automatic + 2 by hand
    by_login = {r[3]: r[5] for r in rows[2:]}
    assert set(by_login) == set(graded["known"])
    assert by_login["fx_gates_ifog"] == "3" and by_login["honest_full"] == "13"


@pytest.mark.slow
def test_the_page_escapes_student_code_and_loads_cleanly_in_a_browser(graded):
    html_path = graded["out"] / "report.html"
    page_text = html_path.read_text(encoding="utf-8")
    assert "<script" not in page_text and "</textarea" not in page_text
    assert "&lt;/textarea&gt;&lt;script&gt;" in page_text
    assert not re.search(r"""(src|href)=['"](https?:)?//""", page_text)  # self-contained: nothing off-site
    chromium = next((p for p in ("/usr/bin/chromium", "/usr/bin/chromium-browser") if Path(p).exists()), None)
    if chromium is None:
        missing("Chromium not found; install Debian's Chromium (`apt-get install -y chromium`)")
    from playwright.sync_api import sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--headless"])
        try:
            for scheme in ("light", "dark"):
                context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
                requests: list[str] = []
                context.on("request", lambda r, requests=requests: requests.append(r.url))
                page = context.new_page()
                errors: list[str] = []
                page.on("console", lambda m, errors=errors: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda err, errors=errors: errors.append(str(err)))
                page.goto(html_path.as_uri(), wait_until="load")
                assert errors == []
                assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
                images = page.eval_on_selector_all("img", "els => els.map(e => [e.alt, e.naturalWidth])")
                assert len(images) == 4 and all(alt and width > 0 for alt, width in images), images
                background = page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert (background == "rgb(13, 17, 23)") == (scheme == "dark")
                shot = SCREENSHOTS / f"class-report-{scheme}.png"
                page.screenshot(path=str(shot), full_page=True)
                assert shot.stat().st_size > 50_000
                context.close()
        finally:
            browser.close()
