"""Encoder-decoder (sequence-to-sequence) GRUs, with and without additive attention.

Used by the book's chapter 9. The task is generated here (:func:`reversal_task`): read a string of
symbols, write it backwards. The model is the RNN encoder-decoder of Cho et al. (2014), whose decoder
sees one fixed context vector ``c`` at every step, and the same model with the additive attention of
Bahdanau et al. (2015), whose decoder sees a context ``c_t`` recomputed at every step:

.. math::
    e_{tj} = v^\\top \\tanh(W s_{t-1} + U h_j), \\qquad
    \\alpha_{tj} = \\frac{\\exp e_{tj}}{\\sum_k \\exp e_{tk}}, \\qquad
    c_t = \\sum_j \\alpha_{tj} h_j,

    s_t = \\mathrm{GRU}([E y_{t-1}; c_t], s_{t-1}), \\qquad
    p(y_t \\mid y_{<t}, x) = \\mathrm{softmax}(W_o [s_t; c_t] + b_o).

Tokens: ``PAD = 0`` (padding, ignored by the loss and the attention), ``BOS = 1`` (the decoder's first
input), ``EOS = 2`` (end of the output), symbols ``3 .. 3 + n_symbols - 1``. Shapes use ``N`` for the
batch, ``S`` for the (padded) source length, ``T`` for the (padded) target length, ``H`` for the
hidden size and ``V`` for the vocabulary size; every tensor is batch-first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, BOS, EOS = 0, 1, 2
N_SPECIAL = 3
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def vocab_size(n_symbols: int) -> int:
    """``V``: the three special tokens plus ``n_symbols`` symbols."""
    return N_SPECIAL + n_symbols


def to_text(ids) -> str:
    """Symbols as letters (``3 -> a``, ``4 -> b``, ...); stops at ``EOS``, skips ``PAD`` and ``BOS``."""
    out = []
    for i in ids:
        i = int(i)
        if i == EOS:
            break
        if i >= N_SPECIAL:
            out.append(LETTERS[i - N_SPECIAL])
    return "".join(out)


def reversal_task(
    n: int, min_len: int, max_len: int, n_symbols: int = 10, seed: int = 0
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``n`` random strings and their reversals: the sources and the targets of a sequence-to-sequence task.

    Each source has a length drawn uniformly from ``min_len .. max_len`` and symbols drawn uniformly
    from ``3 .. 3 + n_symbols - 1``; its target is the source backwards followed by ``EOS``. Returns two
    lists of int64 arrays: ``sources[k] (L_k,)`` and ``targets[k] (L_k + 1,)``.
    """
    if not 1 <= min_len <= max_len:
        raise ValueError(f"need 1 <= min_len <= max_len; got {min_len}, {max_len}")
    if not 1 <= n_symbols <= len(LETTERS):
        raise ValueError(f"n_symbols must be in 1..{len(LETTERS)}; got {n_symbols}")
    rng = np.random.default_rng(seed)
    lengths = rng.integers(min_len, max_len + 1, n)
    sources = [rng.integers(N_SPECIAL, N_SPECIAL + n_symbols, int(m)).astype(np.int64) for m in lengths]
    targets = [np.append(s[::-1], EOS).astype(np.int64) for s in sources]
    return sources, targets


