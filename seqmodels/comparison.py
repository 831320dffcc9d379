"""A fair comparison of the RNN, LSTM and GRU: several seeds, a learning-rate sweep per cell, ranges, a verdict.

Chapter 8 compares the three cells on two tasks with one budget each:

* the adding problem at ``T = 10`` and ``T = 40`` (:func:`seqmodels.memory_tasks.train_adding`); the
  score is the number of steps to solve it (smoothed training MSE below 0.01), then the test MSE;
* the character language model on the course corpus (:mod:`seqmodels.charlm`); the score is the loss on
  held-out text, in nats per character.

Every cell gets the same budget, the same seeds and the same learning rates to choose from; each cell
keeps the learning rate with the best median score over the seeds ("best of"), and the results at that
learning rate are reported as ranges over the seeds. One forget-bias policy holds on both tasks: the
LSTM's forget-gate bias starts at 1 (``b_if = 1``, ``b_hf = 0``), as chapter 5 recommends.

The sweep takes minutes, more than a page build should, so ``python -m seqmodels.comparison`` runs it
once and writes :data:`SWEEP_FILE`; the chapter reads that file and re-runs one seed per cell live to
check that the file still describes what this code computes.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import torch

from seqmodels.charlm import CharModel, Vocabulary, evaluate, train
from seqmodels.data import course_corpus, course_grammar
from seqmodels.memory_tasks import count_parameters, train_adding

SWEEP_FILE = Path(__file__).with_name("comparison_sweep.json")
"""The stored result of the full sweep (written by ``python -m seqmodels.comparison``)."""

CELLS = ("rnn", "lstm", "gru")
NAMES = {"rnn": "RNN (tanh)", "lstm": "LSTM", "gru": "GRU"}
LEARNING_RATES = (0.005, 0.01, 0.02, 0.04, 0.08, 0.16)
SEEDS = (0, 1, 2, 3, 4)
T_VALUES = (10, 40)
FORGET_BIAS = 1.0
"""The LSTM's initial forget-gate bias, on both tasks."""

ADDING_BUDGET = {"hidden_size": 32, "steps": 600, "batch_size": 64, "clip": 1.0, "forget_bias": FORGET_BIAS,
                 "stop_when_solved": True}
"""Per run on the adding problem: Adam on fresh batches, stopped as soon as the task is solved."""

LM_BUDGET = {"hidden_size": 64, "steps": 300, "seq_len": 32, "batch_size": 32, "clip": 1.0,
             "forget_bias": FORGET_BIAS}
"""Per run of the language model: truncated BPTT, Adam with a cosine schedule from the learning rate to 0."""

LM_TEXTS = {"train": (60_000, 0), "val": (5_000, 1), "test": (5_000, 2)}
"""Course-corpus texts of the language model: (characters, seed). The learning rate is chosen on
``val`` and the loss is reported on ``test``."""


# ---------------------------------------------------------------- one run


def adding_run(cell: str, T: int, lr: float, seed: int, device: torch.device | None = None) -> dict:
    """One adding-problem run with :data:`ADDING_BUDGET`; the seed draws both the data and the initial weights."""
    r = train_adding(cell, T, **ADDING_BUDGET, lr=lr, seed=seed, device=device)
    return {"cell": cell, "T": T, "lr": lr, "seed": seed, "params": r.n_params, "test_mse": r.test_mse,
            "steps_to_solve": r.steps_to_solve, "ms_per_step": 1e3 * r.seconds_per_step, "losses": r.losses}


def lm_texts() -> dict[str, str]:
    """The language model's train, validation and test texts (:data:`LM_TEXTS`)."""
    return {name: course_corpus(n, seed=s) for name, (n, s) in LM_TEXTS.items()}


def lm_test_floor() -> float:
    """The grammar's own loss on the test text, nats per character: the floor no model can beat on average.

    The words are prefix-free, so the text determines the rules that produced it; the mean of
    ``-log p(rule)`` per character is the true distribution's cross-entropy on this very text. On a
    finite text it differs a little from the entropy rate (the expectation).
    """
    n, seed = LM_TEXTS["test"]
    return float(course_grammar().sample(n, seed)[1])


