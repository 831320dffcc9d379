"""The Korean edition: its catalogues are complete and current, and the built site (``make book``) is right.

* every English message of every page has a Korean translation that is neither missing nor fuzzy, and a changed
  English paragraph is named by ``book/_ext/course_editions.py check`` (planted on a copy of the sources);
* the Korean build reused the English build's execution cache (its log shows no notebook executing);
* every page links to the same page in the other edition; every glued value shown on an English page is shown on
  its Korean page; the theme's labels are Korean;
* the Korean search splitter (book/_ext/course_i18n.py) indexes Hangul words with their prefixes.

The checks of the built site skip when it is missing, except under ``CI=true``, where that is a failure. The
browser checks of the Korean pages are in tests/test_site_ko.py.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from bookdata import EXECUTED, glued_in

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
KO = HTML / "ko"
CACHE = ROOT / "_build" / ".jupyter_cache"
sys.path.insert(0, str(ROOT / "book" / "_ext"))

import course_editions  # noqa: E402
import course_i18n  # noqa: E402


def missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def need_site() -> None:
    if not (KO / "index.html").is_file() or not (HTML / "index.html").is_file():
        missing("the site is not built: run `make book` (it builds the English and the Korean edition)")


def site_pages() -> list[Path]:
    """Every HTML page of the English edition (relative to _build/html), the Korean edition's folder excluded."""
    return sorted(
        p.relative_to(HTML)
        for p in HTML.rglob("*.html")
        if p.relative_to(HTML).parts[0] not in {"ko", "_static", "_sources", "_downloads", "_images"}
        and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8")  # index.html: a redirect to book/intro
    )


# --- catalogues ----------------------------------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


HEADER = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'


def test_compare_names_missing_untranslated_and_fuzzy_messages(tmp_path):
    pot, po = tmp_path / "pot", tmp_path / "po"
    messages = "".join(f'msgid "{m}"\nmsgstr ""\n\n' for m in ("Kept", "Changed text", "Fuzzy one", "Empty"))
    write(pot / "book" / "a.pot", HEADER + messages)
    write(pot / "book" / "b.pot", HEADER + 'msgid "Only"\nmsgstr ""\n')
    write(
        po / "book" / "a.po",
        HEADER
        + 'msgid "Kept"\nmsgstr "유지"\n\n'
        + 'msgid "Old text"\nmsgstr "옛 글"\n\n'
        + '#, fuzzy\nmsgid "Fuzzy one"\nmsgstr "애매"\n\n'
        + 'msgid "Empty"\nmsgstr ""\n',
    )
    problems = [str(p) for p in course_editions.compare(pot, po)]
    assert problems == [
        "book/a: untranslated: 'Changed text'",
        "book/a: fuzzy: 'Fuzzy one'",
        "book/a: untranslated: 'Empty'",
        "book/b: no catalogue (1 messages; run `make i18n-update`)",
    ]


@pytest.fixture(scope="module")
def current_pot(tmp_path_factory) -> Path:
    """The English messages of the current sources (the gettext builder on the execution cache; ~10 s)."""
    if not CACHE.is_dir():
        missing(f"{CACHE} is missing: run `make book` first (the message extraction reuses its execution cache)")
    pot = tmp_path_factory.mktemp("pot")
    subprocess.run(
        [sys.executable, str(ROOT / "book" / "_ext" / "course_editions.py"), "pot", str(pot), "--cache", str(CACHE)],
        check=True,
        capture_output=True,
    )
    return pot


def test_every_english_message_has_a_current_korean_translation(current_pot):
    pages = sorted(p.relative_to(current_pot).with_suffix("").as_posix() for p in current_pot.rglob("*.pot"))
    assert "book/05_lstm" in pages and "book/intro" in pages, pages
    problems = course_editions.compare(current_pot)
    assert not problems, (
        f"{len(problems)} English messages have no current Korean translation "
        "(`make i18n-update`, then translate them in book/locales/ko/LC_MESSAGES/):\n"
        + "\n".join(str(p) for p in problems)
    )


def planted_paragraph(source: str, catalogue: Path) -> re.Match:
    """Where ``source`` holds a whole translated message of ``catalogue`` in plain words (wrapped over lines)."""
    from babel.messages.pofile import read_po

    with catalogue.open("rb") as f:
        translated = [m.id for m in read_po(f) if m.id and m.string and not m.fuzzy]
    for msgid in translated:
        if len(msgid) > 60 and re.fullmatch(r"[A-Za-z][A-Za-z0-9 ,;'()-]+\.", msgid):
            found = re.search(r"\s+".join(map(re.escape, msgid.split(" "))), source)
            if found:
                return found
    pytest.skip(f"{catalogue.name} translates no plain-text paragraph of the chapter to plant a change in")


