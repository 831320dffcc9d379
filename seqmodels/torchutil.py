"""Bridges between the NumPy reference code and ``torch.nn`` recurrent modules."""

from __future__ import annotations

import numpy as np
import torch

PARAM_NAMES = ("W_ih", "W_hh", "b_ih", "b_hh")


def default_device() -> torch.device:
    """``cuda`` when a GPU is present, else ``cpu``: the same code runs on both."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _torch_names(layer: int, reverse: bool) -> tuple[str, ...]:
    suffix = f"_l{layer}" + ("_reverse" if reverse else "")
    return tuple(f"{kind}{suffix}" for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))


def get_params(module: torch.nn.RNNBase, layer: int = 0, reverse: bool = False) -> dict[str, np.ndarray]:
    """Copy one layer's parameters out of ``torch.nn.RNN/LSTM/GRU`` as NumPy arrays.

    Returns ``{"W_ih": (G*H, I), "W_hh": (G*H, H), "b_ih": (G*H,), "b_hh": (G*H,)}`` in the module's
    dtype, gate blocks in PyTorch's order (LSTM ``i, f, g, o``; GRU ``r, z, n``).
    """
    return {
        ours: getattr(module, theirs).detach().cpu().numpy().copy()
        for ours, theirs in zip(PARAM_NAMES, _torch_names(layer, reverse), strict=True)
    }


@torch.no_grad()
def set_params(
    module: torch.nn.RNNBase, params: dict[str, np.ndarray], layer: int = 0, reverse: bool = False
) -> None:
    """Copy ``{"W_ih", "W_hh", "b_ih", "b_hh"}`` NumPy arrays into one layer of ``module``, in place."""
    for ours, theirs in zip(PARAM_NAMES, _torch_names(layer, reverse), strict=True):
        target = getattr(module, theirs)
        value = torch.as_tensor(params[ours], dtype=target.dtype, device=target.device)
        if value.shape != target.shape:
            raise ValueError(f"{ours} has shape {tuple(value.shape)}; {theirs} needs {tuple(target.shape)}")
        target.copy_(value)

