"""Generate the student notebooks ``exercises/<id>/`` from the sources ``solutions/<id>/`` in one command.

``python -m autograder.tooling.release [ids...]`` (or ``make exercises``) runs stock ``nbgrader
generate_assignment --force`` for each assignment, from the repository root with this repository's
``nbgrader_config.py``: solutions become stubs, hidden tests are removed, outputs are cleared, and the
assignment is recorded in the gradebook. ``--release-dir`` and ``--db-url`` redirect the output (the
drift test writes to a temporary folder and compares it with the committed ``exercises/``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"


def assignment_ids() -> list[str]:
    """The assignments in ``solutions/``: every folder holding at least one notebook."""
    return sorted(p.name for p in SOLUTIONS.iterdir() if p.is_dir() and any(p.glob("*.ipynb")))


def nbgrader_env() -> dict[str, str]:
    """The environment for nbgrader: the interpreter's bin first on PATH (nbgrader shells out to alembic)."""
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def generate(ids: list[str], release_dir: Path | None = None, db_url: str | None = None) -> None:
    """Run ``nbgrader generate_assignment --force`` for ``ids``; raise ``RuntimeError`` with its log on failure."""
    for assignment in ids:
        cmd = [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"]
        if release_dir is not None:
            cmd.append(f"--CourseDirectory.release_directory={Path(release_dir).resolve()}")
        if db_url is not None:
            cmd.append(f"--CourseDirectory.db_url={db_url}")
        proc = subprocess.run(cmd, cwd=ROOT, env=nbgrader_env(), capture_output=True, text=True)
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
