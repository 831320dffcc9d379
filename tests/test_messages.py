"""The grader's messages in both languages (autograder/messages.py, autograder/reporting/strings.py).

Every key exists in every language with the same placeholders; every message is filled in both; every named
mistake of the variants catalogue has its Korean text and is what a Korean verdict quotes; the language
changes text only, never a verdict or a score (unit level here, and a whole graded class with
``autograder --lang ko`` against ``--lang en`` at the end).
"""

from __future__ import annotations

import re
import shutil
import string
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import messages
from autograder.correctness import CHECKS
from autograder.correctness.cases import CallError, decide
from autograder.correctness.policy import RULE_TEXT, Rule
from autograder.correctness.variants import VARIANTS
from autograder.messages import CATALOGUES, placeholders, t, text_in, use
from autograder.reporting import strings as report_strings

HANGUL = re.compile(r"[\uac00-\ud7a3]")
FIXTURES = Path(__file__).parent / "fixtures" / "submissions" / "ps3_lstm"


def _sample_values(text: str) -> dict[str, object]:
    """A value for each placeholder that every format spec in ``text`` accepts."""
    values: dict[str, object] = {}
    for _, field, spec, _ in string.Formatter().parse(text):
        if field is not None:
            values[field] = 0.125 if spec else f"<{field}>"
    return values


# ------------------------------------------------------------------------------------------ the catalogues


@pytest.mark.parametrize("catalogues", [
    {lang: text for lang, text in CATALOGUES.items()},
    {lang: text for lang, (text, _) in report_strings.CATALOGUES.items()},
    {lang: mistakes for lang, (_, mistakes) in report_strings.CATALOGUES.items()},
], ids=["feedback", "report", "report-mistakes"])
def test_every_key_has_every_language_with_the_same_placeholders(catalogues):
    assert set(catalogues) == {"en", "ko"}
    en = catalogues["en"]
    for lang, catalogue in catalogues.items():
        assert set(catalogue) == set(en), f"{lang}: {set(en) ^ set(catalogue)}"
        for key, text in catalogue.items():
            assert placeholders(text) == placeholders(en[key]), f"{lang} {key}: {text!r}"


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_every_message_is_filled_in_both_languages(lang):
    for key, text in CATALOGUES[lang].items():
        filled = text_in(lang, key, **_sample_values(text))  # a KeyError or ValueError: a broken template
        assert filled.strip() and not placeholders(filled), key
    s = report_strings.strings(lang)
    for key, text in s.text.items():
        assert s(key, **_sample_values(text)).strip(), key


def test_korean_messages_are_korean_and_keep_code_identifiers():
    for key, en in messages.EN.items():
        ko = messages.KO[key]
        if re.sub(r"\{[^}]*\}", "", en).strip(" .:,;()") == "":  # a pure template such as "{where}: {error}"
            assert ko == en, key
            continue
        assert HANGUL.search(ko), f"{key} is not in Korean: {ko!r}"
        for code in ("batch_first", "(N, 1, H)", "(1, N, H)", "b_hh", "b_hn", "h_n", "reset_after=False", "MyGRU"):
            if code in en:
                assert code in ko, f"{key}: {code!r} lost in {ko!r}"
    terms = " ".join(messages.KO.values())
    for term in ("은닉 상태", "셀 상태", "리셋 게이트", "게이트 순서", "편향", "가중치", "형태", "최대 절대 오차",
                 "과제", "자동 채점기"):
        assert term in terms, term
    assert "합니다" in terms and "한다." not in terms  # 합니다체 throughout


def test_unknown_language_is_refused_and_the_default_is_the_course_setting():
    with pytest.raises(KeyError, match="ko"):
        messages.check_language("fr")
    from autograder.tooling.course_config import read

    assert messages.default_language() == read().feedback_language
    assert messages.language() == "en"
    with use("ko"):
        assert messages.language() == "ko" and HANGUL.search(t("page.passed"))
        with use(None):
            assert messages.language() == "ko"
    assert messages.language() == "en"


