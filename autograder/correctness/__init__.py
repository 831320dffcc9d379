"""What counts as correct: one :class:`~autograder.correctness.cases.Check` per auto-graded cell.

* :mod:`~autograder.correctness.cases`: the vocabulary (checks, cases, calls), comparing and :func:`decide`;
* :mod:`~autograder.correctness.policy`: what each part may use, read by both grading paths;
* one module per problem set (``ps1_rnn`` ... ``ps4_gru``) with its checks, and
  :mod:`~autograder.correctness.recurrent` for the cell/layer cases they share;
* :mod:`~autograder.correctness.variants`: the catalogue of known mistakes that feedback names;
* :mod:`~autograder.correctness.reference`: the fixed-seed cases stored for stock ``nbgrader autograde``.
"""

from __future__ import annotations

from autograder.correctness import ps1_rnn, ps2_char_lm, ps3_lstm, ps4_gru
from autograder.correctness.cases import Check

CHECKS: dict[str, list[Check]] = {m.__name__.rsplit(".", 1)[1]: m.CHECKS for m in (ps1_rnn, ps2_char_lm, ps3_lstm,
                                                                                        ps4_gru)}


def get_check(assignment: str, cell_id: str) -> Check:
    if assignment not in CHECKS:
        raise KeyError(f"no checks for assignment {assignment!r}; known: {sorted(CHECKS)}")
    for check in CHECKS[assignment]:
        if check.cell_id == cell_id:
            return check
    raise KeyError(f"{assignment} has no check {cell_id!r}; known: {[c.cell_id for c in CHECKS[assignment]]}")
