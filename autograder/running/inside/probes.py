"""Functions run *inside* the student's process, with the student's namespace, returning plain data.

A :class:`~autograder.correctness.cases.Call` with ``target="probe:<name>"`` runs ``<name>(namespace, *args,
**kwargs)`` from this module. Probes only gather facts (an answer variable, a trained model's predictions,
a module's outputs and gradients); every decision is made by the check's judge in the grader.
Results are plain data: NumPy arrays, Python scalars and strings, tuples/lists/dicts of them.
"""

from __future__ import annotations

import numpy as np


def value(namespace: dict, name: str) -> object:
    """The student's answer variable ``name`` (the runner turns it into plain data)."""
    if name not in namespace:
        raise NameError(f"{name} is not defined; run the cell that sets it")
    return namespace[name]


def gru_module(namespace: dict, class_name: str, I: int, H: int, batch_first: bool, reset_after: bool,
               state_dict: dict, x: np.ndarray, h0: np.ndarray, d_output: np.ndarray | None,
               d_h_n: np.ndarray | None) -> dict:
    """Build the student's ``class_name(I, H, batch_first=..., reset_after=...)``, load ``torch.nn.GRU``'s
    ``state_dict`` into it, and return its outputs (and gradients, given upstream gradients) as arrays."""
    import torch

    if class_name not in namespace:
        raise NameError(f"{class_name} is not defined; run the cell that defines the class")
    module = namespace[class_name](I, H, batch_first=batch_first, reset_after=reset_after)
    module = module.to(torch.from_numpy(x).dtype)
    module.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict.items()})
    return module_outputs_and_grads(module, x, h0, d_output, d_h_n)


def module_outputs_and_grads(module, x, h0, d_output, d_h_n) -> dict:
    """Run a recurrent ``module`` on ``x, h0``; with upstream gradients, backpropagate
    ``sum(output * d_output) + sum(h_n * d_h_n)``. Returns ``{"output", "h_n", "grads"}`` as arrays, ``grads``
    keyed by parameter name plus ``"x"`` and ``"h0"`` (``None`` where no gradient arrived)."""
    import torch

    x_t = torch.from_numpy(x).requires_grad_(d_output is not None)
    h0_t = torch.from_numpy(h0).requires_grad_(d_output is not None)
    with torch.set_grad_enabled(d_output is not None):
        output, h_n = module(x_t, h0_t)
    result = {"output": output.detach().numpy(), "h_n": h_n.detach().numpy(), "grads": {}}
    if d_output is not None:
        ((output * torch.from_numpy(d_output)).sum() + (h_n * torch.from_numpy(d_h_n)).sum()).backward()
        grads = {name: p.grad for name, p in module.named_parameters()}
        grads.update(x=x_t.grad, h0=h0_t.grad)
        result["grads"] = {k: None if g is None else g.detach().numpy() for k, g in grads.items()}
    return result


def sample_counts(namespace: dict, logits: np.ndarray, temperature: float, n: int, seed: int) -> np.ndarray:
    """How often each index comes out of ``n`` calls of the student's ``sample(logits, temperature, rng)``."""
    sample = namespace["sample"]
    rng = np.random.default_rng(seed)
    counts = np.zeros(len(logits), dtype=np.int64)
    for _ in range(n):
        index = sample(logits.copy(), temperature, rng)
        if not isinstance(index, int | np.integer) or not 0 <= index < len(logits):
            raise ValueError(f"sample returned {index!r}; expected an int index in range({len(logits)})")
        counts[index] += 1
    return counts


def char_lm_next(namespace: dict, ids: np.ndarray) -> np.ndarray:
    """The student's trained ``model``'s logits for the character that follows ``ids``.

    ``ids``: ``(T,)`` ints, character ids in the notebook's ``vocab``. Runs ``model(x)`` on ``x = ids[None]``,
    a LongTensor ``(1, T)`` on the model's device, in eval mode without gradients; the notebook's contract
    is logits ``(1, T, V)``. Returns the last position's logits, ``(V,)`` float64.
    """
    import torch

    model = namespace["model"]
    device = next((p.device for p in model.parameters()), torch.device("cpu"))
    x = torch.as_tensor(ids, dtype=torch.long, device=device)[None]
    model.eval()
    with torch.no_grad():
        logits = model(x)
    if not isinstance(logits, torch.Tensor) or logits.dim() != 3 or tuple(logits.shape[:2]) != (1, len(ids)):
        got = f"shape {tuple(logits.shape)}" if isinstance(logits, torch.Tensor) else f"a {type(logits).__name__}"
        raise ValueError(f"model(x) for x of shape (1, {len(ids)}) returned {got}; expected logits (1, {len(ids)}, V)")
    return logits[0, -1].double().cpu().numpy()
