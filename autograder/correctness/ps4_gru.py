"""The checks of ps4_gru: the NumPy GRU cell and layer, MyGRU as an nn.Module, the two GRU conventions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from autograder.correctness.answers import answer_cases, judge_answer
from autograder.correctness.cases import Call, Case, Check, Feedback, compare, matching_variant
from autograder.correctness.policy import Rule
from autograder.correctness.recurrent import draw_params, recurrent_checks
from autograder.messages import t

# ---------------------------------------------------------------- ps4_gru: an nn.Module GRU from scratch
#
# MyGRU(input_size, hidden_size, batch_first=False, reset_after=True) must compute both placements of the
# reset gate. torch has a layer only for reset_after=True, so a module that hands its work to torch's GRU
# (nn.GRU, torch.gru, torch._VF.gru, torch.ops.aten.gru) fails every reset_after=False case: every module
# check has cases with both values.

GRU_PARAM_NAMES = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
MODULE_SHAPES = [(1, 1, 1, 1), (4, 3, 2, 5), (6, 2, 3, 3), (3, 4, 5, 2), (5, 3, 3, 4)]  # (T, N, I, H)


def gru_recurrence(x, h0, W_ih, W_hh, b_ih, b_hh, batch_first: bool, reset_after: bool):
    """A one-layer GRU in torch tensor operations, PyTorch's gates ``r, z, n`` and update rule.

    ``reset_after=True``: ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))`` (``torch.nn.GRU``);
    ``reset_after=False``: ``n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)`` (the lecture notes).
    Then ``h' = (1 - z) * n + z * h``. Shapes: ``x (T, N, I)`` or ``(N, T, I)`` with ``batch_first``,
    ``h0 (1, N, H)``, ``W_ih (3H, I)``, ``W_hh (3H, H)``, biases ``(3H,)``. Returns ``(output, h_n)``:
    ``output (T, N, H)`` or ``(N, T, H)``, ``h_n (1, N, H)``.
    """
    import torch

    W_hr, W_hz, W_hn = W_hh.chunk(3)
    b_hr, b_hz, b_hn = b_hh.chunk(3)
    h = h0[0]
    outputs = []
    for x_t in x.transpose(0, 1) if batch_first else x:  # time-major steps
        x_r, x_z, x_n = (x_t @ W_ih.T + b_ih).chunk(3, dim=1)
        r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
        n = torch.tanh(x_n + (r * (h @ W_hn.T + b_hn) if reset_after else (r * h) @ W_hn.T + b_hn))
        h = (1 - z) * n + z * h
        outputs.append(h)
    output = torch.stack(outputs)
    return output.transpose(0, 1) if batch_first else output, h[None]


@dataclass(frozen=True)
class ResetBeforeGRU:
    """What ``MyGRU(..., reset_after=False)`` must be: ``torch.nn.GRU``'s parameters (``params``, tensors
    that require gradients, keyed by :data:`GRU_PARAM_NAMES`) run by :func:`gru_recurrence` with the
    reset gate before the matmul. Called like a module: ``(x, h0) -> (output, h_n)``."""

    params: dict
    batch_first: bool

    def named_parameters(self):
        return iter(self.params.items())

    def __call__(self, x, h0):
        return gru_recurrence(x, h0, *(self.params[name] for name in GRU_PARAM_NAMES),
                              batch_first=self.batch_first, reset_after=False)


def reference_gru_module(I: int, H: int, batch_first: bool, reset_after: bool, state_dict: dict, x, h0,
                         d_output=None, d_h_n=None) -> dict:
    """What ``probes.gru_module`` must return: outputs and, given upstream gradients, the gradients of every
    parameter and of ``x`` and ``h0``; from ``torch.nn.GRU`` for ``reset_after=True``, else :class:`ResetBeforeGRU`."""
    import torch

    from autograder.running.inside.probes import module_outputs_and_grads

    if reset_after:
        module = torch.nn.GRU(I, H, batch_first=batch_first).to(torch.from_numpy(x).dtype)
        module.load_state_dict({k: torch.from_numpy(v) for k, v in state_dict.items()})
    else:
        module = ResetBeforeGRU({k: torch.from_numpy(v).requires_grad_() for k, v in state_dict.items()},
                                batch_first)
    return module_outputs_and_grads(module, x, h0, d_output, d_h_n)


def module_case(args: tuple, kind: str = "") -> Case:
    """A call of ``probes.gru_module`` on the student's ``MyGRU`` with ``args`` (those of
    :func:`reference_gru_module`, which gives the expected result), labelled ``kind`` (e.g. ``"visible"``)
    then the sizes, dtype, ``batch_first`` and ``reset_after``."""
    I, H, batch_first, reset_after, state_dict, x = args[:6]
    T, N = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    label = f"T={T} N={N} I={I} H={H} {x.dtype} batch_first={batch_first} reset_after={reset_after}"
    return Case(Call("probe:gru_module", ("MyGRU", *args)), reference_gru_module(*args),
                f"{kind} {label}" if kind else label)


def gru_module_cases(rng: np.random.Generator, backward: bool) -> list[Case]:
    """Random GRU parameters loaded into the student's module, both ``batch_first`` and ``reset_after`` values."""
    cases = []
    for (T, N, I, H) in MODULE_SHAPES:
        for batch_first in (False, True):
            for reset_after in (True, False):
                params = draw_params(3, I, H, rng, np.float64)
                state_dict = dict(zip(GRU_PARAM_NAMES, params.values(), strict=True))
                x = rng.standard_normal((N, T, I) if batch_first else (T, N, I))
                h0 = rng.standard_normal((1, N, H))
                d_output = rng.standard_normal(x.shape[:2] + (H,)) if backward else None
                d_h_n = rng.standard_normal((1, N, H)) if backward else None
                cases.append(module_case((I, H, batch_first, reset_after, state_dict, x, h0, d_output, d_h_n)))
    return cases


