"""autograder.checks: checks match the notebooks, the reference data is current, solutions pass, cheats do not."""

import json
import os
import re
from pathlib import Path

import numpy as np
import pytest

from autograder.checks import find_forbidden, run_check
from autograder.correctness import CHECKS, get_check
from autograder.correctness.cases import Call, CallError, Case, Check, decide, from_json, to_json
from autograder.correctness.policy import Rule
from autograder.correctness.reference import case_difference, load_cases, stale_checks
from autograder.running.inside import probes

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(CHECKS)


def notebook(assignment: str, folder: str = "solutions") -> dict:
    return json.loads((REPO / folder / assignment / f"{assignment}.ipynb").read_text())


def nbgrader_meta(cell: dict) -> dict:
    return cell["metadata"].get("nbgrader", {})


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_reference_data_is_current(assignment):
    """Regenerated, the reference cases equal the committed ones: floats to rounding, all else exactly."""
    assert stale_checks(assignment) == [], "autograder/data is stale: run `python -m autograder.correctness.reference`"


def test_stored_cases_are_compared_to_rounding():
    """A last-bit difference (torch on another CPU) is not staleness; a changed value, shape, flag or label is."""
    stored = load_cases("ps4_gru", "gru_layer_batch_first")[3]  # T=1 N=3 I=2 H=4, float32
    (x, *rest), (output, h_n) = stored.call.args, stored.expected

    def regenerated(x=x, expected=stored.expected, kwargs=stored.call.kwargs, label=stored.label):
        return Case(Call(stored.call.target, (x, *rest), kwargs), expected, label)

    up = np.float32(np.inf)
    assert case_difference(stored, regenerated(expected=(np.nextafter(output, up), h_n))) is None
    assert case_difference(stored, regenerated(x=np.nextafter(x, up))) is None
    assert "expected[0]: values differ by" in case_difference(stored, regenerated(expected=(output * 1.001, h_n)))
    assert "args[0]: values differ by" in case_difference(stored, regenerated(x=x * np.float32(1.001)))
    assert "args[0]: float32" in case_difference(stored, regenerated(x=x[:1]))
    assert case_difference(stored, regenerated(kwargs={"batch_first": False})) == (
        "kwargs['batch_first']: True stored, False generated")
    assert case_difference(stored, regenerated(label=stored.label + " ")).startswith("label:")


