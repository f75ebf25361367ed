# The whole set-up on a fresh machine is `make run` or `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test bench lint dist clean venv

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# One stamp per install flavour, redone when pyproject.toml changes.
$(VENV)/.run-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test]'
	touch $@

venv: $(VENV)/.test-installed

run: $(VENV)/.run-installed
	$(BIN)/python -m gradstudio $(ARGS)

test: $(VENV)/.test-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q $(PYTEST_ARGS)

bench: $(VENV)/.test-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks $(ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check gradstudio tests benchmarks

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache
