"""The grader's handle on a warm sandbox worker (``python -m autograder.sandbox --worker``).

Light on imports on purpose: the command line starts its workers before it imports nbgrader, so the
workers' ``import torch`` overlaps the grader's own start-up.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import asdict

from autograder import wire
from autograder.sandbox import Limits

SECRET_MODULES = ("autograder.checks", "autograder.reference", "autograder.variants", "seqmodels")
PRELOAD = ("numpy", "torch", "autograder.probes")


class Worker:
    """A warm ``python -m autograder.sandbox --worker`` process: imports done once, no secrets loaded."""

    def __init__(self, index: int, preload: Iterable[str]):
        self.index, self.preload = index, ",".join(preload)
        self.proc: subprocess.Popen | None = None
        self.ready = False

    def spawn(self) -> Worker:
        """Start the process; it imports its modules while the caller goes on."""
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.sandbox", "--worker", str(self.index), "--preload", self.preload],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env, cwd="/",
        )
        return self

    def start(self) -> None:
        """Spawn if needed, then wait until the worker is ready and check it holds no grading secrets."""
        if self.proc is None or self.proc.poll() is not None:
            self.spawn()
            self.ready = False
        if self.ready:
            return
        ready = wire.read_message(self.proc.stdout)
        self.ready = True
        leaked = [m for m in ready["modules"] if m.startswith(SECRET_MODULES)]
        if leaked:
            self.stop()
            raise RuntimeError(f"sandbox worker imported grading secrets {leaked}: refusing to run student code")

    def run(self, job: dict, limits: Limits) -> dict:
        self.start()
        try:
            self.proc.stdin.write(wire.encode({"job": job, "limits": asdict(limits)}))
            self.proc.stdin.flush()
            return wire.read_message(self.proc.stdout)
        except (EOFError, BrokenPipeError, wire.WireError) as err:
            self.stop()
            return {"events": [], "exit": -1, "wall": 0.0, "worker_error": str(err)}

    def stop(self) -> None:
        if self.proc is not None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
            self.proc, self.ready = None, False


def available_preload() -> list[str]:
    """The modules a worker imports once: numpy, torch, and the probes (which hold no secrets)."""
    return [m for m in PRELOAD if importlib.util.find_spec(m) is not None]
