"""Every user-facing text of the grader, in one catalogue per language: feedback, named mistakes, rules, pages.

``t("key", name=value)`` formats one message in the current language. The language only changes text,
never a verdict or a score: judges decide first, then say it. The grader process sets the language for a
run with :func:`use` (``autograder --lang ko``; the default is the course's
``sphinx.config.course_feedback_language``, :func:`default_language`); hidden cells of stock nbgrader use the
course default. Every catalogue has every key with the same ``{placeholders}`` (``tests/test_messages.py``);
the class report's strings (:mod:`autograder.reporting.strings`) are registered the same way.

Korean feedback is written in 합니다체; code identifiers, shapes like (N, 1, H) and ``batch_first`` stay as
they are.
"""

from __future__ import annotations

import functools
import string
import threading
from collections.abc import Iterator
from contextlib import contextmanager

LANGUAGES = ("en", "ko")

EN: dict[str, str] = {
    # ---- comparing results (autograder/correctness/cases.py)
    "compare.tuple": "expected a tuple {spec}; got a {type}",
    "compare.tuple_length": "expected a tuple {spec}; got a {type} of length {length}",
    "compare.not_array": "{spec} should be a NumPy array (or nested lists of numbers); got {type}",
    "compare.shape": "{spec} has shape {got}; expected {expected}",
    "compare.not_finite": "{spec} contains NaN or inf",
    "compare.wrong": "{spec} is wrong: max abs error {error:.3g} (tolerance {atol:g} + {rtol:g}·|expected|)",
    "case.where": "{target}, case {label}",
    "case.problem": "{where}: {problem}.",
    "case.equals": "{text} Your output equals {mistake}.",
    "case.error": "{where}: {error}",
    "case.could_not_judge": "{where}: could not judge the result ({error})",
    "check.all_pass": "{cell}: all {total} cases pass.",
    "check.fail": "{cell}: {failed} of {total} cases fail. {quoted}",
    "check.problem": "{cell}: {problem}",
    "check.could_not_judge_all": "could not judge the results ({error})",
    # ---- answers (answers.py, ps1, ps4)
    "answer.wrong": "{name} = {value} is not right. {explain}",
    "answer.vanishing": "With small recurrent weights the gradient reaching early inputs shrinks by roughly a "
                        "constant factor per step: it decays geometrically (answer b).",
    "answer.reset_convertible": "r multiplies W_hn h + b_hn in PyTorch but h inside the matmul in the notes; "
                                "r * (W h) and W (r * h) differ for general W, so no choice of parameters turns "
                                "one into the other.",
    # ---- ps1: BPTT
    "bptt.not_pair": "{where}: expected (loss, grads) with grads a dict; got {type}",
    "bptt.loss_not_number": "loss should be a number; got {type}",
    "bptt.loss_wrong": "loss is {got:.6g}; expected {expected:.6g}",
    "bptt.no_grad": "grads has no {name}",
    "bptt.problems": "{where}: {problems}.",
    # ---- ps2: sampling and the character model
    "sample.cannot_count": "sample, case {label}: could not count {n} draws (got {dtype} {shape})",
    "sample.wrong": "sample, case {label}: the draws do not follow softmax(logits / temperature): frequencies "
                    "{got}, expected {expected}.",
    "model.got_shape": "shape {shape}",
    "model.got_type": "a {type}",
    "model.logits": "model, case {label}: expected the logits of the next character, {V} numbers (model(x) maps "
                    "ids (1, T) to logits (1, T, V) with V = len(vocab) = {V}); got {got}.",
    "model.not_finite": "model, case {label}: the logits of the next character contain NaN or inf.",
    "model.vocab": "model: the grader gives the model character ids in the setup cell's vocab = sorted(set(text)), "
                   "{expected} ({count} characters); your vocab is {vocab}. Keep the setup cell's vocab: a "
                   "character's id is its index there.",
    "model.loss": "model: held-out loss {loss:.3f} nats/char, from its predictions of the next character at "
                  "{predictions} places in new text; it must be at most {threshold} (always predicting character "
                  "frequencies gives 2.78, the grammar's entropy rate is 0.29). Train longer or larger.",
    "model.memory": "model: the last prediction does not change when only characters {distance} or more steps "
                    "earlier change (by {change:.2g}): a recurrent model carries its state along the whole text, a "
                    "fixed window such as an n-gram cannot; the task asks for a recurrent model.",
    # ---- ps3: the shape question
    "shapes.not_dict": "{name} should be a dict with the keys 'output', 'h_n', 'c_n'; got {value}",
    "shapes.key_wrong": "{key} is {expected}, not {got}",
    "shapes.problems": "{name} ({label}): {problems}.",
    "shapes.h_n_hint": "{text} h_n and c_n are (num_layers, N, H) whatever batch_first is: batch_first only "
                       "changes the layout of input and output.",
    # ---- ps4: MyGRU and the conventions
    "gru.could_not_run": "MyGRU, case {label}: could not run the module (got {type})",
    "gru.forward": "MyGRU forward, case {label}: {problem}.",
    "gru.computes": "{text} Your module computes {mistake}.",
    "gru.backward_after_forward": "{forward} The gradients cannot be right while the forward pass is wrong.",
    "gru.no_gradient": "no gradient reached {name} (is it an nn.Parameter used in forward?)",
    "gru.gradient_of": "the gradient of {name}",
    "gru.backward": "MyGRU backward, case {label} (random upstream gradient on output and h_n): {problems}.",
    "flip.wrong": "chung_update_to_pytorch, case {label}: {problem}.",
    "flip.z_hint": "{text} The z block is unchanged: to turn z into 1 - z, negate its pre-activation "
                   "(sigma(-a) = 1 - sigma(a)).",
    # ---- rules (policy.RULE_TEXT) and the stock path's scan (autograder/checks.py)
    "rule.numpy-only": "this part must be written with NumPy only (torch, seqmodels and autograder do not exist "
                       "where it is graded)",
    "rule.own-recurrence": "this part must build the recurrence from torch tensor operations, not torch's "
                           "recurrent layers",
    "scan.uses": "{via} uses {root} ({what})",
    "scan.torch_rnn": "{via} uses torch's built-in recurrent layer {name}",
    "scan.dynamic": "{via} uses {name} (dynamic imports and lookups are not allowed here)",
    "scan.imports": "{via} imports {module}",
    "scan.rnn_attribute": "{via} uses .{name} (torch's built-in recurrent layers are not allowed here)",
    "stock.forbidden": "{cell}: scored 0 because {findings}: {rule}.",
    "stock.close_names": "{name} (you defined {close})",
    "stock.missing": "{cell}: {names} is not defined; run the cell that defines it and keep the name from the "
                     "assignment.",
    "stock.raised": "raised {type}: {error}",
    # ---- the engine (autograder/running/engine.py)
    "stop.where": " in {place}",
    "stop.step_timeout": "the notebook's process was stopped{where}: it ran past the time limit of {limit:g} s per "
                         "cell or graded part and did not stop when asked",
    "stop.wall_timeout": "stopped at the time limit of {limit:g} s{where} (an infinite loop, or far too slow)",
    "stop.output_limit": "the results exceeded the output limit of {limit} MB{where}",
    "stop.setup_failed": "the sandbox could not be set up (not the student's doing); re-run the autograder to retry",
    "stop.exited": "the notebook's process ended{where} (exit code {code}: os._exit, a crash, or the memory "
                   "({memory} MB) or process limit)",
    "call.not_run": "not run: {reason}",
    "call.timeout": "timed out after {limit:g} s (an infinite loop, or far too slow?)",
    "call.unavailable": "needs `{module}`, which is not available where this part is graded",
    "call.raised": "raised {error}",
    "module.seqmodels": "seqmodels (the course's reference code: write the function yourself)",
    "engine.missing": "{cell}: {names} is not defined when this part is graded.{hint}",
    "engine.missing_import_hint": " Your notebook imports {modules}, which does not exist where it is graded.",
    "engine.missing_cell_hint": " Did you delete or rename its cell, or did the cell raise an error?",
    "engine.needs": "{cell}: scored 0 because {name} needs {needs}: {rule}.",
    "engine.cell_stopped": "stopped: it ran past the time limit of {limit:g} s",
    "engine.killed_note": "{cell} ran past its time limit and ignored the signal to stop; the rest of the notebook "
                          "was graded again in a fresh sandbox",
    "engine.grader_failed": "the grader failed on this notebook ({type}: {error}); nothing was stored for it: "
                            "report it to the course team",
    "engine.not_graded_failed": "not graded: the grader failed",
    "engine.not_graded": "{cell}: not graded",
    "engine.not_graded_problems": "not graded: {problems}",
    "engine.missing_solution_cell": "solution cell {cell} is missing from the notebook (deleted?)",
    "engine.duplicate_cell": "the notebook holds cell {cell} more than once (copied?); the first copy was graded",
    "engine.other_assignment": "this is the notebook of {other}, not {assignment}: submit {notebook}.ipynb",
    "engine.no_graded_cells": "the notebook has none of {assignment}'s graded cells; start from the released "
                              "{notebook}.ipynb and copy your code into its cells",
    # ---- reading submissions (autograder/running/intake.py)
    "intake.renamed_student": "the name {raw} is not a plain UTF-8 name; graded as student id '{student}'",
    "intake.unexpected": "{name} could not be read (unexpected {error}); resubmit it as saved by Jupyter",
    "intake.large_outputs": "{name} is {size:.0f} MB because of stored outputs; outputs were ignored",
    "intake.too_large": "{name} is {size:.0f} MB (limit {limit} MB): clear all outputs (Kernel > Restart & Clear "
                        "Output), save and resubmit",
    "intake.cannot_open": "{name} cannot be opened ({error}): resubmit it as a plain .ipynb file",
    "intake.folder": "{name} is a folder, not a notebook file: submit the .ipynb file itself",
    "intake.not_regular": "{name} is not a regular file (a pipe, socket or device): submit the .ipynb file itself",
    "intake.cannot_read": "{name} cannot be read ({error}): resubmit it",
    "intake.too_many_cells": "{name} has {cells} cells (limit {limit}): start from the released notebook, copy "
                             "your answers into its cells and resubmit",
    "intake.empty": "{name} is empty ({size} bytes): save the notebook in Jupyter and resubmit",
    "intake.json_error": "{name} is not a valid notebook: JSON error at line {line} column {column} ({error}); "
                         "the file is probably truncated or was edited as text. Resubmit it as saved by Jupyter",
    "intake.too_deep": "{name} is not a valid notebook: its JSON is nested too deeply to read (Jupyter never "
                       "writes that); clear all outputs, save it in Jupyter and resubmit",
    "intake.invalid": "{name} is not a valid notebook ({error}); resubmit it as saved by Jupyter",
    "intake.not_a_notebook": "{name} is JSON but not a Jupyter notebook (no 'cells' list): submit the .ipynb file",
    "intake.bad_version": "{name} has an invalid format version (nbformat: {version}): open it in Jupyter, save "
                          "it and resubmit",
    "intake.old_format": "{name} is in the old notebook format {version} and could not be converted ({error}); "
                         "open it in Jupyter, save it and resubmit",
    "intake.ignored_cells": "{name}: ignored {cells}, not notebook cells (no valid cell_type)",
    "intake.not_text_cells": "{name}: read {cells} as empty, their source is not text",
    "intake.cell": "cell {numbers}",
    "intake.cells": "cells {numbers}",
    "intake.more": "{shown} and {more} more",
    "intake.unpack_failed": "{name} could not be unpacked from the zip ({error}): download the zip again, or ask "
                            "the student to resubmit",
    "intake.zip_link": "{name} is a link in the zip, not a notebook file: submit the notebook itself",
    "intake.unpacks_too_large": "{name} unpacks to more than {limit} MB: clear all outputs (Kernel > Restart & "
                                "Clear Output), save and resubmit",
    "intake.zip_too_large": "{name} was not unpacked: the zip holds more than {limit} MB of notebooks; unpack it "
                            "yourself and pass the folder",
    "intake.link_file": "{name} is a link to a file outside the submissions: submit the notebook file itself",
    "intake.link_folder": "{name}/ is a link to a folder outside the submissions: submit the notebook itself",
    "intake.folder_unreadable": "the folder {name}/ cannot be read ({error}): fix its permissions, or ask the "
                                "student to resubmit",
    "intake.why_released": "the one named as released",
    "intake.why_recent": "the most recently modified",
    "intake.several": "{count} notebooks submitted ({names}); graded {chosen} ({why}). Check it is the intended "
                      "one",
    "intake.renamed": "notebook renamed: graded {chosen} as {released}",
    "intake.submission_unexpected": "the submission of {name} could not be read (unexpected {error}); ask the "
                                    "student to resubmit",
    "intake.nothing": "no notebook found in {name}/: expected {name}/{assignment}/{notebook}.ipynb; the student "
                      "submitted nothing gradable",
    # ---- the feedback page (autograder/running/feedback.py)
    "page.title": "{assignment}: {student}",
    "page.heading": "{assignment}: feedback for {student}",
    "page.score": "Automatic score: {score:g} / {max:g}",
    "page.manual": "Parts graded by hand ({cells}) are not included in this score.",
    "page.could_not_grade": "Could not grade your notebook.",
    "page.part": "part",
    "page.result": "result",
    "page.points": "points",
    "page.feedback": "feedback",
    "page.passed": "passed",
    "page.failed": "failed",
    "page.cells_raised": "Cells that raised an error",
    "page.cell": "cell",
    "page.error": "error",
    # ---- the named mistakes (variants.py): each completes "Your output equals ..."
    "variant.lstm_gates_ifog": "an LSTM with gates ordered i,f,o,g (cs231n's order); PyTorch orders the blocks "
                               "i,f,g,o",
    "variant.lstm_gates_igfo": "an LSTM with gates ordered i,g,f,o; PyTorch orders the blocks i,f,g,o",
    "variant.lstm_gates_fiog": "an LSTM with gates ordered f,i,g,o; PyTorch orders the blocks i,f,g,o",
    "variant.lstm_no_tanh_on_c": "an LSTM without the tanh on the cell state: h_t = o_t * c_t instead of "
                                 "o_t * tanh(c_t)",
    "variant.lstm_h_c_swapped": "an LSTM that returns (c, h) instead of (h, c)",
    "variant.lstm_no_b_hh": "an LSTM that leaves out b_hh; PyTorch adds both b_ih and b_hh",
    "variant.gru_chung": "a GRU in the lecture notes' / Chung et al. (2014) convention (reset applied to h before "
                         "the matmul, h' = (1 - z) h + z n); PyTorch applies r after the matmul, r * (W_hn h + b_hn), "
                         "and uses h' = (1 - z) n + z h, the update of Cho et al. (2014)",
    "variant.gru_z_swapped": "a GRU with z and 1 - z swapped (h' = (1 - z) h + z n); PyTorch uses "
                             "h' = (1 - z) n + z h",
    "variant.gru_reset_before": "a GRU that applies the reset gate before the matmul, W_hn (r * h) + b_hn; PyTorch "
                                "applies it after: r * (W_hn h + b_hn)",
    "variant.gru_no_b_hn": "a GRU that drops b_hn; PyTorch computes r * (W_hn h + b_hn)",
    "variant.gru_b_hn_outside": "a GRU that adds b_hn outside the reset gate, r * (W_hn h) + b_hn; PyTorch computes "
                                "r * (W_hn h + b_hn)",
    "variant.gru_gates_zrn": "a GRU with the blocks read as z,r,n; PyTorch orders them r,z,n",
    "variant.gru_no_b_hh": "a GRU that leaves out b_hh; PyTorch adds both b_ih and b_hh",
    "variant.rnn_no_tanh": "an RNN without the tanh nonlinearity",
    "variant.rnn_no_b_hh": "an RNN that leaves out b_hh; PyTorch adds both b_ih and b_hh",
    "variant.gru_reset_after_ignored": "a GRU that applies the reset gate after the matmul, r * (W_hn h + b_hn), as "
                                       "torch.nn.GRU does; reset_after=False applies it before: W_hn (r * h) + b_hn",
    "variant.ignore_batch_first": "a layer that ignores batch_first and always reads x as (T, N, I)",
    "variant.output_time_major": "a layer that leaves output time-major (T, N, H) under batch_first=True; output "
                                 "must follow batch_first and be (N, T, H)",
    "variant.h_n_batch_first": "a layer that returns the final state as (N, 1, H) under batch_first=True; h_n (and "
                               "c_n) are (1, N, H) whatever batch_first is",
    "variant.h_n_last_sample": "a layer that takes h_n = output[-1:] from the batch-first output: the last "
                               "sequence's states at every step, not every sequence's last state; h_n = output[:, -1] "
                               "as (1, N, H)",
    "variant.ignore_initial_state": "a layer that ignores h0 (and c0) and starts from zeros",
    "variant.ce_sum_not_mean": "the loss (and gradient) summed over the batch; the contract averages over the N "
                               "rows, like torch.nn.functional.cross_entropy",
    "variant.temperature_multiplied": "softmax(logits * temperature); divide: softmax(logits / temperature), so that "
                                      "a high temperature flattens the distribution",
}

