"""``seqmodels``: the reference library of the course *Sequence Models*.

NumPy forward passes with PyTorch's exact semantics (:mod:`seqmodels.recurrent`), BPTT for the
vanilla RNN (:mod:`seqmodels.bptt`), seeded data generators (:mod:`seqmodels.data`) and the book's
plot style (:mod:`seqmodels.plotting`). The PyTorch bridge lives in :mod:`seqmodels.torchutil`,
imported on demand so that NumPy-only users do not pay for ``import torch``.
"""

from seqmodels.bptt import numerical_gradient, rnn_bptt
from seqmodels.data import (
    ProbabilisticGrammar,
    Rule,
    adding_problem,
    ar_series,
    copy_task,
    course_corpus,
    course_grammar,
    load_text,
    noisy_periodic,
)
from seqmodels.recurrent import (
    gru_cell,
    gru_layer,
    init_params,
    lstm_cell,
    lstm_layer,
    rnn_cell,
    rnn_layer,
    sigmoid,
)

__all__ = [
    "ProbabilisticGrammar",
    "Rule",
    "adding_problem",
    "ar_series",
    "copy_task",
    "course_corpus",
    "course_grammar",
    "gru_cell",
    "gru_layer",
    "init_params",
    "load_text",
    "lstm_cell",
    "lstm_layer",
    "noisy_periodic",
    "numerical_gradient",
    "rnn_bptt",
    "rnn_cell",
    "rnn_layer",
    "sigmoid",
]
