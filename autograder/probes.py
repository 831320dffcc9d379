"""Functions run *inside* the student's process, with the student's namespace, returning plain data.

A :class:`~autograder.checks.Call` with ``target="probe:<name>"`` runs ``<name>(namespace, *args,
**kwargs)`` from this module. Probes only gather facts (an answer variable, a trained model's loss,
a module's outputs and gradients); every decision is made by the check's judge in the grader.
Results are plain data: NumPy arrays, Python scalars and strings, tuples/lists/dicts of them.
"""

from __future__ import annotations

import numpy as np


def plain(value: object) -> object:
    """``value`` as plain data: tensors and ``torch.Size`` become arrays and tuples, NumPy scalars Python ones."""
    if hasattr(value, "detach") and hasattr(value, "numpy"):  # a torch tensor
        return value.detach().cpu().numpy()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, tuple) or type(value).__name__ == "Size":
        return tuple(plain(v) for v in value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str | np.ndarray):
        return value
    raise TypeError(f"expected numbers, strings, arrays or tuples/lists/dicts of them; got {type(value).__name__}")


def value(namespace: dict, name: str) -> object:
    """The student's answer variable ``name``, as plain data."""
    if name not in namespace:
        raise NameError(f"{name} is not defined; run the cell that sets it")
    return plain(namespace[name])


def forbidden_uses(namespace: dict, assignment: str, cell_id: str) -> list[str]:
    """The findings of :func:`autograder.checks.forbidden_uses` for one check, in this namespace."""
    from autograder import checks

    return checks.forbidden_uses(checks.get_check(assignment, cell_id), namespace)
