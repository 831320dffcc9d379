"""A sequence-tagging task that needs context from both sides, and forward, backward and bidirectional taggers.

Used by the book's chapter 7. Each position of a sequence gets a tag (a class, 0 or 1), as in
part-of-speech tagging. Most tokens say their own class: letters ``a``-``d`` are class 0, ``e``-``h``
class 1. Two tokens are ambiguous, like the English word "can" (noun or verb): ``>`` takes the class of
the token after it, ``<`` the class of the token before it. A tagger that reads left to right cannot
know the tag of ``>`` when it must give it; one that reads right to left cannot know that of ``<``.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

TOKENS = "abcdefgh><"
LOOK_RIGHT, LOOK_LEFT = 8, 9
N_TOKENS = len(TOKENS)


def token_class(ids: np.ndarray) -> np.ndarray:
    """Class of the letters: ``0`` for ids 0-3 (``a``-``d``), ``1`` for ids 4-7 (``e``-``h``)."""
    return (np.asarray(ids) >= 4).astype(np.int64)


def ambiguous_tagging_task(
    n: int, length: int, p_ambiguous: float = 0.3, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` token sequences of length ``length`` and their tags.

    Every position but the first and the last becomes, with probability ``p_ambiguous`` (and never
    next to another ambiguous token), ``>`` or ``<`` with equal probability; all others are letters
    drawn uniformly. The tag of a letter is its class; of ``>`` the class of the next token; of ``<``
    the class of the previous one. Returns ``x (n, length)`` and ``tags (n, length)``, int64.
    """
    if length < 3:
        raise ValueError(f"length must be >= 3; got {length}")
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 8, (n, length))
    tags = token_class(x)
    for row in range(n):
        t = 1
        while t < length - 1:
            if rng.random() < p_ambiguous:
                if rng.random() < 0.5:
                    x[row, t], tags[row, t] = LOOK_RIGHT, tags[row, t + 1]
                else:
                    x[row, t], tags[row, t] = LOOK_LEFT, tags[row, t - 1]
                t += 2  # the next token stays a letter
            else:
                t += 1
    return x.astype(np.int64), tags


class Tagger(nn.Module):
    """Embedding, one GRU layer and a linear read-out of a tag at every position.

    ``direction`` is ``"forward"`` (reads left to right), ``"backward"`` (reads right to left: the
    sequence is flipped in and the outputs flipped back) or ``"bidirectional"`` (both, concatenated,
    as ``nn.GRU(bidirectional=True)``). ``forward(x (N, T))`` returns tag logits ``(N, T, 2)``.
    """

    def __init__(self, direction: str, hidden_size: int = 32, embed_size: int = 16, seed: int = 0):
        super().__init__()
        if direction not in ("forward", "backward", "bidirectional"):
            raise ValueError(f"direction must be forward, backward or bidirectional; got {direction!r}")
        self.direction = direction
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.embed = nn.Embedding(N_TOKENS, embed_size)
            self.rnn = nn.GRU(embed_size, hidden_size, batch_first=True,
                              bidirectional=direction == "bidirectional")
            self.head = nn.Linear(hidden_size * (2 if direction == "bidirectional" else 1), 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        e = self.embed(x)
        if self.direction == "backward":
            return self.head(self.rnn(e.flip(1))[0]).flip(1)
        return self.head(self.rnn(e)[0])


def train_tagger(model: Tagger, x: np.ndarray, tags: np.ndarray, steps: int = 300, batch_size: int = 64,
                 lr: float = 1e-2, seed: int = 0) -> list[float]:
    """Train ``model`` in place with Adam on random batches of ``(x, tags)``; return the loss of every step."""
    rng = np.random.default_rng(seed)
    x_t, y_t = torch.as_tensor(x), torch.as_tensor(tags)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    model.train()
    for _ in range(steps):
        batch = torch.as_tensor(rng.integers(0, len(x), batch_size))
        logits = model(x_t[batch])
        loss = nn.functional.cross_entropy(logits.reshape(-1, 2), y_t[batch].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def tag_accuracy(model: Tagger, x: np.ndarray, tags: np.ndarray) -> dict[str, float]:
    """Accuracy of the predicted tags: on all positions, on letters, on ``>`` and on ``<``."""
    model.eval()
    correct = (model(torch.as_tensor(x)).argmax(-1).numpy() == tags)
    kinds = {"all": np.ones_like(x, dtype=bool), "letters": x < 8, ">": x == LOOK_RIGHT, "<": x == LOOK_LEFT}
    return {name: float(correct[mask].mean()) for name, mask in kinds.items()}