def pad_batch(seqs: list, pad: int = PAD) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad 1-D integer sequences to the longest: ``ids (N, L_max)`` int64 and ``lengths (N,)`` int64."""
    lengths = torch.tensor([len(s) for s in seqs], dtype=torch.int64)
    ids = torch.full((len(seqs), int(lengths.max())), pad, dtype=torch.int64)
    for k, s in enumerate(seqs):
        ids[k, : len(s)] = torch.as_tensor(np.asarray(s), dtype=torch.int64)
    return ids, lengths


def decoder_inputs(targets: torch.Tensor) -> torch.Tensor:
    """Teacher forcing: the decoder's input at step ``t`` is the true ``y_{t-1}`` (``BOS`` at ``t = 0``).

    ``targets (N, T)`` padded with ``PAD``; returns ``(N, T)``: ``BOS`` then ``targets[:, :-1]``.
    """
    bos = torch.full_like(targets[:, :1], BOS)
    return torch.cat([bos, targets[:, :-1]], dim=1)


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor, pad: int = PAD) -> torch.Tensor:
    """Mean cross-entropy over the real (non-``pad``) target tokens only.

    .. math::
        \\mathcal{L} = \\frac{\\sum_{n,t} m_{nt} \\, (-\\log p(y_{nt}))}{\\sum_{n,t} m_{nt}},
        \\qquad m_{nt} = [y_{nt} \\ne \\text{PAD}]

    ``logits (N, T, V)``, ``targets (N, T)`` int64. Returns a scalar. Equal to
    ``F.cross_entropy(..., ignore_index=pad)``; written out so the mask is visible.
    """
    nll = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (N, T)
    mask = (targets != pad).to(nll.dtype)
    return (nll * mask).sum() / mask.sum()


class AdditiveAttention(nn.Module):
    """Additive (Bahdanau) attention: ``e_j = v^T tanh(W q + U k_j)``, softmax over the valid ``j``.

    ``query_size`` is the size of the query ``q`` (the decoder state ``s_{t-1}``), ``key_size`` that
    of each key ``k_j`` (an encoder output ``h_j``), ``attn_size`` that of the hidden layer.
    """

    def __init__(self, query_size: int, key_size: int, attn_size: int):
        super().__init__()
        self.W = nn.Linear(query_size, attn_size, bias=False)
        self.U = nn.Linear(key_size, attn_size, bias=False)
        self.v = nn.Linear(attn_size, 1, bias=False)

    def forward(
        self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor, projected_keys: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Context and weights for one decoder step.

        ``query (N, Q)``, ``keys (N, S, K)``, ``mask (N, S)`` bool (``True`` at real source positions),
        ``projected_keys`` = ``U(keys)`` ``(N, S, A)`` if already computed (it does not change during
        decoding). Returns ``context (N, K)`` and ``weights (N, S)``: each row sums to 1 and is 0 at
        padded positions.
        """
        if projected_keys is None:
            projected_keys = self.U(keys)
        scores = self.v(torch.tanh(self.W(query)[:, None, :] + projected_keys)).squeeze(-1)  # e (N, S)
        scores = scores.masked_fill(~mask, float("-inf"))
        weights = torch.softmax(scores, dim=-1)  # alpha (N, S)
        context = torch.bmm(weights[:, None, :], keys).squeeze(1)  # c = sum_j alpha_j h_j, (N, K)
        return context, weights


@dataclass
class Memory:
    """What the decoder reads from the encoder: ``keys (N, S, H)`` (every ``h_j``), ``final (N, H)``
    (the encoder's last valid state), ``mask (N, S)`` and ``projected (N, S, A)`` (``U h_j``, or ``None``)."""

    keys: torch.Tensor
    final: torch.Tensor
    mask: torch.Tensor
    projected: torch.Tensor | None

    def repeat(self, k: int) -> Memory:
        """The memory of one sequence repeated ``k`` times along the batch (for beam search)."""
        return Memory(
            self.keys.expand(k, -1, -1), self.final.expand(k, -1), self.mask.expand(k, -1),
            None if self.projected is None else self.projected.expand(k, -1, -1),
        )