KO: dict[str, str] = {
    "compare.tuple": "튜플 {spec}을 반환해야 합니다. 반환값은 {type}입니다",
    "compare.tuple_length": "튜플 {spec}을 반환해야 합니다. 반환값은 길이 {length}인 {type}입니다",
    "compare.not_array": "{spec}: NumPy 배열(또는 숫자로 된 중첩 리스트)이어야 합니다. 받은 값은 {type}입니다",
    "compare.shape": "{spec}의 형태가 {got}입니다. 기대한 형태는 {expected}입니다",
    "compare.not_finite": "{spec}에 NaN 또는 inf가 있습니다",
    "compare.wrong": "{spec} 값이 틀렸습니다: 최대 절대 오차 {error:.3g} (허용 오차 {atol:g} + {rtol:g}·|기댓값|)",
    "case.where": "{target}, 케이스 {label}",
    "case.problem": "{where}: {problem}.",
    "case.equals": "{text} 출력이 알려진 실수와 일치합니다: {mistake}.",
    "case.error": "{where}: {error}",
    "case.could_not_judge": "{where}: 결과를 판정할 수 없습니다 ({error})",
    "check.all_pass": "{cell}: 케이스 {total}개를 모두 통과했습니다.",
    "check.fail": "{cell}: 케이스 {total}개 중 {failed}개가 실패했습니다. {quoted}",
    "check.problem": "{cell}: {problem}",
    "check.could_not_judge_all": "결과를 판정할 수 없습니다 ({error})",
    "answer.wrong": "{name} = {value}는 정답이 아닙니다. {explain}",
    "answer.vanishing": "순환 가중치가 작으면 앞쪽 입력까지 전달되는 기울기가 단계마다 거의 일정한 비율로 줄어듭니다. "
                        "즉 기하급수적으로 감소합니다(답 b).",
    "answer.reset_convertible": "PyTorch에서 r은 W_hn h + b_hn에 곱해지지만, "
                                "강의 노트에서는 행렬곱 안의 h에 곱해집니다. "
                                "일반적인 W에서 r * (W h)와 W (r * h)는 다르므로, 어떤 파라미터를 골라도 한쪽을 다른 "
                                "쪽으로 바꿀 수 없습니다.",
    "bptt.not_pair": "{where}: (loss, grads)를 반환해야 하고 grads는 dict여야 합니다. 받은 값은 {type}입니다",
    "bptt.loss_not_number": "loss는 숫자여야 합니다. 받은 값은 {type}입니다",
    "bptt.loss_wrong": "loss가 {got:.6g}입니다. 기댓값은 {expected:.6g}입니다",
    "bptt.no_grad": "grads에 {name}가 없습니다",
    "bptt.problems": "{where}: {problems}.",
    "sample.cannot_count": "sample, 케이스 {label}: {n}번 뽑은 결과를 셀 수 없습니다 (받은 값: {dtype} {shape})",
    "sample.wrong": "sample, 케이스 {label}: 뽑은 결과가 softmax(logits / temperature)를 따르지 않습니다. "
                    "빈도는 {got}이고, 기대한 값은 {expected}입니다.",
    "model.got_shape": "형태 {shape}",
    "model.got_type": "{type} 값",
    "model.logits": "model, 케이스 {label}: 다음 문자의 logits, 즉 숫자 {V}개를 기대했습니다(model(x)는 id (1, T)를 "
                    "logits (1, T, V)로 바꾸고, V = len(vocab) = {V}입니다). 받은 값은 {got}입니다.",
    "model.not_finite": "model, 케이스 {label}: 다음 문자의 logits에 NaN 또는 inf가 있습니다.",
    "model.vocab": "model: 자동 채점기는 설정 셀의 vocab = sorted(set(text)), 즉 {expected}({count}개 문자) 기준의 "
                   "문자 id를 모델에 넣습니다. 제출한 vocab은 {vocab}입니다. 설정 셀의 vocab을 그대로 두십시오. "
                   "문자의 id는 그 안에서의 인덱스입니다.",
    "model.loss": "model: 새 텍스트의 {predictions}곳에서 다음 문자를 예측한 "
                  "held-out 손실이 {loss:.3f} nats/char입니다. "
                  "{threshold} 이하여야 합니다(문자 빈도만으로 예측하면 2.78, 문법의 엔트로피율은 0.29입니다). "
                  "더 오래 학습하거나 모델을 키우십시오.",
    "model.memory": "model: {distance}단계 이상 앞의 문자만 바꾸면 마지막 예측이 변하지 않습니다(변화량 {change:.2g}). "
                    "순환 모델은 상태를 텍스트 전체에 걸쳐 전달하지만, n-gram 같은 고정 창은 그렇게 할 수 없습니다. "
                    "이 과제는 순환 모델을 요구합니다.",
    "shapes.not_dict": "{name}은 'output', 'h_n', 'c_n' 키를 가진 dict여야 합니다. 받은 값은 {value}입니다",
    "shapes.key_wrong": "{key}는 {got}가 아니라 {expected}입니다",
    "shapes.problems": "{name} ({label}): {problems}.",
    "shapes.h_n_hint": "{text} h_n과 c_n은 batch_first와 상관없이 (num_layers, N, H)입니다. batch_first는 입력과 "
                       "출력의 배치 순서만 바꿉니다.",
    "gru.could_not_run": "MyGRU, 케이스 {label}: 모듈을 실행할 수 없습니다 (받은 값: {type})",
    "gru.forward": "MyGRU 순전파, 케이스 {label}: {problem}.",
    "gru.computes": "{text} 모듈의 계산이 알려진 실수와 일치합니다: {mistake}.",
    "gru.backward_after_forward": "{forward} 순전파가 틀리면 기울기도 맞을 수 없습니다.",
    "gru.no_gradient": "{name}에 기울기가 전달되지 않았습니다(forward에서 쓰는 nn.Parameter인지 확인하십시오)",
    "gru.gradient_of": "{name}의 기울기",
    "gru.backward": "MyGRU 역전파, 케이스 {label} (output과 h_n에 임의의 상류 기울기): {problems}.",
    "flip.wrong": "chung_update_to_pytorch, 케이스 {label}: {problem}.",
    "flip.z_hint": "{text} z 블록이 그대로입니다. z를 1 - z로 바꾸려면 그 사전 활성값의 부호를 뒤집으십시오"
                   "(sigma(-a) = 1 - sigma(a)).",
    "rule.numpy-only": "이 부분은 NumPy만으로 작성해야 합니다(채점 환경에는 torch, seqmodels, autograder가 없습니다)",
    "rule.own-recurrence": "이 부분은 torch의 순환 레이어가 아니라 torch 텐서 연산으로 "
                           "순환 구조를 직접 만들어야 합니다",
    "scan.uses": "{via}에서 {root}({what})를 사용합니다",
    "scan.torch_rnn": "{via}에서 torch의 내장 순환 레이어 {name}를 사용합니다",
    "scan.dynamic": "{via}에서 {name}를 사용합니다(여기서는 동적 import와 조회를 쓸 수 없습니다)",
    "scan.imports": "{via}에서 {module}를 import합니다",
    "scan.rnn_attribute": "{via}에서 .{name}를 사용합니다(여기서는 torch의 내장 순환 레이어를 쓸 수 없습니다)",
    "stock.forbidden": "{cell}: 0점입니다. {findings}: {rule}.",
    "stock.close_names": "{name} (정의한 이름: {close})",
    "stock.missing": "{cell}: {names}가 정의되어 있지 않습니다. 정의하는 셀을 실행하고, 과제에 나온 이름을 그대로 "
                     "쓰십시오.",
    "stock.raised": "{type} 예외가 발생했습니다: {error}",
    "stop.where": "{place}에서 ",
    "stop.step_timeout": "노트북 프로세스가 {where}중지되었습니다: 셀 또는 채점 부분당 시간 제한 {limit:g}초를 넘겼고 "
                         "중지 요청에도 멈추지 않았습니다",
    "stop.wall_timeout": "{where}시간 제한 {limit:g}초에 걸려 중지되었습니다(무한 루프이거나 너무 느립니다)",
    "stop.output_limit": "{where}결과가 출력 제한 {limit} MB를 넘었습니다",
    "stop.setup_failed": "샌드박스를 준비하지 못했습니다(학생의 잘못이 아닙니다). 자동 채점기를 다시 실행하십시오",
    "stop.exited": "노트북 프로세스가 {where}종료되었습니다(종료 코드 {code}: os._exit, 비정상 종료, 또는 메모리"
                   "({memory} MB)나 프로세스 수 제한)",
    "call.not_run": "실행되지 않았습니다: {reason}",
    "call.timeout": "{limit:g}초 안에 끝나지 않았습니다(무한 루프이거나 너무 느립니다)",
    "call.unavailable": "`{module}`가 필요하지만, 이 부분을 채점하는 환경에는 없습니다",
    "call.raised": "예외가 발생했습니다: {error}",
    "module.seqmodels": "seqmodels(강의의 참조 코드입니다. 함수를 직접 작성하십시오)",
    "engine.missing": "{cell}: 이 부분을 채점할 때 {names}가 정의되어 있지 않습니다.{hint}",
    "engine.missing_import_hint": " 노트북이 {modules}를 import하지만, 채점 환경에는 없습니다.",
    "engine.missing_cell_hint": " 그 셀을 지우거나 이름을 바꾸었는지, 또는 셀에서 오류가 났는지 확인하십시오.",
    "engine.needs": "{cell}: {name}에 {needs}가 필요하므로 0점입니다. {rule}.",
    "engine.cell_stopped": "중지되었습니다: 시간 제한 {limit:g}초를 넘겼습니다",
    "engine.killed_note": "{cell}이 시간 제한을 넘기고 중지 신호도 무시했습니다. 노트북의 나머지는 새 샌드박스에서 "
                          "다시 채점했습니다",
    "engine.grader_failed": "자동 채점기가 이 노트북에서 실패했습니다({type}: {error}). 아무것도 저장하지 않았습니다. "
                            "조교에게 알려 주십시오",
    "engine.not_graded_failed": "채점되지 않았습니다: 자동 채점기가 실패했습니다",
    "engine.not_graded": "{cell}: 채점되지 않았습니다",
    "engine.not_graded_problems": "채점되지 않았습니다: {problems}",
    "engine.missing_solution_cell": "노트북에 답안 셀 {cell}이 없습니다(삭제했습니까?)",
    "engine.duplicate_cell": "노트북에 셀 {cell}이 여러 번 있습니다(복사했습니까?). 첫 번째 것을 채점했습니다",
    "engine.other_assignment": "이 노트북은 {assignment}가 아니라 {other} 과제의 노트북입니다. {notebook}.ipynb를 "
                               "제출하십시오",
    "engine.no_graded_cells": "노트북에 {assignment}의 채점 셀이 하나도 없습니다. 배포된 {notebook}.ipynb에서 시작해 "
                              "코드를 해당 셀에 옮기십시오",
    "intake.renamed_student": "이름 {raw}은 일반적인 UTF-8 이름이 아닙니다. 학생 id '{student}'로 채점했습니다",
    "intake.unexpected": "{name}을 읽을 수 없습니다(예상하지 못한 {error}). Jupyter에서 저장한 파일로 다시 "
                         "제출하십시오",
    "intake.large_outputs": "{name}은 저장된 출력 때문에 {size:.0f} MB입니다. 출력은 무시했습니다",
    "intake.too_large": "{name}은 {size:.0f} MB입니다(제한 {limit} MB). 모든 출력을 지우고(Kernel > Restart & "
                        "Clear Output) 저장한 뒤 다시 제출하십시오",
    "intake.cannot_open": "{name}을 열 수 없습니다({error}). 일반 .ipynb 파일로 다시 제출하십시오",
    "intake.folder": "{name}은 노트북 파일이 아니라 폴더입니다. .ipynb 파일 자체를 제출하십시오",
    "intake.not_regular": "{name}은 일반 파일이 아닙니다(파이프, 소켓 또는 장치). .ipynb 파일 자체를 제출하십시오",
    "intake.cannot_read": "{name}을 읽을 수 없습니다({error}). 다시 제출하십시오",
    "intake.too_many_cells": "{name}에 셀이 {cells}개 있습니다(제한 {limit}개). 배포된 노트북에서 시작해 답을 "
                             "해당 셀에 옮긴 뒤 다시 제출하십시오",
    "intake.empty": "{name}이 비어 있습니다({size}바이트). Jupyter에서 노트북을 저장한 뒤 다시 제출하십시오",
    "intake.json_error": "{name}은 올바른 노트북이 아닙니다: {line}번째 줄 {column}번째 열에 JSON 오류가 "
                         "있습니다({error}). 파일이 잘렸거나 텍스트로 편집된 것 같습니다. Jupyter에서 저장한 "
                         "파일로 다시 제출하십시오",
    "intake.too_deep": "{name}은 올바른 노트북이 아닙니다: JSON이 너무 깊게 중첩되어 읽을 수 없습니다(Jupyter는 "
                       "이렇게 저장하지 않습니다). 모든 출력을 지우고 Jupyter에서 저장한 뒤 다시 제출하십시오",
    "intake.invalid": "{name}은 올바른 노트북이 아닙니다({error}). Jupyter에서 저장한 파일로 다시 제출하십시오",
    "intake.not_a_notebook": "{name}은 JSON이지만 Jupyter 노트북이 아닙니다('cells' 리스트가 없습니다). .ipynb "
                             "파일을 제출하십시오",
    "intake.bad_version": "{name}의 형식 버전이 올바르지 않습니다(nbformat: {version}). Jupyter에서 열어 저장한 "
                          "뒤 다시 제출하십시오",
    "intake.old_format": "{name}은 예전 노트북 형식 {version}이고 변환할 수 없습니다({error}). Jupyter에서 열어 "
                         "저장한 뒤 다시 제출하십시오",
    "intake.ignored_cells": "{name}: {cells}은 노트북 셀이 아니어서 무시했습니다(올바른 cell_type이 없습니다)",
    "intake.not_text_cells": "{name}: {cells}의 소스가 텍스트가 아니어서 빈 셀로 읽었습니다",
    "intake.cell": "셀 {numbers}",
    "intake.cells": "셀 {numbers}",
    "intake.more": "{shown} 외 {more}개",
    "intake.unpack_failed": "{name}을 zip에서 풀 수 없습니다({error}). zip을 다시 내려받거나 학생에게 다시 "
                            "제출하도록 요청하십시오",
    "intake.zip_link": "{name}은 zip 안의 링크이고 노트북 파일이 아닙니다. 노트북 자체를 제출하십시오",
    "intake.unpacks_too_large": "{name}을 풀면 {limit} MB가 넘습니다. 모든 출력을 지우고(Kernel > Restart & Clear "
                                "Output) 저장한 뒤 다시 제출하십시오",
    "intake.zip_too_large": "{name}을 풀지 않았습니다: zip에 노트북이 {limit} MB 넘게 있습니다. 직접 푼 뒤 폴더를 "
                            "넘기십시오",
    "intake.link_file": "{name}은 제출물 밖의 파일을 가리키는 링크입니다. 노트북 파일 자체를 제출하십시오",
    "intake.link_folder": "{name}/은 제출물 밖의 폴더를 가리키는 링크입니다. 노트북 자체를 제출하십시오",
    "intake.folder_unreadable": "폴더 {name}/을 읽을 수 없습니다({error}). 권한을 고치거나 학생에게 다시 "
                                "제출하도록 요청하십시오",
    "intake.why_released": "배포된 이름과 같은 파일",
    "intake.why_recent": "가장 최근에 수정한 파일",
    "intake.several": "노트북 {count}개가 제출되었습니다({names}). {chosen}을 채점했습니다({why}). 의도한 "
                      "파일인지 확인하십시오",
    "intake.renamed": "노트북 이름이 바뀌었습니다: {chosen}을 {released}로 채점했습니다",
    "intake.submission_unexpected": "{name}의 제출물을 읽을 수 없습니다(예상하지 못한 {error}). 학생에게 다시 "
                                    "제출하도록 요청하십시오",
    "intake.nothing": "{name}/에 노트북이 없습니다: {name}/{assignment}/{notebook}.ipynb가 있어야 합니다. 채점할 "
                      "수 있는 제출물이 없습니다",
    "page.title": "{assignment}: {student}",
    "page.heading": "{assignment}: {student} 학생 피드백",
    "page.score": "자동 채점 점수: {score:g} / {max:g}",
    "page.manual": "직접 채점하는 부분({cells})은 이 점수에 포함되지 않습니다.",
    "page.could_not_grade": "노트북을 채점할 수 없습니다.",
    "page.part": "부분",
    "page.result": "결과",
    "page.points": "점수",
    "page.feedback": "피드백",
    "page.passed": "통과",
    "page.failed": "실패",
    "page.cells_raised": "오류가 난 셀",
    "page.cell": "셀",
    "page.error": "오류",
    "variant.lstm_gates_ifog": "게이트 순서를 i,f,o,g로 둔 LSTM입니다(cs231n의 순서). PyTorch는 블록을 i,f,g,o 순서로 "
                               "둡니다",
    "variant.lstm_gates_igfo": "게이트 순서를 i,g,f,o로 둔 LSTM입니다. PyTorch는 블록을 i,f,g,o 순서로 둡니다",
    "variant.lstm_gates_fiog": "게이트 순서를 f,i,g,o로 둔 LSTM입니다. PyTorch는 블록을 i,f,g,o 순서로 둡니다",
    "variant.lstm_no_tanh_on_c": "셀 상태에 tanh를 적용하지 않은 LSTM입니다: o_t * tanh(c_t) 대신 h_t = o_t * c_t로 "
                                 "계산했습니다",
    "variant.lstm_h_c_swapped": "(h, c) 대신 (c, h)를 반환하는 LSTM입니다",
    "variant.lstm_no_b_hh": "편향 b_hh를 빠뜨린 LSTM입니다. PyTorch는 b_ih와 b_hh를 모두 더합니다",
    "variant.gru_chung": "강의 노트 / Chung et al. (2014) 방식의 GRU입니다(리셋 게이트를 행렬곱 전에 h에 적용하고, "
                         "h' = (1 - z) h + z n). PyTorch는 r을 행렬곱 뒤에 r * (W_hn h + b_hn)으로 적용하고, "
                         "Cho et al. (2014)의 업데이트 h' = (1 - z) n + z h를 씁니다",
    "variant.gru_z_swapped": "z와 1 - z를 바꾼 GRU입니다(h' = (1 - z) h + z n). PyTorch는 h' = (1 - z) n + z h를 "
                             "씁니다",
    "variant.gru_reset_before": "리셋 게이트를 행렬곱 전에 적용하는 GRU입니다: W_hn (r * h) + b_hn. PyTorch는 "
                                "행렬곱 뒤에 적용합니다: r * (W_hn h + b_hn)",
    "variant.gru_no_b_hn": "편향 b_hn을 빠뜨린 GRU입니다. PyTorch는 r * (W_hn h + b_hn)을 계산합니다",
    "variant.gru_b_hn_outside": "b_hn을 리셋 게이트 밖에서 더하는 GRU입니다: r * (W_hn h) + b_hn. PyTorch는 "
                                "r * (W_hn h + b_hn)을 계산합니다",
    "variant.gru_gates_zrn": "블록을 z,r,n 순서로 읽은 GRU입니다. PyTorch의 게이트 순서는 r,z,n입니다",
    "variant.gru_no_b_hh": "편향 b_hh를 빠뜨린 GRU입니다. PyTorch는 b_ih와 b_hh를 모두 더합니다",
    "variant.rnn_no_tanh": "tanh 비선형 함수가 없는 RNN입니다",
    "variant.rnn_no_b_hh": "편향 b_hh를 빠뜨린 RNN입니다. PyTorch는 b_ih와 b_hh를 모두 더합니다",
    "variant.gru_reset_after_ignored": "torch.nn.GRU처럼 리셋 게이트를 행렬곱 뒤에 적용하는 GRU입니다: "
                                       "r * (W_hn h + b_hn). reset_after=False이면 행렬곱 전에 적용합니다: "
                                       "W_hn (r * h) + b_hn",
    "variant.ignore_batch_first": "batch_first를 무시하고 x를 항상 (T, N, I)로 읽는 레이어입니다",
    "variant.output_time_major": "batch_first=True인데 output을 시간 우선 (T, N, H)로 남긴 레이어입니다. output은 "
                                 "batch_first를 따라 (N, T, H)여야 합니다",
    "variant.h_n_batch_first": "batch_first=True에서 최종 은닉 상태를 (N, 1, H)로 반환하는 레이어입니다. h_n(과 c_n)의 "
                               "형태는 batch_first와 상관없이 (1, N, H)입니다",
    "variant.h_n_last_sample": "batch-first 출력에서 h_n = output[-1:]을 취한 레이어입니다. 이것은 각 시퀀스의 마지막 "
                               "은닉 상태가 아니라 마지막 시퀀스의 모든 시점 상태입니다. h_n은 output[:, -1]을 "
                               "(1, N, H)로 만든 것입니다",
    "variant.ignore_initial_state": "h0(와 c0)를 무시하고 0에서 시작하는 레이어입니다",
    "variant.ce_sum_not_mean": "손실(과 기울기)을 배치에 대해 합한 구현입니다. 과제의 규약은 "
                               "torch.nn.functional.cross_entropy처럼 N개 행의 평균을 냅니다",
    "variant.temperature_multiplied": "softmax(logits * temperature)로 계산한 구현입니다. "
                                      "softmax(logits / temperature)처럼 나누어야 온도가 높을 때 분포가 평평해집니다",
}

