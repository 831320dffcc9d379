"""Sphinx extension for the course site as students meet it.

* ``{assignment-list}``: a fenced block in ``book/assignments.md`` that is replaced, every build, by one
  section per assignment found in ``exercises/<id>/``: a download of the released notebook, its points
  table read from the nbgrader cell metadata, and links to the chapters it practises. Only released
  notebooks are read, so no solution or hidden test can reach the page.
* ``{solution-list}``: the same for ``book/solutions.md``, from the solution notebooks that the student edition's
  export writes into ``worked-solutions/<id>/`` for each assignment in ``course_released_solutions``. The
  instructor repository has no such folder, so its build lists none.
* Colab cannot open MyST-Markdown, so each chapter's Colab button is pointed at the executed ``.ipynb``
  that the theme publishes under ``_sources/`` (on the branch the site is published to, see README).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat
from docutils import nodes
from jupyter_cache import get_cache
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

PAGE = "book/assignments"
FENCE = re.compile(r"^```\{assignment-list\}\n(?P<body>.*?)^```\n", re.MULTILINE | re.DOTALL)
SOLUTIONS_PAGE = "book/solutions"
SOLUTIONS_FENCE = re.compile(r"^```\{solution-list\}\n```\n", re.MULTILINE)
CHAPTER_NAME = re.compile(r"\b(\d\d_[a-z0-9_]+)")


@dataclass
class GradedPart:
    """One nbgrader-graded cell: its id, points, and whether a person or the autograder scores it."""

    grade_id: str
    points: float
    by_hand: bool


@dataclass
class Assignment:
    """A released assignment: exercises/<name>/<notebook>.ipynb and what its metadata says."""

    name: str
    notebook: Path
    title: str
    parts: list[GradedPart]
    chapters: list[str]

    @property
    def total(self) -> float:
        return sum(part.points for part in self.parts)


def read_assignment(notebook: Path, chapter_names: set[str]) -> Assignment:
    """Read a released nbgrader notebook: its first heading, graded cells and the chapters it links to."""
    try:
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    except (json.JSONDecodeError, KeyError, UnicodeDecodeError) as error:
        raise ExtensionError(
            f"{notebook} is not a readable notebook ({error}); regenerate exercises/ from solutions/ (make exercises)"
        ) from error
    title, parts, chapters = notebook.parent.name, [], []
    for cell in cells:
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            heading = re.search(r"^#\s+(.+)$", source, re.MULTILINE)
            if heading and title == notebook.parent.name:
                title = heading.group(1).strip()
            chapters += [name for name in CHAPTER_NAME.findall(source) if name in chapter_names]
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            by_hand = bool(meta.get("solution")) or meta.get("task", False)
            parts.append(GradedPart(meta.get("grade_id", "?"), float(meta.get("points", 0)), by_hand))
    return Assignment(notebook.parent.name, notebook, title, parts, list(dict.fromkeys(chapters)))


def find_assignments(exercises: Path, chapter_names: set[str], fallback: dict[str, list[str]]) -> list[Assignment]:
    """Every released notebook under exercises/<id>/, sorted by id; chapters default to the fallback map."""
    if not exercises.is_dir():
        return []
    found = []
    for notebook in sorted(exercises.glob("*/*.ipynb")):
        if ".ipynb_checkpoints" in notebook.parts:
            continue
        assignment = read_assignment(notebook, chapter_names)
        if not assignment.chapters:
            assignment.chapters = [c for c in fallback.get(assignment.name, []) if c in chapter_names]
        found.append(assignment)
    return found


def parse_fallback(body: str) -> dict[str, list[str]]:
    """Lines ``ps3_lstm: 05_lstm, 07_pytorch_api`` -> {"ps3_lstm": ["05_lstm", "07_pytorch_api"]}."""
    mapping = {}
    for line in body.splitlines():
        if ":" in line:
            name, chapters = line.split(":", 1)
            mapping[name.strip()] = [c.strip() for c in chapters.split(",") if c.strip()]
    return mapping


def points(value: float) -> str:
    return f"{value:g}"


def render(assignments: list[Assignment], page_dir: Path) -> str:
    """The MyST-Markdown that replaces the ``{assignment-list}`` block."""
    if not assignments:
        return ":::{note}\nNo assignment has been released yet: `exercises/` is empty.\n:::\n"
    lines = []
    for a in assignments:
        relative = Path("..") / a.notebook.relative_to(page_dir.parent)
        chapters = ", ".join(f"[](./{name}.md)" for name in a.chapters) or "(chapter not published yet)"
        lines += [
            f"## {a.title}",
            "",
            f"- **Download:** {{download}}`{a.notebook.name} <{relative.as_posix()}>` (`{a.name}`)",
            f"- **Practises:** {chapters}",
            f"- **Points:** {points(a.total)}",
            "",
            "| graded part | graded by | points |",
            "|---|---|---:|",
        ]
        lines += [
            f"| `{p.grade_id}` | {'instructor' if p.by_hand else 'autograder'} | {points(p.points)} |" for p in a.parts
        ]
        lines += [f"| **total** | | **{points(a.total)}** |", ""]
    return "\n".join(lines)


def render_assignment_list(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read``: replace the assignments page's ``{assignment-list}`` block with the generated list."""
    if docname != PAGE:
        return
    match = FENCE.search(source[0])
    if match is None:
        raise ExtensionError(f"{app.env.doc2path(PAGE)} has no ```{{assignment-list}} block; add one")
    srcdir = Path(app.srcdir)
    exercises = srcdir / app.config.course_exercises_dir
    chapter_names = {Path(doc).name for doc in app.env.found_docs if doc.startswith("book/")}
    assignments = find_assignments(exercises, chapter_names, parse_fallback(match.group("body")))
    for a in assignments:
        app.env.note_dependency(str(a.notebook))
    generated = render(assignments, srcdir / "book")
    source[0] = source[0][: match.start()] + generated + source[0][match.end() :]