def gru_module_visible_cases(rng: np.random.Generator) -> list[Case]:
    """The notebook's visible test (``torch.manual_seed(0)``, ``nn.GRU(2, 4)``, ``x = randn(5, 3, 2)``,
    ``h0 = randn(1, 3, 4)``, in that order), plus the same sizes from a seed drawn from ``rng``; each
    with both ``reset_after`` values."""
    import torch

    cases = []
    for seed, kind in [(0, "visible"), (int(rng.integers(1, 2**31)), "fresh values, visible sizes")]:
        torch.manual_seed(seed)
        reference = torch.nn.GRU(2, 4)
        x, h0 = torch.randn(5, 3, 2), torch.randn(1, 3, 4)
        state_dict = {k: v.detach().numpy().copy() for k, v in reference.state_dict().items()}
        for reset_after in (True, False):
            cases.append(module_case((2, 4, False, reset_after, state_dict, x.numpy(), h0.numpy(), None, None), kind))
    return cases


def module_layer_case(case: Case) -> Case:
    """The NumPy layer call that ``MyGRU`` must equal on a ``probe:gru_module`` case: ``gru_layer`` for
    ``reset_after=True``, ``gru_reset_before_layer`` for ``False``; its known wrong variants name mistakes."""
    batch_first, reset_after, state_dict, x, h0 = case.call.args[3:8]
    target = "gru_layer" if reset_after else "gru_reset_before_layer"
    params = [state_dict[name] for name in GRU_PARAM_NAMES]
    return Case(Call(target, (x, h0, *params), {"batch_first": batch_first}),
                (case.expected["output"], case.expected["h_n"]), case.label)


def _judge_module_forward(case: Case, result: dict) -> Feedback | None:
    if not isinstance(result, dict) or not {"output", "h_n"} <= set(result):
        return Feedback(t("gru.could_not_run", label=case.label, type=type(result).__name__))
    exp = case.expected
    problem = compare((result["output"], result["h_n"]), (exp["output"], exp["h_n"]), ("output", "h_n"))
    if problem is None:
        return None
    match = matching_variant(module_layer_case(case), (result["output"], result["h_n"]), ("output", "h_n"))
    text = t("gru.forward", label=case.label, problem=problem)
    return Feedback(t("gru.computes", text=text, mistake=match[1]), match[0]) if match else Feedback(text)


