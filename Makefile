# One entry point. `make book` builds the site, `make test` runs the checks (building the site first).
PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed-from-requirements
# nbgrader shells out to alembic, and Jupyter finds kernels and tools on PATH: put the venv first.
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: book test lint clean exercises student-edition i18n-check i18n-update

# (Re)install when the venv is missing or requirements.txt changed since the last install.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $(STAMP)

# Cached execution (execute_notebooks: cache in _config.yml), warnings are errors, a failing cell fails.
# Then the Korean edition into _build/html/ko from the same execution cache (it executes nothing), and the list
# of English messages that have no current Korean translation (README, "Korean edition").
book: $(STAMP)
	$(BIN)/jupyter-book build . -W --keep-going
	$(BIN)/python book/_ext/course_editions.py ko
	$(BIN)/python book/_ext/course_editions.py check

# Fails when any English message has no current (non-fuzzy) Korean translation.
i18n-check: $(STAMP)
	$(BIN)/python book/_ext/course_editions.py check --strict

# After English changes: regenerate the .pot files and merge them into book/locales/ko (sphinx-intl marks
# changed messages fuzzy and adds new ones untranslated).
i18n-update: $(STAMP)
	$(BIN)/python book/_ext/course_editions.py update

lint: $(STAMP)
	$(BIN)/ruff check .

# Student notebooks: exercises/<id>/ regenerated from solutions/<id>/ by nbgrader (solutions and hidden tests removed).
exercises: $(STAMP)
	$(BIN)/python -m autograder.tooling.release

# The public student edition (no solutions, hidden tests or grader) into DEST, leak-checked; see README.
student-edition: $(STAMP)
	@test -n "$(DEST)" || { echo "usage: make student-edition DEST=../course-public"; exit 2; }
	$(BIN)/python -m autograder.tooling.student_edition "$(DEST)"

test: book lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf _build
