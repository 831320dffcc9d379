"""Grading for the course's nbgrader assignments, in three parts.

* :mod:`autograder.correctness`: what counts as correct: one check per auto-graded cell (cases with
  reference outputs from ``torch.nn``, a judge that names known mistakes), the rules of what each part
  may use (:mod:`~autograder.correctness.policy`), the variants catalogue, the stored reference cases.
* :mod:`autograder.running`: how student code runs for the ``autograder`` command: intake, plan,
  sandbox (bubblewrap), the typed protocol, the engine, the gradebook and feedback.
* :mod:`autograder.tooling`: course tooling: releasing assignments, the benchmark.

:mod:`autograder.checks` is the stock nbgrader path: ``run_check``, the one-line body of every hidden
test cell.
"""
