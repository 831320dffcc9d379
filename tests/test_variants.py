"""The catalogue of known wrong variants: each one is really wrong on the hidden cases, and the judge names it."""

import numpy as np
import pytest

from autograder.checks import CHECKS, CallError, decide, load_cases
from autograder.variants import VARIANTS


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
    assert {"lstm_gates_ifog", "gru_cho", "gru_z_swapped", "gru_reset_before", "gru_no_b_hn", "lstm_no_tanh_on_c",
            "ignore_batch_first", "h_n_batch_first", "h_n_last_sample"} <= names
    assert len({(v.name, v.target) for v in VARIANTS}) == len(VARIANTS), "variant names repeat for one target"


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{v.target}-{v.name}")
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
