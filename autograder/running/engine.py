"""Grade a batch of submissions: fresh sandboxes in parallel, every decision and the gradebook in this process.

The grader draws a secret seed per run, asks every :class:`~autograder.correctness.cases.Check` for its
cases (inputs and torch reference outputs) once, and for each submission sends only the inputs, each
call with a fresh id, to a fresh sandbox (:mod:`autograder.running.sandbox`)
that runs the student's code. NumPy-only parts are decided in a sandbox where torch does not exist;
parts that need torch in one where it does; a part without a rule where it first passes. The plain
answers that come back are judged here, scores go into nbgrader's gradebook
(:mod:`autograder.running.gradebook`) from this process only, then a line goes into the journal, so a
killed run resumes where it stopped and a re-run changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import nbformat
import numpy as np

from autograder.correctness.cases import CallError, Case, Check, decide
from autograder.correctness.policy import RULE_TEXT, Rule, Sandbox, sandboxes
from autograder.messages import check_language, default_language, use
from autograder.messages import t as msg
from autograder.running import sandbox
from autograder.running.gradebook import (
    Course,
    autograded_notebook,
    ensure_assignment,
    previous_auto_scores,
    save_grades,
)
from autograder.running.inside.protocol import Answer, CallRequest, CallsStep, CodeStep, ErrorKind, Stop
from autograder.running.intake import Submission, collect
from autograder.running.nbmeta import cell_source, grade_id, is_manual, is_test, points
from autograder.running.plan import Plan, build_plan
from autograder.running.sandbox import Limits, Run

RESTARTS = 4  # killed steps per sandbox kind after which the rest of a notebook is given up


@dataclass
class Outcome:
    """One auto-graded cell for one student: ``message`` is ``None`` when it passed."""

    cell_id: str
    points: float
    max_points: float
    message: str | None
    variant: str | None = None  # the known mistake the feedback names, if any
    broke_rule: bool = False  # it needed what the part's rule forbids (torch in a NumPy part): for review


@dataclass
class StudentResult:
    student: str
    digest: str
    score: float
    max_score: float
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # nothing gradable: why
    notes: list[str] = field(default_factory=list)  # graded, but worth the instructor's attention
    flags: list[str] = field(default_factory=list)  # for review: a rule broken, the stock pass disagreed
    cell_errors: dict[str, str] = field(default_factory=dict)
    seed: int = 0
    seconds: float = 0.0
    source: str = ""  # the file that was graded
    timing: dict[str, float] = field(default_factory=dict)  # seconds per phase
    # Stop values of runs the grader's own clock or counters ended (not what the sandbox says about itself)
    limits: list[str] = field(default_factory=list)
    code: dict[str, str] = field(default_factory=dict)  # the student's cells that ran (Plan.student_cells), capped
    retry: bool = False  # the grader, not the student, failed (a sandbox that did not start): not stored

    @classmethod
    def from_json(cls, data: dict) -> StudentResult:
        known = {f.name for f in fields(cls)}
        data = {k: v for k, v in data.items() if k in known}
        data["outcomes"] = [Outcome(**o) for o in data.get("outcomes", [])]
        return cls(**data)


@dataclass
class AssignmentSpec:
    """Everything the engine needs to know about one assignment, loaded once per run."""

    name: str
    notebook: str
    source: nbformat.NotebookNode
    release: nbformat.NotebookNode
    checks: dict[str, Check]  # test cell grade_id -> Check
    manual_cells: list[str]  # grade_ids graded by hand in formgrader
    other_assignments: dict[str, set[str]]  # for "this is the notebook of another assignment"

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks.values()))

    @property
    def visible_tests(self) -> dict[str, str]:
        """Each test cell's code as released (hidden tests removed), by grade_id."""
        return {grade_id(c): cell_source(c) for c in self.release.cells if is_test(c)}

    def fingerprint(self) -> str:
        """Changes when the checks or the source notebook change, so that the journal is not reused."""
        text = json.dumps([self.name, sorted((k, c.points) for k, c in self.checks.items()), self.source.cells],
                          sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_assignment(course: Course, name: str, checks: Iterable[Check] | None = None) -> AssignmentSpec:
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
        from autograder.correctness import CHECKS

        checks = CHECKS.get(name, [])
    by_cell = {c.cell_id: c for c in checks}
    tests = {grade_id(c): c for c in source.cells if is_test(c)}
    for gid, cell in tests.items():
        if gid not in by_cell:
            raise ValueError(f"{sources[0]}: test cell {gid!r} ({points(cell):g} points) has no Check")
        if abs(by_cell[gid].points - points(cell)) > 1e-9:
            raise ValueError(f"Check {gid!r} is worth {by_cell[gid].points:g} but its cell {points(cell):g}")
    for gid in by_cell:
        if gid not in tests:
            raise ValueError(f"Check {gid!r} has no test cell in {sources[0]}")
    manual = [grade_id(c) for c in source.cells if grade_id(c) and is_manual(c)]
    others = {}
    for other in sorted(source_dir.parent.glob("*/*.ipynb")):
        if other.parent.name != name:
            others[other.parent.name] = {grade_id(c) for c in nbformat.read(other, as_version=4).cells if grade_id(c)}
    return AssignmentSpec(name, nb_name, source, release, by_cell, manual, others)


# ------------------------------------------------------------------------------------------- judging


CODE_KEPT = 100_000  # characters of a student's own code kept in the journal for the class report


def kept_code(cells: dict[str, str]) -> dict[str, str]:
    """The student's cells, in order, cut off after :data:`CODE_KEPT` characters in all (a padded notebook
    must not make the journal or the report's similarity check huge)."""
    kept, room = {}, CODE_KEPT
    for name, source in cells.items():
        if room <= 0:
            break
        kept[name], room = source[:room], room - len(source)
    return kept


# How a run can end at a limit (the grader's own decision, recorded in StudentResult.limits for the report).
AT_A_LIMIT = (Stop.STEP_TIMEOUT, Stop.WALL_TIMEOUT, Stop.OUTPUT_LIMIT, Stop.EXITED)


def stop_reason(run: Run, limits: Limits) -> str:
    """Why a sandbox run ended early, for the student."""
    where = msg("stop.where", place=run.stopped_in) if run.stopped_in else ""
    if run.stop is Stop.STEP_TIMEOUT:
        return msg("stop.step_timeout", where=where, limit=limits.step_timeout)
    if run.stop is Stop.WALL_TIMEOUT:
        return msg("stop.wall_timeout", where=where, limit=limits.timeout)
    if run.stop is Stop.OUTPUT_LIMIT:
        return msg("stop.output_limit", where=where, limit=limits.output_mb)
    if run.stop is Stop.SETUP_FAILED:
        return msg("stop.setup_failed")
    return msg("stop.exited", where=where, code=run.exit_code, memory=limits.memory_mb)


def _call_result(answer: Answer | None, run: Run, limits: Limits) -> object:
    if answer is None:
        return CallError(msg("call.not_run", reason=stop_reason(run, limits)))
    if answer.ok:
        return answer.value
    if answer.kind is ErrorKind.TIMEOUT:
        return CallError(msg("call.timeout", limit=limits.step_timeout))
    if answer.kind is ErrorKind.UNAVAILABLE:
        return CallError(msg("call.unavailable", module=answer.error))
    if answer.kind is ErrorKind.RAISED:
        return CallError(msg("call.raised", error=answer.error))
    return CallError(answer.error)


def _modules_text(modules: set[str]) -> str:
    notes = {"seqmodels": msg("module.seqmodels")}
    return ", ".join(notes.get(m, m) for m in sorted(modules))


def judge_check(check: Check, cases: list[Case], answers: list[Answer | None], run: Run, limits: Limits,
                unavailable: set[str]) -> Outcome:
    """Decide one check in the grader process from the answers to its calls."""

    def fail(message: str, broke_rule: bool = False) -> Outcome:
        return Outcome(check.cell_id, 0.0, check.points, message, broke_rule=broke_rule)

    missing = sorted({a.error for a in answers if a is not None and a.kind is ErrorKind.MISSING})
    if missing:
        names = ", ".join(f"`{n}`" for n in missing)
        hint = (msg("engine.missing_import_hint", modules=_modules_text(unavailable)) if unavailable
                else msg("engine.missing_cell_hint"))
        return fail(msg("engine.missing", cell=check.cell_id, names=names, hint=hint))
    needs = sorted({a.error for a in answers if a is not None and a.kind is ErrorKind.UNAVAILABLE})
    if needs and check.rule is Rule.NUMPY_ONLY:
        return fail(msg("engine.needs", cell=check.cell_id, name=check.names[0], needs=", ".join(needs),
                        rule=RULE_TEXT[check.rule]), broke_rule=True)
    results = [_call_result(a, run, limits) for a in answers]
    verdict = decide(check, cases, results)
    return Outcome(check.cell_id, check.points if verdict.passed else 0.0, check.points,
                   None if verdict.passed else verdict.message, verdict.variant)


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


class _Worker:
    """One grading slot: its index (the sandbox uid) and its warm sandboxes, one per kind, started on demand."""

    def __init__(self, index: int):
        self.index = index
        self.slots: dict[Sandbox, sandbox.Slot] = {}

    def slot(self, kind: Sandbox, limits: Limits, kit: Path) -> sandbox.Slot:
        if kind not in self.slots:
            self.slots[kind] = sandbox.Slot(kind, limits, kit)
        return self.slots[kind]

    def stop(self) -> None:
        for slot in self.slots.values():
            slot.stop()


@dataclass
class _Asked:
    """The calls of one check in one sandbox run: ids in case order."""

    check: Check
    cases: list[Case]
    ids: list[str]


def _with_calls(plan: Plan, asked: dict[str, _Asked]) -> tuple[tuple, dict[int, list[CallRequest]]]:
    """The plan's code steps with a calls step for each asked check where its test cell stands, and each calls
    step's calls by step index (the sandbox gets them one at a time, when the step begins)."""
    at: dict[int, list[str]] = {}
    for cell_id in asked:
        at.setdefault(plan.calls_at[cell_id], []).append(cell_id)
    steps: list = []
    calls: dict[int, list[CallRequest]] = {}
    for index in range(len(plan.steps) + 1):
        for cell_id in at.get(index, []):
            a = asked[cell_id]
            calls[len(steps)] = [CallRequest(i, c.call.target, c.call.args, c.call.kwargs)
                                 for i, c in zip(a.ids, a.cases, strict=True)]
            steps.append(CallsStep(cell_id, a.check.names, len(a.cases)))
        if index < len(plan.steps):
            steps.append(plan.steps[index])
    return tuple(steps), calls


class Engine:
    def __init__(self, course: Course, spec: AssignmentSpec, limits: Limits | None = None, workers: int | None = None,
                 progress: bool = True, lang: str | None = None):
        self.course, self.spec, self.limits = course, spec, limits or Limits()
        self.lang = check_language(lang) if lang else default_language()  # the text of messages, never a score
        self.n_workers = max(1, workers or os.cpu_count() or 1)
        self.progress = progress
        self.state_dir = course.work_dir / "autograder" / spec.name
        self.journal = Journal(self.state_dir / "journal.jsonl")
        self.kit = sandbox.write_kit(self.state_dir / "kit")
        self.isolation: dict | None = None  # what the first sandbox of this run reported
        self.seed = secrets.randbits(63)  # one secret seed per run: no sandbox can pass anything to another
        self._cases: dict[str, list[Case]] | None = None
        self._cases_lock = threading.Lock()

    def cases(self) -> dict[str, list[Case]]:
        """Every check's cases for this run, drawn once from the run's secret seed."""
        with self._cases_lock:
            if self._cases is None:
                rng = np.random.default_rng(self.seed)
                self._cases = {cid: check.make_cases(rng) for cid, check in self.spec.checks.items()}
            return self._cases

    # -- one submission

    def _key(self, sub: Submission) -> str:
        # Messages are stored in the run's language: another language grades again (same scores, new text).
        return f"{self.spec.fingerprint()}:{sub.digest}" + ("" if self.lang == "en" else f":{self.lang}")

    def _run_sandbox(self, kind: Sandbox, plan: Plan, todo: dict[str, list[Case]], worker: _Worker,
                     result: StudentResult) -> tuple[Run, dict[str, _Asked]]:
        asked = {cid: _Asked(self.spec.checks[cid], cases, [secrets.token_hex(8) for _ in cases])
                 for cid, cases in todo.items()}
        steps, calls = _with_calls(plan, asked)
        run = worker.slot(kind, self.limits, self.kit).run(sandbox.make_job(steps, self.limits, worker.index),
                                                           calls)
        if self.isolation is None and run.isolation:
            self.isolation = run.isolation
        for phase, seconds in run.seconds.items():
            result.timing[phase] = result.timing.get(phase, 0.0) + seconds
        for cell, done in run.cells.items():
            if not done.ok:
                result.cell_errors.setdefault(cell, done.error[:500])
        if run.ignored:
            result.flags.append(f"{len(run.ignored)} message(s) from the notebook's process were ignored (only the "
                                f"first answer to each of the grader's calls counts): {run.ignored[0]}")
        return run, asked

    def _answers_in(self, kind: Sandbox, plan: Plan, todo: dict[str, list[Case]], worker: _Worker,
                    result: StudentResult) -> tuple[dict[str, tuple[_Asked, list[Answer | None], Run]], Run]:
        """Every asked check's answers from sandboxes of ``kind``, with the run they came from. When a step is
        killed at its time limit, the rest is run again in a fresh child without that step, and without
        calling again the function that was stopped (its other parts count as timed out), at most
        :data:`RESTARTS` times: one endless part does not cost the parts that do not need it."""
        answered: dict[str, tuple[_Asked, list[Answer | None], Run]] = {}
        skipped: set[str] = set()
        stopped: set[str] = set()  # functions that had to be killed
        kills: list[str] = []
        while True:
            steps = [CodeStep(s.cell, "") if s.cell in skipped else s for s in plan.steps]
            run, asked = self._run_sandbox(kind, replace(plan, steps=steps), todo, worker, result)
            if run.stop in AT_A_LIMIT and run.stop not in result.limits:
                result.limits.append(run.stop.value)
            if Stop.STEP_TIMEOUT not in result.limits and any(  # a call the signal stopped, timed by the grader
                    a.kind is ErrorKind.TIMEOUT and run.call_seconds.get(i, 0.0) >= 0.9 * self.limits.step_timeout
                    for i, a in run.answers.items()):
                result.limits.append(Stop.STEP_TIMEOUT.value)
            answered |= {cid: (a, [run.answers.get(i) for i in a.ids], run) for cid, a in asked.items()}
            killed = run.stopped_in if run.stop is Stop.STEP_TIMEOUT else None
            kills += [killed] if killed else []
            if killed is None or len(kills) >= RESTARTS:
                return answered, run
            skipped |= plan.visible_tests  # after a kill, only what is graded runs again: no test code calls it
            if run.stopped_call is not None:
                stopped.add(run.stopped_call.target)
            else:
                skipped.add(killed)
                result.cell_errors[killed] = msg("engine.cell_stopped", limit=self.limits.step_timeout)
            for a, answers, _ in answered.values():  # parts that would only call a stopped function again
                if any(c.call.target in stopped for c in a.cases):
                    answers[:] = [x or Answer("", False, None, "timed out", ErrorKind.TIMEOUT) for x in answers]
            todo = {cid: c for cid, c in todo.items() if None in answered[cid][1]}
            if not todo:
                return answered, run
            result.notes.append(msg("engine.killed_note", cell=killed))

    def _grade_or_report(self, sub: Submission, workers: queue.Queue) -> StudentResult:
        """:meth:`_grade`, where anything unforeseen in one student's grading becomes that student's problem
        (not stored, so a re-run tries again) instead of stopping the class."""
        try:
            return self._grade(sub, workers)
        except sandbox.SandboxUnavailable:
            raise
        except Exception as err:  # noqa: BLE001 - one student never stops the class
            result = StudentResult(sub.student, sub.digest, 0.0, self.spec.max_score, retry=True,
                                   source=str(sub.path or ""))
            result.problems.append(msg("engine.grader_failed", type=type(err).__name__, error=str(err)[:200]))
            result.outcomes = [Outcome(c.cell_id, 0.0, c.points, msg("engine.not_graded_failed"))
                               for c in self.spec.checks.values()]
            return result

    def _grade(self, sub: Submission, workers: queue.Queue) -> StudentResult:
        t0 = time.monotonic()
        result = StudentResult(sub.student, sub.digest, 0.0, self.spec.max_score, problems=list(sub.problems),
                               notes=list(sub.notes), seed=self.seed, source=str(sub.path or ""))
        if not sub.gradable:
            not_graded = msg("engine.not_graded_problems", problems="; ".join(sub.problems))
            result.outcomes = [Outcome(c.cell_id, 0.0, c.points, not_graded)
                               for c in self.spec.checks.values()]
            return result
        self._check_identity(sub, result)
        plan = build_plan(self.spec.source, sub.notebook, set(self.spec.checks), self.spec.visible_tests)
        result.code = kept_code(plan.student_cells)
        result.notes += [msg("engine.missing_solution_cell", cell=gid) for gid in plan.missing_cells]
        result.notes += [msg("engine.duplicate_cell", cell=gid) for gid in dict.fromkeys(plan.duplicate_cells)]
        t = time.monotonic()
        cases = self.cases()
        result.timing["cases"] = time.monotonic() - t
        where = {cid: sandboxes(c.rule, c.needs_torch) for cid, c in self.spec.checks.items()}
        outcomes: dict[str, Outcome] = {}
        unavailable: set[str] = set()  # modules the notebook tried to import that the NumPy sandbox lacks
        worker = workers.get()
        try:
            for kind in (Sandbox.NUMPY, Sandbox.TORCH):
                todo = {cid: cases[cid] for cid, kinds in where.items()
                        if kind in kinds and (cid not in outcomes or outcomes[cid].message is not None)}
                if kind is Sandbox.TORCH and not unavailable:  # it would run the same code the same way again
                    todo = {cid: c for cid, c in todo.items() if where[cid][0] is Sandbox.TORCH}
                if not todo:
                    continue
                answered, run = self._answers_in(kind, plan, todo, worker, result)
                if run.stop is Stop.SETUP_FAILED:
                    result.problems.append(stop_reason(run, self.limits))
                    result.retry = True
                    return result
                unavailable |= {m.split(".")[0] for done in run.cells.values() for m in done.unavailable}
                t = time.monotonic()
                for cid, (a, answers, source) in answered.items():
                    outcomes[cid] = judge_check(a.check, a.cases, answers, source, self.limits, unavailable)
                result.timing["judging"] = result.timing.get("judging", 0.0) + time.monotonic() - t
        finally:
            workers.put(worker)
        result.outcomes = [outcomes.get(cid) or Outcome(cid, 0.0, c.points, msg("engine.not_graded", cell=cid))
                           for cid, c in self.spec.checks.items()]
        result.flags += [o.message for o in result.outcomes if o.broke_rule]
        result.score = sum(o.points for o in result.outcomes)
        result.seconds = time.monotonic() - t0
        return result

    def _check_identity(self, sub: Submission, result: StudentResult) -> None:
        ids = {grade_id(c) for c in sub.notebook.cells if grade_id(c)}
        mine = {grade_id(c) for c in self.spec.source.cells if grade_id(c)}
        if ids & mine:
            return
        match = [a for a, other in self.spec.other_assignments.items() if ids & other]
        if match:
            result.notes.append(msg("engine.other_assignment", other=match[0], assignment=self.spec.name,
                                    notebook=self.spec.notebook))
        else:
            result.notes.append(msg("engine.no_graded_cells", assignment=self.spec.name, notebook=self.spec.notebook))

    # -- the run

    def run(self, source: Path, regrade: bool = False, on_result: Callable[[StudentResult], None] | None = None
            ) -> RunSummary:
        with use(self.lang):
            return self._run(source, regrade, on_result)

    def _run(self, source: Path, regrade: bool, on_result: Callable[[StudentResult], None] | None) -> RunSummary:
        t0 = time.monotonic()
        ensure_assignment(self.course, self.spec.name)
        subs = collect(source, self.spec.name, self.spec.notebook, self.state_dir / "unpacked")
        results: dict[str, StudentResult] = {}
        todo = []
        for sub in subs:
            done = None if regrade else self.journal.finished(sub.student, self._key(sub))
            if done is not None:
                results[sub.student] = done
            else:
                todo.append(sub)
        progress = Progress(len(todo), f"grading {self.spec.name}", self.progress)
        n = min(self.n_workers, max(1, len(todo)))
        workers: queue.Queue = queue.Queue()
        pool = [_Worker(i) for i in range(n)]
        for worker in pool:
            workers.put(worker)
        try:
            with ThreadPoolExecutor(n) as ex:
                futures = {ex.submit(self._grade_or_report, sub, workers): sub for sub in todo}
                for fut in as_completed(futures):
                    sub = futures[fut]
                    result = fut.result()
                    self._store(sub, result)
                    results[sub.student] = result
                    if on_result:
                        on_result(result)
                    progress.step()
        finally:
            for worker in pool:
                worker.stop()
        ordered = [results[s.student] for s in subs]
        return RunSummary(ordered, len(todo), len(subs) - len(todo), time.monotonic() - t0)

    def _store(self, sub: Submission, result: StudentResult) -> None:
        """The single writer: gradebook first, journal second (a crash in between only regrades it)."""
        if result.retry:
            return  # the grader's fault: leave it for the next run
        t0 = time.monotonic()
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
        result.timing["gradebook"] = time.monotonic() - t0
        self.journal.record(self._key(sub), result)


def describe_isolation(isolation: dict | None) -> str:
    """One line for the end of a run: what the sandboxes were granted."""
    if not isolation:
        return "sandbox: no submission reached a sandbox"
    uid = isolation.get("uid")
    who = "uid 0 of a user namespace, without capabilities" if uid == 0 else f"uid {uid}"
    return (f"sandbox: bubblewrap, a fresh child per submission; no network; private /tmp, /var/tmp, /dev/shm and "
            f"home; student code as {who}; NumPy-only parts where torch, seqmodels and autograder do not exist")
