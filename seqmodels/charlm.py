"""A character-level language model in PyTorch: vocabulary, model, training, evaluation, sampling.

The model reads one-hot characters and predicts the next one:

.. math::
    h_t = \\mathrm{cell}(x_t, h_{t-1}), \\qquad
    \\text{logits}_t = W_{hy} h_t + b_y, \\qquad
    p(x_{t+1} \\mid x_{\\le t}) = \\mathrm{softmax}(\\text{logits}_t),

with ``cell`` one of ``torch.nn.RNN`` (``tanh``), ``torch.nn.LSTM`` or ``torch.nn.GRU``. Losses are in
nats per character (natural log), so they compare directly with
:meth:`seqmodels.ProbabilisticGrammar.entropy_rate`. Any text works::

    text = seqmodels.load_text("my_book.txt")          # or seqmodels.course_corpus(200_000)
    model = CharModel(Vocabulary.from_text(text), hidden_size=128, cell="gru")
    history = train(model, text, steps=500)
    print(evaluate(model, held_out_text), sample(model, "the ", 200, temperature=0.8))

Speed on a CPU: these models are small, so torch's per-operation threading costs more than it saves
when cores are few or busy; ``torch.set_num_threads(1)`` made training several times faster on the
course's 2-core build machine under load.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from seqmodels.torchutil import default_device

Cell = Literal["rnn", "lstm", "gru"]
CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
State = torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None


class Vocabulary:
    """The characters of a text, each with an integer id (its index in sorted order)."""

    def __init__(self, chars: str | list[str]):
        self.chars = sorted(set(chars))
        if not self.chars:
            raise ValueError("a vocabulary needs at least one character; got an empty text")
        self.index = {ch: i for i, ch in enumerate(self.chars)}

    @classmethod
    def from_text(cls, text: str) -> Vocabulary:
        """Every distinct character of ``text``."""
        return cls(text)

    def __len__(self) -> int:
        return len(self.chars)

    def __repr__(self) -> str:
        return f"Vocabulary({''.join(self.chars)!r})"

    def encode(self, text: str) -> np.ndarray:
        """Character ids of ``text``, shape ``(len(text),)``, int64."""
        unknown = sorted(set(text) - set(self.index))
        if unknown:
            raise ValueError(
                f"characters {unknown!r} are not in the vocabulary; build it from a text that contains them "
                "(Vocabulary.from_text(train_text + other_text))"
            )
        return np.fromiter((self.index[ch] for ch in text), dtype=np.int64, count=len(text))

    def decode(self, ids) -> str:
        """The text whose character ids are ``ids`` (any 1-D sequence of ints)."""
        return "".join(self.chars[int(i)] for i in ids)

    def one_hot(self, text: str) -> np.ndarray:
        """One-hot vectors of ``text``, shape ``(len(text), len(self))``, float32: row ``t`` is ``x_t``."""
        return np.eye(len(self), dtype=np.float32)[self.encode(text)]


class CharModel(nn.Module):
    """Recurrent layer on one-hot characters plus a linear read-out to next-character logits.

    ``vocab`` fixes the input and output size ``V = len(vocab)``; ``hidden_size`` is ``H``.
    Parameters: ``rnn`` (a ``torch.nn.RNN/LSTM/GRU`` with ``batch_first=True``, input size ``V``) and
    ``head`` (``W_hy (V, H)``, ``b_y (V,)``), initialised as PyTorch does from the seed ``seed``
    (the global random state is left untouched). ``forget_bias`` (LSTM only) sets the forget gate's
    bias to that value (:func:`seqmodels.memory_tasks.set_forget_bias`); ``None`` keeps PyTorch's default.
    """

    def __init__(self, vocab: Vocabulary, hidden_size: int = 128, cell: Cell = "rnn", seed: int = 0,
                 forget_bias: float | None = None):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}; got {cell!r}")
        self.vocab = vocab
        self.cell = cell
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.rnn = CELLS[cell](len(vocab), hidden_size, batch_first=True)
            self.head = nn.Linear(hidden_size, len(vocab))
        if forget_bias is not None and cell == "lstm":
            from seqmodels.memory_tasks import set_forget_bias

            set_forget_bias(self.rnn, forget_bias)

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    def forward(self, ids: torch.Tensor, state: State = None) -> tuple[torch.Tensor, State, torch.Tensor]:
        """Logits for the character after each position.

        ``ids (N, T)`` int64, ``state`` the recurrent state from the previous chunk (or ``None`` for zeros).
        Returns ``logits (N, T, V)``, the final ``state`` and the hidden states ``h (N, T, H)``.
        """
        x = F.one_hot(ids, len(self.vocab)).to(self.head.weight.dtype)
        h, state = self.rnn(x, state)
        return self.head(h), state, h


@dataclass
class History:
    """What :func:`train` measured: per step, the training loss (nats/char) and the gradient norm
    before clipping; every ``eval_every`` steps, the validation loss."""

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    val_step: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: float = 0.0


def _detach(state: State) -> State:
    """Cut the graph at a chunk boundary (truncated BPTT) but keep the state's value."""
    if state is None:
        return None
    if isinstance(state, tuple):
        return tuple(s.detach() for s in state)
    return state.detach()