def render_solutions(notebooks: list[Path], page_dir: Path) -> str:
    """The MyST-Markdown that replaces the ``{solution-list}`` block: one download per released solution."""
    if not notebooks:
        return ":::{note}\nNo solutions have been released yet: they appear here after an assignment is graded.\n:::\n"
    lines = []
    for notebook in notebooks:
        relative = Path("..") / notebook.relative_to(page_dir.parent)
        lines.append(f"- **{notebook.parent.name}**: {{download}}`{notebook.name} <{relative.as_posix()}>`")
    return "\n".join(lines) + "\n"


def render_solution_list(app: Sphinx, docname: str, source: list[str]) -> None:
    """``source-read``: replace the solutions page's ``{solution-list}`` block with the released solutions."""
    if docname != SOLUTIONS_PAGE:
        return
    match = SOLUTIONS_FENCE.search(source[0])
    if match is None:
        raise ExtensionError(f"{app.env.doc2path(SOLUTIONS_PAGE)} has no ```{{solution-list}} block; add one")
    srcdir = Path(app.srcdir)
    folder = srcdir / app.config.course_solutions_dir
    notebooks = sorted(p for p in folder.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
    for notebook in notebooks:
        app.env.note_dependency(str(notebook))
    source[0] = source[0][: match.start()] + render_solutions(notebooks, srcdir / "book") + source[0][match.end() :]


def keep_solution_links_untranslated(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: the solutions page's generated entries (an assignment id and a download) have nothing
    to translate, and which ones exist changes with every release: keep them out of the message catalogues."""
    if app.env.docname != SOLUTIONS_PAGE:
        return
    for paragraph in doctree.findall(nodes.paragraph):
        if any(app.config.course_solutions_dir in str(ref.get("reftarget", ""))
               for ref in paragraph.findall(addnodes.download_reference)):
            paragraph["translatable"] = False


def always_reread_assignments(app: Sphinx, env, added, changed, removed) -> list[str]:
    """``env-get-outdated``: re-read the generated pages every build (new folders count)."""
    return [page for page in (PAGE, SOLUTIONS_PAGE) if page in env.found_docs]


def publish_executed_notebook(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """``html-page-context``: make the ``.ipynb`` download the executed notebook, outputs included.

    The theme copies ``_build/jupyter_execute/<page>.ipynb``, which myst-nb writes without outputs when
    execution is cached (``execute_notebooks: cache``); the outputs are merged back from the jupyter cache.
    """
    if not context.get("ipynb_source") or app.env.mystnb_config.execution_mode != "cache":
        return
    target = Path(app.outdir) / "_sources" / context["ipynb_source"]
    notebook = nbformat.read(target, as_version=4)
    if any(cell.get("outputs") for cell in notebook.cells):
        return
    cache = get_cache(app.env.mystnb_config.execution_cache_path)
    try:
        _, notebook = cache.merge_match_into_notebook(notebook)
    except KeyError:
        logger.info(f"{pagename}: no cached execution to merge; the .ipynb download has no outputs")
        return
    nbformat.write(notebook, target)


def point_colab_at_notebook(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """``html-page-context``: send Colab to the executed notebook published under ``_sources/`` on the site branch."""
    if not context.get("ipynb_source"):
        return
    repo_url = app.config.html_theme_options.get("repository_url", "")
    owner_repo = repo_url.split("github.com/")[-1].strip("/") if "github.com/" in repo_url else ""
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if group.get("label") == "launch-buttons" else []:
            if button.get("text") == "Colab" and owner_repo:
                colab = button["url"].split("/github/")[0]
                branch = app.config.course_site_branch
                button["url"] = f"{colab}/github/{owner_repo}/blob/{branch}/_sources/{context['ipynb_source']}"


def set_theme_defaults(app: Sphinx, config) -> None:
    """``config-inited``: start in the reader's system light/dark mode (an unset mode logs a console error), and
    offer pages the substitution ``{{ pip_install_course }}``: how to install the library from ``repository.url``."""
    config.html_context.setdefault("default_mode", "auto")
    repository = config.html_theme_options.get("repository_url", "")
    config.myst_substitutions = {**config.myst_substitutions, "pip_install_course": f'`pip install "git+{repository}"`'}


def drop_duplicate_scripts(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """``html-page-context``: include each script once (sphinx-thebe registers its inline config twice,
    and the second ``const THEBE_JS_URL`` is a SyntaxError in the browser console)."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", tuple(sorted(script.attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict:
    app.add_config_value("course_exercises_dir", "exercises", "env")
    app.add_config_value("course_site_branch", "gh-pages", "html")
    app.add_config_value("course_solutions_dir", "worked-solutions", "env")
    app.add_config_value("course_released_solutions", [], "env")  # read by the export, which fills the folder
    app.add_config_value("course_feedback_language", "en", "env")  # read by the autograder, not the site
    app.connect("source-read", render_assignment_list)
    app.connect("source-read", render_solution_list)
    app.connect("doctree-read", keep_solution_links_untranslated)
    app.connect("env-get-outdated", always_reread_assignments)
    app.connect("config-inited", set_theme_defaults)
    app.connect("html-page-context", publish_executed_notebook, priority=502)
    app.connect("html-page-context", point_colab_at_notebook, priority=502)
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