def judge_gru_module_forward(case: Case, result: object) -> str | None:
    return _judge_module_forward(case, result)


def judge_gru_module_backward(case: Case, result: object) -> str | None:
    forward = _judge_module_forward(case, result)
    if forward is not None:
        return Feedback(t("gru.backward_after_forward", forward=forward), forward.variant)
    got = result.get("grads") or {}
    wrong = []
    for name, expected in case.expected["grads"].items():
        if got.get(name) is None:
            wrong.append(t("gru.no_gradient", name=name))
            continue
        problem = compare(got[name], expected, t("gru.gradient_of", name=name))
        if problem:
            wrong.append(problem)
    if not wrong:
        return None
    return Feedback(t("gru.backward", label=case.label, problems="; ".join(wrong)))


# ---------------------------------------------------------------- ps4_gru: the two GRU conventions


def flip_update_cases(rng: np.random.Generator) -> list[Case]:
    """Parameters for Chung et al.'s update rule -> the PyTorch parameters with the same h_t (the z block negated)."""
    from seqmodels.conventions import flip_update_gate

    cases = []
    for I, H in [(1, 1), (2, 3), (4, 2)]:
        params = draw_params(3, I, H, rng, np.float64)
        cases.append(Case(Call("chung_update_to_pytorch", tuple(params.values())), flip_update_gate(*params.values()),
                          f"I={I} H={H}"))
    return cases


def judge_flip_update(case: Case, result: object) -> str | None:
    problem = compare(result, case.expected, ("W_ih", "W_hh", "b_ih", "b_hh"))
    if problem is None:
        return None
    text = t("flip.wrong", label=case.label, problem=problem)
    if isinstance(result, tuple | list) and len(result) == 4:
        H = case.call.args[1].shape[1]
        if all(np.shape(r) == np.shape(e) for r, e in zip(result, case.expected, strict=True)):
            untouched = [np.allclose(np.asarray(r)[H:2 * H], np.asarray(a)[H:2 * H])
                         for r, a in zip(result, case.call.args, strict=True)]
            if all(untouched):
                text = t("flip.z_hint", text=text)
    return text


CHECKS: list[Check] = recurrent_checks("ps4_gru", "gru", {
    "gru_cell_visible": 1, "gru_cell_hidden": 2, "gru_layer_visible": 1,
    "gru_layer_time_major": 2, "gru_layer_batch_first": 2,
}) + [
    Check("ps4_gru", "gru_module_visible", 1, ("MyGRU",), Rule.OWN_RECURRENCE, gru_module_visible_cases,
          judge_gru_module_forward, needs_torch=True,
          description="MyGRU loads nn.GRU's state_dict and reproduces its outputs (visible sizes), "
                      "both reset_after values"),
    Check("ps4_gru", "gru_module_forward", 2, ("MyGRU",), Rule.OWN_RECURRENCE,
          lambda rng: gru_module_cases(rng, backward=False), judge_gru_module_forward, needs_torch=True,
          description="MyGRU's output and h_n, both batch_first and both reset_after values"),
    Check("ps4_gru", "gru_module_backward", 3, ("MyGRU",), Rule.OWN_RECURRENCE,
          lambda rng: gru_module_cases(rng, backward=True), judge_gru_module_backward, needs_torch=True,
          description="gradients of every parameter, x and h0, both reset_after values"),
    Check("ps4_gru", "chung_update_to_pytorch_hidden", 2, ("chung_update_to_pytorch",), Rule.NUMPY_ONLY,
          flip_update_cases, judge_flip_update,
          description="parameters that turn the notes' (Chung et al.'s) update rule into PyTorch's"),
    Check("ps4_gru", "reset_convertible", 1, ("reset_convertible",), Rule.ANY,
          answer_cases("reset_convertible", False, "can parameters move the reset gate?"),
          judge_answer("answer.reset_convertible"),
          description="can a choice of parameters turn the notes' reset into PyTorch's?"),
]
