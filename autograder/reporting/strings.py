"""Every user-facing string of the class report, in one place per language.

The report is written in the language of the feedback: English now. Another language is one more
catalogue with the same keys (``tests/test_report.py`` checks that every catalogue has every key and the
same ``{placeholders}``), registered in :data:`CATALOGUES`. Mistake labels complete "N % of students ..."
and are keyed by the variant names of :mod:`autograder.correctness.variants`; a variant without a label
falls back to the catalogue's own description of it.
"""

from __future__ import annotations

from dataclasses import dataclass

EN: dict[str, str] = {
    "title": "{assignment}: class report",
    "generated": "{students} students, {graded} graded; built {when} from the autograder's journal. "
                 "Nothing on this page changes a grade.",
    "nav_label": "Sections of the report",
    "scores": "Scores",
    "score_summary": "Automatic score out of {max:g}: median {median:g}, mean {mean:.1f}; "
                     "{full} of {graded} graded students have full marks.",
    "score_hist_alt": "Histogram of the automatic scores of {graded} graded students, out of {max:g} points",
    "score_axis": "automatic score (out of {max:g})",
    "students_axis": "students",
    "manual_note": "Parts graded by hand ({cells}) are not included.",
    "parts": "Pass rate per part",
    "parts_alt": "Bar chart of the share of graded students passing each auto-graded part",
    "part": "part",
    "points": "points",
    "passed": "passed",
    "pass_rate": "pass rate",
    "pass_axis": "students passing (%)",
    "mistakes": "Named mistakes",
    "mistakes_intro": "Each failing check names the mistake it recognises from the catalogue of known wrong "
                      "variants; a student is counted once per mistake.",
    "mistakes_alt": "Bar chart of how many graded students made each named mistake",
    "mistakes_none": "No failing check matched a known mistake.",
    "mistake": "mistake",
    "students": "students",
    "share": "share",
    "who": "who",
    "read": "where the book explains it",
    "mistake_line": "{percent:.0f} % {label}",
    "flagged": "Flagged for review",
    "flagged_none": "No submission was flagged.",
    "ungraded": "Not graded",
    "ungraded_none": "Every submission was graded.",
    "student": "student",
    "reason": "reason",
    "timing": "Grading time",
    "timing_intro": "Seconds per submission, slowest first ({shown} of {total}); a submission that hit a limit "
                    "is marked.",
    "timing_alt": "Bar chart of the grading time of the {shown} slowest submissions, in seconds",
    "seconds": "seconds",
    "seconds_axis": "seconds",
    "limits": "limits hit",
    "limits_none": "No submission hit a time, memory or output limit.",
    "limit_step_time": "time limit per cell or part",
    "limit_wall_time": "time limit per sandbox run",
    "limit_output": "output limit",
    "limit_process": "process ended (memory or process limit, or exit)",
    "similarity": "Similar code",
    "similarity_intro": "Pairs whose own code (solution cells, the released starter code removed) overlaps by at "
                        "least {threshold:.0f} %, measured by copydetect; students with identical code are listed "
                        "together, other pairs are shown side by side with the shared fragments highlighted. "
                        "Similar code is a reason to look, not a finding: short exercises have few good "
                        "solutions. This never changes a grade.",
    "similarity_none": "No pair of students reached {threshold:.0f} % similarity.",
    "similarity_groups": "Groups of students linked by similar code: {count}.",
    "similarity_identical": "Identical code ({count} students): {students}.",
    "similarity_more": "{more} more pairs of different texts are listed in the JSON file beside this page.",
    "similarity_off": "Similarity was not computed (--no-similarity).",
    "pair_heading": "{a} and {b}: {percent:.0f} % similar",
    "pair_share": "{percent:.0f} % of {student}'s code is in the other's",
    "exports": "Files",
    "export_json": "the same numbers, machine-readable",
    "export_canvas": "grades for Canvas' gradebook import",
    "export_csv": "the autograder's grades CSV",
    "none": "none",
    "cli_pointer": "Class report (score distribution, named mistakes, similar code, Canvas CSV): "
                   "autograder report {assignment}",
    "cli_written": "Class report: {html}\nNumbers: {json}\nCanvas gradebook CSV: {canvas}\nBuilt in {seconds:.1f} s.",
    "journal_unreadable": "{count} line(s) of the journal could not be read; re-run the autograder for those "
                          "students.",
    "not_in_journal": "graded in the last run but not stored (re-run the autograder): {review}",
}

MISTAKES_EN: dict[str, str] = {
    "lstm_gates_ifog": "stacked the gates i, f, o, g",
    "lstm_gates_igfo": "stacked the gates i, g, f, o",
    "lstm_gates_fiog": "stacked the gates f, i, g, o",
    "lstm_no_tanh_on_c": "left out the tanh on the cell state",
    "lstm_h_c_swapped": "returned (c, h) instead of (h, c)",
    "lstm_no_b_hh": "left out the LSTM's b_hh",
    "gru_chung": "wrote the lecture notes' GRU",
    "gru_z_swapped": "swapped z and 1 - z in the GRU",
    "gru_reset_before": "applied the GRU's reset gate before the matmul",
    "gru_no_b_hn": "dropped the GRU's b_hn",
    "gru_b_hn_outside": "added b_hn outside the reset gate",
    "gru_gates_zrn": "read the GRU's blocks as z, r, n",
    "gru_no_b_hh": "left out the GRU's b_hh",
    "gru_reset_after_ignored": "ignored reset_after=False",
    "rnn_no_tanh": "left out the RNN's tanh",
    "rnn_no_b_hh": "left out the RNN's b_hh",
    "ignore_batch_first": "ignored batch_first",
    "output_time_major": "left the output time-major under batch_first",
    "h_n_batch_first": "returned h_n as (N, 1, H)",
    "h_n_last_sample": "took h_n from output[-1:] of the batch-first output",
    "ignore_initial_state": "ignored the initial state",
    "ce_sum_not_mean": "summed the cross-entropy instead of averaging it",
    "temperature_multiplied": "multiplied the logits by the temperature",
}

CATALOGUES: dict[str, tuple[dict[str, str], dict[str, str]]] = {"en": (EN, MISTAKES_EN)}


@dataclass(frozen=True)
class Strings:
    """The strings of one language: ``s("key", name=value)`` formats one, ``s.mistake(variant)`` labels one."""

    lang: str
    text: dict[str, str]
    mistakes: dict[str, str]

    def __call__(self, key: str, **values: object) -> str:
        return self.text[key].format(**values)

    def mistake(self, variant: str, fallback: str | None = None) -> str:
        """The label of a named mistake, else ``fallback`` (the catalogue's text), else the variant's name."""
        return self.mistakes.get(variant) or fallback or variant


def strings(lang: str = "en") -> Strings:
    """The catalogue for ``lang``; ``KeyError`` names the languages there are."""
    if lang not in CATALOGUES:
        raise KeyError(f"no report strings for {lang!r}; there are: {', '.join(sorted(CATALOGUES))}")
    text, mistakes = CATALOGUES[lang]
    return Strings(lang, text, mistakes)