CATALOGUES: dict[str, dict[str, str]] = {"en": EN, "ko": KO}

_current = ["en"]  # one run's worker threads share the language, so not thread-local
_lock = threading.Lock()


def placeholders(text: str) -> set[str]:
    """The names of ``text``'s ``{placeholders}``."""
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def check_language(lang: str) -> str:
    if lang not in CATALOGUES:
        raise KeyError(f"no messages for language {lang!r}; there are: {', '.join(sorted(CATALOGUES))}")
    return lang


def language() -> str:
    """The language messages are written in now."""
    return _current[0]


def set_language(lang: str) -> None:
    _current[0] = check_language(lang)


@contextmanager
def use(lang: str | None) -> Iterator[str]:
    """Write messages in ``lang`` inside the block (``None``: keep the current language)."""
    if lang is None:
        yield language()
        return
    with _lock:
        before = _current[0]
        set_language(lang)
    try:
        yield lang
    finally:
        _current[0] = before


def t(key: str, /, **values: object) -> str:
    """The message ``key`` in the current language, its placeholders filled from ``values``."""
    return CATALOGUES[_current[0]][key].format(**values)


def text_in(lang: str, key: str, /, **values: object) -> str:
    """The message ``key`` in ``lang``."""
    return CATALOGUES[check_language(lang)][key].format(**values)


@functools.cache
def default_language() -> str:
    """The course's feedback language (``sphinx.config.course_feedback_language`` in ``_config.yml``), else ``en``."""
    try:
        from autograder.tooling.course_config import read

        return check_language(read().feedback_language)
    except Exception:  # noqa: BLE001 - no course configuration here (a student's kernel elsewhere): English
        return "en"
