"""Sphinx extension for the course's translated editions (the Korean one: ``_build/html/ko``).

Loaded in every build (English included, where it only adds the language switcher); the Korean build is run by
``book/_ext/course_editions.py ko`` (``make book``) with ``language = "ko"``. See README, "Korean edition".

* **Language switcher.** Every page gets a link to the same page in the other edition (English pages to
  ``ko/<page>.html``, Korean pages back), in the article header and as ``<link rel="alternate" hreflang>``.
* **Glue in translated text.** myst-nb resolves ``{glue:text}`key``` while it parses the notebook, from the
  notebook it is parsing. A translated message is parsed later, on its own, by Sphinx's ``Locale`` transform, so
  the role finds no notebook ("No key 'loss' found in glue data"). The roles are wrapped: in a translated message,
  ``key`` (and ``path::key`` to another page) becomes myst-nb's own pending glue reference to the page being
  translated, which myst-nb's ``ReplacePendingGlueReferences`` post-transform fills from the page's
  ``<page>.glue.json``, formatted exactly as in English.
* **Search in Korean.** Sphinx has no Korean search language (it falls back to English, whose index keeps
  ``게이트는`` whole, so ``게이트`` finds nothing). :class:`SearchKorean` splits Hangul from Latin runs, indexes
  every Hangul word with all its prefixes (Korean attaches particles and endings: ``게이트는`` is indexed as
  ``게``, ``게이``, ``게이트``, ``게이트는``), and stems only Latin words (English Porter, as the English edition).
* **Theme labels.** ``language = "ko"`` uses Sphinx's, sphinx-book-theme's and sphinx-exercise's Korean
  catalogues; pydata-sphinx-theme ships none, so ``book/_ext/locales/ko/LC_MESSAGES/sphinx.po`` fills its labels
  (Sphinx reads a ``sphinx.po`` in ``locale_dirs`` before its own).
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes
from myst_nb.ext.glue.domain import NbGlueDomain
from myst_nb.ext.glue.roles import PasteRoleAny, PasteTextRole
from myst_nb.ext.glue.utils import PendingGlueReference
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.locale import _
from sphinx.locale import init as init_locale
from sphinx.search.en import SearchEnglish
from sphinx.transforms import SphinxTransform
from sphinx.util.i18n import CatalogInfo, docname_to_domain

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
LOCALES = HERE / "locales"
# language -> (its name, in itself; the folder of the site that holds it)
LANGUAGES = {"en": ("English", ""), "ko": ("한국어", "ko")}


# --- language switcher -----------------------------------------------------------------------------------


def language_links(app: Sphinx, pagename: str) -> list[dict[str, str]]:
    """Links from ``pagename`` to the same page in every other edition, relative to the page."""
    current = app.config.language or "en"
    here_prefix = LANGUAGES.get(current, ("", current))[1]
    target = app.builder.get_target_uri(pagename)
    depth = pagename.count("/") + (1 if here_prefix else 0)
    to_site_root = "../" * depth
    links = []
    for code, (name, prefix) in LANGUAGES.items():
        if code == current:
            continue
        links.append({"lang": code, "name": name, "url": to_site_root + (f"{prefix}/" if prefix else "") + target})
    return links


def add_language_links(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """``html-page-context``: the switcher's links, and ``<link rel="alternate" hreflang>`` for each edition."""
    if app.builder.format != "html":
        return
    links = language_links(app, pagename)
    context["course_language_links"] = links
    context["metatags"] = context.get("metatags", "") + "".join(
        f'\n<link rel="alternate" hreflang="{link["lang"]}" href="{link["url"]}" />' for link in links
    )


