"""The catalogue of known wrong variants: each one is really wrong on the hidden cases, and the judge names it."""

import numpy as np
import pytest

from autograder.correctness import CHECKS, get_check
from autograder.correctness.cases import CallError, decide
from autograder.correctness.ps4_gru import GRU_PARAM_NAMES
from autograder.correctness.reference import load_cases
from autograder.correctness.variants import VARIANTS, unroll
from seqmodels.conventions import gru_cell_variant

MODULE_ONLY = "gru_reset_before_layer"  # MyGRU(reset_after=False) as a layer: its cases call probe:gru_module


def hidden_checks_calling(target: str):
    """(check, stored cases) for every hidden check whose cases call ``target``."""
    for checks in CHECKS.values():
        for check in checks:
            if check.cell_id.endswith("_visible"):
                continue
            cases = load_cases(check.assignment, check.cell_id)
            if cases and cases[0].call.target == target:
                yield check, cases


def run_variant(variant, cases):
    results = []
    for case in cases:
        try:
            with np.errstate(all="ignore"):
                results.append(variant.fn(*case.call.args, **case.call.kwargs))
        except Exception as err:  # noqa: BLE001 - a variant may crash where a student's code would
            results.append(CallError(f"raised {type(err).__name__}: {err}"))
    return results


def test_catalogue_has_the_mistakes_the_issue_lists():
    names = {v.name for v in VARIANTS}
    assert {"lstm_gates_ifog", "gru_chung", "gru_z_swapped", "gru_reset_before", "gru_no_b_hn", "lstm_no_tanh_on_c",
            "ignore_batch_first", "h_n_batch_first", "h_n_last_sample"} <= names
    assert len({(v.name, v.target) for v in VARIANTS}) == len(VARIANTS), "variant names repeat for one target"


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.target != MODULE_ONLY],
                         ids=lambda v: f"{v.target}-{v.name}")
def test_variant_fails_and_is_named(variant):
    """Graded like a student's function, every variant loses the points of some hidden check, and every
    check it fails quotes its mistake."""
    failed = []
    for check, cases in hidden_checks_calling(variant.target):
        verdict = decide(check, cases, run_variant(variant, cases))
        if not verdict.passed:
            failed.append(check.cell_id)
            assert variant.mistake in verdict.message, f"{check.cell_id}: {verdict.message}"
    assert failed, f"{variant.name} passes every hidden check of {variant.target}: not a detectable mistake"


def test_gate_order_message_is_the_one_students_read():
    variant = next(v for v in VARIANTS if v.name == "lstm_gates_ifog" and v.target == "lstm_layer")
    cases = load_cases("ps3_lstm", "lstm_layer_time_major")
    check = next(c for c in CHECKS["ps3_lstm"] if c.cell_id == "lstm_layer_time_major")
    message = decide(check, cases, run_variant(variant, cases)).message
    assert "Your output equals an LSTM with gates ordered i,f,o,g" in message
    assert "PyTorch orders the blocks i,f,g,o" in message
    assert "max abs error" in message


def test_dropped_b_hn_fails_even_with_zero_initial_state():
    """Biases are drawn independently and one case starts from h0 = 0: a dropped b_hn still shows."""
    variant = next(v for v in VARIANTS if v.name == "gru_no_b_hn" and v.target == "gru_layer")
    cases = [c for c in load_cases("ps4_gru", "gru_layer_time_major") if "zero initial state" in c.label]
    assert cases
    check = next(c for c in CHECKS["ps4_gru"] if c.cell_id == "gru_layer_time_major")
    verdict = decide(check, cases, run_variant(variant, cases))
    assert not verdict.passed and "drops b_hn" in verdict.message


# ---------------------------------------------------------------- MyGRU: both placements of the reset gate


def module_results(cases, convention):
    """What a MyGRU returns on ``probe:gru_module`` cases when it computes ``convention(reset_after)``, a
    ``(reset, update)`` pair of :func:`seqmodels.conventions.gru_cell_variant`."""
    results = []
    for case in cases:
        batch_first, reset_after, state_dict, x, h0 = case.call.args[3:8]
        params = [state_dict[name] for name in GRU_PARAM_NAMES]
        reset, update = convention(reset_after)

        def cell(x_t, h, params=params, reset=reset, update=update):
            return gru_cell_variant(x_t, h, *params, reset=reset, update=update)

        output, (h_n,) = unroll(cell, x, [h0], batch_first)
        results.append({"output": output, "h_n": h_n, "grads": {}})
    return results


def correct(reset_after):
    return ("after" if reset_after else "before"), "pytorch"


@pytest.mark.parametrize(("convention", "named"), [
    (correct, None),
    (lambda reset_after: ("before", "chung"), "gru_chung"),  # the lecture notes' GRU whatever reset_after says
    (lambda reset_after: (correct(reset_after)[0], "chung"), "gru_z_swapped"),
    (lambda reset_after: ("after", "pytorch"), "gru_reset_after_ignored"),  # what torch's GRU computes
    (lambda reset_after: ("before", "pytorch"), "gru_reset_before"),
], ids=["correct", "notes", "z_swapped", "torch_gru", "always_before"])
def test_module_mistakes_are_named_for_both_reset_placements(convention, named):
    """A MyGRU in a wrong convention fails gru_module_forward, and the feedback names the convention; a module
    that ignores reset_after=False (torch's GRU) is named too (every RESET_BEFORE_MISTAKES entry is here)."""
    check, cases = get_check("ps4_gru", "gru_module_forward"), load_cases("ps4_gru", "gru_module_forward")
    verdict = decide(check, cases, module_results(cases, convention))
    assert verdict.passed == (named is None), verdict.message
    if named:
        mistake = next(v.mistake for v in VARIANTS if v.name == named)
        assert f"Your module computes {mistake}" in verdict.message, verdict.message