def test_plain_data_round_trips_exactly():
    value = (np.float32([[1.5, -2.25]]), {"a": np.array(3.0), "b": [1, True, None, "x"]}, np.arange(3), 0.1)
    back = from_json(json.loads(json.dumps(to_json(value))))
    assert isinstance(back, tuple) and back[0].dtype == np.float32 and np.array_equal(back[0], value[0])
    assert back[1]["a"].shape == () and back[1]["b"] == [1, True, None, "x"] and back[3] == 0.1
    with pytest.raises(TypeError, match="not plain data"):
        to_json(object())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_autograded_cell_has_one_check_with_its_points(assignment):
    cells = {nbgrader_meta(c)["grade_id"]: c for c in notebook(assignment)["cells"]
             if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")}
    assert {cid: nbgrader_meta(c)["points"] for cid, c in cells.items()} == {
        c.cell_id: c.points for c in CHECKS[assignment]}
    for cid, cell in cells.items():
        source = "".join(cell["source"])
        hidden = source[source.index("### BEGIN HIDDEN TESTS"):source.index("### END HIDDEN TESTS")]
        assert f'run_check("{assignment}", "{cid}", globals())' in hidden


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_tests_are_worth_most_points(assignment):
    visible = sum(c.points for c in CHECKS[assignment] if c.cell_id.endswith("_visible"))
    assert visible < sum(c.points for c in CHECKS[assignment]) / 2


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solution_notebook_passes_every_check_in_process(assignment, monkeypatch):
    """Run the source notebook's non-test cells in one namespace, then every check: all pass."""
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__main__"}
    for cell in notebook(assignment)["cells"]:
        if cell["cell_type"] == "code" and not nbgrader_meta(cell).get("grade"):
            exec(compile("".join(cell["source"]), cell["id"], "exec"), namespace)  # noqa: S102
    for check in CHECKS[assignment]:
        run_check(assignment, check.cell_id, namespace)


def test_seqmodels_reference_passes_the_numpy_checks_when_not_forbidden():
    """The reference library is a correct solution: judged directly (bypassing the import rule) it passes."""
    import seqmodels

    for assignment, checks in CHECKS.items():
        for check in checks:
            cases = load_cases(assignment, check.cell_id)
            if not hasattr(seqmodels, cases[0].call.target):
                continue
            fn = getattr(seqmodels, cases[0].call.target)
            results = [fn(*c.call.args, **c.call.kwargs) for c in cases]
            assert decide(check, cases, results).passed, check.cell_id


def test_hidden_grid_covers_the_shapes_students_get_wrong():
    labels = [c.label for c in load_cases("ps3_lstm", "lstm_layer_batch_first")]
    assert any("T=1 N=1 I=1 H=1" in lab for lab in labels)
    assert any("float32" in lab for lab in labels) and any("float64" in lab for lab in labels)
    assert any("I=6 H=1" in lab for lab in labels) and any("zero initial state" in lab for lab in labels)
    h0 = load_cases("ps3_lstm", "lstm_layer_batch_first")[1].call.args[1]
    assert np.abs(h0).max() > 0


def test_call_errors_and_wrong_types_become_feedback():
    check = get_check("ps3_lstm", "lstm_cell_hidden")
    cases = load_cases("ps3_lstm", "lstm_cell_hidden")[:3]
    verdict = decide(check, cases, [CallError("raised NotImplementedError: "), "not an array", None])
    assert not verdict.passed and "3 of 3 cases fail" in verdict.message and "NotImplementedError" in verdict.message
    verdict = decide(check, cases[1:2], [np.zeros(3)])
    assert "expected a tuple (h_t, c_t)" in verdict.message


def test_a_check_judged_as_a_whole_quotes_the_first_failed_call_or_a_malformed_result():
    check = get_check("ps2_char_lm", "char_lm_trained")
    cases = load_cases("ps2_char_lm", "char_lm_trained")
    vocab, logits = cases[0].expected, np.zeros(len(cases[0].expected))
    results = [vocab, logits, CallError("raised RuntimeError: first"), CallError("raised RuntimeError: second"),
               *[logits] * (len(cases) - 4)]
    verdict = decide(check, cases, results)
    assert not verdict.passed and "first" in verdict.message and "second" not in verdict.message
    verdict = decide(check, cases, [vocab, np.zeros(3), *[logits] * (len(cases) - 2)])
    assert f"expected the logits of the next character, {len(vocab)} numbers" in verdict.message
    broken = Check("ps2_char_lm", "broken", 1, ("model",), Rule.ANY, lambda rng: [], None,
                   judge_all=lambda cases, results: 1 / 0)
    assert "could not judge the results (ZeroDivisionError" in decide(broken, cases[:1], [vocab]).message


def test_answer_checks_explain_the_batch_first_trap():
    check = get_check("ps3_lstm", "shapes_batch_first")
    case = load_cases("ps3_lstm", "shapes_batch_first")[0]
    assert case.expected == {"output": (3, 5, 4), "h_n": (1, 3, 4), "c_n": (1, 3, 4)}  # from torch.nn.LSTM
    message = check.judge(case, {"output": (3, 5, 4), "h_n": (3, 1, 4), "c_n": (1, 3, 4)})
    assert "h_n is (1, 3, 4), not (3, 1, 4)" in message and "whatever batch_first is" in message
    assert check.judge(case, probes.value({"shapes_batch_first": {"output": [3, 5, 4], "h_n": (1, 3, 4),
                                                                    "c_n": (1, 3, 4)}}, "shapes_batch_first")) is None


# ---------------------------------------------------------------- the NumPy-only rule

CLEAN = '''
import numpy as np
def helper(a):
    return np.tanh(a)
def lstm_cell(x):
    return helper(x)
'''
CHEATS = {
    "module alias": "import seqmodels as sm\ndef lstm_cell(x):\n    return sm.lstm_cell(x)",
    "imported function": "from seqmodels.recurrent import lstm_cell as ref\ndef lstm_cell(x):\n    return ref(x)",
    "import inside": "def lstm_cell(x):\n    import torch\n    return torch.tanh(x)",
    "through a helper": "import torch\ndef helper(a):\n    return torch.sigmoid(a)\n"
                        "def lstm_cell(x):\n    return helper(x)",
    "default argument": "import torch\ndef lstm_cell(x, f=torch.tanh):\n    return f(x)",
    "dynamic import": "def lstm_cell(x):\n    return __import__('tor' + 'ch').tanh(x)",
    "assigned alias": "import seqmodels\nlstm_cell = seqmodels.lstm_cell",
    "closure": "import torch\ndef make():\n    t = torch.tanh\n    def lstm_cell(x):\n        return t(x)\n"
               "    return lstm_cell\nlstm_cell = make()",
}


def namespace_of(source: str) -> dict:
    namespace = {"__name__": "__main__"}
    exec(source, namespace)  # noqa: S102
    return namespace


def test_clean_numpy_code_is_not_flagged():
    assert find_forbidden(("lstm_cell",), namespace_of(CLEAN), Rule.NUMPY_ONLY) == []


@pytest.mark.parametrize("name", CHEATS)
def test_forbidden_dependencies_are_found(name):
    findings = find_forbidden(("lstm_cell",), namespace_of(CHEATS[name]), Rule.NUMPY_ONLY)
    assert findings, name


def test_forbidden_use_scores_zero_with_a_message():
    namespace = namespace_of(CHEATS["module alias"])
    with pytest.raises(AssertionError, match=r"lstm_cell_hidden: scored 0 because lstm_cell uses seqmodels"):
        run_check("ps3_lstm", "lstm_cell_hidden", namespace)


def test_module_rule_allows_tensor_ops_but_not_nn_gru():
    ok = namespace_of("import torch\nfrom torch import nn\nclass MyGRU(nn.Module):\n"
                      "    def forward(self, x):\n        return torch.sigmoid(x @ x.T)\n")
    assert find_forbidden(("MyGRU",), ok, Rule.OWN_RECURRENCE) == []
    own_method = namespace_of("import torch\nfrom torch import nn\nclass MyGRU(nn.Module):\n"
                              "    def gru_cell(self, x):\n        return torch.tanh(x)\n"
                              "    def forward(self, x):\n        return self.gru_cell(x)\n")
    assert find_forbidden(("MyGRU",), own_method, Rule.OWN_RECURRENCE) == []
    for cheat in ("import torch\nfrom torch import nn\nclass MyGRU(nn.Module):\n    def forward(self, x):\n"
                  "        return nn.GRU(2, 3)(x)\n",
                  "import torch\nclass MyGRU(torch.nn.GRU):\n    pass\n",
                  "import torch\nfrom torch import nn\nclass MyGRU(nn.Module):\n    def forward(self, x):\n"
                  "        return torch._VF.gru(x)\n"):
        assert find_forbidden(("MyGRU",), namespace_of(cheat), Rule.OWN_RECURRENCE), cheat


def test_probe_calls_are_plain_data():
    call = Call("probe:value", ("answer",))
    case = Case(call, 1, "x")
    assert json.loads(json.dumps(to_json(case.call.args))) == {"__tuple__": ["answer"]}
    assert probes.value({"answer": (np.int64(1), [np.float32(2.0)])}, "answer") == (1, [2.0])


# ---------------------------------------------------------------- committed notebooks

@pytest.mark.parametrize("folder", ["solutions", "exercises"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebooks_are_committed_without_outputs(folder, assignment):
    for cell in notebook(assignment, folder)["cells"]:
        assert not cell.get("outputs") and not cell.get("execution_count"), f"{folder}/{assignment}: {cell['id']}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_hold_no_solution_or_hidden_test(assignment):
    released = (REPO / "exercises" / assignment / f"{assignment}.ipynb").read_text()
    for marker in ("BEGIN SOLUTION", "HIDDEN TESTS", "run_check", "autograder"):
        assert marker not in released, marker
    source_cells = notebook(assignment)["cells"]
    for cell in source_cells:
        text = "".join(cell["source"])
        for block in re.findall(r"### BEGIN SOLUTION\n(.*?)### END SOLUTION", text, flags=re.S):
            for line in block.splitlines():
                if len(line.strip()) > 25:  # long lines are specific to the solution
                    assert json.dumps(line.strip())[1:-1] not in released, line
        if nbgrader_meta(cell).get("solution") and cell["cell_type"] == "markdown":
            assert json.dumps(text.strip().splitlines()[0])[1:-1] not in released
    assert not (REPO / "exercises" / assignment / "autograder").exists()
    assert os.listdir(REPO / "exercises" / assignment) == [f"{assignment}.ipynb"]
