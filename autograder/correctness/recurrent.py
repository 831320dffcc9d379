"""Cases for the NumPy recurrent cells and layers, with reference outputs from ``torch.nn``.

Shared by ps1 (RNN), ps3 (LSTM) and ps4 (GRU): the hidden grids of shapes and dtypes, the small visible
cases that the notebooks build by hand, and :func:`recurrent_checks`, the five checks of a cell + layer
pair.
"""

from __future__ import annotations

import numpy as np

from autograder.correctness.cases import Call, Case, Check, array_judge
from autograder.correctness.policy import Rule

# ============================================================================ reference outputs from torch

LAYER_SHAPES = [  # (T, N, I, H): size-1 dimensions, I != H both ways, T == N, a longer sequence
    (1, 1, 1, 1), (1, 3, 2, 4), (5, 1, 3, 2), (4, 2, 1, 3), (3, 3, 2, 4), (7, 3, 5, 5), (3, 4, 6, 1), (12, 2, 3, 4),
]
CELL_SHAPES = [(1, 1, 1), (3, 2, 4), (1, 3, 2), (2, 1, 3), (4, 5, 5), (4, 6, 1)]  # (N, I, H)
GATES = {"rnn": 1, "lstm": 4, "gru": 3}
DTYPES = (np.float64, np.float32)


def draw_params(G: int, I: int, H: int, rng: np.random.Generator, dtype) -> dict[str, np.ndarray]:
    """``W_ih, W_hh, b_ih, b_hh`` drawn independently (so a dropped or misplaced bias shows)."""
    shapes = {"W_ih": (G * H, I), "W_hh": (G * H, H), "b_ih": (G * H,), "b_hh": (G * H,)}
    return {name: rng.uniform(-0.8, 0.8, shape).astype(dtype) for name, shape in shapes.items()}


def _torch_module(kind: str, I: int, H: int, params: dict, dtype, cell: bool, batch_first: bool = False):
    import torch

    from seqmodels.torchutil import set_params

    if cell:
        module = {"rnn": torch.nn.RNNCell, "lstm": torch.nn.LSTMCell, "gru": torch.nn.GRUCell}[kind](I, H)
        module = module.to(torch.float64 if dtype == np.float64 else torch.float32)
        with torch.no_grad():
            for ours, theirs in zip(("W_ih", "W_hh", "b_ih", "b_hh"), ("weight_ih", "weight_hh", "bias_ih", "bias_hh"),
                                    strict=True):
                getattr(module, theirs).copy_(torch.from_numpy(params[ours]))
        return module
    module = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](I, H, batch_first=batch_first)
    module = module.to(torch.float64 if dtype == np.float64 else torch.float32)
    set_params(module, params)
    return module


def torch_cell(kind: str, x_t, states: list[np.ndarray], params: dict):
    """``torch.nn.{RNN,LSTM,GRU}Cell`` on NumPy inputs; returns ``h_t`` or ``(h_t, c_t)`` as arrays."""
    import torch

    module = _torch_module(kind, x_t.shape[1], states[0].shape[1], params, x_t.dtype, cell=True)
    with torch.no_grad():
        out = module(torch.from_numpy(x_t), tuple(torch.from_numpy(s) for s in states) if kind == "lstm"
                     else torch.from_numpy(states[0]))
    return tuple(o.numpy() for o in out) if kind == "lstm" else out.numpy()


def torch_layer(kind: str, x, states: list[np.ndarray], params: dict, batch_first: bool):
    """``torch.nn.{RNN,LSTM,GRU}`` on NumPy inputs; returns ``(output, h_n)`` or ``(output, (h_n, c_n))``."""
    import torch

    module = _torch_module(kind, x.shape[2], states[0].shape[2], params, x.dtype, cell=False, batch_first=batch_first)
    with torch.no_grad():
        output, final = module(torch.from_numpy(x), tuple(torch.from_numpy(s) for s in states) if kind == "lstm"
                               else torch.from_numpy(states[0]))
    if kind == "lstm":
        return output.numpy(), (final[0].numpy(), final[1].numpy())
    return output.numpy(), final.numpy()


