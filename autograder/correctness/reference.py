"""Write the fixed-seed reference cases that hidden test cells replay under stock ``nbgrader autograde``.

``python -m autograder.correctness.reference`` rewrites ``autograder/data/<assignment>.json`` for every
assignment in :data:`autograder.correctness.CHECKS`: each check's ``make_cases`` with the seed
:func:`reference_seed`, reference outputs from ``torch.nn`` in float64/float32 on the CPU.
Regenerated on another machine, torch's results may differ in the last bits: its outputs, and the
inputs that a visible case draws with ``torch.randn`` as the notebook does (its kernels differ between
CPU capabilities, e.g. AVX2 and the default). So ``--check`` (and ``tests/test_checks.py``) compare the
decoded cases with :func:`data_difference`: labels, structure, dtypes, shapes and integers exactly,
floating-point values within :data:`REFERENCE_TOLERANCE`.
``--check`` only compares and exits 1 when the stored data is stale.
"""

from __future__ import annotations

import argparse
import functools
import json
import sys
import zlib
from pathlib import Path

import numpy as np

from autograder.correctness import CHECKS
from autograder.correctness.cases import Case, case_from_json, case_to_json

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
REGENERATE = "python -m autograder.correctness.reference"
# A regenerated expected value agrees with the stored one when |stored - fresh| <= tol * (1 + |fresh|).
REFERENCE_TOLERANCE = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 1e-5}


def reference_seed(assignment: str, cell_id: str) -> int:
    """The fixed seed of the stored reference cases of one check."""
    return zlib.crc32(f"{assignment}:{cell_id}".encode())


def data_path(assignment: str) -> Path:
    return DATA_DIR / f"{assignment}.json"


@functools.cache
def _stored(assignment: str) -> dict:
    path = data_path(assignment)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: reference data missing; run `{REGENERATE}` to write it")
    return json.loads(path.read_text())


def load_cases(assignment: str, cell_id: str) -> list[Case]:
    """The stored fixed-seed cases of one check (from ``autograder/data/<assignment>.json``)."""
    stored = _stored(assignment)["checks"]
    if cell_id not in stored:
        raise KeyError(f"{data_path(assignment)} has no cases for {cell_id!r}; run `{REGENERATE}`")
    return [case_from_json(c) for c in stored[cell_id]]


def generate(assignment: str) -> dict[str, list[dict]]:
    """Every check's cases drawn now with its fixed seed, JSON-encoded, keyed by ``cell_id``."""
    return {check.cell_id: [case_to_json(case) for case in check.make_cases(
                np.random.default_rng(reference_seed(assignment, check.cell_id)))]
            for check in CHECKS[assignment]}


def render(assignment: str) -> str:
    """The JSON text of one assignment's reference data."""
    data = {"about": f"reference cases for {assignment}; written by `{REGENERATE}`, do not edit",
            "format": 1, "checks": generate(assignment)}
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def write_all(out_dir: Path = DATA_DIR, assignments: list[str] | None = None) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for assignment in assignments or sorted(CHECKS):
        path = out_dir / f"{assignment}.json"
        path.write_text(render(assignment))
        paths.append(path)
    return paths


# ============================================================================ is the stored data current?


def data_difference(stored: object, fresh: object, where: str) -> str | None:
    """Where the plain data ``stored`` differs from ``fresh``, or ``None``; ``where`` names the part.

    Structure, types, dtypes, shapes, integers and strings must be equal, floating-point values within
    their dtype's :data:`REFERENCE_TOLERANCE` (a Python float counts as float64).
    """
    if type(stored) is not type(fresh):
        return f"{where}: {type(stored).__name__} stored, {type(fresh).__name__} generated"
    if isinstance(fresh, dict):
        if sorted(stored) != sorted(fresh):
            return f"{where}: keys {sorted(stored)} stored, {sorted(fresh)} generated"
        parts = [(stored[k], fresh[k], f"{where}[{k!r}]") for k in sorted(fresh)]
    elif isinstance(fresh, tuple | list):
        if len(stored) != len(fresh):
            return f"{where}: {len(stored)} items stored, {len(fresh)} generated"
        parts = [(s, f, f"{where}[{i}]") for i, (s, f) in enumerate(zip(stored, fresh, strict=True))]
    elif isinstance(fresh, np.ndarray | float):
        return _number_difference(np.asarray(stored), np.asarray(fresh), where)
    else:
        return None if stored == fresh else f"{where}: {stored!r} stored, {fresh!r} generated"
    return next(filter(None, (data_difference(s, f, w) for s, f, w in parts)), None)


def _number_difference(stored: np.ndarray, fresh: np.ndarray, where: str) -> str | None:
    if (stored.dtype, stored.shape) != (fresh.dtype, fresh.shape):
        return f"{where}: {stored.dtype} {stored.shape} stored, {fresh.dtype} {fresh.shape} generated"
    tol = REFERENCE_TOLERANCE.get(fresh.dtype)
    if tol is None:  # integers, booleans
        return None if np.array_equal(stored, fresh) else f"{where}: values differ"
    excess = np.max(np.abs(stored - fresh) / (1.0 + np.abs(fresh)), initial=0.0)
    return None if excess <= tol else f"{where}: values differ by {excess:.2g} × (1 + |value|) (tolerance {tol:g})"


def case_difference(stored: Case, fresh: Case) -> str | None:
    """How a stored case differs from a regenerated one (see :func:`data_difference`), or ``None``."""
    parts = [("label", stored.label, fresh.label), ("target", stored.call.target, fresh.call.target),
             ("args", stored.call.args, fresh.call.args), ("kwargs", stored.call.kwargs, fresh.call.kwargs),
             ("expected", stored.expected, fresh.expected)]
    return next(filter(None, (data_difference(s, f, name) for name, s, f in parts)), None)


def stale_checks(assignment: str) -> list[str]:
    """One line per check whose stored cases differ from the cases generated now; empty when current."""
    path = data_path(assignment)
    if not path.is_file():
        return [f"{path}: missing"]
    stored = json.loads(path.read_text())["checks"]
    fresh = json.loads(json.dumps(generate(assignment)))  # as they would be stored
    problems = [f"{cell_id}: stored, but there is no such check" for cell_id in sorted(set(stored) - set(fresh))]
    for cell_id, cases in fresh.items():
        old = stored.get(cell_id, [])
        if len(old) != len(cases):
            problems.append(f"{cell_id}: {len(old)} cases stored, {len(cases)} generated")
            continue
        for k, (s, f) in enumerate(zip(old, cases, strict=True)):
            problem = case_difference(case_from_json(s), case_from_json(f))
            if problem:
                problems.append(f"{cell_id}, case {k}: {problem}")
                break
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=REGENERATE, description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="*", help="assignment ids (default: all)")
    parser.add_argument("--check", action="store_true", help="only report stale data files, exit 1 if any")
    args = parser.parse_args(argv)
    unknown = set(args.assignments) - set(CHECKS)
    if unknown:
        parser.error(f"unknown assignment(s) {sorted(unknown)}; known: {sorted(CHECKS)}")
    if args.check:
        stale = {a: problems for a in args.assignments or sorted(CHECKS) if (problems := stale_checks(a))}
        for assignment, problems in stale.items():
            print(f"{data_path(assignment)}: stale; run `{REGENERATE}`")
            for problem in problems:
                print(f"  {problem}")
        return 1 if stale else 0
    for path in write_all(assignments=args.assignments or None):
        print(f"wrote {path} ({path.stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
