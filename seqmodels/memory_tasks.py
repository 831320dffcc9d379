"""Training ``nn.RNN``, ``nn.LSTM`` and ``nn.GRU`` on long-memory tasks with the same budget and seeds.

Used by the book's part II (chapters 5-8): building the three recurrent layers the same way, the
forget-gate bias trick, how gradients shrink with the time lag, and a fair comparison on the
adding problem (:func:`seqmodels.data.adding_problem`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from seqmodels.data import adding_problem
from seqmodels.torchutil import default_device

CELLS: dict[str, type[nn.RNNBase]] = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

ADDING_BASELINE_MSE = 1.0 / 6.0
"""Mean squared error of always predicting 1, the mean of the target (the sum of two U(0, 1) values)."""

SOLVE_WINDOW = 20
"""Number of training steps whose mean loss decides whether a task is solved."""


def recurrent_layer(cell: str, input_size: int, hidden_size: int, **kwargs: object) -> nn.RNNBase:
    """``nn.RNN`` (``tanh``), ``nn.LSTM`` or ``nn.GRU`` by name; ``kwargs`` go to the constructor."""
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}; got {cell!r}")
    return CELLS[cell](input_size, hidden_size, **kwargs)


def count_parameters(module: nn.Module) -> int:
    """Number of trainable scalars in ``module``."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


@torch.no_grad()
def set_forget_bias(lstm: nn.LSTM, value: float) -> None:
    """Set the forget-gate bias of every layer and direction of ``lstm`` to ``value``, in place.

    PyTorch has two bias vectors per layer and the gate sees their sum, so ``b_if = value`` and
    ``b_hf = 0``. The forget block is the second of the four ``(i, f, g, o)`` blocks of size ``H``.
    """
    if not isinstance(lstm, nn.LSTM):
        raise TypeError(f"set_forget_bias needs an nn.LSTM; got {type(lstm).__name__}")
    H = lstm.hidden_size
    for name, b in lstm.named_parameters():
        if name.startswith("bias_ih"):
            b[H:2 * H] = value
        elif name.startswith("bias_hh"):
            b[H:2 * H] = 0.0


def gradient_vs_lag(layer: nn.RNNBase, T: int, n_samples: int = 32, seed: int = 0) -> np.ndarray:
    """How strongly the last hidden state depends on earlier inputs: ``g[k]`` for lags ``k = 0 .. T-1``.

    ``g[k]`` is the mean over ``n_samples`` standard-normal input sequences of
    ``|| d(sum_j h_{T,j}) / d x_{T-k} ||``, the gradient norm that backpropagation carries ``k`` steps
    back in time. ``layer`` must be one-layer, one-direction, ``batch_first=True``; it is not changed.
    Returns ``(T,)`` float64.
    """
    if not layer.batch_first or layer.num_layers != 1 or layer.bidirectional:
        raise ValueError("gradient_vs_lag needs a one-layer, one-direction layer built with batch_first=True")
    device = next(layer.parameters()).device
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n_samples, T, layer.input_size, generator=generator).to(device).requires_grad_(True)
    output = layer(x)[0]
    (grad_x,) = torch.autograd.grad(output[:, -1].sum(), x)
    norms = grad_x.norm(dim=-1).mean(dim=0)  # (T,), index t is time step t
    return norms.flip(0).double().cpu().numpy()  # index k is lag T-1-t


class AddingRegressor(nn.Module):
    """Many-to-one model for the adding problem: a recurrent layer, then a linear read-out of ``h_T``.

    ``forward`` maps ``x (N, T, 2)`` to predictions ``(N,)``.
    """

    def __init__(self, cell: str, hidden_size: int, forget_bias: float | None = None):
        super().__init__()
        self.cell = cell
        self.rnn = recurrent_layer(cell, 2, hidden_size, batch_first=True)
        if forget_bias is not None and cell == "lstm":
            set_forget_bias(self.rnn, forget_bias)
        self.readout = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        output = self.rnn(x)[0]  # (N, T, H)
        return self.readout(output[:, -1]).squeeze(-1)


@dataclass
class TrainResult:
    """What :func:`train_adding` measured for one model on one task."""

    cell: str
    T: int
    n_params: int
    losses: list[float] = field(repr=False)  # training MSE at each step taken
    test_mse: float  # MSE on held-out sequences after the last step taken
    steps_to_solve: int | None  # first step whose smoothed training MSE is below the threshold
    seconds_per_step: float  # wall time of one optimisation step (forward, backward, update)

    @property
    def solved(self) -> bool:
        return self.steps_to_solve is not None


def steps_to_solve(losses: list[float], threshold: float, window: int = 20) -> int | None:
    """First step (1-based) at which the mean of the last ``window`` losses is below ``threshold``; else ``None``."""
    if len(losses) < window:
        return None
    smoothed = np.convolve(losses, np.ones(window) / window, mode="valid")  # smoothed[k] ends at step k + window
    below = np.flatnonzero(smoothed < threshold)
    return int(below[0]) + window if below.size else None


def train_adding(
    cell: str,
    T: int,
    *,
    hidden_size: int = 32,
    steps: int = 500,
    batch_size: int = 64,
    lr: float = 1e-2,
    clip: float = 1.0,
    forget_bias: float | None = 1.0,
    solve_threshold: float = 0.01,
    n_test: int = 1000,
    stop_when_solved: bool = False,
    seed: int = 0,
    device: torch.device | None = None,
) -> TrainResult:
    """Train an :class:`AddingRegressor` on fresh adding-problem batches with Adam and gradient clipping.

    Every cell gets the same data (drawn from ``seed``), the same initialisation seed, the same number of
    ``steps`` and the same optimiser settings; ``forget_bias`` only applies to the LSTM. The task is
    solved when the training MSE, smoothed over 20 steps, falls below ``solve_threshold`` (the trivial
    baseline is 1/6); with ``stop_when_solved`` training ends there, so ``steps`` is a budget, not a
    length. Data lie in ``(steps * batch_size, T, 2)`` tensors made up front, so the measured time per
    step is the model's alone.
    """
    device = default_device() if device is None else device
    torch.manual_seed(seed)
    model = AddingRegressor(cell, hidden_size, forget_bias).to(device)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr)
    x, y = (torch.from_numpy(a).to(device) for a in adding_problem(steps * batch_size, T, seed=seed))
    x_test, y_test = (torch.from_numpy(a).to(device) for a in adding_problem(n_test, T, seed=seed + 10_000))

    losses = []
    start = time.perf_counter()
    for step in range(steps):
        batch = slice(step * batch_size, (step + 1) * batch_size)
        loss = nn.functional.mse_loss(model(x[batch]), y[batch])
        optimiser.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), clip)
        optimiser.step()
        losses.append(loss.item())  # .item() waits for the device, so the timing is honest on a GPU too
        if stop_when_solved and steps_to_solve(losses[-SOLVE_WINDOW:], solve_threshold, SOLVE_WINDOW):
            break
    seconds_per_step = (time.perf_counter() - start) / len(losses)

    with torch.no_grad():
        test_mse = nn.functional.mse_loss(model(x_test), y_test).item()
    return TrainResult(
        cell=cell,
        T=T,
        n_params=count_parameters(model),
        losses=losses,
        test_mse=test_mse,
        steps_to_solve=steps_to_solve(losses, solve_threshold, SOLVE_WINDOW),
        seconds_per_step=seconds_per_step,
    )