def lm_run(cell: str, lr: float, seed: int, texts: dict[str, str], device: torch.device | None = None) -> dict:
    """One language-model run with :data:`LM_BUDGET`; the seed draws the initial weights (the text is fixed)."""
    budget = dict(LM_BUDGET)
    hidden_size, forget_bias = budget.pop("hidden_size"), budget.pop("forget_bias")
    vocab = Vocabulary.from_text("".join(texts.values()))
    model = CharModel(vocab, hidden_size=hidden_size, cell=cell, seed=seed, forget_bias=forget_bias)
    history = train(model, texts["train"], **budget, lr=lr, seed=seed, device=device)
    return {"cell": cell, "lr": lr, "seed": seed, "params": count_parameters(model),
            "val_loss": evaluate(model, texts["val"]), "test_loss": evaluate(model, texts["test"]),
            "ms_per_step": 1e3 * history.seconds / budget["steps"]}


# ---------------------------------------------------------------- the sweep


def run_sweep(cells: Iterable[str] = CELLS, lrs: Iterable[float] = LEARNING_RATES, seeds: Iterable[int] = SEEDS,
              log: Callable[[str], None] = print) -> dict:
    """Every cell x learning rate x seed on both tasks (the adding problem at every ``T`` of :data:`T_VALUES`).

    Returns ``{"settings": ..., "adding": [run, ...], "lm": [run, ...], "meta": ...}``; a run is the dict
    of :func:`adding_run` (without its loss curve) or :func:`lm_run`.
    """
    cells, lrs, seeds = list(cells), list(lrs), list(seeds)
    torch.set_num_threads(1)
    start = time.perf_counter()
    adding, lm = [], []
    for T in T_VALUES:
        for cell in cells:
            for lr in lrs:
                for seed in seeds:
                    run = adding_run(cell, T, lr, seed, torch.device("cpu"))
                    run.pop("losses")
                    adding.append(run)
                    log(f"adding T={T} {cell} lr={lr} seed={seed}: steps {run['steps_to_solve']}, "
                        f"test MSE {run['test_mse']:.4f}")
    texts = lm_texts()
    for cell in cells:
        for lr in lrs:
            for seed in seeds:
                run = lm_run(cell, lr, seed, texts, torch.device("cpu"))
                lm.append(run)
                log(f"lm {cell} lr={lr} seed={seed}: val {run['val_loss']:.4f}, test {run['test_loss']:.4f}")
    settings = {"cells": cells, "learning_rates": lrs, "seeds": seeds, "T_values": list(T_VALUES),
                "adding_budget": ADDING_BUDGET, "lm_budget": LM_BUDGET,
                "lm_texts": {k: list(v) for k, v in LM_TEXTS.items()}}
    meta = {"torch": torch.__version__, "device": "cpu", "threads": 1,
            "written": time.strftime("%Y-%m-%d", time.gmtime()), "seconds": round(time.perf_counter() - start)}
    return {"settings": settings, "adding": adding, "lm": lm, "meta": meta}


def load_sweep(path: Path = SWEEP_FILE) -> dict:
    """The stored sweep (see :func:`run_sweep`)."""
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing; run `python -m seqmodels.comparison` to write it")
    return json.loads(path.read_text())


# ---------------------------------------------------------------- choosing, summarising, judging


def solve_steps(run: dict) -> float:
    """Steps to solve the adding problem, ``inf`` when the run did not solve it within its budget."""
    return math.inf if run["steps_to_solve"] is None else float(run["steps_to_solve"])


def adding_score(runs: list[dict]) -> tuple[float, float]:
    """How good one learning rate is on the adding problem: median steps to solve, then median test MSE."""
    return statistics.median(solve_steps(r) for r in runs), statistics.median(r["test_mse"] for r in runs)


