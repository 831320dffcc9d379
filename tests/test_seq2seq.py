"""The encoder-decoder library of chapter 9: data, masked loss, attention, decoders."""

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from seqmodels import seq2seq as s2s


@pytest.fixture(scope="module")
def model():
    """A briefly trained attention model: decoders are compared on a model with opinions."""
    src, tgt = s2s.reversal_task(2000, 2, 6, 5, seed=0)
    m = s2s.Seq2Seq(s2s.vocab_size(5), embed_size=8, hidden_size=16, attention=True, seed=0)
    s2s.train_seq2seq(m, src, tgt, steps=30, batch_size=32, lr=1e-2, seed=0)
    return m


def test_reversal_task_is_seeded_and_reversed():
    src, tgt = s2s.reversal_task(50, 3, 7, 4, seed=3)
    again, _ = s2s.reversal_task(50, 3, 7, 4, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(src, again, strict=True))
    for s, t in zip(src, tgt, strict=True):
        assert 3 <= len(s) <= 7 and s.min() >= s2s.N_SPECIAL and s.max() < s2s.vocab_size(4)
        assert t.tolist() == s[::-1].tolist() + [s2s.EOS]
    assert s2s.to_text(tgt[0]) == s2s.to_text(src[0])[::-1]
    with pytest.raises(ValueError):
        s2s.reversal_task(5, 4, 3)


def test_padding_and_teacher_forcing_inputs():
    ids, lengths = s2s.pad_batch([[5, 6, 2], [7, 2]])
    assert ids.tolist() == [[5, 6, 2], [7, 2, s2s.PAD]] and lengths.tolist() == [3, 2]
    assert s2s.decoder_inputs(ids).tolist() == [[s2s.BOS, 5, 6], [s2s.BOS, 7, 2]]


def test_masked_loss_ignores_padding():
    torch.manual_seed(0)
    targets, lengths = s2s.pad_batch([[3, 4, 5, 2], [6, 2], [7, 8, 2]])
    logits = torch.randn(3, 4, 9)
    loss = s2s.masked_cross_entropy(logits, targets)
    changed = logits.clone()
    changed[targets == s2s.PAD] = torch.randn(int((targets == s2s.PAD).sum()), 9) * 50
    assert s2s.masked_cross_entropy(changed, targets) == loss  # padded logits do not enter at all
    assert loss == pytest.approx(F.cross_entropy(logits.transpose(1, 2), targets, ignore_index=s2s.PAD).item())
    per_token = [F.cross_entropy(logits[n, :m], targets[n, :m], reduction="sum") for n, m in enumerate(lengths)]
    assert loss.item() == pytest.approx(sum(per_token).item() / lengths.sum().item(), rel=1e-6)
    # the unmasked mean is a different number: padding would be counted as a target
    assert F.cross_entropy(logits.transpose(1, 2), targets).item() != pytest.approx(loss.item())


def test_attention_weights_sum_to_one_and_skip_padding():
    torch.manual_seed(1)
    attention = s2s.AdditiveAttention(query_size=5, key_size=3, attn_size=4)
    keys = torch.randn(3, 6, 3)
    mask = torch.arange(6)[None, :] < torch.tensor([6, 2, 4])[:, None]
    context, weights = attention(torch.randn(3, 5), keys, mask)
    assert weights.shape == (3, 6) and context.shape == (3, 3)
    assert torch.allclose(weights.sum(1), torch.ones(3))
    assert (weights[~mask] == 0).all() and (weights[mask] > 0).all()
    assert torch.allclose(context, (weights[..., None] * keys).sum(1), atol=1e-6)
    # changing a padded key changes nothing
    keys2 = keys.clone()
    keys2[1, 3] = 100.0
    query = torch.zeros(3, 5)
    assert torch.allclose(attention(query, keys, mask)[0][1], attention(query, keys2, mask)[0][1])


def test_teacher_forced_forward_equals_stepping(model):
    """forward() (teacher forcing, output layer moved out of the loop) computes what step() computes."""
    src, tgt = s2s.reversal_task(4, 2, 6, 5, seed=9)
    s_ids, s_len = s2s.pad_batch(src)
    t_ids, _ = s2s.pad_batch(tgt)
    t_in = s2s.decoder_inputs(t_ids)
    with torch.no_grad():
        logits, weights = model(s_ids, s_len, t_in)
        memory = model.encode(s_ids, s_len)
        s = memory.final
        for t in range(t_in.shape[1]):
            step_logits, s, alpha = model.step(t_in[:, t], s, memory)
            assert torch.allclose(step_logits, logits[:, t], atol=1e-5)
            assert torch.allclose(alpha, weights[:, t], atol=1e-6)


def test_model_without_attention_runs_the_decoder_in_one_call():
    plain = s2s.Seq2Seq(s2s.vocab_size(5), 8, 16, attention=False, seed=0)
    src, tgt = s2s.reversal_task(3, 2, 6, 5, seed=2)
    s_ids, s_len = s2s.pad_batch(src)
    t_in = s2s.decoder_inputs(s2s.pad_batch(tgt)[0])
    with torch.no_grad():
        logits, weights = plain(s_ids, s_len, t_in)
        memory = plain.encode(s_ids, s_len)
        s = memory.final
        for t in range(t_in.shape[1]):
            step_logits, s, _ = plain.step(t_in[:, t], s, memory)
            assert torch.allclose(step_logits, logits[:, t], atol=1e-5)
    assert weights is None


def test_encoder_skips_padding():
    """The final encoder state of a padded sequence is that of the sequence run alone."""
    m = s2s.Seq2Seq(s2s.vocab_size(5), 8, 16, attention=True, seed=0)
    with torch.no_grad():
        alone = m.encode(*s2s.pad_batch([[3, 4]])).final
        padded = m.encode(*s2s.pad_batch([[3, 4], [5, 6, 7, 3, 4]])).final[0]
    assert torch.allclose(alone[0], padded, atol=1e-6)


def test_beam_width_one_is_greedy(model):
    src, _ = s2s.reversal_task(20, 2, 6, 5, seed=4)
    greedy, logprobs, _ = s2s.greedy_decode(model, src, max_len=8)
    for source, g, lp in zip(src, greedy, logprobs, strict=True):
        tokens, score = s2s.beam_search(model, source, beam_width=1, max_len=8)
        assert tokens == g
        assert score == pytest.approx(lp, abs=1e-5)


def test_beam_scores_are_true_log_probabilities_and_not_below_greedy(model):
    src, _ = s2s.reversal_task(20, 2, 6, 5, seed=5)
    _, greedy_lp, _ = s2s.greedy_decode(model, src, max_len=8)
    for source, g in zip(src, greedy_lp, strict=True):
        tokens, score = s2s.beam_search(model, source, beam_width=4, max_len=8)
        assert score == pytest.approx(s2s.sequence_logprob(model, source, tokens), abs=1e-4)
        assert score >= g - 1e-4
    with pytest.raises(ValueError):
        s2s.beam_search(model, src[0], beam_width=0, max_len=8)


def test_training_lowers_the_loss():
    src, tgt = s2s.reversal_task(500, 2, 5, 4, seed=0)
    m = s2s.Seq2Seq(s2s.vocab_size(4), 8, 16, attention=False, seed=1)
    losses = s2s.train_seq2seq(m, src, tgt, steps=40, batch_size=32, lr=1e-2, seed=0)
    assert np.mean(losses[-5:]) < 0.8 * np.mean(losses[:5])