def _dtype_name(dtype) -> str:
    return np.dtype(dtype).name


def cell_cases(kind: str, rng: np.random.Generator) -> list[Case]:
    """The hidden grid for ``<kind>_cell``: odd shapes, both dtypes, non-zero and zero previous state."""
    grid = [(shape, dtype, False) for shape in CELL_SHAPES for dtype in DTYPES] + [((3, 2, 4), np.float64, True)]
    cases = []
    for (N, I, H), dtype, zero_state in grid:
        params = draw_params(GATES[kind], I, H, rng, dtype)
        x_t = rng.standard_normal((N, I)).astype(dtype)
        states = [np.zeros((N, H), dtype) if zero_state else rng.standard_normal((N, H)).astype(dtype)
                  for _ in range(2 if kind == "lstm" else 1)]
        expected = torch_cell(kind, x_t, states, params)
        label = f"N={N} I={I} H={H} {_dtype_name(dtype)}" + (" zero state" if zero_state else "")
        cases.append(Case(Call(f"{kind}_cell", (x_t, *states, *params.values())), expected, label))
    return cases


def layer_cases(kind: str, rng: np.random.Generator, batch_first: bool) -> list[Case]:
    """The hidden grid for ``<kind>_layer`` with one ``batch_first`` value."""
    grid = [(shape, dtype, False) for shape in LAYER_SHAPES for dtype in DTYPES] + [((5, 2, 3, 4), np.float64, True)]
    cases = []
    for (T, N, I, H), dtype, zero_state in grid:
        params = draw_params(GATES[kind], I, H, rng, dtype)
        x = rng.standard_normal((N, T, I) if batch_first else (T, N, I)).astype(dtype)
        states = [np.zeros((1, N, H), dtype) if zero_state else rng.standard_normal((1, N, H)).astype(dtype)
                  for _ in range(2 if kind == "lstm" else 1)]
        expected = torch_layer(kind, x, states, params, batch_first)
        label = (f"T={T} N={N} I={I} H={H} {_dtype_name(dtype)} batch_first={batch_first}"
                 + (" zero initial state" if zero_state else ""))
        cases.append(Case(Call(f"{kind}_layer", (x, *states, *params.values()), {"batch_first": batch_first}),
                          expected, label))
    return cases


def tiny_inputs(
    kind: str, N: int = 2, I: int = 3, H: int = 4, T: int | None = None, rng: np.random.Generator | None = None
) -> dict[str, np.ndarray]:
    """The small, hand-readable inputs of the visible tests (the notebooks build the same arrays).

    With ``rng``, arrays of the same shapes with values drawn from it instead: the fresh case that
    every visible check adds, so that hard-coding the visible answer earns nothing.
    """
    G = GATES[kind]
    x_shape = (N, I) if T is None else (T, N, I)
    s_shape = (N, H) if T is None else (1, N, H)

    def values(low: float, high: float, shape: tuple[int, ...]) -> np.ndarray:
        if rng is not None:
            return rng.uniform(-1.0, 1.0, shape)
        return np.linspace(low, high, int(np.prod(shape))).reshape(shape)

    inputs = {"x": values(-1.0, 1.0, x_shape), "h": values(-0.5, 0.5, s_shape)}
    if kind == "lstm":
        inputs["c"] = values(0.5, -0.5, s_shape)
    inputs.update(W_ih=values(-0.4, 0.4, (G * H, I)), W_hh=values(0.3, -0.3, (G * H, H)),
                  b_ih=values(-0.2, 0.2, (G * H,)), b_hh=values(0.1, -0.1, (G * H,)))
    return inputs


def _split_inputs(kind: str, inputs: dict[str, np.ndarray]) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    states = [inputs["h"]] + ([inputs["c"]] if kind == "lstm" else [])
    return states, {k: inputs[k] for k in ("W_ih", "W_hh", "b_ih", "b_hh")}


