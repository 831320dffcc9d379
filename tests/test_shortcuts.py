"""Shortcuts earn nothing because of what is graded, not because they are looked for.

* ps4 ``MyGRU``: torch's GRU (``nn.GRU``, ``torch.gru``, ``torch._VF.gru``, ``torch.ops.aten.gru``) only
  applies the reset gate after the matmul, and every module check also asks for ``reset_after=False``.
  The stock path's scan of forbidden names is switched off here, so that the cases alone decide.
* ps2 ``model``: a model that reads the next character from its input, or a count-based n-gram, reaches
  the loss threshold, and fails because the check also measures causality and memory beyond a window.
"""

from collections import Counter, defaultdict

import numpy as np
import pytest
import torch
from torch import nn

from autograder import checks
from autograder.checks import call_in_namespace, run_check
from autograder.correctness.ps2_char_lm import CHAR_LM_THRESHOLD, LOGIT_RESOLUTION
from autograder.correctness.ps4_gru import gru_recurrence
from autograder.correctness.reference import load_cases
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


# ---------------------------------------------------------------- ps2: the trained model must be causal and recurrent

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


class Peeking(nn.Module):
    """Reads the character it should predict from its own input: the logits at step t point at x[t + 1]."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, x):
        return self.scale * nn.functional.one_hot(x.roll(-1, dims=1), V).float()


class CountNGram(nn.Module):
    """A count-based n-gram (no recurrence, no training) in an nn.Module: the next character's frequencies
    after the longest context of up to n - 1 characters seen in the text."""

    def __init__(self, ids: list[int], n: int = 7):
        super().__init__()
        self.n = n
        self.scale = nn.Parameter(torch.ones(()))
        self.counts: dict[tuple, Counter] = defaultdict(Counter)
        for end in range(len(ids)):
            for k in range(min(n - 1, end) + 1):
                self.counts[tuple(ids[end - k:end])][ids[end]] += 1

    def log_probs(self, context: list[int]) -> torch.Tensor:
        k = len(context)
        while tuple(context[len(context) - k:]) not in self.counts:
            k -= 1
        counts = torch.full((V,), 0.01)
        for i, c in self.counts[tuple(context[len(context) - k:])].items():
            counts[i] += c
        return self.scale * (counts / counts.sum()).log()

    def forward(self, x):
        return torch.stack([torch.stack([self.log_probs(row[max(0, t + 2 - self.n):t + 1]) for t in range(len(row))])
                            for row in x.tolist()])


@pytest.fixture(scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small models train faster on one thread
    yield
    torch.set_num_threads(threads)


def char_lm_facts(model: nn.Module) -> dict:
    """What the char_lm_trained probe measures on the stored held-out case."""
    case = load_cases("ps2_char_lm", "char_lm_trained")[0]
    return call_in_namespace(case.call, {"model": model, "vocab": VOCAB})


HONEST = {"GRU": (nn.GRU, 1), "LSTM": (nn.LSTM, 1), "RNN": (nn.RNN, 1), "2-layer GRU": (nn.GRU, 2)}


@pytest.mark.parametrize("name", HONEST)
def test_honest_recurrent_models_pass_with_margin(name, one_thread):
    torch.manual_seed(0)
    model = trained(CharRNN(*HONEST[name]))
    facts = char_lm_facts(model)
    assert facts["loss"] < CHAR_LM_THRESHOLD - 0.1
    assert facts["future_change"] == 0.0
    assert facts["memory_change"] > 100 * LOGIT_RESOLUTION
    run_check("ps2_char_lm", "char_lm_trained", {"model": model, "vocab": VOCAB})


def test_model_that_reads_the_next_character_fails(one_thread):
    model = Peeking()
    assert char_lm_facts(model)["loss"] < 0.1  # the loss alone would give full marks
    with pytest.raises(AssertionError, match="changes when characters after t change: it reads the future"):
        run_check("ps2_char_lm", "char_lm_trained", {"model": model, "vocab": VOCAB})


def test_count_based_seven_gram_fails(one_thread):
    model = CountNGram(IDS, n=7)
    facts = char_lm_facts(model)
    assert facts["loss"] < CHAR_LM_THRESHOLD and facts["future_change"] == 0.0  # causal, and good enough
    assert facts["memory_change"] == 0.0
    with pytest.raises(AssertionError, match="a fixed window such as an n-gram cannot; the task asks for a recurrent"):
        run_check("ps2_char_lm", "char_lm_trained", {"model": model, "vocab": VOCAB})

