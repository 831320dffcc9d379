"""The two-sided tagging task of chapter 7 and its taggers."""

import numpy as np
import pytest
import torch

from seqmodels.tagging import LOOK_LEFT, LOOK_RIGHT, Tagger, ambiguous_tagging_task, tag_accuracy, token_class


def test_tags_follow_the_rules():
    x, tags = ambiguous_tagging_task(200, 12, seed=0)
    again, _ = ambiguous_tagging_task(200, 12, seed=0)
    assert np.array_equal(x, again) and x.shape == tags.shape == (200, 12)
    letters = x < 8
    assert np.array_equal(tags[letters], token_class(x[letters]))
    rows, cols = np.nonzero(x == LOOK_RIGHT)
    assert len(rows) > 0 and np.array_equal(tags[rows, cols], token_class(x[rows, cols + 1]))
    rows, cols = np.nonzero(x == LOOK_LEFT)
    assert len(rows) > 0 and np.array_equal(tags[rows, cols], token_class(x[rows, cols - 1]))
    assert (x[:, 0] < 8).all() and (x[:, -1] < 8).all()  # an ambiguous token always has both neighbours
    with pytest.raises(ValueError):
        ambiguous_tagging_task(1, 2)


def test_one_way_taggers_cannot_see_the_other_side():
    """Changing the future changes no forward output; changing the past changes no backward output."""
    x = torch.as_tensor(ambiguous_tagging_task(4, 10, seed=1)[0])
    changed = x.clone()
    changed[:, 6:] = (changed[:, 6:] + 1) % 8
    with torch.no_grad():
        forward, backward, both = (Tagger(d, hidden_size=8, seed=0) for d in ("forward", "backward", "bidirectional"))
        assert torch.equal(forward(x)[:, :6], forward(changed)[:, :6])
        assert not torch.allclose(backward(x)[:, :6], backward(changed)[:, :6])
        assert not torch.allclose(both(x)[:, :6], both(changed)[:, :6])
        past = x.clone()
        past[:, :4] = (past[:, :4] + 1) % 8
        assert torch.equal(backward(x)[:, 4:], backward(past)[:, 4:])


def test_accuracy_keys():
    x, tags = ambiguous_tagging_task(50, 10, seed=2)
    acc = tag_accuracy(Tagger("forward", hidden_size=8), x, tags)
    assert set(acc) == {"all", "letters", ">", "<"} and all(0 <= v <= 1 for v in acc.values())
