"""The character language model: vocabulary round trips, NumPy-equal forward pass, training that learns."""

import numpy as np
import pytest
import torch

from seqmodels import course_corpus, gru_layer, load_text, lstm_layer, rnn_layer
from seqmodels.charlm import CharModel, Vocabulary, evaluate, hidden_states, sample, train
from seqmodels.torchutil import get_params

TEXT = "the cat ( that sleeps ) sees a dog .\n"


@pytest.fixture(autouse=True)
def one_thread():
    """These models are tiny: on a busy 2-core machine, two torch threads waiting for each other are
    many times slower than one."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_vocabulary_round_trip_and_one_hot():
    vocab = Vocabulary.from_text(TEXT)
    assert vocab.chars == sorted(set(TEXT)) and len(vocab) == len(set(TEXT))
    ids = vocab.encode(TEXT)
    assert ids.dtype == np.int64 and vocab.decode(ids) == TEXT
    x = vocab.one_hot("cat")
    assert x.shape == (3, len(vocab)) and x.dtype == np.float32
    np.testing.assert_array_equal(x.sum(axis=1), 1.0)
    np.testing.assert_array_equal(x.argmax(axis=1), vocab.encode("cat"))


def test_unknown_characters_are_named_with_the_fix():
    with pytest.raises(ValueError, match=r"\['z'\].*Vocabulary.from_text"):
        Vocabulary.from_text(TEXT).encode("a zoo")
    with pytest.raises(ValueError, match="cell must be one of"):
        CharModel(Vocabulary.from_text(TEXT), 8, cell="transformer")


LAYERS = {"rnn": rnn_layer, "gru": gru_layer, "lstm": lambda x, h0, *p: lstm_layer(x, h0, None, *p)}


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_forward_equals_the_numpy_reference(cell):
    torch.manual_seed(0)
    vocab = Vocabulary.from_text(TEXT)
    model = CharModel(vocab, hidden_size=5, cell=cell).double()
    logits, _, h = model(torch.as_tensor(vocab.encode(TEXT))[None])
    p = get_params(model.rnn)
    x = vocab.one_hot(TEXT).astype(np.float64)[:, None]  # (T, 1, V)
    h_ref, _ = LAYERS[cell](x, None, p["W_ih"], p["W_hh"], p["b_ih"], p["b_hh"])
    W_hy, b_y = model.head.weight.detach().numpy(), model.head.bias.detach().numpy()
    np.testing.assert_allclose(h[0].detach().numpy(), h_ref[:, 0], atol=1e-12)
    np.testing.assert_allclose(logits[0].detach().numpy(), h_ref[:, 0] @ W_hy.T + b_y, atol=1e-12)


def test_evaluate_is_the_mean_negative_log_probability_of_the_next_character():
    torch.manual_seed(1)
    vocab = Vocabulary.from_text(TEXT)
    model = CharModel(vocab, hidden_size=7)
    log_probs, h = hidden_states(model, TEXT)
    assert log_probs.shape == (len(TEXT), len(vocab)) and h.shape == (len(TEXT), 7)
    ids = vocab.encode(TEXT)
    expected = -np.mean(log_probs[np.arange(len(TEXT) - 1), ids[1:]])
    assert evaluate(model, TEXT) == pytest.approx(expected, rel=1e-5)


def test_training_learns_a_periodic_text_and_greedy_sampling_continues_it():
    text = "abcd" * 500
    model = CharModel(Vocabulary.from_text(text), hidden_size=16)
    history = train(model, text, steps=60, seq_len=16, batch_size=8, lr=0.02, device="cpu", seed=0)
    assert len(history.loss) == 60 and history.loss[-1] < 0.05 < np.log(4) < history.loss[0] + 0.5
    assert evaluate(model, text[:400]) < 0.05
    assert sample(model, "ab", 10, temperature=0) == "ab" + "cdabcdabcd"


def test_training_on_the_course_corpus_beats_the_unigram_model_and_is_seeded():
    text, val = course_corpus(20_000, seed=0), course_corpus(3_000, seed=1)
    vocab = Vocabulary.from_text(text + val)
    counts = np.bincount(vocab.encode(text), minlength=len(vocab)) + 1
    unigram = -np.mean(np.log(counts / counts.sum())[vocab.encode(val)])
    runs = []
    for _ in range(2):
        model = CharModel(vocab, hidden_size=32)
        history = train(model, text, steps=80, seq_len=32, batch_size=16, lr=0.01, device="cpu", seed=3,
                        val_text=val, eval_every=40)
        runs.append((history.loss, sample(model, "the ", 50, temperature=1.0, seed=7)))
    assert history.val_step == [40, 80]
    assert history.val_loss[-1] < 0.6 * unigram
    assert runs[0] == runs[1]  # same seed, same losses and samples
    assert runs[0][1].startswith("the ") and len(runs[0][1]) == 54


def test_bad_arguments_say_what_to_do():
    vocab = Vocabulary.from_text(TEXT)
    model = CharModel(vocab, hidden_size=4)
    with pytest.raises(ValueError, match="text too short"):
        train(model, TEXT, steps=1, seq_len=64, batch_size=4, device="cpu")
    with pytest.raises(ValueError, match="non-empty prefix"):
        sample(model, "", 5)
    with pytest.raises(ValueError, match="temperature"):
        sample(model, "a", 5, temperature=-1)


def test_any_utf8_text_file_swaps_in(tmp_path):
    path = tmp_path / "poem.txt"
    path.write_text("가나다라 마바사 아자차카 타파하. " * 60, encoding="utf-8")
    text = load_text(path)
    model = CharModel(Vocabulary.from_text(text), hidden_size=16, cell="gru")
    history = train(model, text[:-200], steps=30, seq_len=16, batch_size=4, device="cpu")
    assert history.loss[-1] < history.loss[0]
    assert evaluate(model, text[-200:]) < np.log(len(model.vocab))
    assert sample(model, "가", 20, temperature=0.5).startswith("가")


def test_forget_bias_sets_the_lstm_forget_block_and_nothing_else():
    vocab = Vocabulary.from_text(TEXT)
    plain = CharModel(vocab, hidden_size=4, cell="lstm", seed=3)
    biased = CharModel(vocab, hidden_size=4, cell="lstm", seed=3, forget_bias=1.0)
    b_ih, b_hh = biased.rnn.bias_ih_l0.detach(), biased.rnn.bias_hh_l0.detach()
    torch.testing.assert_close(b_ih[4:8], torch.ones(4))
    torch.testing.assert_close(b_hh[4:8], torch.zeros(4))
    for name, p in plain.named_parameters():  # same seed: every other parameter is untouched
        q = dict(biased.named_parameters())[name].detach()
        if name.startswith("rnn.bias"):
            torch.testing.assert_close(torch.cat([q[:4], q[8:]]), torch.cat([p.detach()[:4], p.detach()[8:]]))
        else:
            torch.testing.assert_close(q, p.detach())
    gru = CharModel(vocab, hidden_size=4, cell="gru", seed=3, forget_bias=1.0)  # no forget gate: ignored
    torch.testing.assert_close(gru.rnn.bias_ih_l0, CharModel(vocab, hidden_size=4, cell="gru", seed=3).rnn.bias_ih_l0)
