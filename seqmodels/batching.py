"""Variable-length batches for ``torch.nn`` recurrent layers: reading the last valid step.

A batch of sequences of different lengths is padded to the longest one, ``(N, T_max, I)``. A
recurrent layer run over the padded batch keeps stepping through the padding, so ``output[:, -1]``
is the state *after the padding*, not after each sequence's last real element.
"""

from __future__ import annotations

import torch


def last_valid_output(output: torch.Tensor, lengths: torch.Tensor, batch_first: bool = True) -> torch.Tensor:
    """The output at each sequence's last valid step: row ``n`` is ``output[n, lengths[n] - 1]``.

    Shapes: ``output (N, T, D*H)`` (``(T, N, D*H)`` if not ``batch_first``), ``lengths (N,)`` integers in
    ``1 .. T``. Returns ``(N, D*H)``. For a one-direction layer run on a packed batch this equals the
    last layer's ``h_n``; for a bidirectional layer only the forward half means "last step" (the
    backward half at that position has read only one element).
    """
    if not batch_first:
        output = output.transpose(0, 1)
    N, T = output.shape[:2]
    lengths = torch.as_tensor(lengths, device=output.device)
    if lengths.shape != (N,):
        raise ValueError(f"lengths must have shape (N,) = ({N},); got {tuple(lengths.shape)}")
    if lengths.min() < 1 or lengths.max() > T:
        raise ValueError(f"lengths must lie in 1..{T} (the padded length); got {lengths.min()}..{lengths.max()}")
    return output[torch.arange(N, device=output.device), lengths - 1]