def tiny_cell_cases(kind: str, rng: np.random.Generator) -> list[Case]:
    """The visible test of ``<kind>_cell`` (one tiny case, N=2 I=3 H=4, float64), plus the same shapes
    with values drawn from ``rng``."""
    cases = []
    for draw, label in [(None, "visible tiny case"), (rng, "fresh values, same shapes as the visible case")]:
        inputs = tiny_inputs(kind, rng=draw)
        states, params = _split_inputs(kind, inputs)
        cases.append(Case(Call(f"{kind}_cell", (inputs["x"], *states, *params.values())),
                          torch_cell(kind, inputs["x"], states, params), f"{label} N=2 I=3 H=4 float64"))
    return cases


def tiny_layer_shape_cases(kind: str, rng: np.random.Generator) -> list[Case]:
    """The visible test of ``<kind>_layer`` (shapes only, T=5 N=3 I=2 H=4, ``batch_first=False``), plus
    one case whose sizes are drawn from ``rng``."""
    fresh_shape = tuple(int(n) for n in rng.integers(1, 7, 4))
    cases = []
    for (T, N, I, H), draw, label in [((5, 3, 2, 4), None, "visible shapes"), (fresh_shape, rng, "fresh shapes")]:
        inputs = tiny_inputs(kind, N=N, I=I, H=H, T=T, rng=draw)
        states, params = _split_inputs(kind, inputs)
        cases.append(Case(Call(f"{kind}_layer", (inputs["x"], *states, *params.values()), {"batch_first": False}),
                          torch_layer(kind, inputs["x"], states, params, batch_first=False),
                          f"{label} T={T} N={N} I={I} H={H} batch_first=False"))
    return cases


# ============================================================================ the checks, per assignment

CELL_SPEC = {"rnn": "h_t", "gru": "h_t", "lstm": ("h_t", "c_t")}
LAYER_SPEC = {"rnn": ("output", "h_n"), "gru": ("output", "h_n"), "lstm": ("output", ("h_n", "c_n"))}


def recurrent_checks(assignment: str, kind: str, points: dict[str, float]) -> list[Check]:
    """The five checks of a NumPy cell + layer pair: visible cell, hidden cell, visible layer shapes,
    hidden layer with ``batch_first=False``, hidden layer with ``batch_first=True``."""
    cell, layer = f"{kind}_cell", f"{kind}_layer"
    return [
        Check(assignment, f"{cell}_visible", points[f"{cell}_visible"], (cell,), Rule.NUMPY_ONLY,
              lambda rng: tiny_cell_cases(kind, rng), array_judge(CELL_SPEC[kind]),
              description=f"{cell}: shapes and one tiny case"),
        Check(assignment, f"{cell}_hidden", points[f"{cell}_hidden"], (cell,), Rule.NUMPY_ONLY,
              lambda rng: cell_cases(kind, rng), array_judge(CELL_SPEC[kind]),
              description=f"{cell} against torch.nn.{kind.upper()}Cell on a grid of shapes and dtypes"),
        Check(assignment, f"{layer}_visible", points[f"{layer}_visible"], (layer,), Rule.NUMPY_ONLY,
              lambda rng: tiny_layer_shape_cases(kind, rng), array_judge(LAYER_SPEC[kind], shapes_only=True),
              description=f"{layer}: shapes with batch_first=False"),
        Check(assignment, f"{layer}_time_major", points[f"{layer}_time_major"], (layer,), Rule.NUMPY_ONLY,
              lambda rng: layer_cases(kind, rng, batch_first=False), array_judge(LAYER_SPEC[kind]),
              description=f"{layer} against torch.nn.{kind.upper()}, batch_first=False"),
        Check(assignment, f"{layer}_batch_first", points[f"{layer}_batch_first"], (layer,), Rule.NUMPY_ONLY,
              lambda rng: layer_cases(kind, rng, batch_first=True), array_judge(LAYER_SPEC[kind]),
              description=f"{layer} against torch.nn.{kind.upper()}, batch_first=True"),
    ]


