"""Read the numbers a chapter computed at build time, so tests check what the reader sees.

Chapters publish values with ``myst_nb.glue(name, value, display=False)``; ``make book`` executes
them and writes the executed notebooks under ``_build/jupyter_execute/`` (myst-nb 1.x keeps the
values glued with ``display=False`` beside them, in ``<chapter>.glue.json``). The values are read back
from there (their ``repr`` must be a Python literal: numbers, strings, lists, dicts, tuples).
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# BOOK_EXECUTED points the tests at another build's executed chapters (e.g. a single-page build).
EXECUTED = Path(os.environ.get("BOOK_EXECUTED", ROOT / "_build" / "jupyter_execute" / "book"))
MIME = "application/papermill.record/text/plain"


def glued(chapter: str) -> dict[str, object]:
    """All values glued by ``book/<chapter>.md`` in the last ``make book``, by name."""
    return glued_in(EXECUTED, chapter)


def glued_in(executed: Path, chapter: str) -> dict[str, object]:
    """All values glued by ``<chapter>`` in the executed notebooks under ``executed``, by name."""
    path = executed / f"{chapter}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `make book` first (`make test` does)")
    outputs = [output for cell in json.loads(path.read_text())["cells"] for output in cell.get("outputs", [])]
    # myst-nb 1.x moves outputs glued with display=False out of the notebook into <chapter>.glue.json.
    glue_file = path.with_suffix(".glue.json")
    if glue_file.is_file():
        outputs += json.loads(glue_file.read_text()).values()
    values = {}
    for output in outputs:
        name = output.get("metadata", {}).get("scrapbook", {}).get("name")
        if name is not None:
            data = output["data"]
            values[name] = ast.literal_eval(data[MIME] if MIME in data else data["text/plain"])
    return values
