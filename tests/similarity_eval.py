"""Measure the class report's similarity check, and Dolos, on planted near-copies and honest solutions.

``python tests/similarity_eval.py [--dolos NODE_MODULES]`` prints, for copydetect (the library the report
uses) and, when given a ``node_modules`` folder holding ``@dodona/dolos-lib``, for Dolos, the precision and
recall at several thresholds on one set of ``ps3_lstm`` submissions:

* the fixture submissions of ``tests/fixtures/submissions/ps3_lstm/`` (five of them were written from one
  another by the course team, so their 10 pairs are copies; ``correct_alt`` is independent);
* the independent honest solutions ``tests/fixtures/similarity/h*.py``, each written separately in its own style;
* the planted near-copies ``tests/fixtures/similarity/p*.py``, each naming its ``SOURCE`` and ``HOW`` it was
  disguised (renamed variables, reordered functions, added comments and blank lines, one function copied).

A pair is a copy when both come from one author's code: a planted near-copy and its source, two near-copies
of one source, or two fixtures of the course team; every other pair is independent.
``tests/test_similarity.py`` asserts the figures at the report's threshold.
"""

from __future__ import annotations

import argparse
import copy
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.reporting.similarity import THRESHOLD, StudentCode, compare_all, notebook_code, own_code  # noqa: E402

HERE = REPO / "tests" / "fixtures" / "similarity"
FIXTURES = REPO / "tests" / "fixtures" / "submissions" / "ps3_lstm"
RELEASE = REPO / "exercises" / "ps3_lstm" / "ps3_lstm.ipynb"
SOURCE = REPO / "solutions" / "ps3_lstm" / "ps3_lstm.ipynb"
SAME_AUTHOR = {"batch_first_ignored", "gates_ifog", "h_n_batch_first", "missing_function", "syntax_error"}
THRESHOLDS = (0.3, 0.4, 0.5, 0.55, 0.6, 0.7, 0.8)


@dataclass(frozen=True)
class Sample:
    """The evaluation set: every submission's own code, and which pairs are copies."""

    codes: list[StudentCode]
    planted: set[frozenset[str]]  # two submissions of which one is a near-copy of the other, or both of a third
    fixture_copies: set[frozenset[str]]
    honest: set[str]  # independent solutions: any pair of two of them found is a false pair

    @property
    def copies(self) -> set[frozenset[str]]:
        return self.planted | self.fixture_copies


