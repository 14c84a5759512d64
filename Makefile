# Two commands on a fresh machine with Python 3.11+ (see README.md):
#   make lab    set up, then open the workbook in JupyterLab at the chapters
#   make test   set up, then run everything CI runs
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: lab test setup clean

$(BIN)/workbook: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
	  "The workbook needs Python 3.11 or newer; this is " + sys.version.split()[0] + \
	  ". Install one, then run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

setup: $(BIN)/workbook

lab: setup
	$(BIN)/workbook lab

test: setup
	$(BIN)/workbook verify

clean:
	rm -rf $(VENV) site reports
