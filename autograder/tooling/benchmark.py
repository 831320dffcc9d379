"""``python -m autograder.tooling.benchmark --n 40``: stock ``nbgrader autograde`` against the ``autograder`` command.

Makes ``N`` synthetic ``ps3_lstm`` submissions (correct, correct but written differently, wrong in a
known way, broken), grades them with stock ``nbgrader autograde`` and with ``autograder`` in two copies
of one scratch course, checks that both give every (honest) submission the same score, and prints
submissions per second for both and their ratio. Wall-clock times include each command's start-up.
It also prints where the ``autograder``'s time goes per submission (start-up of the command, sandbox
process start, student cells, calls, drawing the cases, judging, gradebook write; from the journal) and,
with ``--steady N``, the command's rate on N submissions alone, where start-up no longer counts.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from autograder.tooling import release
from autograder.tooling.release import nbgrader_env

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# grade_id -> replacement code for the known variants (all honest attempts: nobody cheats here)
IGNORES_BATCH_FIRST = '''
def lstm_layer(x, h0, c0, W_ih, W_hh, b_ih, b_hh, batch_first=False):
    h, c = h0[0], c0[0]
    outs = []
    for t in range(x.shape[0]):
        h, c = lstm_cell(x[t], h, c, W_ih, W_hh, b_ih, b_hh)
        outs.append(h)
    return np.stack(outs), (h[None], c[None])
'''
GATES_IFOG = '''
def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    a = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i, f, o, g = np.split(a, 4, axis=1)
    sig = lambda v: 1.0 / (1.0 + np.exp(-v))
    c_t = sig(f) * c_prev + sig(i) * np.tanh(g)
    return sig(o) * np.tanh(c_t), c_t
'''
KINDS = {  # name -> (solved base?, answers)
    "correct": (True, {}),
    "ignores_batch_first": (True, {"lstm_layer_solution": IGNORES_BATCH_FIRST}),
    "gates_ifog": (True, {"lstm_cell_solution": GATES_IFOG}),
    "syntax_error": (True, {"lstm_layer_solution": "def lstm_layer(x, h0, c0:\n    return x\n"}),
    "raises": (True, {"lstm_cell_solution": "def lstm_cell(*args):\n    raise RuntimeError('not done')\n"}),
    "blank": (False, {}),
}
MIX = ["correct", "correct", "ignores_batch_first", "correct", "gates_ifog", "syntax_error", "correct", "raises",
       "blank", "correct"]


def make_course(root: Path, assignment: str = "ps3_lstm") -> Path:
    """A scratch course: the real ``solutions/<assignment>`` and ``nbgrader_config.py``, released there as
    ``make exercises`` releases (the repository's ``exercises/`` and gradebook are not touched)."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(REPO / "solutions" / assignment, root / "solutions" / assignment, dirs_exist_ok=True)
    with contextlib.redirect_stdout(io.StringIO()):
        release.generate([assignment], root=root)
    return root


def _strip_markers(source: str) -> str:
    return re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", "", source, flags=re.M)


def student_notebook(course: Path, assignment: str = "ps3_lstm", answers: dict[str, str] | None = None,
                     solved: bool = True) -> nbformat.NotebookNode:
    """The released notebook with its solution cells filled in: the reference solution typed in
    (``solved``) or left as released, then ``answers`` (grade_id -> source) on top."""
    name = next((course / "solutions" / assignment).glob("*.ipynb")).name
    release = nbformat.read(course / "exercises" / assignment / name, as_version=4)
    source = nbformat.read(course / "solutions" / assignment / name, as_version=4)
    solutions = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in source.cells}
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        gid = meta.get("grade_id")
        if meta.get("solution") and solved:
            cell.source = _strip_markers(solutions[gid])
        if gid in (answers or {}):
            cell.source = answers[gid]
    return nb


def write_submission(folder: Path, student: str, nb: nbformat.NotebookNode, assignment: str = "ps3_lstm",
                     notebook: str = "ps3_lstm") -> Path:
    """``folder/<student>/<assignment>/<notebook>.ipynb`` (nbgrader's layout)."""
    path = folder / student / assignment / f"{notebook}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def auto_scores(course: Path, assignment: str = "ps3_lstm") -> dict[str, float]:
    """Each student's total automatic score, read through nbgrader's API."""
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "nbgrader_work" / "gradebook.db")) as gb:
        return {s.student.id: sum(g.auto_score or 0 for n in s.notebooks for g in n.grades)
                for s in gb.find_assignment(assignment).submissions}


PHASES = ("start", "cells", "calls", "cases", "judging", "gradebook")  # StudentResult.timing keys


def write_mix(course: Path, folders: list[Path], n: int) -> dict[str, str]:
    """``n`` synthetic submissions (the :data:`MIX`, in turn) written into every folder; student -> kind."""
    kinds = {}
    for i in range(n):
        kind = MIX[i % len(MIX)]
        solved, answers = KINDS[kind]
        student = f"s{i:03d}_{kind}"
        kinds[student] = kind
        nb = student_notebook(course, answers=answers, solved=solved)
        for folder in folders:
            write_submission(folder, student, nb)
    return kinds


