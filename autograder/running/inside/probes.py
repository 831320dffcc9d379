"""Functions run *inside* the student's process, with the student's namespace, returning plain data.

A :class:`~autograder.correctness.cases.Call` with ``target="probe:<name>"`` runs ``<name>(namespace, *args,
**kwargs)`` from this module. Probes only gather facts (an answer variable, a trained model's loss,
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


def char_lm_loss(namespace: dict, text: str, cuts: tuple[int, ...], distance: int) -> dict:
    """What the student's trained ``model`` does on held-out ``text``; the judge decides.

    The contract: ``model(x)`` maps a LongTensor ``(N, T)`` of ids in the notebook's ``vocab`` to logits
    ``(N, T, V)``, the logits at step ``t`` predicting character ``t + 1``. Returns

    * ``"loss"``: the mean cross-entropy (nats/char) of predicting each next character of ``text``;
    * ``"future_change"``: the largest change of a logit at a step ``<= t`` when the characters after
      ``t`` change, over ``t`` in ``cuts`` (0 for a causal model);
    * ``"memory_change"``: the largest change of the last step's logits when only characters at least
      ``distance`` steps earlier change (0 for a model that sees a window shorter than ``distance``).
    """
    import torch

    model, vocab = namespace["model"], namespace["vocab"]
    stoi = {ch: i for i, ch in enumerate(vocab)}
    unknown = sorted(set(text) - set(stoi))
    if unknown:
        raise ValueError(f"the held-out text has characters not in vocab: {unknown}")
    device = next(model.parameters()).device
    ids = torch.tensor([stoi[ch] for ch in text], device=device)
    model.eval()
    with torch.no_grad():
        logits = model(ids[None, :-1])
        loss = torch.nn.functional.cross_entropy(logits[0].float(), ids[1:])
        future = max(_future_change(model, ids[:-1], logits[0], t, len(vocab)) for t in cuts)
        memory = _memory_change(model, ids, distance, len(vocab))
    return {"loss": float(loss), "future_change": future, "memory_change": memory}


def _future_change(model, ids, logits, t: int, V: int) -> float:
    """The largest change of ``logits`` ``(T, V)`` at steps ``<= t`` when every id after ``t`` is replaced."""
    changed = ids.clone()
    changed[t + 1:] = (changed[t + 1:] + 1) % V
    return float((model(changed[None])[0, :t + 1] - logits[:t + 1]).abs().max())


def _memory_change(model, ids, distance: int, V: int, beginnings: int = 4) -> float:
    """The largest change of the last logits between sequences that differ only ``distance`` or more steps
    before the end: each of the first ``beginnings`` stretches of ``distance // 2`` characters of ``ids``,
    then ``distance`` repetitions of one character; the largest over every character of the vocabulary.

    A repeated character keeps a trained recurrent state away from the resets it learned at sentence
    ends, so the beginning stays visible; a fixed window of fewer than ``distance`` characters sees the
    same input after every beginning."""
    import torch

    half = distance // 2
    starts = ids[:beginnings * half].reshape(beginnings, half)
    rows = [torch.cat([start, torch.full((distance,), c, device=ids.device)]) for c in range(V) for start in starts]
    last = model(torch.stack(rows))[:, -1].reshape(V, beginnings, -1)  # (repeated character, beginning, logit)
    return float((last.amax(dim=1) - last.amin(dim=1)).max())