def test_a_changed_english_paragraph_names_its_stale_korean_message(tmp_path):
    """Change one English paragraph in a copy of the sources: the check names the page and the new msgid."""
    catalogue = course_editions.CATALOGUES / "book" / "05_lstm.po"
    if not catalogue.exists() or not CACHE.is_dir():
        missing("needs book/locales/ko/LC_MESSAGES/book/05_lstm.po and the execution cache (`make book`)")
    copy = tmp_path / "course"
    copy.mkdir()
    for name in ("_config.yml", "_toc.yml"):
        shutil.copy2(ROOT / name, copy / name)
    for folder in ("book", "exercises"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    chapter = copy / "book" / "05_lstm.md"
    source = chapter.read_text(encoding="utf-8")
    found = planted_paragraph(source, catalogue)
    old = " ".join(found.group().split())
    new = old + " A planted sentence."
    chapter.write_text(source[: found.end()] + " A planted sentence." + source[found.end() :], encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            str(copy / "book" / "_ext" / "course_editions.py"),
            "check",
            "--strict",
            "--cache",
            str(CACHE),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"Korean edition: book/05_lstm: untranslated: {new!r}" in result.stdout, result.stdout[-3000:]
    assert f"untranslated: {old!r}" not in result.stdout  # the translated text is not reported
    assert new not in (ROOT / "book" / "05_lstm.md").read_text(encoding="utf-8")  # the real sources are untouched


# --- the built site ------------------------------------------------------------------------------------------


def test_the_korean_build_executed_no_notebook():
    need_site()
    log = (ROOT / "_build" / "ko" / "build.log").read_text(encoding="utf-8")
    assert "loading translations [ko]" in log
    executed = [line for line in log.splitlines() if "Executing notebook" in line or "Executed notebook" in line]
    assert not executed, executed


def test_every_page_links_to_the_same_page_in_the_other_language():
    need_site()
    problems = []
    for page in site_pages():
        for here, there, lang in ((HTML / page, KO / page, "ko"), (KO / page, HTML / page, "en")):
            if not here.exists():
                problems.append(f"{here.relative_to(HTML)} is missing")
                continue
            html = here.read_text(encoding="utf-8")
            links = re.findall(r'<a href="([^"]+)" hreflang="(\w+)"[^>]*class="[^"]*course-language-switcher', html)
            if [lang] != [code for _, code in links]:
                problems.append(f"{here.relative_to(HTML)}: switcher links {links}")
                continue
            target = (here.parent / links[0][0]).resolve()
            if target != there.resolve():
                problems.append(f"{here.relative_to(HTML)}: the switcher leads to {target}, not {there}")
            if f'<html lang="{"en" if lang == "ko" else "ko"}"' not in html:
                problems.append(f"{here.relative_to(HTML)}: wrong <html lang>")
    assert not problems, "\n".join(problems)


PASTED = re.compile(r'<span class="pasted-text">([^<]*)</span>')


def localised_values(page: Path) -> dict[str, str]:
    """English text a chapter glues with a Korean counterpart (``name`` and ``name_ko``), English -> Korean:
    the Korean page shows the counterpart instead (a computed sentence or word, e.g. chapter 8's verdict)."""
    if page.parent.name != "book" or not (EXECUTED / f"{page.stem}.ipynb").is_file():
        return {}
    values = glued_in(EXECUTED, page.stem)
    return {html.escape(str(v), quote=False): html.escape(str(values[f"{k}_ko"]), quote=False)
            for k, v in values.items() if f"{k}_ko" in values}


def test_every_glued_value_of_an_english_page_is_on_its_korean_page():
    need_site()
    missing_values, translated_with_glue = {}, 0
    for page in site_pages():
        english, korean = (HTML / page).read_text(encoding="utf-8"), (KO / page).read_text(encoding="utf-8")
        localised = localised_values(page)
        shown = Counter(PASTED.findall(korean))
        lost = Counter(v for v in PASTED.findall(english) if not (v in localised and shown[localised[v]]))
        lost -= shown
        if lost:
            missing_values[str(page)] = dict(lost)
        paragraphs = re.findall(r"<p>(.*?)</p>", korean, re.DOTALL)
        translated_with_glue += sum(1 for p in paragraphs if "pasted-text" in p and re.search("[가-힣]", p))
        assert "No key" not in korean and "glue data" not in korean, f"ko/{page}: a glue error is in the page"
    assert not missing_values, f"glued values shown in English but not in Korean: {missing_values}"
    assert PASTED.search((HTML / "book" / "05_lstm.html").read_text(encoding="utf-8")), "no glued value at all?"
    translations = "".join(p.read_text(encoding="utf-8") for p in course_editions.CATALOGUES.rglob("*.po"))
    if re.search(r'msgstr ".*\{glue:text\}', translations):
        assert translated_with_glue, "no translated paragraph shows a glued value"


def test_the_theme_labels_are_korean():
    need_site()
    chapter = (KO / "book" / "05_lstm.html").read_text(encoding="utf-8")
    search = (KO / "search.html").read_text(encoding="utf-8")
    for label in (
        'placeholder="이 책에서 검색..."',  # the search box (theme option, book/_ext/locales/ko/.../sphinx.po)
        "본문으로 건너뛰기",  # "Skip to main content" (pydata-sphinx-theme, same catalogue)
        'title="기본 사이드바 열고 닫기"',  # the navigation toggle (book/_ext/templates)
        "> 내용",  # "Contents" (sphinx-book-theme's own Korean catalogue)
        "실행: Binder",  # the launch buttons (book/_ext/locales/ko/.../booktheme.po)
        "이전 페이지",  # "previous page"
    ):
        assert label in chapter, f"ko/book/05_lstm.html lacks the Korean label {label!r}"
    assert "Contents" not in re.sub(r"<article.*?</article>", "", chapter, flags=re.DOTALL)
    assert '<html lang="ko"' in search and "검색" in search
    exercises = [p for p in (KO / "book").glob("*.html") if 'class="exercise admonition"' in p.read_text()]
    if exercises:  # sphinx-exercise's own Korean catalogue: "Exercise" is 연습
        assert any("연습" in p.read_text() for p in exercises)


# --- search --------------------------------------------------------------------------------------------------


def test_korean_words_are_split_from_latin_and_indexed_with_their_prefixes():
    words = course_i18n.korean_words("망각 게이트는 LSTM의 forget gate(f)를 말한다.")
    assert {"망각", "게이트", "게이트는", "LSTM", "의", "forget", "gate", "f", "를", "말한다"} <= set(words)
    assert "LSTM의" not in words and "게이트는 " not in words


def test_the_korean_search_language_stems_only_latin_words():
    search = course_i18n.SearchKorean({})
    assert search.stem("gates") == "gate" and search.stem("게이트는") == "게이트는"
    assert search.word_filter("망") and search.split("기울기 소실") == ["기", "기울", "기울기", "소", "소실"]


def test_the_korean_search_index_finds_the_pages_that_explain_the_terms():
    """What the browser test (tests/test_site_ko.py) searches, checked on the index itself."""
    need_site()
    import json

    raw = (KO / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(raw[raw.index("(") + 1 : raw.rindex(")")])

    def pages(term: str) -> set[str]:
        found = set()
        for table in ("terms", "titleterms"):
            hits = index[table].get(term, [])
            found |= {index["docnames"][i] for i in ([hits] if isinstance(hits, int) else hits)}
        return found

    assert "book/05_lstm" in pages("망각") & pages("게이트")
    assert "book/03_bptt" in pages("기울기") & pages("소실")


# Text that may stay English on a Korean page: quotations of the (English) titles in the lecture notes, English
# glosses in parentheses, and the English columns of the glossary's term base; anything else of four or more
# English words with no Hangul is an untranslated paragraph.
QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|\([^()]*\)")


def english_paragraphs(page_html: str) -> list[str]:
    """Paragraphs, list items, headings and table cells of the article with no Hangul and at least four English
    words, code, outputs and math excluded."""
    from bs4 import BeautifulSoup  # pydata-sphinx-theme's own dependency

    article = BeautifulSoup(page_html, "html.parser").find("article")
    if article is None:
        return []
    for skipped in article.select("pre, code, script, style, .cell_output, .output, .math, mjx-container, "
                                  ".highlight, .citation, .footnote"):
        skipped.decompose()
    found = []
    for element in article.find_all(["p", "li", "td", "th", "h1", "h2", "h3", "h4", "dt", "dd", "figcaption"]):
        if element.find(["p", "li"]) is not None:
            continue
        text = QUOTED.sub(" ", " ".join(element.get_text(" ").split()))
        if not re.search("[가-힣]", text) and len(re.findall(r"[A-Za-z]{3,}", text)) >= 4:
            found.append(text)
    return found


def test_no_english_paragraph_is_left_on_a_korean_page():
    need_site()
    left = {}
    for page in site_pages():
        paragraphs = english_paragraphs((KO / page).read_text(encoding="utf-8"))
        if page.name == "glossary.html":  # its English and lecture-notes columns are English by design
            paragraphs = [p for p in paragraphs if len(p.split()) > 8]
        if paragraphs:
            left[str(page)] = paragraphs
    assert not left, f"English left on Korean pages: {left}"
    assert english_paragraphs((HTML / "book" / "05_lstm.html").read_text(encoding="utf-8")), "the check finds nothing?"
