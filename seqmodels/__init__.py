"""``seqmodels``: the reference library of the course *Sequence Models*.

NumPy forward passes with PyTorch's exact semantics (:mod:`seqmodels.recurrent`), BPTT for the
vanilla RNN (:mod:`seqmodels.bptt`), seeded data generators (:mod:`seqmodels.data`) and the book's
plot style (:mod:`seqmodels.plotting`), n-gram and AR(tau) models (:mod:`seqmodels.ngram`), Jacobian
products and gradient clipping (:mod:`seqmodels.gradients`). The PyTorch bridge lives in
:mod:`seqmodels.torchutil`, the character language model in :mod:`seqmodels.charlm`, the RNN/LSTM/GRU
comparison on long-memory tasks in :mod:`seqmodels.memory_tasks` (and its seeds-and-learning-rates sweep in
:mod:`seqmodels.comparison`), the GRU conventions of the literature in :mod:`seqmodels.conventions` and
variable-length batch helpers in :mod:`seqmodels.batching`, all imported on demand so that NumPy-only users
do not pay for ``import torch``.
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
from seqmodels.gradients import clip_by_global_norm, jacobian_norms, matrix_with_spectral_radius
from seqmodels.ngram import NGramModel, ar_forecast_errors, fit_ar
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
    "NGramModel",
    "ProbabilisticGrammar",
    "Rule",
    "adding_problem",
    "ar_forecast_errors",
    "ar_series",
    "clip_by_global_norm",
    "copy_task",
    "course_corpus",
    "course_grammar",
    "fit_ar",
    "gru_cell",
    "gru_layer",
    "init_params",
    "jacobian_norms",
    "load_text",
    "lstm_cell",
    "lstm_layer",
    "matrix_with_spectral_radius",
    "noisy_periodic",
    "numerical_gradient",
    "rnn_bptt",
    "rnn_cell",
    "rnn_layer",
    "sigmoid",
]
