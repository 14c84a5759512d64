# Two commands on a fresh machine with Python 3.11+ (see README.md):
#   make lab    set up, then open the workbook in JupyterLab at the chapters
#   make test   set up, then run everything CI runs
PYTHON ?= python3
# For a room without internet: PIP_OPTS="--no-index --find-links wheelhouse"
# (see INSTRUCTORS.md for making the wheelhouse).
PIP_OPTS ?=
VENV := .venv
BIN := $(VENV)/bin

.PHONY: lab test setup wheelhouse clean

$(BIN)/workbook: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
	  "The workbook needs Python 3.11 or newer; this is " + sys.version.split()[0] + \
	  ". Install one, then run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(PIP_OPTS) --upgrade pip
	$(BIN)/python -m pip install --quiet $(PIP_OPTS) -e .
	@touch $@

setup: $(BIN)/workbook

lab: setup
	$(BIN)/workbook lab

test: setup
	$(BIN)/workbook verify

# Everything `make setup` installs, as files to copy to machines with no internet.
wheelhouse:
	$(PYTHON) -m pip download --quiet --dest wheelhouse pip setuptools .

clean:
	rm -rf $(VENV) site reports
