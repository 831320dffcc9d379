"""Chapter 8's fair comparison: ranges over seeds, the best learning rate per cell, and a verdict from the ranges."""

import math

import pytest

from seqmodels.comparison import (
    LEARNING_RATES,
    SEEDS,
    adding_score,
    best_lr,
    lm_score,
    load_sweep,
    runs_at,
    solve_steps,
    value_range,
    verdict,
    winner,
)

NAMES = {"adding": "the adding problem", "lm": "the language model"}


def test_value_range_counts_unsolved_as_worst():
    assert value_range([3, 1, 2]) == [1, 3]
    assert value_range([3, None, 2]) == [2, None]
    assert value_range([None, None]) == [None, None]
    assert solve_steps({"steps_to_solve": None}) == math.inf


@pytest.mark.parametrize(("gru", "lstm", "expected"), [
    ([75, 126], [196, 287], "gru"),  # the GRU's worst seed beats the LSTM's best
    ([196, 287], [75, 126], "lstm"),
    ([75, 200], [196, 287], None),  # overlap: no clear winner
    ([0.2837, 0.2901], [0.2848, 0.2864], None),
    ([75, 126], [196, None], "gru"),  # an unsolved seed is worse than any number
    ([75, None], [196, 287], None),
    ([None, None], [None, None], None),
])
def test_winner_only_where_the_ranges_separate(gru, lstm, expected):
    assert winner({"gru": gru, "lstm": lstm}) == expected


def test_verdict_says_no_clear_winner_when_every_range_overlaps():
    assert verdict({"adding": None, "lm": None}, NAMES).startswith("No clear winner")
    text = verdict({"adding": "gru", "lm": None}, NAMES)
    assert text.startswith("The GRU did better") and "no clear winner" in text
    assert verdict({"adding": "gru", "lm": "lstm"}, NAMES).startswith("Mixed")
    assert verdict({"adding": "lstm", "lm": "lstm"}, NAMES).startswith("The LSTM did better")


def test_the_korean_verdict_says_the_same():
    assert verdict({"adding": None, "lm": None}, NAMES, lang="ko").startswith("뚜렷한 승자가 없다")
    text = verdict({"adding": "gru", "lm": None}, NAMES, lang="ko")
    assert text.startswith("범위가 갈리는 곳에서는 GRU가 더 좋았다") and "뚜렷한 승자가 없다" in text
    assert verdict({"adding": "gru", "lm": "lstm"}, NAMES, lang="ko").startswith("결과가 엇갈린다")


def test_best_lr_takes_the_best_median_per_cell():
    runs = [{"cell": "gru", "lr": lr, "seed": s, "T": 40, "steps_to_solve": steps, "test_mse": 0.005}
            for lr, per_seed in {0.01: [300, 310, None], 0.02: [100, 500, 120], 0.04: [None, None, 90]}.items()
            for s, steps in enumerate(per_seed)]
    assert best_lr(runs, "gru", adding_score, T=40) == 0.02  # median 120 beats 310 and inf
    assert [r["seed"] for r in runs_at(runs, "gru", 0.02, T=40)] == [0, 1, 2]
    with pytest.raises(ValueError, match="no runs"):
        best_lr(runs, "lstm", adding_score)


def test_stored_sweep_is_complete():
    """Every cell x learning rate x seed, on the adding problem at each T and on the language model."""
    sweep = load_sweep()
    settings = sweep["settings"]
    assert settings["learning_rates"] == list(LEARNING_RATES) and settings["seeds"] == list(SEEDS)
    assert settings["adding_budget"]["forget_bias"] == settings["lm_budget"]["forget_bias"] == 1.0
    for cell in settings["cells"]:
        for lr in settings["learning_rates"]:
            for T in settings["T_values"]:
                assert [r["seed"] for r in runs_at(sweep["adding"], cell, lr, T=T)] == list(SEEDS)
            assert [r["seed"] for r in runs_at(sweep["lm"], cell, lr)] == list(SEEDS)
    assert len(sweep["adding"]) == len(set((r["cell"], r["T"], r["lr"], r["seed"]) for r in sweep["adding"]))
    for cell in settings["cells"]:  # each cell's chosen rate lies inside the grid, not at its top
        assert best_lr(sweep["lm"], cell, lm_score) < max(LEARNING_RATES)
        assert best_lr(sweep["adding"], cell, adding_score, T=40) < max(LEARNING_RATES)
