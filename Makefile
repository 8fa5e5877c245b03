# The README's commands. Each creates .venv when it is missing and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# llama-cpp-python compiles llama.cpp on install: use every core.
export CMAKE_BUILD_PARALLEL_LEVEL ?= $(shell nproc 2>/dev/null || echo 2)

.PHONY: run test stress bench bench-smoke lint screenshots translations clean package package-check

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + ")")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/vigogne-desktop

test: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

# The long reliability runs (tests/reliability, marker `stress`); figures in bench/results.
stress: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m stress tests/reliability

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy

bench: $(VENV)/.installed-test
	$(BIN)/python -m bench

# What CI runs: the quick benchmarks once, on a small model; their figures are thrown away.
bench-smoke: $(VENV)/.installed-test
	$(BIN)/python -m bench smoke

# Pictures of the main views for the README (light/dark, FR/EN, 125 % and 150 %).
screenshots: $(VENV)/.installed-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python scripts/screenshots.py

# After changing user-visible text: refresh the .ts sources and compile the .qm files.
translations: $(VENV)/.installed-test
	$(BIN)/python scripts/translations.py

# Installers (packaging/README.md): the PyInstaller bundle, then dist/*.deb and dist/*.tar.gz.
# The portable llama.cpp wheel is compiled once into ~/.cache/vigogne-desktop/wheels.
package:
	$(PYTHON) packaging/linux/make_deb.py

# The .deb unpacked into a scratch root and run as an end user would (after `make package`).
package-check:
	$(PYTHON) packaging/linux/package_check.py

clean:
	rm -rf $(VENV) build dist *.egg-info bench/.cache
