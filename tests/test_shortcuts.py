"""Shortcuts earn nothing because of what is graded, not because they are looked for.

* ps4 ``MyGRU``: torch's GRU (``nn.GRU``, ``torch.gru``, ``torch._VF.gru``, ``torch.ops.aten.gru``) only
  applies the reset gate after the matmul, and every module check also asks for ``reset_after=False``.
  The stock path's scan of forbidden names is switched off here, so that the cases alone decide.
* ps2 ``model``: it is shown only the text before each character it predicts, one prefix per call, so a
  model that reads the next character from its input (or remembers the prefixes it was shown) finds it
  nowhere; a count-based n-gram reaches the loss threshold and fails because the check also measures
  memory beyond a window.
"""

from collections import Counter, defaultdict

import numpy as np
import pytest
import torch
from torch import nn

from autograder import checks
from autograder.checks import call_in_namespace, run_check
from autograder.correctness.ps2_char_lm import (
    CHAR_LM_THRESHOLD,
    LOGIT_RESOLUTION,
    PREFIX,
    course_vocab,
    held_out_loss,
    memory_change,
    prediction_cases,
)
from autograder.correctness.ps4_gru import gru_recurrence
from autograder.correctness.reference import load_cases
from autograder.running.inside import probes
from seqmodels import course_corpus
from seqmodels.conventions import gru_cell_variant
from seqmodels.torchutil import set_params

MODULE_CHECKS = ("gru_module_visible", "gru_module_forward", "gru_module_backward")


def namespace_of(source: str) -> dict:
    namespace = {"__name__": "__main__"}
    exec(source, namespace)  # noqa: S102
    return namespace


# ---------------------------------------------------------------- ps4: MyGRU with both reset placements

HONEST_GRU = '''
import torch
from torch import nn

class MyGRU(nn.Module):
    def __init__(self, input_size, hidden_size, batch_first=False, reset_after=True):
        super().__init__()
        self.batch_first, self.reset_after = batch_first, reset_after
        self.weight_ih_l0 = nn.Parameter(torch.zeros(3 * hidden_size, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.zeros(3 * hidden_size, hidden_size))
        self.bias_ih_l0 = nn.Parameter(torch.zeros(3 * hidden_size))
        self.bias_hh_l0 = nn.Parameter(torch.zeros(3 * hidden_size))

    def forward(self, x, h0):
        W_ir, W_iz, W_in = self.weight_ih_l0.chunk(3)
        W_hr, W_hz, W_hn = self.weight_hh_l0.chunk(3)
        b_ir, b_iz, b_in = self.bias_ih_l0.chunk(3)
        b_hr, b_hz, b_hn = self.bias_hh_l0.chunk(3)
        h, states = h0[0], []
        for x_t in x.unbind(1 if self.batch_first else 0):
            r = torch.sigmoid(x_t @ W_ir.T + b_ir + h @ W_hr.T + b_hr)
            z = torch.sigmoid(x_t @ W_iz.T + b_iz + h @ W_hz.T + b_hz)
            reset = r * (h @ W_hn.T + b_hn) if self.reset_after else (r * h) @ W_hn.T + b_hn
            h = (1 - z) * torch.tanh(x_t @ W_in.T + b_in + reset) + z * h
            states.append(h)
        return torch.stack(states, 1 if self.batch_first else 0), h[None]
'''

# Each delegates to torch's GRU: right for reset_after=True, and nothing else.
PARAMETERS = '''
import torch
from torch import nn

class MyGRU(nn.Module):
    def __init__(self, input_size, hidden_size, batch_first=False, reset_after=True):
        super().__init__()
        self.batch_first = batch_first
        self.weight_ih_l0 = nn.Parameter(torch.zeros(3 * hidden_size, input_size))
        self.weight_hh_l0 = nn.Parameter(torch.zeros(3 * hidden_size, hidden_size))
        self.bias_ih_l0 = nn.Parameter(torch.zeros(3 * hidden_size))
        self.bias_hh_l0 = nn.Parameter(torch.zeros(3 * hidden_size))

    def forward(self, x, h0):
        weights = [self.weight_ih_l0, self.weight_hh_l0, self.bias_ih_l0, self.bias_hh_l0]
'''
TORCH_GRUS = {
    "torch.gru": PARAMETERS + "        return torch.gru(x, h0, weights, True, 1, 0.0, False, False, "
                              "self.batch_first)\n",
    "torch._VF.gru": PARAMETERS + "        return torch._VF.gru(x, h0, weights, True, 1, 0.0, False, False, "
                                  "self.batch_first)\n",
    "torch.ops.aten.gru": PARAMETERS + "        return torch.ops.aten.gru.input(x, h0, weights, True, 1, 0.0, False, "
                                       "False, self.batch_first)\n",
    "nn.GRU subclass": '''
from torch import nn

class MyGRU(getattr(nn, "G" + "RU")):
    def __init__(self, input_size, hidden_size, batch_first=False, reset_after=True):
        super().__init__(input_size, hidden_size, batch_first=batch_first)
''',
}


