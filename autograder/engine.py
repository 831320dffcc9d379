"""Grade a batch of submissions: warm sandbox workers in parallel, decisions and gradebook in this process.

For each submission the grader process draws a secret seed, asks every :class:`~autograder.checks.Check`
for its cases (inputs and torch reference outputs), sends only the inputs to a warm worker, which runs
the student's code in a fresh sandbox (:mod:`autograder.sandbox`), and judges the plain results that come
back. Scores go into nbgrader's gradebook (:mod:`autograder.gradebook`) from this process only, then a
line goes into the journal, so a killed run resumes where it stopped and a re-run changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import queue
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

from autograder import wire
from autograder.gradebook import Course, autograded_notebook, ensure_assignment, previous_auto_scores, save_grades
from autograder.intake import Submission, collect
from autograder.plan import build_plan, forbidden_use, grade_id, is_test
from autograder.sandbox import Limits
from autograder.workers import Worker, available_preload


@dataclass
class Outcome:
    """One auto-graded cell for one student: ``message`` is ``None`` when it passed."""

    cell_id: str
    points: float
    max_points: float
    message: str | None


@dataclass
class StudentResult:
    student: str
    digest: str
    score: float
    max_score: float
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # nothing gradable: why
    notes: list[str] = field(default_factory=list)  # graded, but worth the instructor's attention
    flags: list[str] = field(default_factory=list)  # for review: the stock pass disagreed, a cheat detected
    cell_errors: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    seconds: float = 0.0
    source: str = ""  # the file that was graded

    @classmethod
    def from_json(cls, data: dict) -> StudentResult:
        data = dict(data)
        data["outcomes"] = [Outcome(**o) for o in data.get("outcomes", [])]
        return cls(**data)


@dataclass
class AssignmentSpec:
    """Everything the engine needs to know about one assignment, loaded once per run."""

    name: str
    notebook: str
    source: nbformat.NotebookNode
    release: nbformat.NotebookNode
    checks: dict[str, Any]  # test cell grade_id -> Check
    manual_cells: list[str]  # grade_ids graded by hand in formgrader
    other_assignments: dict[str, set[str]]  # for "this is the notebook of another assignment"

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks.values()))

    def fingerprint(self) -> str:
        """Changes when the checks or the source notebook change, so that the journal is not reused."""
        text = json.dumps([self.name, sorted((k, c.points) for k, c in self.checks.items()), self.source.cells],
                          sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_assignment(course: Course, name: str, checks: Iterable[Any] | None = None) -> AssignmentSpec:
    """Read the source and release notebooks and the checks; fail loudly on any mismatch between them."""
    source_dir, release_dir = course.path("source", ".", name), course.path("release", ".", name)
    sources = sorted(source_dir.glob("*.ipynb"))
    if len(sources) != 1:
        raise ValueError(f"{source_dir} must hold exactly one notebook for {name} (found {len(sources)})")
    nb_name = sources[0].stem
    source = nbformat.read(sources[0], as_version=4)
    release_path = release_dir / sources[0].name
    if not release_path.exists():
        raise ValueError(f"{release_path} is missing: run `nbgrader generate_assignment {name}` first")
    release = nbformat.read(release_path, as_version=4)
    if checks is None:
        from autograder.checks import CHECKS

        checks = CHECKS.get(name, [])
    by_cell = {c.cell_id: c for c in checks}
    tests = {grade_id(c): c for c in source.cells if is_test(c)}
    for gid, cell in tests.items():
        points = float(cell.metadata["nbgrader"].get("points", 0))
        if gid not in by_cell:
            raise ValueError(f"{sources[0]}: test cell {gid!r} ({points:g} points) has no Check in autograder.checks")
        if abs(by_cell[gid].points - points) > 1e-9:
            raise ValueError(f"Check {gid!r} is worth {by_cell[gid].points:g} but its cell {points:g}")
    for gid in by_cell:
        if gid not in tests:
            raise ValueError(f"Check {gid!r} has no test cell in {sources[0]}")
    manual = [grade_id(c) for c in source.cells if grade_id(c) and c.metadata["nbgrader"].get("solution")
              and c.metadata["nbgrader"].get("grade")]
    others = {}
    for other in sorted(source_dir.parent.glob("*/*.ipynb")):
        if other.parent.name != name:
            ids = {grade_id(c) for c in nbformat.read(other, as_version=4).cells if grade_id(c)}
            others[other.parent.name] = ids
    return AssignmentSpec(name, nb_name, source, release, by_cell, manual, others)


# ------------------------------------------------------------------------------------------- workers


# ------------------------------------------------------------------------------------------- judging


def _exit_reason(run: dict, limits: Limits) -> str:
    code = run["exit"]
    last = next((e["cell"] for e in reversed(run["events"]) if e.get("event") in ("cell", "check")), None)
    where = f" after cell {last}" if last else ""
    if run.get("worker_error"):
        return f"the grading worker failed ({run['worker_error']}); re-run the autograder to retry"
    if code == 124:
        return f"stopped at the time limit of {limits.timeout:g} s{where} (an infinite loop, or far too slow)"
    if code in (137, 152):
        return f"killed{where}: it hit the memory ({limits.memory_mb} MB) or CPU-time limit"
    if code == 70:
        return "the sandbox could not be set up; see the run log"
    return f"the notebook's process ended{where} (exit code {code}; os._exit, a crash or a signal)"


def judge_check(check: Any, cases: list, event: dict | None, run: dict, limits: Limits, static: str | None) -> Outcome:
    """Decide one check in the grader process from plain results, with :func:`autograder.checks.decide`."""
    from autograder.checks import CallError, decide

    def fail(msg: str) -> Outcome:
        return Outcome(check.cell_id, 0.0, check.points, msg)

    if static:
        return fail(f"{check.cell_id}: scored 0 because your code {static}")
    if event is None:
        return fail(f"{check.cell_id}: not graded: {_exit_reason(run, limits)}")
    if event.get("missing"):
        names = ", ".join(f"`{n}`" for n in event["missing"])
        return fail(f"{check.cell_id}: {names} is not defined when this part is graded: did you delete or rename "
                    "its cell, or did the cell raise an error?")
    raw = event.get("results") if isinstance(event.get("results"), list) else []
    results: list[object] = []
    for i, case in enumerate(cases):
        res = raw[i] if i < len(raw) and isinstance(raw[i], dict) else None
        if res is None:
            results.append(CallError(f"not run: {_exit_reason(run, limits)}"))
        elif not res.get("ok"):
            err = str(res.get("error", "failed"))
            if err == "timed out":
                err = f"timed out after {limits.step_timeout:g} CPU seconds (an infinite loop?)"
            results.append(CallError(err if err.startswith(("name ", "returned", "grader")) else f"raised {err}"))
        elif res.get("torch"):
            return fail(f"{check.cell_id}: scored 0 because {case.call.target} called {res['torch']}: this part "
                        "must be written with NumPy only.")
        else:
            results.append(res.get("value"))
    verdict = decide(check, cases, results)
    return Outcome(check.cell_id, check.points if verdict.passed else 0.0, check.points,
                   None if verdict.passed else verdict.message)


# ------------------------------------------------------------------------------------------- the engine


class Progress:
    """A one-line progress bar with rate and ETA on stderr."""

    def __init__(self, total: int, label: str, enabled: bool = True):
        self.total, self.label, self.done, self.t0 = total, label, 0, time.monotonic()
        self.enabled = enabled and total > 0

    def step(self) -> None:
        self.done += 1
        if not self.enabled:
            return
        elapsed = time.monotonic() - self.t0
        rate = self.done / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) / rate if rate > 0 else 0.0
        bar = "#" * int(30 * self.done / self.total)
        sys.stderr.write(f"\r{self.label} [{bar:<30}] {self.done}/{self.total} {rate:.2f}/s ETA {eta:4.0f}s")
        if self.done == self.total:
            sys.stderr.write("\n")
        sys.stderr.flush()


class Journal:
    """Append-only JSON lines of finished submissions; the last line per student wins."""

    def __init__(self, path: Path):
        self.path = path
        self.entries: dict[str, dict] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    entry = json.loads(line)
                    self.entries[entry["student"]] = entry
                except (json.JSONDecodeError, KeyError, TypeError):
                    continue  # a line cut by a killed run: that submission is simply graded again

    def finished(self, student: str, key: str) -> StudentResult | None:
        entry = self.entries.get(student)
        return StudentResult.from_json(entry["result"]) if entry and entry.get("key") == key else None

    def record(self, key: str, result: StudentResult) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"student": result.student, "key": key, "result": asdict(result)}
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")
            f.flush()
            os.fsync(f.fileno())
        self.entries[result.student] = entry


@dataclass
class RunSummary:
    results: list[StudentResult]
    graded: int  # graded in this run
    resumed: int  # taken from the journal
    seconds: float


def sandbox_keep() -> list[str]:
    """Folders the sandbox sees (read-only) even inside hidden ones: the Python environment, and the course
    library that notebooks import for data and devices (NumPy-only parts that use it still score 0, plan.py)."""
    course_library = importlib.util.find_spec("seqmodels").submodule_search_locations[0]
    return sorted({os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, course_library)})


class Engine:
    def __init__(self, course: Course, spec: AssignmentSpec, limits: Limits | None = None, workers: int | None = None,
                 progress: bool = True, preload: Iterable[str] | None = None, spawned: list[Worker] | None = None):
        self.course, self.spec, self.limits = course, spec, limits or Limits()
        self.n_workers = max(1, workers or os.cpu_count() or 1)
        self.progress = progress
        self.preload = list(preload) if preload is not None else available_preload()
        self.spawned = spawned or []  # workers the caller started early, so their imports overlap ours
        self.state_dir = course.work_dir / "autograder" / spec.name
        self.journal = Journal(self.state_dir / "journal.jsonl")
        root = Path(course.coursedir.root).resolve()
        self.hide = [str(root), str(course.work_dir), "/root", "/home", str(Path.home())]
        if root.parent != Path("/"):
            self.hide.append(str(root.parent))
        self.keep = sandbox_keep()
        self.extra_hide: list[Path] = []  # the submissions' folder, set by run()
        self.isolation: dict | None = None  # what the kernel granted the first sandbox of this run

    # -- one submission

    def _key(self, sub: Submission) -> str:
        return f"{self.spec.fingerprint()}:{sub.digest}"

    def _prepare(self, sub: Submission, seed: int) -> tuple[dict, dict, Any]:
        plan = build_plan(self.spec.source, sub.notebook, self.spec.checks)
        rng = np.random.default_rng(seed)
        cases: dict[str, list] = {}
        steps = []
        for step in plan.steps:
            if step["kind"] == "calls":
                check = self.spec.checks[step["cell"]]
                cases[check.cell_id] = check.make_cases(rng)
                calls = [{"target": c.call.target, "args": wire.to_plain(tuple(c.call.args)),
                          "kwargs": wire.to_plain(dict(c.call.kwargs))} for c in cases[check.cell_id]]
                step = dict(step, names=list(check.names), numpy_only=bool(check.numpy_only), calls=calls)
            steps.append(step)
        job = {"steps": steps, "hide": self.hide + [str(p) for p in self.extra_hide], "keep": self.keep}
        return job, cases, plan

    def _grade(self, sub: Submission, worker_pool: queue.Queue) -> tuple[StudentResult, dict, Any]:
        t0 = time.monotonic()
        seed = secrets.randbits(63)
        result = StudentResult(sub.student, sub.digest, 0.0, self.spec.max_score, problems=list(sub.problems),
                               notes=list(sub.notes), seed=seed, source=str(sub.path or ""))
        if not sub.gradable:
            result.outcomes = [Outcome(c.cell_id, 0.0, c.points, "not graded: " + "; ".join(sub.problems))
                               for c in self.spec.checks.values()]
            return result, {}, None
        self._check_identity(sub, result)
        job, cases, plan = self._prepare(sub, seed)
        worker = worker_pool.get()
        try:
            run = worker.run(job, self.limits)
        finally:
            worker_pool.put(worker)
        if self.isolation is None and run["events"] and run["events"][0].get("event") == "start":
            self.isolation = run["events"][0].get("isolation")
        events = {e["cell"]: e for e in run["events"] if e.get("event") == "check" and isinstance(e.get("cell"), str)}
        result.cell_errors = {e["cell"]: str(e.get("error"))[:500] for e in run["events"]
                              if e.get("event") == "cell" and not e.get("ok") and isinstance(e.get("cell"), str)}
        if run.get("worker_error"):
            result.problems.append(_exit_reason(run, self.limits))
        for gid in plan.missing_cells:
            result.notes.append(f"solution cell {gid} is missing from the notebook (deleted?)")
        for check in self.spec.checks.values():
            static = forbidden_use(plan.student_cells, check.names, check.numpy_only,
                                   getattr(check, "forbid_torch_rnn", False))
            outcome = judge_check(check, cases.get(check.cell_id, []), events.get(check.cell_id), run, self.limits,
                                  static)
            if outcome.message and "scored 0 because" in outcome.message:
                result.flags.append(outcome.message)
            result.outcomes.append(outcome)
        result.score = sum(o.points for o in result.outcomes)
        result.seconds = time.monotonic() - t0
        return result, run, plan

    def _check_identity(self, sub: Submission, result: StudentResult) -> None:
        ids = {grade_id(c) for c in sub.notebook.cells if grade_id(c)}
        mine = {grade_id(c) for c in self.spec.source.cells if grade_id(c)}
        if ids & mine:
            return
        match = [a for a, other in self.spec.other_assignments.items() if ids & other]
        if match:
            result.notes.append(f"this is the notebook of {match[0]}, not {self.spec.name}: submit "
                                f"{self.spec.notebook}.ipynb")
        else:
            result.notes.append(f"the notebook has none of {self.spec.name}'s graded cells; start from the released "
                                f"{self.spec.notebook}.ipynb and copy your code into its cells")

    # -- the run

    def run(self, source: Path, regrade: bool = False, on_result: Callable[[StudentResult], None] | None = None
            ) -> RunSummary:
        t0 = time.monotonic()
        ensure_assignment(self.course, self.spec.name)
        subs = collect(source, self.spec.name, self.spec.notebook, self.state_dir / "unpacked")
        self.extra_hide = [source.resolve() if source.is_dir() else source.resolve().parent]
        results: dict[str, StudentResult] = {}
        todo = []
        for sub in subs:
            done = None if regrade else self.journal.finished(sub.student, self._key(sub))
            if done is not None:
                results[sub.student] = done
            else:
                todo.append(sub)
        progress = Progress(len(todo), f"grading {self.spec.name}", self.progress)
        pool: queue.Queue = queue.Queue()
        n = min(self.n_workers, max(1, len(todo)))
        workers = self.spawned[:n] + [Worker(i, self.preload) for i in range(len(self.spawned), n)]
        for extra in self.spawned[n:]:
            extra.stop()
        starters = [threading.Thread(target=w.start) for w in workers] if todo else []
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        for w in workers:
            pool.put(w)
        try:
            with ThreadPoolExecutor(len(workers)) as ex:
                futures = {ex.submit(self._grade, sub, pool): sub for sub in todo}
                for fut in as_completed(futures):
                    sub = futures[fut]
                    result, run, plan = fut.result()
                    self._store(sub, result)
                    results[sub.student] = result
                    if on_result:
                        on_result(result)
                    progress.step()
        finally:
            for w in workers:
                w.stop()
        ordered = [results[s.student] for s in subs]
        return RunSummary(ordered, len(todo), len(subs) - len(todo), time.monotonic() - t0)

    def _store(self, sub: Submission, result: StudentResult) -> None:
        """The single writer: gradebook first, journal second (a crash in between only regrades it)."""
        if result.problems and any("grading worker failed" in p for p in result.problems):
            return  # not the student's fault: leave it for the next run
        before = previous_auto_scores(self.course, self.spec.name, self.spec.notebook, sub.student)
        scores = {o.cell_id: o.points for o in result.outcomes}
        failures = {o.cell_id: o.message for o in result.outcomes}
        nb = autograded_notebook(self.spec.source, self.spec.release, sub.notebook, failures) if sub.gradable else None
        save_grades(self.course, self.spec.name, self.spec.notebook, sub.student, nb, scores)
        if sub.student not in self.journal.entries:
            for cell, old in before.items():
                if cell in scores and old is not None and abs(old - scores[cell]) > 1e-9:
                    result.flags.append(f"{cell}: the gradebook held {old:g} (an earlier `nbgrader autograde`); "
                                        f"the sandboxed check gives {scores[cell]:g} "
                                        f"({failures[cell] or 'passed'}), which was written")
        self.journal.record(self._key(sub), result)
