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

from autograder.messages import t
from seqmodels.conventions import gru_cell_variant
from seqmodels.recurrent import Array, gru_cell, lstm_cell, rnn_cell, sigmoid


@dataclass(frozen=True)
class Variant:
    """A known mistake: ``fn`` computes what a student who made it returns."""

    name: str  # short identifier, e.g. "lstm_gates_ifog"
    target: str  # the contract function it imitates, e.g. "lstm_layer"
    fn: Callable

    @property
    def mistake(self) -> str:
        """What the mistake is, in the current language (``variant.<name>`` in :mod:`autograder.messages`);
        completes "your output equals ..."."""
        return t(f"variant.{self.name}")


# ---------------------------------------------------------------- cell mistakes (kind -> name -> cell)


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


CELL_MISTAKES: dict[str, dict[str, Callable]] = {  # what each mistake is, in words: "variant.<name>" in messages
    "lstm": {
        "lstm_gates_ifog": _lstm_cell_gates("ifog"),
        "lstm_gates_igfo": _lstm_cell_gates("igfo"),
        "lstm_gates_fiog": _lstm_cell_gates("figo"),
        "lstm_no_tanh_on_c": _lstm_cell_no_tanh,
        "lstm_h_c_swapped": _lstm_cell_swapped,
        "lstm_no_b_hh": _drop_b_hh(lstm_cell),
    },
    "gru": {
        "gru_chung": _gru("before", "chung"),
        "gru_z_swapped": _gru("after", "chung"),
        "gru_reset_before": _gru("before", "pytorch"),
        "gru_no_b_hn": _gru_cell_b_hn("dropped"),
        "gru_b_hn_outside": _gru_cell_b_hn("outside"),
        "gru_gates_zrn": _gru_cell_zrn,
        "gru_no_b_hh": _drop_b_hh(gru_cell),
    },
    "rnn": {
        "rnn_no_tanh": _rnn_cell_no_tanh,
        "rnn_no_b_hh": _drop_b_hh(rnn_cell),
    },
}
CORRECT_CELLS: dict[str, Callable] = {"lstm": lstm_cell, "gru": gru_cell, "rnn": rnn_cell}

# MyGRU(..., reset_after=False) (ps4) must equal a GRU with the reset gate before the matmul and PyTorch's
# update rule; its mistakes, as cells, lifted to the layer ``gru_reset_before_layer`` that it must equal.
RESET_BEFORE_MISTAKES: dict[str, Callable] = {
    "gru_reset_after_ignored": _gru("after", "pytorch"),
    "gru_z_swapped": _gru("before", "chung"),
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


LAYER_MISTAKES: tuple[str, ...] = ("ignore_batch_first", "output_time_major", "h_n_batch_first", "h_n_last_sample",
                                  "ignore_initial_state")


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
        for name, cell in mistakes.items():
            variants.append(Variant(name, f"{kind}_cell", cell))
            variants.append(Variant(name, f"{kind}_layer", _layer(kind, cell, None)))
        for name in LAYER_MISTAKES:
            variants.append(Variant(name, f"{kind}_layer", _layer(kind, CORRECT_CELLS[kind], name)))
    for name, cell in RESET_BEFORE_MISTAKES.items():
        variants.append(Variant(name, "gru_reset_before_layer", _layer("gru", cell, None)))
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
    Variant("ce_sum_not_mean", "softmax_cross_entropy", _cross_entropy_summed),
    Variant("temperature_multiplied", "softmax_with_temperature", _temperature_multiplied),
]

VARIANTS: list[Variant] = _catalogue() + PS2_VARIANTS


def variants_for(target: str) -> list[Variant]:
    """The known wrong variants of the contract function ``target`` (e.g. ``"gru_layer"``), in catalogue order."""
    return [v for v in VARIANTS if v.target == target]
