"""The Korean edition (``_build/html/ko``) in Debian's Chromium: tests/test_site.py's checks over every Korean page,
the language switcher, and search in Korean.

Needs ``make book`` (it builds both editions). Shares tests/test_site.py's server (the whole ``_build/html``),
browser and context; like it, it skips without Chromium except under ``CI=true``, where that is a failure.
Screenshots of the Korean LSTM chapter and assignments page go to ``_build/screenshots/ko-*.png``.
"""

from __future__ import annotations

import urllib.parse
from pathlib import Path

import pytest
import test_site as en
from test_site import browser, context, server  # noqa: F401  (the shared fixtures)

KO = "ko/"


@pytest.fixture(scope="module")
def visits(context, server):  # noqa: F811
    """Every TOC page of the Korean edition, loaded once; keyed by the English docname."""
    if not (en.HTML / "ko" / "index.html").is_file():
        en.missing(f"{en.HTML / 'ko' / 'index.html'} is missing: run `make book` (it builds the Korean edition)")
    return {docname: en.visit(context, server, KO + docname) for docname in en.toc_docnames()}


# --- tests/test_site.py's checks, on the Korean pages --------------------------------------------------------


def test_every_korean_page_loads_without_errors(visits):
    en.test_every_toc_page_loads_without_errors(visits)


def test_no_korean_page_requests_anything_off_site(visits):
    en.test_no_page_requests_anything_off_site(visits)


def test_korean_math_is_typeset_by_the_local_mathjax(visits):
    en.test_math_is_typeset_by_the_local_mathjax(visits)


def test_every_internal_link_and_image_of_the_korean_pages_resolves(visits, server):  # noqa: F811
    en.test_every_internal_link_and_image_resolves(visits, server)


def test_korean_images_load_and_diagrams_have_alt_text(visits):
    en.test_every_image_loads_and_diagrams_have_alt_text(visits)


def test_korean_chapters_offer_the_notebook_download(visits):
    en.test_chapters_offer_the_notebook_download(visits)


def test_korean_chapters_have_binder_colab_and_jupyterhub_buttons(visits):
    en.test_chapters_have_binder_colab_and_jupyterhub_buttons(visits)


def test_korean_assignments_page_downloads_and_points(context, server):  # noqa: F811
    en.check_assignments_page(context, server + KO + "book/assignments.html", empty_text=None)


# --- the language switcher ---------------------------------------------------------------------------------


@pytest.mark.parametrize("docname", ["book/intro", "book/05_lstm", "book/assignments", "search"])
def test_the_switcher_leads_to_the_same_page_in_the_other_language(context, server, docname):  # noqa: F811
    page = context.new_page()
    page.goto(server + docname + ".html", wait_until="networkidle")
    assert page.get_attribute("html", "lang") == "en"
    page.click("a.course-language-switcher[hreflang=ko]")
    page.wait_for_load_state("networkidle")
    assert page.url.split("#")[0].split("?")[0] == server + KO + docname + ".html"
    assert page.get_attribute("html", "lang") == "ko"
    page.click("a.course-language-switcher[hreflang=en]")
    page.wait_for_load_state("networkidle")
    assert page.url.split("#")[0].split("?")[0] == server + docname + ".html"
    page.close()


# --- search in Korean --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, docname",
    [("망각 게이트", "book/05_lstm"), ("기울기 소실", "book/03_bptt")],
)
def test_korean_search_finds_the_page_that_explains_it(context, server, query, docname):  # noqa: F811
    page = context.new_page()
    page.goto(server + KO + "search.html?q=" + urllib.parse.quote_plus(query), wait_until="networkidle")
    page.wait_for_selector("#search-results p.search-summary", timeout=15000)
    hits = [a.get_attribute("href") for a in page.query_selector_all("#search-results ul.search li a")]
    heading = page.inner_text("#search-results h2")
    page.close()
    assert heading == "검색 결과", f"the results heading is not Korean: {heading!r}"
    pages = {urllib.parse.urljoin(server + KO + "search.html", h).split("#")[0].split("?")[0] for h in hits}
    assert server + KO + docname + ".html" in pages, f"searching {query!r} does not find {docname}: {sorted(pages)}"
    text = en.fetch(server + KO + docname + ".html")[1].decode()
    assert all(word in text for word in query.split()), f"{docname} does not contain every word of {query!r}"


# --- screenshots -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_korean_screenshots(context, server, scheme):  # noqa: F811
    """Screenshots of the Korean LSTM chapter and assignments page; the Korean labels are in the page."""
    en.SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = context.new_page()
    page.emulate_media(color_scheme=scheme)
    for docname in ("book/05_lstm", "book/assignments"):
        if not (en.HTML / KO / f"{docname}.html").exists():
            continue
        page.goto(server + KO + docname + ".html", wait_until="networkidle")
        page.evaluate(en.WAIT_FOR_MATHJAX)
        assert page.evaluate("document.documentElement.dataset.theme") == scheme
        path = en.SCREENSHOTS / f"ko-{Path(docname).name}-{scheme}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
    page.close()
