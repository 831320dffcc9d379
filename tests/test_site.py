"""The built site as students meet it, driven in Debian's Chromium with Playwright.

Needs ``make book`` first (``make test`` runs it). Every page listed in ``_toc.yml`` is loaded once, in one
browser and one context, from a local HTTP server on 127.0.0.1; what each page did (HTTP status, console
errors, requests, math, links, images, buttons) is recorded once and the tests below assert on it.
Screenshots go to ``_build/screenshots/``. Without Chromium these tests skip with the install hint, except
under ``CI=true``, where a missing browser is a failure.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
EXERCISES = ROOT / "exercises"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = "install Debian's Chromium (`apt-get install -y chromium`; .ci/run does it), then re-run"


def missing(reason: str) -> None:
    """Skip with the reason, or fail under CI=true, where every check must run."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


def toc_docnames(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Every document listed in _toc.yml (root first, then parts, chapters and sections in order)."""
    data = yaml.safe_load(toc.read_text())
    names = [data["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                names.append(entry["file"])
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key, []))

    walk(data.get("parts", []) + data.get("chapters", []) + data.get("sections", []))
    return list(dict.fromkeys(names))


def is_notebook(docname: str) -> bool:
    """A chapter is an executable MyST notebook when its front matter names a kernel."""
    source = (ROOT / f"{docname}.md").read_text(encoding="utf-8") if (ROOT / f"{docname}.md").exists() else ""
    front = re.match(r"^---\n(.*?)\n---\n", source, re.DOTALL)
    return bool(front and "kernelspec" in front.group(1))


@dataclass
class Visit:
    """What loading one page in the browser did."""

    docname: str
    status: int
    console_errors: list[str] = field(default_factory=list)
    offsite_requests: list[str] = field(default_factory=list)
    math_total: int = 0
    math_typeset: int = 0
    math_errors: int = 0
    links: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    buttons: dict[str, str] = field(default_factory=dict)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def server():
    """The built site on http://127.0.0.1:<free port>/, served from a thread."""
    if not (HTML / "index.html").is_file():
        missing(f"{HTML / 'index.html'} is missing: run `make book` first (`make test` does)")
    handler = functools.partial(QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


def chromium_path() -> str | None:
    for name in ("/usr/bin/chromium", "chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@pytest.fixture(scope="module")
def browser():
    executable = chromium_path()
    if executable is None:
        missing(f"Chromium not found; {INSTALL_HINT}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def context(browser, server):
    """One browser context for all pages; anything off-site is refused and recorded."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.offsite = []
    origin = server.rstrip("/")

    def route(route, request):
        if request.url.startswith(origin) or request.url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            context.offsite.append(request.url)
            route.abort()

    context.route("**/*", route)
    yield context
    context.close()


PAGE_PROBE = """() => {
  const article = document.querySelector('.bd-article') || document.body;
  const math = [...document.querySelectorAll('.math')];
  const abs = (el, attr) =>
    el.getAttribute(attr) === null ? null : new URL(el.getAttribute(attr), document.baseURI).href;
  const buttons = {};
  for (const a of document.querySelectorAll('.article-header-buttons a, .header-article-items a')) {
    const label = (a.textContent || a.getAttribute('title') || a.getAttribute('data-bs-original-title') || '').trim();
    if (label && a.getAttribute('href')) buttons[label] = abs(a, 'href');
  }
  return {
    math_total: math.length,
    math_typeset: math.filter(el => el.querySelector('mjx-container')).length,
    math_errors: document.querySelectorAll('mjx-merror').length,
    links: [...document.querySelectorAll('a[href], link[href]')].map(a => abs(a, 'href')),
    images: [...article.querySelectorAll('img')].map(img => ({
      src: abs(img, 'src'), alt: (img.getAttribute('alt') || '').trim(),
      loaded: img.complete && img.naturalWidth > 0,
    })),
    buttons,
  };
}"""

WAIT_FOR_MATHJAX = """async () => {
  if (!document.querySelector('.math')) return;
  for (let i = 0; i < 100 && !(window.MathJax && MathJax.startup && MathJax.startup.promise); i++)
    await new Promise(r => setTimeout(r, 50));
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
}"""


def visit(context, server: str, docname: str) -> Visit:
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    before = len(context.offsite)
    response = page.goto(server + docname + ".html", wait_until="networkidle")
    page.evaluate(WAIT_FOR_MATHJAX)
    probe = page.evaluate(PAGE_PROBE)
    page.close()
    return Visit(
        docname=docname,
        status=response.status if response else 0,
        console_errors=errors,
        offsite_requests=context.offsite[before:],
        **probe,
    )


@pytest.fixture(scope="module")
def visits(context, server) -> dict[str, Visit]:
    """Every TOC page, loaded once."""
    return {docname: visit(context, server, docname) for docname in toc_docnames()}


def fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""


# --- the site as a whole --------------------------------------------------------------------------------


def test_toc_lists_the_landing_page_and_the_assignments():
    names = toc_docnames()
    assert names[0] == "book/intro" and "book/assignments" in names


def test_every_toc_page_loads_without_errors(visits):
    bad = {d: (v.status, v.console_errors) for d, v in visits.items() if v.status != 200 or v.console_errors}
    assert not bad, f"pages with a non-200 status or console errors: {bad}"
    print(f"\npages checked: {len(visits)}")


def test_no_page_requests_anything_off_site(visits):
    offsite = {d: v.offsite_requests for d, v in visits.items() if v.offsite_requests}
    assert not offsite, f"off-site requests at load time (the site must work offline): {offsite}"


def test_math_is_typeset_by_the_local_mathjax(visits):
    with_math = {d: v for d, v in visits.items() if v.math_total}
    untypeset = {d: (v.math_typeset, v.math_total) for d, v in with_math.items() if v.math_typeset != v.math_total}
    assert not untypeset, f"math left untypeset (typeset, total): {untypeset}"
    tex_errors = {d: v.math_errors for d, v in with_math.items() if v.math_errors}
    assert not tex_errors, f"MathJax TeX errors (red boxes) on: {tex_errors}"
    chapters = [d for d in visits if is_notebook(d)]
    if chapters:
        assert with_math, "no chapter has any math: is MathJax configured (mathjax_path)?"


def test_every_internal_link_and_image_resolves(visits, server):
    targets: dict[str, set[str]] = {}
    for v in visits.values():
        for url in v.links + [img["src"] for img in v.images]:
            if url and url.startswith(server):
                targets.setdefault(url, set()).add(v.docname)
    pages: dict[str, tuple[int, bytes]] = {}
    broken = []
    for url, sources in sorted(targets.items()):
        address, _, fragment = url.partition("#")
        if address not in pages:
            pages[address] = fetch(address)
        status, body = pages[address]
        if status != 200:
            broken.append(f"{url} (HTTP {status}, linked from {sorted(sources)})")
        elif fragment and address.endswith(".html"):
            anchor = urllib.parse.unquote(fragment)
            if f'id="{anchor}"' not in body.decode("utf-8", "replace"):
                broken.append(f"{url} (no id {anchor!r}, linked from {sorted(sources)})")
    assert not broken, "broken internal links:\n" + "\n".join(broken)
    print(f"\ninternal links checked: {len(targets)} ({len(pages)} distinct files)")


def test_every_image_loads_and_diagrams_have_alt_text(visits):
    """Every image loads; every SVG diagram has alt text that describes it (not its file name)."""
    images = [(v.docname, img) for v in visits.values() for img in v.images]
    problems = [f"{docname}: {img['src']} not loaded" for docname, img in images if not img["loaded"]]
    problems += [
        f"{docname}: {img['src']} has no descriptive alt text ({img['alt']!r})"
        for docname, img in images
        if img["src"].endswith(".svg") and (len(img["alt"].split()) < 3 or img["alt"].endswith(".svg"))
    ]
    assert not problems, "images:\n" + "\n".join(problems)


# --- chapters: download and launch buttons --------------------------------------------------------------


def chapter_visits(visits) -> dict[str, Visit]:
    chapters = {d: v for d, v in visits.items() if is_notebook(d)}
    if not chapters:
        pytest.skip("no executable chapter (MyST notebook with a kernelspec) is in _toc.yml yet")
    return chapters


def test_chapters_offer_the_notebook_download(visits):
    for docname, v in chapter_visits(visits).items():
        url = v.buttons.get(".ipynb")
        assert url, f"{docname}: no '.ipynb' download button (buttons: {sorted(v.buttons)})"
        status, body = fetch(url)
        assert status == 200, f"{docname}: {url} gives HTTP {status}"
        notebook = json.loads(body)
        assert notebook["nbformat"] == 4 and notebook["cells"], f"{docname}: {url} is not a notebook"
        code = [c for c in notebook["cells"] if c["cell_type"] == "code"]
        assert code and any(c.get("outputs") for c in code), f"{docname}: the download is not the executed notebook"


def test_chapters_have_binder_colab_and_jupyterhub_buttons(visits):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repo = config["repository"]["url"].split("github.com/")[-1].strip("/")
    branch = config["repository"]["branch"]
    site_branch = config["sphinx"]["config"]["course_site_branch"]
    binderhub, colab_url = config["launch_buttons"]["binderhub_url"], config["launch_buttons"]["colab_url"]
    for docname, v in chapter_visits(visits).items():
        binder, colab, hub = v.buttons.get("Binder"), v.buttons.get("Colab"), v.buttons.get("JupyterHub")
        assert binder == f"{binderhub}/v2/gh/{repo}/{branch}?urlpath=lab/tree/{docname}.md", binder
        assert colab == f"{colab_url}/github/{repo}/blob/{site_branch}/_sources/{docname}.ipynb", colab
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(hub or "").query)
        assert hub and "/hub/user-redirect/git-pull?" in hub, f"{docname}: JupyterHub button {hub}"
        assert query["repo"] == [config["repository"]["url"]] and query["branch"] == [branch], hub
        assert query["urlpath"][0].endswith(f"/{docname}.md"), hub


# --- the assignments page -------------------------------------------------------------------------------


def released_notebooks() -> list[Path]:
    return sorted(p for p in EXERCISES.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def nbgrader_points(notebook: Path) -> float:
    graded = [c["metadata"].get("nbgrader", {}) for c in json.loads(notebook.read_text())["cells"]]
    return sum(meta.get("points", 0) for meta in graded if meta.get("grade"))


def test_assignments_page_downloads_and_points(context, server):
    check_assignments_page(context, server + "book/assignments.html", "No assignment has been released yet")


def check_assignments_page(context, url: str, empty_text: str | None) -> None:
    """The assignments page at ``url`` offers each released notebook byte for byte, with its points and chapters
    (also run on the Korean edition's page by tests/test_site_ko.py)."""
    page = context.new_page()
    page.goto(url, wait_until="networkidle")
    notebooks = released_notebooks()
    if not notebooks:
        if empty_text is not None:
            assert empty_text in page.inner_text(".bd-article")
        page.close()
        pytest.skip("exercises/ has no released notebook yet: the page says so")
    sections = [s for s in page.query_selector_all(".bd-article section section") if s.query_selector("a.download")]
    assert len(sections) == len(notebooks), "one section per released notebook"
    for notebook, section in zip(notebooks, sections, strict=True):
        link = section.query_selector("a.download")
        assert link and link.inner_text().strip() == notebook.name, f"{notebook}: no download link"
        status, body = fetch(urllib.parse.urljoin(page.url, link.get_attribute("href")))
        assert status == 200 and body == notebook.read_bytes(), f"{notebook}: the download is not the released file"
        total = section.query_selector("table tbody tr:last-child").inner_text()
        assert f"{nbgrader_points(notebook):g}" in total, f"{notebook}: points total {total!r}"
        chapters = [a.get_attribute("href") for a in section.query_selector_all("a.internal")]
        assert any(re.search(r"\d\d_\w+\.html", h or "") for h in chapters), f"{notebook}: no chapter link"
    page.close()


def test_solutions_page_offers_exactly_the_released_solutions(context, server):
    page = context.new_page()
    page.goto(server + "book/solutions.html", wait_until="networkidle")
    released = sorted(p for p in (ROOT / "worked-solutions").glob("*/*.ipynb"))
    links = page.query_selector_all(".bd-article a.download")
    assert [a.inner_text().strip() for a in links] == [p.name for p in released]
    if not released:
        assert "No solutions have been released yet" in page.inner_text(".bd-article")
    for notebook, link in zip(released, links, strict=True):
        status, body = fetch(urllib.parse.urljoin(page.url, link.get_attribute("href")))
        assert status == 200 and body == notebook.read_bytes(), f"{notebook}: the download is not the released file"
    page.close()


# --- search and screenshots -----------------------------------------------------------------------------


def test_search_finds_forget_gate(context, server):
    page = context.new_page()
    page.goto(server + "search.html?q=forget+gate", wait_until="networkidle")
    page.wait_for_selector("#search-results p.search-summary", timeout=15000)
    hits = [a.get_attribute("href") for a in page.query_selector_all("#search-results ul.search li a")]
    page.close()
    assert hits, "searching 'forget gate' finds nothing"
    hit_pages = {urllib.parse.urljoin(server + "search.html", h).split("#")[0].split("?")[0] for h in hits}
    assert any("forget gate" in fetch(url)[1].decode().lower() for url in hit_pages), hit_pages


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots(context, server, scheme):
    """Screenshots of the LSTM chapter (when it exists) and the assignments page, light and dark."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = [d for d in ("book/05_lstm", "book/assignments") if (HTML / f"{d}.html").exists()]
    page = context.new_page()
    page.emulate_media(color_scheme=scheme)
    for docname in pages:
        page.goto(server + docname + ".html", wait_until="networkidle")
        page.evaluate(WAIT_FOR_MATHJAX)
        assert page.evaluate("document.documentElement.dataset.theme") == scheme
        if scheme == "dark":
            light_cards = page.evaluate(
                """() => [...document.querySelectorAll('.bd-article img[src$=".svg"]')]
                   .map(img => getComputedStyle(img).backgroundColor)"""
            )
            assert all(c == "rgb(255, 255, 255)" for c in light_cards), f"{docname}: SVGs unreadable in dark mode"
        path = SCREENSHOTS / f"{Path(docname).name}-{scheme}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 10_000
        figure = page.query_selector(".bd-article figure, .bd-article img")
        if figure is not None:  # the first figure at full resolution, to check it reads in this scheme
            figure.screenshot(path=str(SCREENSHOTS / f"{Path(docname).name}-figure-{scheme}.png"))
    page.close()
