# The whole set-up on a fresh machine is `make run` or `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test test-big bench lint dist dist-check clean venv

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

# Bytecode is compiled ahead (as pip does for an installed package), so a launch never
# compiles the app's modules, even where PYTHONDONTWRITEBYTECODE is set; up to date, it is
# a few milliseconds.
run: $(VENV)/.run-installed
	$(BIN)/python -m compileall -q gradstudio
	$(BIN)/python -m gradstudio $(ARGS)

test: $(VENV)/.test-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q $(PYTEST_ARGS)

# The hostile corpus's big files (50 MB, 1e6 nodes, 100,000 cards opened): a few minutes.
test-big: $(VENV)/.test-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m big $(PYTEST_ARGS)

bench: $(VENV)/.test-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m benchmarks $(ARGS)

# Style (ruff), then the layer contracts of pyproject.toml's [tool.importlinter] (import-linter).
lint: $(VENV)/.test-installed
	$(BIN)/ruff check gradstudio tests benchmarks
	$(BIN)/lint-imports --no-logo

# A one-folder bundle, built in its own venv that holds only what the app needs.
DIST_VENV := .venv-dist
$(DIST_VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(DIST_VENV)
	$(DIST_VENV)/bin/python -m pip install -q . "pyinstaller>=6.10"
	touch $@

dist: $(DIST_VENV)/.installed
	$(DIST_VENV)/bin/python -m pip install -q --force-reinstall --no-deps .
	$(DIST_VENV)/bin/pyinstaller --noconfirm --clean --log-level WARN \
		--distpath dist --workpath build/pyinstaller packaging/gradstudio.spec
	@du -sh dist/gradstudio

# Run the built bundle the way a user would: it must start and give the notebook's numbers.
dist-check: dist
	QT_QPA_PLATFORM=offscreen dist/gradstudio/gradstudio --version
	QT_QPA_PLATFORM=offscreen dist/gradstudio/gradstudio --smoke-test

clean:
	rm -rf $(VENV) $(DIST_VENV) build dist .pytest_cache .ruff_cache .import_linter_cache