def run_ours(course: Path, subs: Path, workers: int | None) -> float:
    """Wall seconds of one ``autograder`` run, its start-up included."""
    cmd = [str(BIN / "autograder"), "ps3_lstm", str(subs), "--course", str(course), "--quiet"]
    if workers:
        cmd += ["--workers", str(workers)]
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=course, env=nbgrader_env(), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def phase_seconds(course: Path) -> tuple[dict[str, float], float]:
    """Total seconds per phase over the journal's submissions, and the wall seconds spent inside the
    per-submission work (the sum of every submission's own time)."""
    journal = course / "nbgrader_work" / "autograder" / "ps3_lstm" / "journal.jsonl"
    totals = dict.fromkeys(PHASES, 0.0)
    inside = 0.0
    for line in journal.read_text(encoding="utf-8").splitlines():
        result = json.loads(line)["result"]
        inside += result.get("seconds", 0.0)
        for phase in PHASES:
            totals[phase] += result.get("timing", {}).get(phase, 0.0)
    return totals, inside


def run_benchmark(n: int, workdir: Path, workers: int | None = None) -> dict:
    """Grade ``n`` submissions both ways; returns timings, rates, ratio, phases and any disagreements."""
    stock, ours = workdir / "stock", workdir / "ours"
    make_course(stock)
    shutil.copytree(stock, ours)
    subs = workdir / "submissions"
    kinds = write_mix(stock, [subs, stock / "nbgrader_work" / "submitted"], n)
    t0 = time.perf_counter()
    subprocess.run([str(BIN / "nbgrader"), "autograde", "ps3_lstm", "--log-level=ERROR"], cwd=stock,
                   env=nbgrader_env(), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t_stock = time.perf_counter() - t0
    t_ours = run_ours(ours, subs, workers)
    s_stock, s_ours = auto_scores(stock), auto_scores(ours)
    disagree = {s: (s_stock.get(s), s_ours.get(s)) for s in kinds if s_stock.get(s) != s_ours.get(s)}
    phases, _ = phase_seconds(ours)
    return {"n": n, "stock_s": t_stock, "ours_s": t_ours, "stock_rate": n / t_stock, "ours_rate": n / t_ours,
            "ratio": t_stock / t_ours, "disagree": disagree, "scores": s_ours, "kinds": kinds, "phases": phases}


def run_steady(n: int, workdir: Path, workers: int | None = None) -> dict:
    """The command alone on ``n`` submissions: overall rate and the rate without its start-up."""
    course = make_course(workdir / "steady")
    subs = workdir / "steady-submissions"
    write_mix(course, [subs], n)
    wall = run_ours(course, subs, workers)
    phases, _ = phase_seconds(course)
    return {"n": n, "wall": wall, "rate": n / wall, "phases": phases}


def print_phases(phases: dict[str, float], n: int, wall: float) -> None:
    per = {k: 1000 * v / n for k, v in phases.items()}
    print("  per submission (ms, summed over parallel workers): " + ", ".join(f"{k} {v:.0f}" for k, v in per.items())
          + f"; wall per submission {1000 * wall / n:.0f} ms")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.tooling.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="number of synthetic submissions (default 40)")
    parser.add_argument("--workers", type=int, default=None, help="autograder workers (default: all cores)")
    parser.add_argument("--steady", type=int, default=0, metavar="N",
                        help="also grade N submissions with the command alone (steady-state rate)")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = args.keep or Path(tmp)
        r = run_benchmark(args.n, workdir, args.workers)
        steady = run_steady(args.steady, workdir, args.workers) if args.steady else None
    mix = {k: list(r["kinds"].values()).count(k) for k in KINDS}
    print(f"ps3_lstm, N={r['n']} submissions ({', '.join(f'{v} {k}' for k, v in mix.items() if v)}), "
          f"{os.cpu_count()} cores")
    print(f"stock nbgrader autograde: {r['stock_s']:7.1f} s  {r['stock_rate']:6.2f} submissions/s")
    print(f"autograder              : {r['ours_s']:7.1f} s  {r['ours_rate']:6.2f} submissions/s")
    print(f"speed-up: {r['ratio']:.1f}x")
    start_up = r["ours_s"] - sum(r["phases"].values()) / (args.workers or os.cpu_count() or 1)
    print(f"autograder phases, N={r['n']} (command start-up and waiting about {max(start_up, 0):.1f} s of the wall):")
    print_phases(r["phases"], r["n"], r["ours_s"])
    if steady:
        print(f"steady state, autograder alone, N={steady['n']}: {steady['wall']:7.1f} s  {steady['rate']:6.2f} "
              "submissions/s")
        print_phases(steady["phases"], steady["n"], steady["wall"])
    if r["disagree"]:
        print(f"scores DISAGREE on {len(r['disagree'])} submissions: {r['disagree']}")
        return 1
    print(f"scores agree on all {r['n']} submissions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
