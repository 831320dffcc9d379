"""Read the numbers a chapter computed at build time, so tests check what the reader sees.

Chapters publish values with ``myst_nb.glue(name, value, display=False)``; ``make book`` executes
them and writes the executed notebooks under ``_build/jupyter_execute/``. The values are read back
from there (their ``repr`` must be a Python literal: numbers, strings, lists, dicts, tuples).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXECUTED = ROOT / "_build" / "jupyter_execute" / "book"
MIME = "application/papermill.record/text/plain"


def glued(chapter: str) -> dict[str, object]:
    """All values glued by ``book/<chapter>.md`` in the last ``make book``, by name."""
    path = EXECUTED / f"{chapter}.ipynb"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `make book` first (`make test` does)")
    values = {}
    for cell in json.loads(path.read_text())["cells"]:
        for output in cell.get("outputs", []):
            name = output.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None:
                values[name] = ast.literal_eval(output["data"][MIME])
    return values
