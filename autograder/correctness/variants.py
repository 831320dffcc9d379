"""The catalogue of known wrong implementations, so that feedback can name a student's mistake.

Each :class:`Variant` is a plain NumPy function with the signature of the contract function it
imitates (``lstm_cell``, ``gru_layer``, ...; ``gru_reset_before_layer`` stands for
``MyGRU(..., reset_after=False)``, as a layer with ``gru_layer``'s signature). When a student's result
is wrong, the judge in :mod:`autograder.checks` evaluates the variants of that function on the same inputs and, if the
student's result equals one of them, says so: "your output equals an LSTM with gates ordered
i,f,o,g; PyTorch orders the blocks i,f,g,o".

Cell mistakes (gate order, GRU conventions, a missing ``tanh``, dropped biases) are lifted to the
layers by a correct unroll; layer mistakes (``batch_first`` ignored, ``h_n`` of the wrong shape or
step, initial state ignored) wrap the correct cell. ``tests/test_variants.py`` checks that every
variant really differs from PyTorch on the hidden cases and that the judge names it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from seqmodels.conventions import gru_cell_variant
from seqmodels.recurrent import Array, gru_cell, lstm_cell, rnn_cell, sigmoid


@dataclass(frozen=True)
class Variant:
    """A known mistake: ``fn`` computes what a student who made it returns."""

    name: str  # short identifier, e.g. "lstm_gates_ifog"
    target: str  # the contract function it imitates, e.g. "lstm_layer"
    mistake: str  # completes "your output equals ..."
    fn: Callable


# ---------------------------------------------------------------- cell mistakes (kind -> name -> (cell, text))


def _lstm_cell_gates(order: str) -> Callable:
    """An LSTM cell that reads the four gate blocks in ``order`` (e.g. ``"ifog"``) instead of ``"ifgo"``."""

    def cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
        blocks = dict(zip(order, np.split(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, 4, axis=1), strict=True))
        i_t, f_t, g_t, o_t = sigmoid(blocks["i"]), sigmoid(blocks["f"]), np.tanh(blocks["g"]), sigmoid(blocks["o"])
        c_t = f_t * c_prev + i_t * g_t
        return o_t * np.tanh(c_t), c_t

    return cell


def _lstm_cell_no_tanh(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """``h_t = o_t * c_t``: the ``tanh`` on the cell state forgotten."""
    a_i, a_f, a_g, a_o = np.split(x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh, 4, axis=1)
    c_t = sigmoid(a_f) * c_prev + sigmoid(a_i) * np.tanh(a_g)
    return sigmoid(a_o) * c_t, c_t


def _lstm_cell_swapped(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh):
    """Returns ``(c_t, h_t)`` instead of ``(h_t, c_t)``."""
    h_t, c_t = lstm_cell(x_t, h_prev, c_prev, W_ih, W_hh, b_ih, b_hh)
    return c_t, h_t


def _drop_b_hh(cell: Callable) -> Callable:
    """The cell with ``b_hh`` left out (only ``b_ih`` added)."""

    def dropped(*args):
        *rest, b_hh = args
        return cell(*rest, np.zeros_like(b_hh))

    return dropped


def _gru(reset: str, update: str) -> Callable:
    def cell(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        return gru_cell_variant(x_t, h_prev, W_ih, W_hh, b_ih, b_hh, reset=reset, update=update)

    return cell


def _gru_cell_b_hn(where: str) -> Callable:
    """A GRU cell whose ``b_hn`` is dropped (``where="dropped"``) or added outside ``r * (...)``."""

    def cell(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
        H = h_prev.shape[1]
        b_hn = b_hh[2 * H:]
        x_r, x_z, x_n = np.split(x_t @ W_ih.T + b_ih, 3, axis=1)
        h_r, h_z, h_n = np.split(h_prev @ W_hh.T + np.concatenate([b_hh[:2 * H], 0 * b_hn]), 3, axis=1)
        r_t, z_t = sigmoid(x_r + h_r), sigmoid(x_z + h_z)
        n_t = np.tanh(x_n + r_t * h_n + (b_hn if where == "outside" else 0.0))
        return (1.0 - z_t) * n_t + z_t * h_prev

    return cell


def _gru_cell_zrn(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    """A GRU cell that reads the blocks as ``(z, r, n)``."""

    def swap(p):
        H = p.shape[0] // 3
        return np.concatenate([p[H:2 * H], p[:H], p[2 * H:]])

    return gru_cell(x_t, h_prev, swap(W_ih), swap(W_hh), swap(b_ih), swap(b_hh))


def _rnn_cell_no_tanh(x_t, h_prev, W_ih, W_hh, b_ih, b_hh):
    return x_t @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh


CELL_MISTAKES: dict[str, dict[str, tuple[Callable, str]]] = {
    "lstm": {
        "lstm_gates_ifog": (_lstm_cell_gates("ifog"),
                            "an LSTM with gates ordered i,f,o,g (cs231n's order); PyTorch orders the blocks i,f,g,o"),
        "lstm_gates_igfo": (_lstm_cell_gates("igfo"),
                            "an LSTM with gates ordered i,g,f,o; PyTorch orders the blocks i,f,g,o"),
        "lstm_gates_fiog": (_lstm_cell_gates("figo"),
                            "an LSTM with gates ordered f,i,g,o; PyTorch orders the blocks i,f,g,o"),
        "lstm_no_tanh_on_c": (_lstm_cell_no_tanh, "an LSTM without the tanh on the cell state: h_t = o_t * c_t "
                                                  "instead of o_t * tanh(c_t)"),
        "lstm_h_c_swapped": (_lstm_cell_swapped, "an LSTM that returns (c, h) instead of (h, c)"),
        "lstm_no_b_hh": (_drop_b_hh(lstm_cell), "an LSTM that leaves out b_hh; PyTorch adds both b_ih and b_hh"),
    },
    "gru": {
        "gru_chung": (_gru("before", "chung"),
                      "a GRU in the lecture notes' / Chung et al. (2014) convention (reset applied to h before the "
                      "matmul, h' = (1 - z) h + z n); PyTorch applies r after the matmul, r * (W_hn h + b_hn), "
                      "and uses h' = (1 - z) n + z h, the update of Cho et al. (2014)"),
        "gru_z_swapped": (_gru("after", "chung"),
                          "a GRU with z and 1 - z swapped (h' = (1 - z) h + z n); PyTorch uses h' = (1 - z) n + z h"),
        "gru_reset_before": (_gru("before", "pytorch"),
                             "a GRU that applies the reset gate before the matmul, W_hn (r * h) + b_hn; PyTorch "
                             "applies it after: r * (W_hn h + b_hn)"),
        "gru_no_b_hn": (_gru_cell_b_hn("dropped"), "a GRU that drops b_hn; PyTorch computes r * (W_hn h + b_hn)"),
        "gru_b_hn_outside": (_gru_cell_b_hn("outside"),
                             "a GRU that adds b_hn outside the reset gate, r * (W_hn h) + b_hn; PyTorch computes "
                             "r * (W_hn h + b_hn)"),
        "gru_gates_zrn": (_gru_cell_zrn, "a GRU with the blocks read as z,r,n; PyTorch orders them r,z,n"),
        "gru_no_b_hh": (_drop_b_hh(gru_cell), "a GRU that leaves out b_hh; PyTorch adds both b_ih and b_hh"),
    },
    "rnn": {
        "rnn_no_tanh": (_rnn_cell_no_tanh, "an RNN without the tanh nonlinearity"),
        "rnn_no_b_hh": (_drop_b_hh(rnn_cell), "an RNN that leaves out b_hh; PyTorch adds both b_ih and b_hh"),
    },
}
CORRECT_CELLS: dict[str, Callable] = {"lstm": lstm_cell, "gru": gru_cell, "rnn": rnn_cell}

# MyGRU(..., reset_after=False) (ps4) must equal a GRU with the reset gate before the matmul and PyTorch's
# update rule; its mistakes, as cells, lifted to the layer ``gru_reset_before_layer`` that it must equal.
RESET_BEFORE_MISTAKES: dict[str, tuple[Callable, str]] = {
    "gru_reset_after_ignored": (_gru("after", "pytorch"),
                                "a GRU that applies the reset gate after the matmul, r * (W_hn h + b_hn), as "
                                "torch.nn.GRU does; reset_after=False applies it before: W_hn (r * h) + b_hn"),
    "gru_z_swapped": (_gru("before", "chung"), CELL_MISTAKES["gru"]["gru_z_swapped"][1]),
}

# ---------------------------------------------------------------- layer mistakes


def unroll(cell: Callable, x: Array, states: list[Array], batch_first: bool, mistake: str | None = None):
    """Run ``cell`` over time like the contract's layers, optionally making one layer ``mistake``.

    ``states`` are the initial states ``(1, N, H)`` (``[h0]`` or ``[h0, c0]``). Returns
    ``(output, finals)`` with ``finals`` a list of final states. Mistakes:
    ``"ignore_batch_first"`` (x always read as ``(T, N, I)``), ``"output_time_major"`` (output not
    transposed back), ``"h_n_batch_first"`` (final states as ``(N, 1, H)``), ``"h_n_last_sample"``
    (final states ``output[-1:]`` of the batch-first output) and ``"ignore_initial_state"``.
    """
    batch_first_in = batch_first and mistake != "ignore_batch_first"
    x_tm = x.transpose(1, 0, 2) if batch_first_in else x
    state = [np.zeros_like(s[0]) if mistake == "ignore_initial_state" else s[0] for s in states]
    outputs = []
    for x_t in x_tm:
        new = cell(x_t, *state)
        state = list(new) if isinstance(new, tuple) else [new]
        outputs.append(state[0])
    output = np.stack(outputs)
    if batch_first_in and mistake != "output_time_major":
        output = output.transpose(1, 0, 2)
    finals = [s[None] for s in state]
    if mistake == "h_n_batch_first" and batch_first:
        finals = [s[:, None] for s in state]
    elif mistake == "h_n_last_sample":
        finals = [output[-1:]] + finals[1:]
    return output, finals


LAYER_MISTAKES: dict[str, str] = {
    "ignore_batch_first": "a layer that ignores batch_first and always reads x as (T, N, I)",
    "output_time_major": "a layer that leaves output time-major (T, N, H) under batch_first=True; output must "
                         "follow batch_first and be (N, T, H)",
    "h_n_batch_first": "a layer that returns the final state as (N, 1, H) under batch_first=True; h_n (and c_n) are "
                       "(1, N, H) whatever batch_first is",
    "h_n_last_sample": "a layer that takes h_n = output[-1:] from the batch-first output: the last sequence's states "
                       "at every step, not every sequence's last state; h_n = output[:, -1] as (1, N, H)",
    "ignore_initial_state": "a layer that ignores h0 (and c0) and starts from zeros",
}


def _layer(kind: str, cell: Callable, mistake: str | None) -> Callable:
    """A layer with the contract's signature built from ``cell`` and an optional layer ``mistake``."""
    if kind == "lstm":
        def lstm_layer(x, h0, c0, W_ih, W_hh, b_ih, b_hh, batch_first=False):
            output, (h_n, c_n) = unroll(lambda x_t, h, c: cell(x_t, h, c, W_ih, W_hh, b_ih, b_hh),
                                        x, [h0, c0], batch_first, mistake)
            return output, (h_n, c_n)
        return lstm_layer

    def layer(x, h0, W_ih, W_hh, b_ih, b_hh, batch_first=False):
        output, (h_n,) = unroll(lambda x_t, h: cell(x_t, h, W_ih, W_hh, b_ih, b_hh), x, [h0], batch_first, mistake)
        return output, h_n
    return layer


