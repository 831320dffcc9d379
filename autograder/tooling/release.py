"""Generate the student notebooks ``exercises/<id>/`` from the sources ``solutions/<id>/`` in one command.

``python -m autograder.tooling.release [ids...]`` (or ``make exercises``) runs stock ``nbgrader
generate_assignment --force`` for each assignment, from the repository root with this repository's
``nbgrader_config.py``: solutions become stubs, hidden tests are removed, outputs are cleared, and the
assignment is recorded in the gradebook. Links to chapters (``../../book/05_lstm.md`` in the sources, which
work in the repository) become links to the published site (``html.baseurl`` in ``_config.yml``), so they
work wherever a student opens the notebook: downloaded from the site, in Colab, or in a clone.
``--release-dir`` and ``--db-url`` redirect the output (the
drift test writes to a temporary folder and compares it with the committed ``exercises/``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder.tooling import course_config

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"
# A Markdown link target into the book from solutions/<id>/<id>.ipynb: ../../book/<page>.md[#anchor]
BOOK_LINK = re.compile(r"\]\((?:\.\./)+book/(?P<page>[A-Za-z0-9_]+)\.(?:md|ipynb)(?P<anchor>#[^)\s]*)?\)")


def link_to_site(markdown: str, site_url: str) -> str:
    """``[Chapter 5](../../book/05_lstm.md#x)`` -> ``[Chapter 5](<site_url>book/05_lstm.html#x)``."""
    return BOOK_LINK.sub(lambda m: f"]({site_url}book/{m['page']}.html{m['anchor'] or ''})", markdown)


def publish_links(notebook: Path, site_url: str) -> None:
    """Rewrite the book links of every Markdown cell of ``notebook`` in place (see ``link_to_site``).

    Applied to a staging copy of the sources before nbgrader runs, so its checksums and gradebook agree.
    """
    data = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in data["cells"]:
        if cell.get("cell_type") == "markdown":
            source = "".join(cell.get("source", ""))
            cell["source"] = link_to_site(source, site_url).splitlines(keepends=True)
    notebook.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def assignment_ids() -> list[str]:
    """The assignments in ``solutions/``: every folder holding at least one notebook."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def nbgrader_env() -> dict[str, str]:
    """The environment for nbgrader: the interpreter's bin first on PATH (nbgrader shells out to alembic)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def generate(ids: list[str], release_dir: Path | None = None, db_url: str | None = None, root: Path = ROOT) -> None:
    """Run ``nbgrader generate_assignment --force`` for ``ids`` in the course at ``root`` (this repository, or a
    scratch course with its own ``solutions/`` and ``nbgrader_config.py``); raise ``RuntimeError`` with its log
    on failure."""
    site_url = course_config.read().site_url
    for assignment in ids:
        staging = Path(tempfile.mkdtemp(prefix="release-"))
        shutil.copytree(root / "solutions" / assignment, staging / assignment)
        for notebook in sorted((staging / assignment).glob("*.ipynb")):
            publish_links(notebook, site_url)
        cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
               f"--CourseDirectory.source_directory={staging}"]
        if release_dir is not None:
            cmd.append(f"--CourseDirectory.release_directory={Path(release_dir).resolve()}")
        if db_url is not None:
            cmd.append(f"--CourseDirectory.db_url={db_url}")
        proc = subprocess.run(cmd, cwd=root, env=nbgrader_env(), capture_output=True, text=True)
        shutil.rmtree(staging)
        if proc.returncode != 0 or "[ERROR]" in proc.stderr:
            raise RuntimeError(f"nbgrader generate_assignment {assignment} failed:\n{proc.stderr[-4000:]}")
        print(f"released solutions/{assignment} -> {release_dir or 'exercises'}/{assignment}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.tooling.release", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: every folder in solutions/)")
    parser.add_argument("--release-dir", type=Path, help="write here instead of exercises/")
    parser.add_argument("--db-url", help="gradebook URL instead of nbgrader_config.py's")
    args = parser.parse_args(argv)
    known = assignment_ids()
    unknown = sorted(set(args.assignments) - set(known))
    if unknown:
        parser.error(f"no notebooks in solutions/ for {unknown}; known: {known}")
    generate(args.assignments or known, args.release_dir, args.db_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