@pytest.mark.parametrize("cell_id", MODULE_CHECKS)
def test_from_scratch_module_passes_every_module_check(cell_id):
    run_check("ps4_gru", cell_id, namespace_of(HONEST_GRU))


@pytest.mark.parametrize("cheat", TORCH_GRUS)
@pytest.mark.parametrize("cell_id", MODULE_CHECKS)
def test_torch_gru_earns_nothing_even_unscanned(cheat, cell_id, monkeypatch):
    """Right on every reset_after=True case, wrong on every reset_after=False case: the check fails."""
    monkeypatch.setattr(checks, "find_forbidden", lambda names, namespace, rule: [])
    cases = load_cases("ps4_gru", cell_id)
    with pytest.raises(AssertionError) as failure:
        run_check("ps4_gru", cell_id, namespace_of(TORCH_GRUS[cheat]))
    message = str(failure.value)
    assert f"{sum('reset_after=False' in c.label for c in cases)} of {len(cases)} cases fail" in message
    assert "reset_after=False" in message and "applies the reset gate after the matmul" in message


def test_reset_before_reference_matches_the_conventions_and_nn_gru():
    """The grader's reference for reset_after=False (torch ops) against seqmodels.conventions, both placements,
    and against torch.nn.GRU for reset_after=True."""
    rng = np.random.default_rng(0)
    T, N, I, H = 6, 3, 4, 5
    params = {name: rng.uniform(-0.8, 0.8, shape) for name, shape in
              {"W_ih": (3 * H, I), "W_hh": (3 * H, H), "b_ih": (3 * H,), "b_hh": (3 * H,)}.items()}
    x, h0 = rng.standard_normal((T, N, I)), rng.standard_normal((1, N, H))
    tensors = [torch.from_numpy(p) for p in params.values()]
    for reset, reset_after in (("after", True), ("before", False)):
        output, h_n = gru_recurrence(torch.from_numpy(x), torch.from_numpy(h0), *tensors, batch_first=False,
                                     reset_after=reset_after)
        h, expected = h0[0], []
        for x_t in x:
            h = gru_cell_variant(x_t, h, *params.values(), reset=reset)
            expected.append(h)
        np.testing.assert_allclose(output.numpy(), np.stack(expected), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(h_n.numpy()[0], h, rtol=1e-12, atol=1e-12)
    gru = nn.GRU(I, H).double()
    set_params(gru, params)
    with torch.no_grad():
        expected_output, _ = gru(torch.from_numpy(x), torch.from_numpy(h0))
    batch_first_output, _ = gru_recurrence(torch.from_numpy(x.transpose(1, 0, 2)), torch.from_numpy(h0), *tensors,
                                           batch_first=True, reset_after=True)
    np.testing.assert_allclose(batch_first_output.numpy().transpose(1, 0, 2), expected_output.numpy(), atol=1e-12)


# ---------------------------------------------------------------- ps2: a trained, recurrent model, one prefix at a time

TEXT = course_corpus(20_000, seed=0)  # the notebook's training text and vocabulary
VOCAB = sorted(set(TEXT))
V = len(VOCAB)
IDS = [VOCAB.index(ch) for ch in TEXT]


class CharRNN(nn.Module):
    """The notebook's suggestion: embedding -> recurrent layer -> linear read-out, ids (N, T) -> logits (N, T, V)."""

    def __init__(self, layer: type[nn.RNNBase], num_layers: int = 1):
        super().__init__()
        self.embed = nn.Embedding(V, 32)
        self.rnn = layer(32, 64, num_layers=num_layers, batch_first=True)
        self.readout = nn.Linear(64, V)

    def forward(self, x):
        return self.readout(self.rnn(self.embed(x))[0])


def trained(model: nn.Module, steps: int = 150, window: int = 32, batch: int = 32) -> nn.Module:
    """The notebook's training loop: Adam on random windows of the text."""
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    ids = torch.tensor(IDS)
    for _ in range(steps):
        starts = torch.randint(0, len(ids) - window - 1, (batch,))
        x = torch.stack([ids[s:s + window] for s in starts])
        y = torch.stack([ids[s + 1:s + window + 1] for s in starts])
        loss = nn.functional.cross_entropy(model(x).reshape(-1, V), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


class ReadsAhead(nn.Module):
    """Reads the character it should predict from its own input: the logits at step t point at x[t + 1]
    (at the last step, where there is none, at x[0])."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, x):
        return self.scale * nn.functional.one_hot(x.roll(-1, dims=1), V).float()


class RepeatsInput(nn.Module):
    """Points the logits at step t at the input x[t]: all that a prefix holds at its last step."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, x):
        return self.scale * nn.functional.one_hot(x, V).float()


class Recorder(nn.Module):
    """Remembers every sequence it is shown; predicts the character that followed the last ``k`` ids of its
    input wherever it saw them before (uniform where it did not). Were any prefix shown after a later one, it
    would have seen the character it is asked for."""

    def __init__(self, k: int = 32):
        super().__init__()
        self.k = k
        self.scale = nn.Parameter(torch.tensor(20.0))
        self.seen: dict[tuple, int] = {}  # k ids -> the id after them

    def forward(self, x):
        row = x[0].tolist()
        logits = torch.zeros(1, len(row), V)
        following = self.seen.get(tuple(row[-self.k:]))
        if following is not None:
            logits[0, -1, following] = self.scale
        self.seen.update({tuple(row[i:i + self.k]): row[i + self.k] for i in range(len(row) - self.k)})
        return logits


class CountNGram(nn.Module):
    """A count-based n-gram (no recurrence, no training) in an nn.Module: the log-frequencies of the next
    character after the longest context of up to n - 1 characters seen in the text."""

    def __init__(self, ids: list[int], n: int = 7):
        super().__init__()
        self.n = n
        self.scale = nn.Parameter(torch.ones(()))
        counts: dict[tuple, Counter] = defaultdict(Counter)
        for end in range(len(ids)):
            for k in range(min(n - 1, end) + 1):
                counts[tuple(ids[end - k:end])][ids[end]] += 1
        self.log_probs = {context: self.frequencies(c).log() for context, c in counts.items()}

    @staticmethod
    def frequencies(counts: Counter) -> torch.Tensor:
        smoothed = torch.full((V,), 0.01)
        for i, c in counts.items():
            smoothed[i] += c
        return smoothed / smoothed.sum()

    def next_log_probs(self, context: list[int]) -> torch.Tensor:
        k = len(context)
        while tuple(context[len(context) - k:]) not in self.log_probs:
            k -= 1
        return self.log_probs[tuple(context[len(context) - k:])]

    def forward(self, x):
        return self.scale * torch.stack([
            torch.stack([self.next_log_probs(row[max(0, t + 2 - self.n):t + 1]) for t in range(len(row))])
            for row in x.tolist()])


@pytest.fixture(scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small models train faster on one thread
    yield
    torch.set_num_threads(threads)


def model_cases_and_logits(model: nn.Module, cases=None) -> tuple[list, np.ndarray]:
    """The stored char_lm_trained cases that ask the model (all but the vocab), and its answers ``(K, V)``."""
    cases = cases or load_cases("ps2_char_lm", "char_lm_trained")[1:]
    return cases, np.array([call_in_namespace(case.call, {"model": model}) for case in cases])


def char_lm_facts(model: nn.Module) -> tuple[float, float]:
    """The held-out loss and the memory change char_lm_trained measures on its stored cases."""
    cases, logits = model_cases_and_logits(model)
    return held_out_loss(cases, logits), memory_change(cases, logits)


def full_loss(model: nn.Module, text: str) -> float:
    """The mean cross-entropy of predicting every next character of ``text`` from all of the text before it."""
    ids = torch.tensor([VOCAB.index(ch) for ch in text])
    with torch.no_grad():
        return nn.functional.cross_entropy(model(ids[None, :-1])[0], ids[1:]).item()


HONEST = {"GRU": (nn.GRU, 1), "LSTM": (nn.LSTM, 1), "RNN": (nn.RNN, 1), "2-layer GRU": (nn.GRU, 2)}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("name", HONEST)
def test_honest_recurrent_models_pass_with_margin(name, seed, one_thread):
    torch.manual_seed(seed)
    model = trained(CharRNN(*HONEST[name]))
    loss, memory = char_lm_facts(model)
    assert loss < CHAR_LM_THRESHOLD - 0.1 and memory > 100 * LOGIT_RESOLUTION
    run_check("ps2_char_lm", "char_lm_trained", {"model": model, "vocab": VOCAB})


def test_predictions_at_sampled_places_estimate_the_full_held_out_loss(one_thread):
    """600 stratified positions, each with at most PREFIX characters before it, against every position with
    all the text before it: within 0.05 nats/char (the estimate's spread is about 0.02) for a model just
    good enough and a well-trained one."""
    rng = np.random.default_rng(0)
    for steps in (30, 150):
        torch.manual_seed(0)
        model = trained(CharRNN(nn.GRU), steps=steps).eval()
        for seed in (11, 12):
            text = course_corpus(2000, seed=seed)
            estimate = held_out_loss(*model_cases_and_logits(model, prediction_cases(text, VOCAB, rng)))
            assert abs(estimate - full_loss(model, text)) < 0.05, (steps, seed)


def test_no_prefix_reaches_a_character_predicted_after_it():
    """The calls go out in order, each after the answer to the one before: every prefix ends before the
    character its own case predicts, and before every character a later case predicts."""
    text = course_corpus(2000, seed=3)
    ids = np.array([VOCAB.index(ch) for ch in text])
    cases = prediction_cases(text, VOCAB, np.random.default_rng(0))
    positions = [int(case.label.split()[2]) for case in cases]
    assert positions == sorted(set(positions)) and len(positions) == 600
    for case, p in zip(cases, positions, strict=True):
        assert np.array_equal(case.call.args[0], ids[max(0, p - PREFIX):p]) and case.expected == ids[p]


@pytest.mark.parametrize("peeker", [ReadsAhead, RepeatsInput, Recorder])
def test_models_that_look_for_the_next_character_in_their_input_fail(peeker, one_thread):
    with pytest.raises(AssertionError, match="held-out loss .* it must be at most 0.6"):
        run_check("ps2_char_lm", "char_lm_trained", {"model": peeker(), "vocab": VOCAB})


def test_the_order_of_the_calls_is_what_keeps_the_recorder_out(one_thread):
    """Shown the same prefixes in a shuffled order, the recorder would have seen most answers already."""
    cases = load_cases("ps2_char_lm", "char_lm_trained")[1:]
    shuffled = [cases[k] for k in np.random.default_rng(0).permutation(len(cases))]
    assert held_out_loss(*model_cases_and_logits(Recorder(), shuffled)) < CHAR_LM_THRESHOLD
    assert held_out_loss(*model_cases_and_logits(Recorder(), cases)) > 3.0  # in order: about log(V), or worse


def test_count_based_seven_gram_fails(one_thread):
    model = CountNGram(IDS, n=7)
    loss, memory = char_lm_facts(model)
    assert loss < CHAR_LM_THRESHOLD and memory == 0.0  # good enough, but a fixed window
    with pytest.raises(AssertionError, match="a fixed window such as an n-gram cannot; the task asks for a recurrent"):
        run_check("ps2_char_lm", "char_lm_trained", {"model": model, "vocab": VOCAB})


def test_untrained_model_fails_the_loss(one_thread):
    torch.manual_seed(0)
    with pytest.raises(AssertionError, match=r"held-out loss 3\.\d+ nats/char"):
        run_check("ps2_char_lm", "char_lm_trained", {"model": CharRNN(nn.GRU), "vocab": VOCAB})


def test_a_replaced_probe_or_cross_entropy_gains_nothing(monkeypatch, one_thread):
    """The red team's forgeries, in the stock path: the loss is computed by the judge from the answers."""
    monkeypatch.setattr(probes, "char_lm_next", lambda namespace, ids: 20.0 * np.eye(V)[ids[-1]] + ids[:8].sum())
    monkeypatch.setattr(nn.functional, "cross_entropy", lambda *args, **kwargs: torch.tensor(0.31))
    torch.manual_seed(0)
    with pytest.raises(AssertionError, match="held-out loss"):
        run_check("ps2_char_lm", "char_lm_trained", {"model": CharRNN(nn.GRU), "vocab": VOCAB})


def test_a_different_vocab_is_named(one_thread):
    assert course_vocab() == VOCAB
    torch.manual_seed(0)
    with pytest.raises(AssertionError, match="Keep the setup cell's vocab"):
        run_check("ps2_char_lm", "char_lm_trained", {"model": CharRNN(nn.GRU), "vocab": VOCAB[::-1]})
