"""The released notebooks, as a student first opens them.

Each notebook is copied alone into an empty folder (as after a download from the site, or in Colab) and run
there by this Python, which must have ``seqmodels`` installed (``pip install`` of this repository):

* its locked cells (imports, data, helpers) run; one that calls a student's function may stop at the stub's
  ``NotImplementedError``, nothing else;
* with the stubs untouched, each visible test fails with ``NotImplementedError`` - the stub's own message -
  never with a ``NameError``, an ``ImportError`` or anything else a student could not act on.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted(p for p in (ROOT / "exercises").glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
RUNNER = Path(__file__).with_name("notebook_runner.py")


def run_alone(notebook: Path, folder: Path) -> list[dict]:
    """Run ``notebook`` by itself in ``folder`` with this Python; one record per code cell."""
    copy = folder / notebook.name
    copy.write_bytes(notebook.read_bytes())
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONPATH": ""}
    proc = subprocess.run([sys.executable, str(RUNNER), str(copy)], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, f"{notebook.name}: the runner failed:\n{proc.stderr[-3000:]}"
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith('{"id"')]


@pytest.fixture(scope="module", params=NOTEBOOKS, ids=lambda p: p.parent.name)
def records(request, tmp_path_factory) -> tuple[Path, list[dict]]:
    return request.param, run_alone(request.param, tmp_path_factory.mktemp(request.param.parent.name))


def test_there_are_released_notebooks():
    assert NOTEBOOKS, f"no notebook under {ROOT / 'exercises'}"


def test_locked_cells_run(records):
    notebook, cells = records
    locked = [c for c in cells if c["kind"] == "locked"]
    assert locked and locked[0] is cells[0], f"{notebook.name} should start with a locked set-up cell"
    assert cells[0]["error"] is None, f"{notebook.name}: the set-up cell fails in a fresh folder: {cells[0]}"
    failing = [c for c in locked if c["error"] not in (None, "NotImplementedError")]
    assert failing == [], f"{notebook.name}: locked cells fail in a fresh folder"


def test_visible_tests_fail_with_the_stubs_message(records):
    notebook, cells = records
    visible = [c for c in cells if c["kind"] == "visible"]
    assert visible, f"{notebook.name} has no visible test"
    assert {c["id"]: c["error"] for c in visible} == {c["id"]: "NotImplementedError" for c in visible}
