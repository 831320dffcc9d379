"""A small-N smoke run of the benchmark: both graders run on the same submissions and agree.

The speed figures themselves are printed by `python -m autograder.benchmark --n 40`, not asserted here.
"""

import pytest
from engine_course import REPO

from autograder.benchmark import MIX, run_benchmark


@pytest.mark.skipif(not (REPO / "solutions" / "ps3_lstm").is_dir(), reason="ps3_lstm not written yet")
def test_benchmark_grades_both_ways_and_scores_agree(tmp_path):
    result = run_benchmark(3, tmp_path, workers=2)
    assert result["disagree"] == {}
    assert set(result["kinds"].values()) == set(MIX[:3])
    assert result["scores"]["s000_correct"] == 13
    assert result["scores"]["s002_ignores_batch_first"] == 10
    assert result["stock_rate"] > 0 and result["ours_rate"] > 0