class Seq2Seq(nn.Module):
    """GRU encoder, GRU decoder, and either a fixed context (``attention=False``) or additive attention.

    Without attention the context is the encoder's final state, ``c_t = h_S`` for every ``t`` (Cho et
    al., 2014); with attention it is ``c_t = sum_j alpha_tj h_j`` (Bahdanau et al., 2015). Everything
    else is shared: embeddings of size ``embed_size``, hidden size ``hidden_size`` for encoder and
    decoder, decoder initial state ``s_0 = h_S``, output layer on ``[s_t; c_t]``. Initialised as PyTorch
    does from ``seed`` (the global random state is left untouched).
    """

    def __init__(self, vocab_size: int, embed_size: int = 16, hidden_size: int = 64, attention: bool = True,
                 seed: int = 0):
        super().__init__()
        self.use_attention = attention
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.src_embed = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
            self.encoder = nn.GRU(embed_size, hidden_size, batch_first=True)
            self.tgt_embed = nn.Embedding(vocab_size, embed_size, padding_idx=PAD)
            self.decoder = nn.GRU(embed_size + hidden_size, hidden_size, batch_first=True)
            self.attention = AdditiveAttention(hidden_size, hidden_size, hidden_size) if attention else None
            self.out = nn.Linear(2 * hidden_size, vocab_size)

    def encode(self, src: torch.Tensor, src_len: torch.Tensor) -> Memory:
        """Run the encoder over ``src (N, S)`` with lengths ``src_len (N,)``, skipping the padding (packing)."""
        S = src.shape[1]
        packed = pack_padded_sequence(self.src_embed(src), src_len.cpu(), batch_first=True, enforce_sorted=False)
        out, h_n = self.encoder(packed)
        keys, _ = pad_packed_sequence(out, batch_first=True, total_length=S)  # (N, S, H), zeros after each end
        mask = torch.arange(S, device=src.device)[None, :] < src_len.to(src.device)[:, None]
        projected = self.attention.U(keys) if self.use_attention else None
        return Memory(keys, h_n[0], mask, projected)

    def step(
        self, y_prev: torch.Tensor, s_prev: torch.Tensor, memory: Memory
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """One decoder step: ``y_prev (N,)`` ids, ``s_prev (N, H)``.

        Returns ``logits (N, V)`` for ``y_t``, the new state ``s_t (N, H)`` and the attention weights
        ``alpha_t (N, S)`` (``None`` without attention).
        """
        if self.use_attention:
            context, weights = self.attention(s_prev, memory.keys, memory.mask, memory.projected)
        else:
            context, weights = memory.final, None
        s = self._cell(torch.cat([self.tgt_embed(y_prev), context], dim=-1), s_prev)
        return self.out(torch.cat([s, context], dim=-1)), s, weights

    def _cell(self, inputs: torch.Tensor, s_prev: torch.Tensor) -> torch.Tensor:
        """One step of the decoder GRU, ``inputs (N, E + H)``, ``s_prev (N, H)`` -> ``s (N, H)``."""
        d = self.decoder  # an nn.GRU, so that the model without attention can run it over all steps at once
        return torch.gru_cell(inputs, s_prev, d.weight_ih_l0, d.weight_hh_l0, d.bias_ih_l0, d.bias_hh_l0)

    def forward(
        self, src: torch.Tensor, src_len: torch.Tensor, tgt_in: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Teacher-forced decoding: ``src (N, S)``, ``src_len (N,)``, ``tgt_in (N, T)`` (from :func:`decoder_inputs`).

        Returns ``logits (N, T, V)`` and the attention weights ``(N, T, S)`` (``None`` without attention).
        """
        memory = self.encode(src, src_len)
        if not self.use_attention:  # the context is fixed, so the decoder runs over all steps in one call
            T = tgt_in.shape[1]
            context = memory.final[:, None, :].expand(-1, T, -1)  # (N, T, H)
            s_all, _ = self.decoder(torch.cat([self.tgt_embed(tgt_in), context], dim=-1), memory.final[None])
            return self.out(torch.cat([s_all, context], dim=-1)), None
        embedded = self.tgt_embed(tgt_in)  # (N, T, E)
        s, states, contexts, weights = memory.final, [], [], []
        for t in range(tgt_in.shape[1]):  # the same computation as step(), with the output layer moved out
            context, alpha = self.attention(s, memory.keys, memory.mask, memory.projected)
            s = self._cell(torch.cat([embedded[:, t], context], dim=-1), s)
            states.append(s)
            contexts.append(context)
            weights.append(alpha)
        logits = self.out(torch.cat([torch.stack(states, 1), torch.stack(contexts, 1)], dim=-1))
        return logits, torch.stack(weights, 1)


def train_seq2seq(
    model: Seq2Seq,
    sources: list[np.ndarray],
    targets: list[np.ndarray],
    steps: int = 1000,
    batch_size: int = 64,
    lr: float = 3e-3,
    clip: float = 1.0,
    seed: int = 0,
) -> list[float]:
    """Train ``model`` in place with teacher forcing, the masked loss, Adam and gradient clipping.

    Each step draws ``batch_size`` pairs at random (with the generator seeded by ``seed``), pads them,
    and minimises :func:`masked_cross_entropy`. The learning rate decays from ``lr`` to 0 on a cosine.
    Returns the training loss of every step (nats per target token).
    """
    rng = np.random.default_rng(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda k: 0.5 * (1 + math.cos(math.pi * k / steps)))
    losses = []
    model.train()
    for _ in range(steps):
        batch = rng.integers(0, len(sources), batch_size)
        src, src_len = pad_batch([sources[k] for k in batch])
        tgt, _ = pad_batch([targets[k] for k in batch])
        logits, _ = model(src, src_len, decoder_inputs(tgt))
        loss = masked_cross_entropy(logits, tgt)
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
    return losses


@torch.no_grad()
def greedy_decode(
    model: Seq2Seq, sources: list[np.ndarray], max_len: int
) -> tuple[list[list[int]], np.ndarray, list[np.ndarray | None]]:
    """Decode a batch by taking the most likely token at every step, until ``EOS`` or ``max_len`` tokens.

    Returns, per source: the tokens (``EOS`` included when produced), the total log-probability
    ``sum_t log p(y_t | y_<t, x)`` of those tokens ``(N,)``, and the attention weights
    ``(len(tokens), L_source)`` (``None`` without attention).
    """
    model.eval()
    src, src_len = pad_batch(sources)
    memory = model.encode(src, src_len)
    N = len(sources)
    y, s = torch.full((N,), BOS, dtype=torch.int64), memory.final
    done = torch.zeros(N, dtype=torch.bool)
    logprob = torch.zeros(N, dtype=torch.float64)
    tokens, weights = [], []
    for _ in range(max_len):
        logits, s, alpha = model.step(y, s, memory)
        logp = torch.log_softmax(logits, dim=-1)
        y = logp.argmax(-1)
        logprob += torch.where(done, 0.0, logp.gather(1, y[:, None])[:, 0].double())
        tokens.append(torch.where(done, PAD, y))
        weights.append(alpha)
        done |= y == EOS
        if done.all():
            break
    tokens_nt = torch.stack(tokens, 1)
    out, attn = [], []
    for n in range(N):
        seq = tokens_nt[n].tolist()
        seq = seq[: seq.index(EOS) + 1] if EOS in seq else seq
        out.append(seq)
        length = int(src_len[n])
        attn.append(torch.stack([w[n, :length] for w in weights[: len(seq)]]).numpy() if model.use_attention else None)
    return out, logprob.numpy(), attn


@torch.no_grad()
def beam_search(model: Seq2Seq, source: np.ndarray, beam_width: int, max_len: int) -> tuple[list[int], float]:
    """The most likely output that a beam of ``beam_width`` hypotheses finds for one ``source``.

    At every step each live hypothesis is extended by every token; the ``beam_width`` best extensions
    by total log-probability are kept, those ending in ``EOS`` move to the finished list. The search
    stops when the best finished hypothesis scores at least as well as the best live one (log-probabilities
    only fall as a hypothesis grows, so no live one can overtake it), or after ``max_len`` steps.
    Returns the best tokens (``EOS`` included) and their total log-probability. With
    ``beam_width=1`` this is :func:`greedy_decode`.
    """
    if beam_width < 1:
        raise ValueError(f"beam_width must be >= 1; got {beam_width}")
    model.eval()
    src, src_len = pad_batch([source])
    memory = model.encode(src, src_len)
    live_tokens: list[list[int]] = [[]]
    live_scores = torch.zeros(1, dtype=torch.float64)
    s = memory.final
    finished: list[tuple[float, list[int]]] = []
    for _ in range(max_len):
        k = len(live_tokens)
        y = torch.tensor([seq[-1] if seq else BOS for seq in live_tokens])
        logits, s_new, _ = model.step(y, s, memory.repeat(k))
        candidates = live_scores[:, None] + torch.log_softmax(logits, dim=-1).double()  # (k, V)
        top_scores, top_index = candidates.view(-1).topk(min(beam_width, candidates.numel()))
        keep_rows, keep_tokens, keep_scores = [], [], []
        for score, index in zip(top_scores.tolist(), top_index.tolist(), strict=True):
            row, token = divmod(index, candidates.shape[1])
            if token == EOS:
                finished.append((score, live_tokens[row] + [EOS]))
            else:
                keep_rows.append(row)
                keep_tokens.append(live_tokens[row] + [token])
                keep_scores.append(score)
        best_finished = max(finished)[0] if finished else -math.inf
        if not keep_rows or best_finished >= max(keep_scores):
            break
        live_tokens, live_scores, s = keep_tokens, torch.tensor(keep_scores, dtype=torch.float64), s_new[keep_rows]
    else:
        finished += list(zip(live_scores.tolist(), live_tokens, strict=True))  # out of steps: keep the live ones too
    score, tokens = max(finished, key=lambda pair: pair[0])
    return tokens, float(score)


@torch.no_grad()
def sequence_logprob(model: Seq2Seq, source: np.ndarray, tokens: list[int]) -> float:
    """``log p(tokens | source)`` under ``model``, scored with teacher forcing (to check a decoder's sums)."""
    model.eval()
    src, src_len = pad_batch([source])
    tgt = torch.as_tensor([tokens], dtype=torch.int64)
    logits, _ = model(src, src_len, decoder_inputs(tgt))
    return float(torch.log_softmax(logits, -1).double().gather(2, tgt[..., None]).sum())
