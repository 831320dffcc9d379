"""Build and check the translated editions of the site (the Korean one); ``make book`` runs it. See README.

    python book/_ext/course_editions.py ko              # the Korean site: _build/ko/html, copied to _build/html/ko
    python book/_ext/course_editions.py pot DIR         # the English messages: DIR/book/<page>.pot
    python book/_ext/course_editions.py check [--strict]  # which Korean messages are missing, stale or fuzzy
    python book/_ext/course_editions.py update          # .pot into _build/i18n/pot, then `sphinx-intl update`

All of them run Sphinx with the configuration ``jupyter-book build`` uses (``_config.yml`` and ``_toc.yml``,
through Jupyter Book's own ``build_sphinx``) and myst-nb's cache mode on the English build's execution cache
(``_build/.jupyter_cache``), so they never execute a notebook: ``ko`` fails if its log says one was.
``--cache`` points them at another cache (the tests run ``check`` on a copy of the sources).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "_build"
LANGUAGE = "ko"
CATALOGUES = ROOT / "book" / "locales" / LANGUAGE / "LC_MESSAGES"
# The messages of the templates in book/_ext/templates (sphinx.pot) are translated with the theme labels,
# in book/_ext/locales, not by the page translators.
TEMPLATE_CATALOGUES = ROOT / "book" / "_ext" / "locales" / LANGUAGE / "LC_MESSAGES"
EXECUTION_MARKERS = ("Executing notebook", "Executed notebook")


class Tee:
    """Write to the terminal and keep a copy (the build log)."""

    def __init__(self, stream, log):
        self.stream, self.log = stream, log

    def write(self, text):
        self.log.write(text)
        return self.stream.write(text)

    def flush(self):
        self.log.flush()
        self.stream.flush()

    def isatty(self):
        return False

    def __getattr__(self, name):
        return getattr(self.stream, name)


# myst-nb's own labels, which no catalogue translates (its code_prompt_* settings)
KOREAN_LABELS = {"nb_code_prompt_show": "코드 보기", "nb_code_prompt_hide": "코드 숨기기"}


def sphinx(builder: str, outdir: Path, doctrees: Path, overrides: dict, *, cache: Path, strict: bool, quiet=False):
    """Run Sphinx as ``jupyter-book build`` does, with ``overrides`` on top of ``_config.yml``."""
    from jupyter_book.sphinx import build_sphinx

    os.chdir(ROOT)
    config = {
        "external_toc_path": (ROOT / "_toc.yml").as_posix(),
        "latex_individualpages": False,
        "nb_execution_mode": "cache",
        "nb_execution_cache_path": str(cache),
        **overrides,
    }
    return build_sphinx(
        ROOT,
        outdir,
        noconfig=True,
        path_config=str(ROOT / "_config.yml"),
        confoverrides=config,
        doctreedir=doctrees,
        builder=builder,
        warningiserror=strict,
        keep_going=strict,
        quiet=quiet,
    )


def build_korean(cache: Path) -> int:
    """The Korean site into _build/ko/html (its own doctrees and jupyter_execute), then into _build/html/ko."""
    import yaml

    baseurl = yaml.safe_load((ROOT / "_config.yml").read_text())["html"]["baseurl"]
    out = BUILD / LANGUAGE
    out.mkdir(parents=True, exist_ok=True)
    log_path = out / "build.log"
    with log_path.open("w", encoding="utf-8") as log:
        stdout, sys.stdout = sys.stdout, Tee(sys.stdout, log)
        try:
            status = sphinx(
                "html",
                out / "html",
                out / ".doctrees",
                {"language": LANGUAGE, "html_baseurl": baseurl.rstrip("/") + f"/{LANGUAGE}/", **KOREAN_LABELS},
                cache=cache,
                strict=True,
            )
        finally:
            sys.stdout = stdout
    executed = [line for line in log_path.read_text().splitlines() if any(m in line for m in EXECUTION_MARKERS)]
    if executed:
        print(f"the Korean build executed notebooks (it must reuse {cache}):\n" + "\n".join(executed))
        return 1
    if status != 0:
        return status if isinstance(status, int) else 1
    target = BUILD / "html" / LANGUAGE
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(out / "html", target)
    log_name = log_path.relative_to(ROOT)
    print(f"Korean edition: {target.relative_to(ROOT)}/index.html (no notebook executed; log {log_name})")
    return 0


def make_pot(pot_dir: Path, cache: Path) -> None:
    """The English messages of every page, one .pot per page (gettext_compact off), into ``pot_dir``."""
    status = sphinx(
        "gettext",
        pot_dir,
        BUILD / "i18n" / ".doctrees",
        {"gettext_compact": False},
        cache=cache,
        strict=False,
        quiet=True,
    )
    if status != 0:
        raise SystemExit(f"the gettext build failed ({status})")


@dataclass
class Problem:
    page: str
    kind: str  # "no catalogue", "untranslated" (also: English changed), "fuzzy"
    msgid: str = ""

    def __str__(self) -> str:
        return f"{self.page}: {self.kind}" + (f": {self.msgid!r}" if self.msgid else "")


def compare(pot_dir: Path, catalogues: Path = CATALOGUES, templates: Path = TEMPLATE_CATALOGUES) -> list[Problem]:
    """Every English message of ``pot_dir`` that has no current Korean translation in ``catalogues`` (pages) or
    ``templates`` (``sphinx.pot``, the messages of the templates)."""
    from babel.messages.pofile import read_po

    problems = []
    for pot in sorted(pot_dir.rglob("*.pot")):
        page = pot.relative_to(pot_dir).with_suffix("").as_posix()
        with pot.open("rb") as f:
            wanted = [m.id for m in read_po(f) if m.id]
        po_path = (templates if page == "sphinx" else catalogues) / f"{page}.po"
        if not po_path.exists():
            problems.append(Problem(page, f"no catalogue ({len(wanted)} messages; run `make i18n-update`)"))
            continue
        with po_path.open("rb") as f:
            po = read_po(f)
        for msgid in wanted:
            message = po.get(msgid)
            if message is None or not message.string:
                problems.append(Problem(page, "untranslated", msgid))
            elif message.fuzzy:
                problems.append(Problem(page, "fuzzy", msgid))
    return problems


def check(cache: Path, strict: bool, pot_dir: Path | None = None) -> int:
    with tempfile.TemporaryDirectory(prefix="course-pot-") as tmp:
        pot = pot_dir or Path(tmp)
        if pot_dir is None:
            make_pot(pot, cache)
        problems = compare(pot)
    for problem in problems:
        print(f"Korean edition: {problem}")
    if problems:
        pages = len({p.page for p in problems})
        print(
            f"Korean edition: {len(problems)} English messages on {pages} pages have no current Korean translation "
            "(the Korean pages show them in English); `make i18n-update`, then translate them in "
            "book/locales/ko/LC_MESSAGES/"
        )
    else:
        print("Korean edition: every English message has a current Korean translation")
    return 1 if problems and strict else 0


def update(cache: Path) -> int:
    pot = BUILD / "i18n" / "pot"
    shutil.rmtree(pot, ignore_errors=True)
    make_pot(pot, cache)
    for stray in [p for p in pot.iterdir() if p.name != "book"]:  # sphinx.pot (templates), static files
        shutil.rmtree(stray) if stray.is_dir() else stray.unlink()
    sphinx_intl = Path(sys.executable).with_name("sphinx-intl")
    return subprocess.call(
        [str(sphinx_intl), "update", "-p", str(pot), "-d", str(ROOT / "book" / "locales"), "-l", LANGUAGE]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["ko", "pot", "check", "update"])
    parser.add_argument("dir", nargs="?", type=Path, help="pot: where to write; check: compare this pot folder")
    parser.add_argument("--strict", action="store_true", help="check: exit 1 on any missing, stale or fuzzy message")
    parser.add_argument("--cache", type=Path, default=BUILD / ".jupyter_cache", help="the jupyter cache to reuse")
    args = parser.parse_args(argv)
    cache = args.cache.resolve()
    if args.command == "ko":
        return build_korean(cache)
    if args.command == "pot":
        if args.dir is None:
            parser.error("pot needs a folder")
        make_pot(args.dir.resolve(), cache)
        return 0
    if args.command == "check":
        return check(cache, args.strict, args.dir.resolve() if args.dir else None)
    return update(cache)


if __name__ == "__main__":
    sys.exit(main())