def _as_ids(model: CharModel, text: str | np.ndarray) -> torch.Tensor:
    ids = model.vocab.encode(text) if isinstance(text, str) else np.asarray(text, dtype=np.int64)
    return torch.as_tensor(ids, device=model.device)


def batch_streams(ids: torch.Tensor, batch_size: int) -> torch.Tensor:
    """Cut a long id sequence into ``batch_size`` contiguous streams, shape ``(batch_size, len(ids) // batch_size)``.

    Stream ``b`` continues in the next chunk where it stopped in this one, so the hidden state can be
    carried across chunks.
    """
    length = len(ids) // batch_size
    return ids[: length * batch_size].view(batch_size, length)


def train(
    model: CharModel,
    text: str | np.ndarray,
    steps: int = 500,
    seq_len: int = 64,
    batch_size: int = 32,
    lr: float = 0.01,
    clip: float | None = 1.0,
    device: torch.device | str | None = None,
    seed: int = 0,
    val_text: str | np.ndarray | None = None,
    eval_every: int = 100,
) -> History:
    """Train ``model`` in place with truncated BPTT and Adam; return the :class:`History`.

    ``text`` (a string, or ids from ``model.vocab.encode``) is cut into ``batch_size`` streams that are
    read ``seq_len`` characters at a time. The hidden state flows on from chunk to chunk, but the
    gradient stops at the chunk boundary: BPTT truncated to ``seq_len`` steps. The learning rate decays
    from ``lr`` to 0 on a cosine; the gradient's global norm is clipped to ``clip`` (``None``: no clipping).
    ``device`` defaults to :func:`~seqmodels.torchutil.default_device`.
    """
    torch.manual_seed(seed)
    model.to(device or default_device())
    streams = batch_streams(_as_ids(model, text), batch_size)
    if streams.shape[1] < seq_len + 1:
        raise ValueError(f"text too short: {batch_size} streams of {streams.shape[1]} characters, "
                         f"need at least seq_len + 1 = {seq_len + 1}; pass more text or lower batch_size/seq_len")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 0.5 * (1 + math.cos(math.pi * k / steps)))
    history, state, start, t0 = History(), None, 0, time.perf_counter()
    model.train()
    for step in range(steps):
        if start + seq_len + 1 > streams.shape[1]:  # end of the text: start over with a fresh state
            start, state = 0, None
        x = streams[:, start:start + seq_len]
        y = streams[:, start + 1:start + seq_len + 1]
        start += seq_len
        logits, state, _ = model(x, _detach(state))
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        grad_norm = nn.utils.clip_grad_norm_(model.parameters(), clip if clip is not None else math.inf)
        optimizer.step()
        schedule.step()
        history.step.append(step)
        history.loss.append(loss.item())
        history.grad_norm.append(float(grad_norm))
        if val_text is not None and (step + 1) % eval_every == 0:
            history.val_step.append(step + 1)
            history.val_loss.append(evaluate(model, val_text))
            model.train()
    history.seconds = time.perf_counter() - t0
    return history


@torch.no_grad()
def hidden_states(model: CharModel, text: str | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Run ``model`` over ``text`` as one sequence from a zero state.

    Returns ``log_probs (len(text), V)``, row ``t`` being ``log p(x_{t+1} | x_{<=t})``, and the hidden
    states ``h (len(text), H)``, as NumPy arrays.
    """
    model.eval()
    logits, _, h = model(_as_ids(model, text)[None])
    return F.log_softmax(logits[0], dim=-1).cpu().numpy(), h[0].cpu().numpy()


@torch.no_grad()
def evaluate(model: CharModel, text: str | np.ndarray) -> float:
    """Cross-entropy in nats per character of ``text`` under ``model``, read as one sequence.

    Every character but the first is predicted from all the characters before it; the perplexity is
    ``exp`` of the result.
    """
    ids = _as_ids(model, text)
    if len(ids) < 2:
        raise ValueError("evaluate needs a text of at least 2 characters")
    model.eval()
    logits, _, _ = model(ids[None, :-1])
    return F.cross_entropy(logits[0], ids[1:]).item()


@torch.no_grad()
def sample(model: CharModel, prefix: str, n: int, temperature: float = 1.0, seed: int = 0) -> str:
    """``prefix`` followed by ``n`` characters drawn one at a time, each fed back as the next input.

    Each character is drawn from ``softmax(logits / temperature)``: below 1 sharpens the distribution,
    above 1 flattens it; ``temperature=0`` takes the most likely character (greedy decoding).
    """
    if not prefix:
        raise ValueError("sample needs a non-empty prefix to start from (e.g. the first character of a text)")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0; got {temperature}")
    model.eval()
    generator = torch.Generator(device=model.device).manual_seed(seed)
    logits, state, _ = model(_as_ids(model, prefix)[None])
    out = []
    for _ in range(n):
        last = logits[0, -1]
        if temperature == 0:
            next_id = last.argmax().view(1, 1)
        else:
            probs = F.softmax(last / temperature, dim=-1)
            next_id = torch.multinomial(probs, 1, generator=generator).view(1, 1)
        out.append(int(next_id))
        logits, state, _ = model(next_id, state)
    return prefix + model.vocab.decode(out)