def add_switcher_to_theme(app: Sphinx, config) -> None:
    """``config-inited``: put the switcher in the article header, next to the theme's buttons."""
    config.html_static_path = [*config.html_static_path, str(HERE / "static")]  # course_i18n.css
    config.templates_path = [str(TEMPLATES), *config.templates_path]  # before the themes' component folders
    options = config.html_theme_options
    end = options.get("article_header_end") or ["article-header-buttons.html"]
    end = [end] if isinstance(end, str) else list(end)
    if "course-language-switcher.html" not in end:
        options["article_header_end"] = ["course-language-switcher.html", *end]
    if (config.language or "en") != "en":
        # theme options are printed as they are: translate them (book/_ext/locales/<lang>/LC_MESSAGES/sphinx.po)
        if options.get("search_bar_text"):
            options["search_bar_text"] = _(options["search_bar_text"])
        config.html_title = translate_from_pages(app, config, config.html_title)


# --- translated labels outside the pages' text -----------------------------------------------------------


def translate_from_pages(app: Sphinx, config, text: str) -> str:
    """``text`` as the pages' catalogues translate it (the site title is the landing page's heading)."""
    from babel.messages.pofile import read_po

    for locale_dir in config.locale_dirs:
        for po_path in sorted(Path(app.srcdir, locale_dir, config.language, "LC_MESSAGES").rglob("*.po")):
            with po_path.open("rb") as f:
                message = read_po(f).get(text)
            if message is not None and message.string and not message.fuzzy:
                return message.string
    return text


class TranslateTocCaptions(SphinxTransform):
    """Translate the captions of the toctrees that sphinx-external-toc inserts (priority 100), after Sphinx's
    Locale transform (priority 20) has already run, from the page's own catalogue."""

    default_priority = 150

    def apply(self, **kwargs) -> None:
        if (self.config.language or "en") == "en":
            return
        toctrees = [t for t in self.document.findall(addnodes.toctree) if t.get("caption")]
        if not toctrees:
            return
        domain = docname_to_domain(self.env.docname, self.config.gettext_compact)
        dirs = [str(Path(self.env.srcdir, d)) for d in self.config.locale_dirs]
        catalog, has_catalog = init_locale(dirs, self.config.language, domain)
        if not has_catalog:
            return
        for toctree in toctrees:
            translated = catalog.gettext(toctree["caption"])
            if translated and translated != toctree["caption"]:
                toctree["caption"] = toctree["rawcaption"] = translated


# --- glue roles in translated messages -------------------------------------------------------------------


def is_translated_message(document: nodes.document) -> bool:
    """Sphinx's Locale transform parses each translated message as a document of its own, whose source is
    ``<page source>:<line>:<translated>`` and which has no notebook attached."""
    return "nb_renderer" not in document and str(document.get("source", "")).endswith(":<translated>")


def pending_glue(role, key: str, gtype: str | None, **kwargs) -> tuple[list[nodes.Node], list]:
    """A pending glue reference to ``key`` in the page being translated (or ``doc::key`` in another page)."""
    env = role.document.settings.env
    refdoc = env.docname
    if "::" in key:
        doc, key = key.split("::", 1)
        _, filepath = env.relfn2path(doc, env.docname)
        refdoc = env.path2doc(filepath) or env.path2doc(filepath + ".md") or env.path2doc(filepath + ".ipynb")
        if refdoc is None:
            return [], [role.document.reporter.warning(f"glue: no page {doc!r} for {key!r}", line=role.line)]
    ref = PendingGlueReference(refdoc=refdoc, key=key, inline=True, gtype=gtype, **kwargs)
    ref.source, ref.line = role.source, role.line
    return [ref], []


class TranslatedPasteTextRole(PasteTextRole):
    """``{glue:text}`key:fmt``` that also works inside a translated message."""

    def run(self):
        if not is_translated_message(self.document):
            return super().run()
        parts = self.text.rsplit(":", 1)  # as PasteTextRole: "key", "key:fmt", "doc::key:fmt"
        key, fmt_spec = parts if len(parts) == 2 else (parts[0], "s")
        return pending_glue(self, key, "text", fmt_spec=fmt_spec)


