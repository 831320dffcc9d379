"""One table of cheats and honest twists, graded by stock `nbgrader autograde` and by the `autograder` command.

Both paths read the same rules (`autograder.correctness.policy`): the stock path reports what its courtesy
scan finds in the student's kernel, the command decides by what the sandbox can reach. For every row the
two must agree on every part's score; where stock nbgrader can be fooled (a rebound test helper) the
command's score is the one written and the student is flagged (tests/test_engine_benchmark.py).
"""

from __future__ import annotations

import csv
import subprocess

import pytest
from engine_course import make_course, nbgrader_env, student_notebook, write_submission

from autograder.cli import main as autograder_main
from autograder.tooling.benchmark import BIN

pytestmark = pytest.mark.slow

NUMPY_PARTS = ("lstm_cell_visible", "lstm_cell_hidden", "lstm_layer_visible", "lstm_layer_time_major",
               "lstm_layer_batch_first")
CELL_PARTS = NUMPY_PARTS[:2]
LAYER = "from seqmodels import lstm_layer\n"

# student -> (solution cells replaced, parts that must score 0 on both paths)
TABLE = {
    "torch_alias_in_helper": ({"lstm_cell_solution": '''
import torch as T
def gate(a):
    return T.sigmoid(T.from_numpy(a)).numpy()
def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    H = h_prev.shape[1]
    z = x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh
    i, f, g, o = gate(z[:, :H]), gate(z[:, H:2*H]), np.tanh(z[:, 2*H:3*H]), gate(z[:, 3*H:])
    c = f * c_prev + i * g
    return o * np.tanh(c), c
'''}, CELL_PARTS + NUMPY_PARTS[2:]),  # the layer calls lstm_cell, so it needs torch too
    "reference_code": ({"lstm_layer_solution": LAYER}, NUMPY_PARTS[2:]),
    "string_built_import": ({"lstm_cell_solution": '''
def lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    nn = __import__("tor" + "ch").nn
    cell = nn.LSTMCell(x_t.shape[1], h_prev.shape[1]).double()
    raise NotImplementedError
'''}, NUMPY_PARTS),
    "exec_at_top_level": ({"lstm_layer_solution": 'exec("from seqmodels import lstm_layer")\n'}, NUMPY_PARTS[2:]),
    "honest_torch_self_check": ({"lstm_layer_solution": None}, ()),  # the solution plus a torch check below it
}
SELF_CHECK = '''
import torch
reference = torch.nn.LSTM(2, 4)
print("my shapes match:", lstm_layer(np.zeros((5, 3, 2)), None, None,
      *[p.detach().numpy().astype(np.float64) for p in reference.parameters()])[0].shape == (5, 3, 4))
'''


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    import nbformat

    tmp = tmp_path_factory.mktemp("paths")
    course = make_course(tmp / "course")
    submitted = course / "nbgrader_work" / "submitted"
    for student, (answers, _) in TABLE.items():
        nb = student_notebook(course, answers={k: v for k, v in answers.items() if v is not None})
        if student == "honest_torch_self_check":
            at = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id")
                      == "lstm_layer_solution")
            nb.cells.insert(at + 1, nbformat.v4.new_code_cell(SELF_CHECK))
        write_submission(submitted, student, nb)
    subprocess.run([str(BIN / "nbgrader"), "autograde", "ps3_lstm", "--log-level=ERROR"], cwd=course,
                   env=nbgrader_env(), check=True, capture_output=True)
    stock = _cell_scores(course)
    assert autograder_main(["ps3_lstm", str(submitted), "--course", str(course), "--quiet", "--step-timeout",
                            "20"]) == 0
    with open(course / "nbgrader_work/autograder/ps3_lstm/grades.csv", encoding="utf-8") as f:
        ours = {row["student"]: {p: float(row[p]) for p in NUMPY_PARTS} for row in csv.DictReader(f)}
    return stock, ours


def _cell_scores(course) -> dict[str, dict[str, float]]:
    from nbgrader.api import Gradebook

    with Gradebook("sqlite:///" + str(course / "nbgrader_work" / "gradebook.db")) as gb:
        return {s.student.id: {g.name: g.auto_score for g in s.notebooks[0].grades if g.name in NUMPY_PARTS}
                for s in gb.find_assignment("ps3_lstm").submissions}


@pytest.mark.parametrize("student", sorted(TABLE))
def test_stock_and_command_agree_on_every_part(both, student):
    stock, ours = both
    zero = set(TABLE[student][1])
    assert {p for p, v in ours[student].items() if v == 0} == zero, "command"
    assert {p for p, v in stock[student].items() if v == 0} == zero, "stock nbgrader"