def lm_score(runs: list[dict]) -> tuple[float]:
    """How good one learning rate is for the language model: median validation loss."""
    return (statistics.median(r["val_loss"] for r in runs),)


def best_lr(runs: list[dict], cell: str, score: Callable[[list[dict]], tuple], **where: object) -> float:
    """The learning rate whose runs of ``cell`` (filtered by ``where``, e.g. ``T=40``) score best; lower is better."""
    mine = [r for r in runs if r["cell"] == cell and all(r[k] == v for k, v in where.items())]
    lrs = sorted({r["lr"] for r in mine})
    if not lrs:
        raise ValueError(f"no runs of {cell} with {where}")
    return min(lrs, key=lambda lr: score([r for r in mine if r["lr"] == lr]))


def runs_at(runs: list[dict], cell: str, lr: float, **where: object) -> list[dict]:
    """The runs of ``cell`` at learning rate ``lr`` (one per seed), filtered by ``where``, in seed order."""
    chosen = [r for r in runs if r["cell"] == cell and r["lr"] == lr and all(r[k] == v for k, v in where.items())]
    return sorted(chosen, key=lambda r: r["seed"])


def value_range(values: Iterable[float | None]) -> list[float | None]:
    """``[smallest, largest]`` of ``values``; ``None`` (an unsolved run) counts as larger than any number."""
    values = list(values)
    numbers = [v for v in values if v is not None]
    low = min(numbers) if numbers else None
    high = None if None in values or not numbers else max(numbers)
    return [low, high]


def winner(ranges: dict[str, list[float | None]], a: str = "gru", b: str = "lstm") -> str | None:
    """The cell whose whole range lies below the other's (lower is better), or ``None`` when the ranges overlap.

    ``ranges[cell]`` is ``[low, high]`` as :func:`value_range` returns it (``None`` means "not solved",
    worse than any number).
    """
    def bound(v: float | None) -> float:
        return math.inf if v is None else v

    (a_low, a_high), (b_low, b_high) = ([bound(v) for v in ranges[c]] for c in (a, b))
    if a_high < b_low:
        return a
    if b_high < a_low:
        return b
    return None


def verdict(winners: dict[str, str | None], task_names: dict[str, str], lang: str = "en") -> str:
    """One sentence on "does the GRU beat the LSTM?", computed from the per-task :func:`winner` results,
    in English or (``lang="ko"``, for the Korean edition; ``task_names`` then in Korean) Korean."""
    named = {task: (NAMES[w] if w else None) for task, w in winners.items()}
    decided = {w for w in named.values() if w}
    if lang == "ko":
        if not decided:
            return "뚜렷한 승자가 없다: 모든 과제에서 GRU와 LSTM의 시드별 범위가 겹친다."
        parts = [f"{task_names[t]}에서는 모든 시드에서 {w}가 더 좋았다" if w else
                 f"{task_names[t]}에서는 뚜렷한 승자가 없다(범위가 겹친다)" for t, w in named.items()]
        lead = f"범위가 갈리는 곳에서는 {decided.pop()}가 더 좋았다" if len(decided) == 1 else "결과가 엇갈린다"
        return f"{lead}: " + "; ".join(parts) + "."
    if not decided:
        return "No clear winner: on every task the GRU's and the LSTM's ranges over the seeds overlap."
    parts = [f"on {task_names[t]} the {w} was better on every seed" if w else
             f"on {task_names[t]} there is no clear winner (the ranges overlap)" for t, w in named.items()]
    lead = f"The {decided.pop()} did better where the ranges separate" if len(decided) == 1 else "Mixed"
    return f"{lead}: " + "; ".join(parts) + "."


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqmodels.comparison",
                                     description="Run chapter 8's sweep and write it to the stored file.")
    parser.add_argument("--out", type=Path, default=SWEEP_FILE)
    args = parser.parse_args(argv)
    sweep = run_sweep(log=lambda line: print(line, flush=True))
    args.out.write_text(json.dumps(sweep, indent=1) + "\n")
    print(f"wrote {args.out} ({sweep['meta']['seconds']} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