def _module(path: Path):
    spec = importlib.util.spec_from_file_location(f"similarity_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _filled(release: nbformat.NotebookNode, cells: dict[str, str]) -> nbformat.NotebookNode:
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in cells:
            cell.source = cells[gid]
    return nb


def load_sample() -> Sample:
    release = nbformat.read(RELEASE, as_version=4)
    source = nbformat.read(SOURCE, as_version=4)
    codes = [own_code(p.stem, notebook_code(source, nbformat.read(p, as_version=4)), release)
             for p in sorted(FIXTURES.glob("*.ipynb"))]
    origin: dict[str, str] = {}
    honest = {"correct_alt"}
    for path in sorted(HERE.glob("[hp][0-9]*.py")):
        module = _module(path)
        codes.append(own_code(path.stem, notebook_code(source, _filled(release, module.CELLS)), release))
        origin[path.stem] = module.SOURCE or path.stem
        if not module.SOURCE:
            honest.add(path.stem)
    planted = {frozenset((a, b)) for a, b in combinations(sorted(origin), 2)
               if origin[a] == origin[b] and (a != origin[a] or b != origin[b])}
    fixture_copies = {frozenset(p) for p in combinations(sorted(SAME_AUTHOR), 2)}
    return Sample(codes, planted, fixture_copies, honest)


@dataclass(frozen=True)
class Measured:
    """One library at one threshold."""

    library: str
    threshold: float
    found: int  # pairs at or above the threshold
    true_found: int
    precision: float
    recall_planted: float
    recall_fixtures: float
    false_honest: int  # pairs of two independent honest solutions found
    false_pairs: list[tuple[str, str]]
    missed_planted: list[tuple[str, str]]
    seconds: float


def measure(library: str, scores: dict[frozenset[str], float], sample: Sample, threshold: float,
            seconds: float) -> Measured:
    found = {pair for pair, s in scores.items() if s >= threshold}
    true_found = found & sample.copies
    return Measured(
        library, threshold, len(found), len(true_found), len(true_found) / len(found) if found else 1.0,
        len(found & sample.planted) / len(sample.planted),
        len(found & sample.fixture_copies) / len(sample.fixture_copies),
        sum(1 for pair in found if pair <= sample.honest),
        sorted(tuple(sorted(p)) for p in found - sample.copies),
        sorted(tuple(sorted(p)) for p in sample.planted - found), seconds)


def copydetect_scores(sample: Sample) -> tuple[dict[frozenset[str], float], float]:
    t0 = time.perf_counter()
    pairs = compare_all(sample.codes)
    seconds = time.perf_counter() - t0
    return {frozenset((p.a.student, p.b.student)): p.similarity for p in pairs}, seconds


DOLOS_SCRIPT = r"""
import { pathToFileURL } from "node:url";
import { join } from "node:path";
const [modules, folder, k, w] = process.argv.slice(2);
const { Dolos } = await import(pathToFileURL(join(modules, "@dodona/dolos-lib/dist/index.js")).href);
const { readdirSync } = await import("node:fs");
const files = readdirSync(folder).map(f => join(folder, f));
const dolos = new Dolos({ language: "python", kgramLength: Number(k), kgramsInWindow: Number(w) });
const report = await dolos.analyzePaths(files);
const name = f => f.path.split("/").pop().replace(/\.py$/, "");
const out = report.allPairs().map(p => ({
  a: name(p.leftFile), b: name(p.rightFile), similarity: p.similarity,
  share: Math.max(p.leftCovered / p.leftTotal, p.rightCovered / p.rightTotal) }));
process.stdout.write(JSON.stringify(out));
"""


def dolos_scores(sample: Sample, modules: Path, k: int, w: int, measure_by: str
                 ) -> tuple[dict[frozenset[str], float], float]:
    """Dolos' pair scores (``similarity``, its own symmetric measure, or ``share``, the larger side's covered
    fraction as the report uses) through Node; the timing includes Node's start."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "files")
        folder.mkdir()
        for code in sample.codes:
            if code.text.strip():
                (folder / f"{code.student}.py").write_text(code.text, encoding="utf-8")
        script = Path(tmp, "dolos.mjs")
        script.write_text(DOLOS_SCRIPT, encoding="utf-8")
        t0 = time.perf_counter()
        out = subprocess.run(["node", str(script), str(modules), str(folder), str(k), str(w)], check=True,
                             capture_output=True, text=True).stdout
        seconds = time.perf_counter() - t0
    return {frozenset((p["a"], p["b"])): p[measure_by] for p in json.loads(out)}, seconds


def table(rows: list[Measured]) -> str:
    lines = ["| library | threshold | pairs found | precision | recall, planted | recall, fixture copies | "
             "false honest pairs | time (s) |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.library} | {r.threshold:.2f} | {r.found} | {r.precision:.2f} | {r.recall_planted:.2f} | "
                     f"{r.recall_fixtures:.2f} | {r.false_honest} | {r.seconds:.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dolos", type=Path, help="a node_modules folder holding @dodona/dolos-lib")
    parser.add_argument("--details", action="store_true", help="list the false and missed pairs")
    args = parser.parse_args(argv)
    sample = load_sample()
    print(f"{len(sample.codes)} submissions, {len(sample.codes) * (len(sample.codes) - 1) // 2} pairs: "
          f"{len(sample.planted)} planted near-copies, {len(sample.fixture_copies)} fixture copies, "
          f"{len(sample.honest)} independent honest solutions")
    runs: list[tuple[str, Callable[[], tuple[dict, float]]]] = [("copydetect 0.5.0 (k=25, window 1)",
                                                                 lambda: copydetect_scores(sample))]
    if args.dolos:
        for k, w in ((23, 17), (12, 1)):
            for by in ("similarity", "share"):
                runs.append((f"Dolos 3.5.1 (k={k}, window {w}, {by})",
                             lambda k=k, w=w, by=by: dolos_scores(sample, args.dolos, k, w, by)))
    rows = []
    for name, run in runs:
        scores, seconds = run()
        rows += [measure(name, scores, sample, t, seconds) for t in THRESHOLDS]
    print(table(rows))
    print(f"\nThe report's threshold: {THRESHOLD:.2f}")
    if args.details:
        for r in rows:
            print(f"{r.library} @ {r.threshold:.2f}: false {r.false_pairs}; missed {r.missed_planted}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
