"""Every user-facing string of the class report, in one place per language.

The report is written in the language of the feedback (``autograder report --lang``, default the course's
feedback language): English and Korean. A language is one more catalogue with the same keys, as for the
feedback's own messages in :mod:`autograder.messages` (``tests/test_messages.py`` and ``tests/test_report.py``
check that every catalogue has every key and the same ``{placeholders}``), registered in :data:`CATALOGUES`.
Mistake labels complete "N % of students ..."
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

KO: dict[str, str] = {
    "title": "{assignment}: 반 전체 보고서",
    "generated": "학생 {students}명, 채점 {graded}명. 자동 채점기의 기록으로 {when}에 만들었습니다. "
                 "이 페이지의 어떤 내용도 점수를 바꾸지 않습니다.",
    "nav_label": "보고서 목차",
    "scores": "점수",
    "score_summary": "자동 채점 점수(만점 {max:g}): 중앙값 {median:g}, 평균 {mean:.1f}. "
                     "채점된 학생 {graded}명 중 {full}명이 만점입니다.",
    "score_hist_alt": "채점된 학생 {graded}명의 자동 채점 점수 히스토그램(만점 {max:g}점)",
    "score_axis": "자동 채점 점수(만점 {max:g})",
    "students_axis": "학생 수",
    "manual_note": "직접 채점하는 부분({cells})은 포함되지 않습니다.",
    "parts": "부분별 통과율",
    "parts_alt": "자동 채점 부분마다 통과한 학생 비율을 보여 주는 막대그래프",
    "part": "부분",
    "points": "배점",
    "passed": "통과",
    "pass_rate": "통과율",
    "pass_axis": "통과한 학생(%)",
    "mistakes": "알려진 실수",
    "mistakes_intro": "실패한 채점 항목은 알려진 오답 목록에서 알아본 실수를 알려 줍니다. 학생은 실수마다 한 번씩 "
                      "셉니다.",
    "mistakes_alt": "알려진 실수마다 그 실수를 한 학생 수를 보여 주는 막대그래프",
    "mistakes_none": "실패한 채점 항목 중 알려진 실수와 일치한 것이 없습니다.",
    "mistake": "실수",
    "students": "학생 수",
    "share": "비율",
    "who": "학생",
    "read": "교재의 설명",
    "mistake_line": "{percent:.0f} %: {label}",
    "flagged": "검토 대상",
    "flagged_none": "검토 대상으로 표시된 제출물이 없습니다.",
    "ungraded": "채점되지 않음",
    "ungraded_none": "모든 제출물을 채점했습니다.",
    "student": "학생",
    "reason": "이유",
    "timing": "채점 시간",
    "timing_intro": "제출물당 초, 느린 순서입니다({total}개 중 {shown}개). 제한에 걸린 제출물은 표시했습니다.",
    "timing_alt": "가장 느린 제출물 {shown}개의 채점 시간(초) 막대그래프",
    "seconds": "초",
    "seconds_axis": "초",
    "limits": "걸린 제한",
    "limits_none": "시간, 메모리, 출력 제한에 걸린 제출물이 없습니다.",
    "limit_step_time": "셀 또는 채점 부분당 시간 제한",
    "limit_wall_time": "샌드박스 실행당 시간 제한",
    "limit_output": "출력 제한",
    "limit_process": "프로세스 종료(메모리 또는 프로세스 수 제한, 또는 exit)",
    "similarity": "비슷한 코드",
    "similarity_intro": "학생이 직접 쓴 코드(답안 셀에서 배포된 시작 코드를 뺀 부분)가 "
                        "copydetect 기준으로 {threshold:.0f} % "
                        "이상 겹치는 쌍입니다. 코드가 똑같은 학생들은 함께 나열하고, 다른 쌍은 겹치는 부분을 강조해 "
                        "나란히 보여 줍니다. 비슷한 코드는 살펴볼 이유일 뿐 결론이 아닙니다. 짧은 문제는 좋은 풀이가 "
                        "많지 않습니다. 이 내용은 점수를 바꾸지 않습니다.",
    "similarity_none": "유사도가 {threshold:.0f} %에 이른 학생 쌍이 없습니다.",
    "similarity_groups": "비슷한 코드로 연결된 학생 그룹: {count}개.",
    "similarity_identical": "똑같은 코드(학생 {count}명): {students}.",
    "similarity_more": "서로 다른 코드 쌍 {more}개가 이 페이지 옆의 JSON 파일에 더 있습니다.",
    "similarity_off": "유사도를 계산하지 않았습니다(--no-similarity).",
    "pair_heading": "{a}와 {b}: {percent:.0f} % 유사",
    "pair_share": "{student}의 코드 중 {percent:.0f} %가 상대 코드에 있습니다",
    "exports": "파일",
    "export_json": "같은 수치, 기계가 읽는 형식",
    "export_canvas": "Canvas 성적부 가져오기용 점수",
    "export_csv": "자동 채점기의 점수 CSV",
    "none": "없음",
    "cli_pointer": "반 전체 보고서(점수 분포, 알려진 실수, 비슷한 코드, Canvas CSV): autograder report {assignment}",
    "cli_written": "반 전체 보고서: {html}\n수치: {json}\nCanvas 성적부 CSV: {canvas}\n"
                   "{seconds:.1f}초 만에 만들었습니다.",
    "journal_unreadable": "기록의 {count}줄을 읽을 수 없습니다. 해당 학생은 자동 채점기를 다시 실행하십시오.",
    "not_in_journal": "지난 실행에서 채점했지만 저장되지 않았습니다(자동 채점기를 다시 실행하십시오): {review}",
}

MISTAKES_KO: dict[str, str] = {
    "lstm_gates_ifog": "게이트를 i, f, o, g 순서로 쌓았습니다",
    "lstm_gates_igfo": "게이트를 i, g, f, o 순서로 쌓았습니다",
    "lstm_gates_fiog": "게이트를 f, i, g, o 순서로 쌓았습니다",
    "lstm_no_tanh_on_c": "셀 상태에 tanh를 빠뜨렸습니다",
    "lstm_h_c_swapped": "(h, c) 대신 (c, h)를 반환했습니다",
    "lstm_no_b_hh": "LSTM의 b_hh를 빠뜨렸습니다",
    "gru_chung": "강의 노트 방식의 GRU를 작성했습니다",
    "gru_z_swapped": "GRU에서 z와 1 - z를 바꾸었습니다",
    "gru_reset_before": "GRU의 리셋 게이트를 행렬곱 전에 적용했습니다",
    "gru_no_b_hn": "GRU의 b_hn을 빠뜨렸습니다",
    "gru_b_hn_outside": "b_hn을 리셋 게이트 밖에서 더했습니다",
    "gru_gates_zrn": "GRU의 블록을 z, r, n 순서로 읽었습니다",
    "gru_no_b_hh": "GRU의 b_hh를 빠뜨렸습니다",
    "gru_reset_after_ignored": "reset_after=False를 무시했습니다",
    "rnn_no_tanh": "RNN의 tanh를 빠뜨렸습니다",
    "rnn_no_b_hh": "RNN의 b_hh를 빠뜨렸습니다",
    "ignore_batch_first": "batch_first를 무시했습니다",
    "output_time_major": "batch_first에서 output을 시간 우선으로 두었습니다",
    "h_n_batch_first": "h_n을 (N, 1, H)로 반환했습니다",
    "h_n_last_sample": "batch-first 출력의 output[-1:]에서 h_n을 가져왔습니다",
    "ignore_initial_state": "초기 은닉 상태를 무시했습니다",
    "ce_sum_not_mean": "교차 엔트로피를 평균 대신 합으로 계산했습니다",
    "temperature_multiplied": "logits에 temperature를 곱했습니다",
}

CATALOGUES: dict[str, tuple[dict[str, str], dict[str, str]]] = {"en": (EN, MISTAKES_EN), "ko": (KO, MISTAKES_KO)}


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
