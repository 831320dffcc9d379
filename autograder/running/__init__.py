"""How student code runs: intake, plan, sandbox, engine, gradebook and feedback (the ``autograder`` command)."""
