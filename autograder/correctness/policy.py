"""What each part of an assignment may use, in one place: both grading paths read these rules.

* The ``autograder`` command enforces a rule by what the student's process *can reach*
  (:mod:`autograder.running.sandbox`): a :data:`Rule.NUMPY_ONLY` part runs in a sandbox whose
  filesystem holds the interpreter, the standard library and NumPy, and nothing else, so ``torch``,
  ``seqmodels`` and ``autograder`` cannot be imported there at all.
* Stock ``nbgrader autograde`` runs hidden test cells in the student's own kernel, where nothing can
  be enforced; :mod:`autograder.checks` scans the student's functions for the same forbidden modules
  (:data:`STOCK_FORBIDDEN`) as a courtesy, and the command flags every score it disagrees with.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from autograder.messages import t


class Rule(enum.Enum):
    """What the notebook allows for one graded part."""

    NUMPY_ONLY = "numpy-only"  # NumPy and the standard library, nothing else
    OWN_RECURRENCE = "own-recurrence"  # torch tensor operations; the recurrence itself must be the student's
    ANY = "any"  # whatever the notebook's setup offers (answer variables, a trained model)


class Sandbox(enum.Enum):
    """The two filesystem views student code runs in."""

    NUMPY = "numpy"  # interpreter, standard library, numpy
    TORCH = "torch"  # the same plus torch and what torch needs


class _RuleText(Mapping):
    """Each rule in words, in the current language (``rule.<value>`` in :mod:`autograder.messages`)."""

    def __getitem__(self, rule: Rule) -> str:
        return "" if rule is Rule.ANY else t(f"rule.{Rule(rule).value}")

    def __iter__(self):
        return iter(Rule)

    def __len__(self) -> int:
        return len(Rule)


RULE_TEXT: Mapping[Rule, str] = _RuleText()


def sandboxes(rule: Rule, needs_torch: bool) -> tuple[Sandbox, ...]:
    """Where a part is decided, in order: it counts where it first passes.

    A part with no rule is tried in the NumPy sandbox first (fast), then where torch exists, so that an
    answer computed with a torch self-check never costs the student anything."""
    if rule is Rule.NUMPY_ONLY:
        return (Sandbox.NUMPY,)
    if needs_torch or rule is Rule.OWN_RECURRENCE:
        return (Sandbox.TORCH,)
    return (Sandbox.NUMPY, Sandbox.TORCH)


# Modules never to be found inside a sandbox: the course's reference code and the grader.
COURSE_SECRETS = ("seqmodels", "autograder")

# What the notebooks' *locked* cells take from seqmodels. Inside a sandbox these names come from a small
# stand-in package holding only their source (code the book shows), never the reference implementations.
LOCKED_CELL_KIT: dict[str, tuple[str, ...] | None] = {  # module -> functions copied with the module's imports,
    "seqmodels.data": None,  # or None: the whole module (the data generators, the course grammar)
    "seqmodels.bptt": ("numerical_gradient",),  # not rnn_bptt, the reference BPTT beside it
    "seqmodels.torchutil": ("default_device",),
}
KIT_TOP_LEVEL = ("course_corpus", "numerical_gradient")  # what the stand-in package exports at its top

# The stock path (hidden cells in the student's kernel): what its courtesy scan reports, per rule.
STOCK_FORBIDDEN = {
    Rule.NUMPY_ONLY: ("torch", "seqmodels", "autograder", "tensorflow", "jax", "keras"),
    Rule.OWN_RECURRENCE: COURSE_SECRETS,
    Rule.ANY: (),
}
TORCH_RNN_NAMES = frozenset({"RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "RNNBase", "RNNCellBase",
                             "_VF", "gru", "lstm", "rnn_tanh", "gru_cell", "lstm_cell", "rnn_tanh_cell"})
DYNAMIC_NAMES = frozenset({"__import__", "eval", "exec", "compile", "importlib"})
