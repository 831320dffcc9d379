"""Grading for the course's nbgrader assignments.

* :mod:`autograder.checks`: what each auto-graded cell checks (cases with reference outputs from
  ``torch.nn``, a judge that names known mistakes) and :func:`~autograder.checks.run_check`, the
  one-line body of every hidden test cell.
* :mod:`autograder.variants`: the catalogue of known wrong implementations that feedback names.
* :mod:`autograder.probes`: small functions run inside the student's process (answer variables,
  trained models, ``nn.Module`` classes) that return plain data.
* :mod:`autograder.reference`: ``python -m autograder.reference`` rewrites the fixed-seed reference
  data in ``autograder/data/`` used by hidden test cells under stock ``nbgrader autograde``.
"""