def _catalogue() -> list[Variant]:
    variants = []
    for kind, mistakes in CELL_MISTAKES.items():
        for name, (cell, text) in mistakes.items():
            variants.append(Variant(name, f"{kind}_cell", text, cell))
            variants.append(Variant(name, f"{kind}_layer", text, _layer(kind, cell, None)))
        for name, text in LAYER_MISTAKES.items():
            variants.append(Variant(name, f"{kind}_layer", text, _layer(kind, CORRECT_CELLS[kind], name)))
    for name, (cell, text) in RESET_BEFORE_MISTAKES.items():
        variants.append(Variant(name, "gru_reset_before_layer", text, _layer("gru", cell, None)))
    return variants


# ---------------------------------------------------------------- ps2: softmax, cross-entropy, temperature


def _softmax(a: Array) -> Array:
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _cross_entropy_summed(logits, targets):
    """The loss and gradient summed over the batch instead of averaged."""
    p = _softmax(logits)
    rows = np.arange(len(targets))
    d_logits = p.copy()
    d_logits[rows, targets] -= 1.0
    return -np.log(p[rows, targets]).sum(), d_logits


def _temperature_multiplied(logits, temperature):
    return _softmax(logits * temperature)


PS2_VARIANTS = [
    Variant("ce_sum_not_mean", "softmax_cross_entropy", "the loss (and gradient) summed over the batch; the "
            "contract averages over the N rows, like torch.nn.functional.cross_entropy", _cross_entropy_summed),
    Variant("temperature_multiplied", "softmax_with_temperature", "softmax(logits * temperature); divide: "
            "softmax(logits / temperature), so that a high temperature flattens the distribution",
            _temperature_multiplied),
]

VARIANTS: list[Variant] = _catalogue() + PS2_VARIANTS


def variants_for(target: str) -> list[Variant]:
    """The known wrong variants of the contract function ``target`` (e.g. ``"gru_layer"``), in catalogue order."""
    return [v for v in VARIANTS if v.target == target]
