"""Write the fixed-seed reference cases that hidden test cells replay under stock ``nbgrader autograde``.

``python -m autograder.reference`` rewrites ``autograder/data/<assignment>.json`` for every
assignment in :data:`autograder.checks.CHECKS`: each check's ``make_cases`` with the seed
:func:`~autograder.checks.reference_seed`, reference outputs from ``torch.nn`` in float64/float32 on
the CPU. The output is deterministic (``tests/test_checks.py`` regenerates it and compares bytes).
``--check`` only compares and exits 1 when the stored data is stale.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from autograder.checks import CHECKS, DATA_DIR, case_to_json, reference_seed


def render(assignment: str) -> str:
    """The JSON text of one assignment's reference data."""
    checks = {
        check.cell_id: [case_to_json(case) for case in check.make_cases(
            np.random.default_rng(reference_seed(assignment, check.cell_id)))]
        for check in CHECKS[assignment]
    }
    data = {"about": f"reference cases for {assignment}; written by `python -m autograder.reference`, do not edit",
            "format": 1, "checks": checks}
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def write_all(out_dir: Path = DATA_DIR, assignments: list[str] | None = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for assignment in assignments or sorted(CHECKS):
        path = out_dir / f"{assignment}.json"
        path.write_text(render(assignment))
        paths.append(path)
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.reference", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--check", action="store_true", help="only report stale data files, exit 1 if any")
    args = parser.parse_args(argv)
    unknown = set(args.assignments) - set(CHECKS)
    if unknown:
        parser.error(f"unknown assignment(s) {sorted(unknown)}; known: {sorted(CHECKS)}")
    if args.check:
        stale = [a for a in args.assignments or sorted(CHECKS)
                 if not (DATA_DIR / f"{a}.json").is_file() or (DATA_DIR / f"{a}.json").read_text() != render(a)]
        for a in stale:
            print(f"{DATA_DIR / (a + '.json')}: stale or missing; run `python -m autograder.reference`")
        return 1 if stale else 0
    for path in write_all(assignments=args.assignments or None):
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