class TranslatedPasteRoleAny(PasteRoleAny):
    """``{glue}`key``` that also works inside a translated message."""

    def run(self):
        if not is_translated_message(self.document):
            return super().run()
        return pending_glue(self, self.text, None)


class CourseGlueDomain(NbGlueDomain):
    roles = {**NbGlueDomain.roles, "": TranslatedPasteRoleAny(), "any": TranslatedPasteRoleAny()}
    roles["text"] = TranslatedPasteTextRole()


# --- search in Korean ------------------------------------------------------------------------------------

HANGUL = "\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7a3\ud7b0-\ud7ff"
HANGUL_RUN = re.compile(f"[{HANGUL}]+")
WORD = re.compile(r"\w+")
SPLIT_HANGUL = re.compile(f"[{HANGUL}]+|[^{HANGUL}]+")


def korean_words(text: str) -> list[str]:
    """Words of ``text`` for the search index: Latin/digit runs as they are, each Hangul run with its prefixes."""
    words: list[str] = []
    for token in WORD.findall(text):
        for part in SPLIT_HANGUL.findall(token):
            if HANGUL_RUN.fullmatch(part):
                words += [part[:end] for end in range(1, len(part) + 1)]
            else:
                words.append(part)
    return words


class SearchKorean(SearchEnglish):
    """Korean search: Hangul words and their prefixes are indexed unstemmed, Latin words stemmed as in English."""

    lang = "ko"
    language_name = "Korean"
    js_stemmer_code = (
        SearchEnglish.js_stemmer_code
        + """
/* Korean edition (book/_ext/course_i18n.py): Hangul words are indexed with all their prefixes and unstemmed;
 * Latin words are stemmed as in English. */
const CourseEnglishStemmer = Stemmer;
Stemmer = function () {
  const english = new CourseEnglishStemmer();
  this.stemWord = (word) => (/\\p{Script=Hangul}/u.test(word) ? word : english.stemWord(word));
};
"""
    )
    js_splitter_code = """
/* Korean edition: split at anything that is not a letter or digit, then between Hangul and other scripts,
 * as SearchKorean.split does in Python ("LSTM의" is "LSTM" and "의"). */
var splitQuery = (query) => query
  .split(/[^\\p{Letter}\\p{Number}_\\p{Emoji_Presentation}]+/gu)
  .flatMap((token) => token.match(/\\p{Script=Hangul}+|\\P{Script=Hangul}+/gu) || [])
  .filter((term) => term);
"""

    def split(self, input: str) -> list[str]:
        return korean_words(input)

    def stem(self, word: str) -> str:
        return word if HANGUL_RUN.search(word) else super().stem(word)


def add_theme_catalogue(app: Sphinx) -> None:
    """The booktheme labels sphinx-book-theme's own Korean catalogue lacks (book/_ext/locales/ko/.../booktheme.po),
    compiled here: Sphinx compiles only ``sphinx.po`` and the pages' catalogues."""
    language = app.config.language or "en"
    if language == "en" or not (LOCALES / language / "LC_MESSAGES" / "booktheme.po").exists():
        return
    catalogue = CatalogInfo(str(LOCALES / language / "LC_MESSAGES"), "booktheme", "utf-8")
    if catalogue.is_outdated():
        catalogue.write_mo(language)
    app.add_message_catalog("booktheme", str(LOCALES))


def setup(app: Sphinx) -> dict:
    add_theme_catalogue(app)
    app.add_transform(TranslateTocCaptions)
    app.add_domain(CourseGlueDomain, override=True)
    app.add_role("glue", TranslatedPasteRoleAny(), override=True)
    app.add_search_language(SearchKorean)
    app.connect("config-inited", add_switcher_to_theme)
    app.add_css_file("course_i18n.css")
    app.connect("html-page-context", add_language_links)
    # bump env_version when a change here alters doctrees (the next build then re-reads every page)
    return {"env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}