def test_command_line_takes_lang_for_grading_and_report():
    from autograder.cli import build_parser, build_report_parser

    assert build_parser().parse_args(["ps3_lstm", "subs", "--lang", "ko"]).lang == "ko"
    assert build_parser().parse_args(["ps3_lstm", "subs"]).lang is None  # then the course's setting
    assert build_report_parser().parse_args(["ps3_lstm", "--lang", "ko"]).lang == "ko"
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ps3_lstm", "subs", "--lang", "fr"])


# ------------------------------------------------------------------------------------------ the judges


def test_rules_are_in_the_current_language():
    assert RULE_TEXT[Rule.ANY] == ""
    english = RULE_TEXT[Rule.NUMPY_ONLY]
    assert english.startswith("this part must be written with NumPy only")
    with use("ko"):
        assert RULE_TEXT[Rule.NUMPY_ONLY] == messages.KO["rule.numpy-only"]
        assert "NumPy" in RULE_TEXT[Rule.NUMPY_ONLY] and HANGUL.search(RULE_TEXT[Rule.OWN_RECURRENCE])


def test_compare_messages_with_numbers_in_both_languages():
    from autograder.correctness.cases import compare

    expected = np.zeros((2, 3))
    assert compare(np.ones((2, 3)), expected, "h_t") == ("h_t is wrong: max abs error 1 (tolerance 1e-08 + "
                                                        "1e-06·|expected|)")
    with use("ko"):
        assert compare(np.ones((2, 3)), expected, "h_t") == ("h_t 값이 틀렸습니다: 최대 절대 오차 1 (허용 오차 1e-08 + "
                                                            "1e-06·|기댓값|)")
        assert compare(np.ones((3, 2)), expected, "h_t") == "h_t의 형태가 (3, 2)입니다. 기대한 형태는 (2, 3)입니다"


def _variant_checks():
    """Each variant with one hidden check of its target (what tests/test_variants.py grades in English)."""
    by_target = {}
    for checks in CHECKS.values():
        for check in checks:
            if check.judge is None:
                continue
            cases = check.make_cases(np.random.default_rng(1))
            target = cases[0].call.target
            if target.startswith("probe:") or target in by_target:
                continue
            by_target[target] = (check, cases)
    return by_target


@pytest.fixture(scope="module")
def variant_checks():
    return _variant_checks()


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v.name}-{v.target}")
def test_every_variant_is_named_in_korean_with_the_same_verdict(variant, variant_checks):
    ko_text = messages.KO[f"variant.{variant.name}"]
    assert HANGUL.search(ko_text) and ko_text != messages.EN[f"variant.{variant.name}"]
    with use("ko"):
        assert variant.mistake == ko_text
    if variant.target not in variant_checks:  # gru_reset_before_layer: MyGRU's module, in test_variants.py
        return
    check, cases = variant_checks[variant.target]
    results = []
    for case in cases:
        try:
            results.append(variant.fn(*case.call.args, **case.call.kwargs))
        except Exception as err:  # noqa: BLE001
            results.append(CallError(repr(err)))
    english = decide(check, cases, results)
    with use("ko"):
        korean = decide(check, cases, results)
    assert (korean.passed, korean.variant) == (english.passed, english.variant)
    if english.variant == variant.name:
        assert ko_text in korean.message and "출력이 알려진 실수와 일치합니다" in korean.message, korean.message
        assert variant.mistake in english.message
        assert re.search(r"케이스 \d+개 중 \d+개가 실패했습니다", korean.message), korean.message


def test_answers_and_call_errors_in_korean():
    check = next(c for c in CHECKS["ps1_rnn"] if c.cell_id == "vanishing_answer")
    cases = check.make_cases(np.random.default_rng(0))
    with use("ko"):
        verdict = decide(check, cases, ["a"])
        assert not verdict.passed and "vanishing_answer = 'a'는 정답이 아닙니다" in verdict.message
        assert "기하급수적으로" in verdict.message
        raised = decide(check, cases, [CallError(t("call.raised", error="ValueError: x"))])
        assert "예외가 발생했습니다: ValueError: x" in raised.message
        assert decide(check, cases, ["b"]).message == "vanishing_answer: 케이스 1개를 모두 통과했습니다."


# ------------------------------------------------------------------------------------------ a whole class


