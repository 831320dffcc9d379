"""Run a released notebook's code cells in order, in one namespace, the way *Run All* would.

``python notebook_runner.py NOTEBOOK`` prints one JSON line per code cell: its grade id, its kind (``locked``,
``solution``, ``visible`` test, ``hidden`` test placeholder or ``free``) and the name of the exception it
raised, if any. A failing cell does not stop the run, so every visible test reports its own error.
"""

from __future__ import annotations

import json
import sys


def kind_of(cell: dict) -> str:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    source = "".join(cell.get("source", ""))
    if meta.get("solution"):
        return "solution"
    if meta.get("grade"):
        code = [line for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        return "visible" if code else "hidden"
    return "locked" if meta.get("locked") else "free"


def main(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        cells = [cell for cell in json.load(handle)["cells"] if cell.get("cell_type") == "code"]
    namespace = {"__name__": "__main__"}
    for cell in cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id", "cell")
        error = None
        try:
            exec(compile("".join(cell.get("source", "")), grade_id, "exec"), namespace)
        except BaseException as exc:  # a student's cell may raise anything, SystemExit included
            error = type(exc).__name__
        print(json.dumps({"id": grade_id, "kind": kind_of(cell), "error": error}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
