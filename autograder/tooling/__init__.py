"""Course tooling: releasing assignments (``python -m autograder.tooling.release``) and the grading benchmark."""