def _grade(course_dir: Path, subs: Path, lang: str) -> tuple[dict, dict[str, str]]:
    from autograder.cli import main
    from autograder.running.engine import Journal

    assert main(["ps3_lstm", str(subs), "--course", str(course_dir), "--workers", "2", "--quiet",
                 "--lang", lang]) == 0
    state = course_dir / "nbgrader_work" / "autograder" / "ps3_lstm"
    journal = Journal(state / "journal.jsonl")
    results = {name: entry["result"] for name, entry in journal.entries.items()}
    pages = {p.stem: p.read_text(encoding="utf-8") for p in (state / "feedback").glob("*.html")}
    return results, pages


def test_korean_feedback_names_the_mistake_and_scores_are_the_same(tmp_path, capsys):
    from engine_course import make_course, student_notebook, write_submission

    course_dir = make_course(tmp_path / "course")
    subs = tmp_path / "subs"
    for fixture in sorted(FIXTURES.glob("*.ipynb")):
        write_submission(subs, fixture.stem, nbformat.read(fixture, as_version=4))
    write_submission(subs, "solution", student_notebook(course_dir))
    write_submission(subs, "blank", student_notebook(course_dir, solved=False))
    english, en_pages = _grade(course_dir, subs, "en")
    shutil.rmtree(course_dir / "nbgrader_work" / "autograder" / "ps3_lstm" / "feedback")
    korean, ko_pages = _grade(course_dir, subs, "ko")
    capsys.readouterr()

    def verdicts(results):
        return {s: (r["score"], [(o["cell_id"], o["points"], o["message"] is None, o["variant"])
                                 for o in r["outcomes"]]) for s, r in results.items()}

    assert verdicts(korean) == verdicts(english)
    assert english["gates_ifog"]["score"] == 3.0 and english["solution"]["score"] == 13.0
    ifog_en, ifog_ko = en_pages["gates_ifog"], ko_pages["gates_ifog"]
    assert messages.EN["variant.lstm_gates_ifog"].replace("'", "&#x27;") in ifog_en
    assert messages.KO["variant.lstm_gates_ifog"] in ifog_ko and "자동 채점 점수: 3 / 13" in ifog_ko
    assert "<html lang='ko'>" in ifog_ko and "케이스" in ifog_ko and "Your output equals" not in ifog_ko
    assert "lstm_cell_hidden" in ifog_ko  # part ids stay as they are
    for page in ko_pages.values():
        assert "passed</span>" not in page and "failed</span>" not in page


def test_intake_problems_in_korean(tmp_path):
    from autograder.running.intake import read_notebook

    empty = tmp_path / "ps3_lstm.ipynb"
    empty.write_bytes(b"")
    english = read_notebook(empty)
    with use("ko"):
        korean = read_notebook(empty)
    assert english.problem == "ps3_lstm.ipynb is empty (0 bytes): save the notebook in Jupyter and resubmit"
    assert korean.problem == "ps3_lstm.ipynb이 비어 있습니다(0바이트). Jupyter에서 노트북을 저장한 뒤 다시 제출하십시오"
    assert (korean.notebook, korean.digest) == (english.notebook, english.digest)


def test_report_charts_draw_hangul_with_an_installed_korean_font():
    import warnings

    from autograder.reporting import charts

    if len(charts._font_family()) == 1:
        pytest.skip("no font with Hangul installed here (e.g. apt-get install fonts-nanum)")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        charts.bars([messages.KO["variant.lstm_gates_ifog"][:20]], [3], "학생 수")
        charts.histogram([1.0, 3.0], 13, "자동 채점 점수(만점 13)", "학생 수")


def test_stock_hidden_cells_use_the_course_language(monkeypatch):
    """Stock nbgrader: ``run_check`` in the student's kernel writes its assertion in the course's language."""
    from autograder import checks

    with pytest.raises(AssertionError, match=r"lstm_cell \(you defined lstm_cel\) is not defined; run the cell"):
        checks.run_check("ps3_lstm", "lstm_cell_visible", {"lstm_cel": lambda *a: None})
    monkeypatch.setattr(checks, "default_language", lambda: "ko")
    with pytest.raises(AssertionError, match=r"lstm_cell \(정의한 이름: lstm_cel\)가 정의되어 있지 않습니다"):
        checks.run_check("ps3_lstm", "lstm_cell_visible", {"lstm_cel": lambda *a: None})
    assert messages.language() == "en"
