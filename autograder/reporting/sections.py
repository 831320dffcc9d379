"""Where the book explains the right way, for every named mistake of the variants catalogue.

Keyed by the variant names of :mod:`autograder.correctness.variants` (read there at run time, never copied);
``tests/test_report.py`` checks that every variant of the catalogue has a section here and that every
section's anchor exists in the built site. Anchors are the ids Jupyter Book gives a chapter's ``##``
headings (the heading text, lower-cased, with every run of other characters turned into one ``-``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class BookSection:
    """A section of the built site: ``book/<page>.html#<anchor>``."""

    page: str  # e.g. "05_lstm"
    anchor: str  # e.g. "pytorch-s-weight-layout"

    @property
    def path(self) -> str:
        """The section relative to the site's root."""
        return f"book/{self.page}.html#{self.anchor}"


_LSTM_LAYOUT = BookSection("05_lstm", "pytorch-s-weight-layout")
_LSTM_GATES = BookSection("05_lstm", "the-gates")
_GRU_CONVENTIONS = BookSection("06_gru", "two-conventions-for-one-cell")
_GRU_PARAMETERS = BookSection("06_gru", "parameters-three-blocks-against-four")
_RNN_EQUATIONS = BookSection("02_rnn", "two-equations")
_SHAPES = BookSection("07_pytorch_api", "shapes-and-what-batch-first-changes")

SECTIONS: dict[str, BookSection] = {
    "lstm_gates_ifog": _LSTM_LAYOUT,
    "lstm_gates_igfo": _LSTM_LAYOUT,
    "lstm_gates_fiog": _LSTM_LAYOUT,
    "lstm_no_b_hh": _LSTM_LAYOUT,
    "lstm_no_tanh_on_c": _LSTM_GATES,
    "lstm_h_c_swapped": _LSTM_GATES,
    "gru_chung": _GRU_CONVENTIONS,
    "gru_z_swapped": _GRU_CONVENTIONS,
    "gru_reset_before": _GRU_CONVENTIONS,
    "gru_reset_after_ignored": _GRU_CONVENTIONS,
    "gru_no_b_hn": _GRU_CONVENTIONS,
    "gru_b_hn_outside": _GRU_CONVENTIONS,
    "gru_gates_zrn": _GRU_PARAMETERS,
    "gru_no_b_hh": _GRU_PARAMETERS,
    "rnn_no_tanh": _RNN_EQUATIONS,
    "rnn_no_b_hh": _RNN_EQUATIONS,
    "ignore_batch_first": _SHAPES,
    "output_time_major": _SHAPES,
    "h_n_batch_first": _SHAPES,
    "h_n_last_sample": _SHAPES,
    "ignore_initial_state": _SHAPES,
    "ce_sum_not_mean": BookSection("04_char_lm", "logits-softmax-cross-entropy-perplexity"),
    "temperature_multiplied": BookSection("04_char_lm", "sampling-feeding-predictions-back"),
}


def site_base(course_root: Path, report_dir: Path) -> str:
    """The course's built site (``<course>/_build/html``) as a link relative to the report's folder, so the
    links work offline wherever the course is; ``--book-url`` replaces it with the published site."""
    return Path(os.path.relpath(course_root / "_build" / "html", report_dir)).as_posix()


def section_url(variant: str, base: str) -> str | None:
    """The link to the section that explains ``variant``'s right way, or ``None`` when there is none."""
    section = SECTIONS.get(variant)
    return f"{base.rstrip('/')}/{section.path}" if section else None
