# Two commands on a fresh machine with Python 3.11+ (see README.md):
#   make lab    set up, then open the workbook in JupyterLab at the chapters
#   make test   set up, then run everything CI runs
PYTHON ?= python3
# For a room without internet: PIP_OPTS="--no-index --find-links wheelhouse"
# (see INSTRUCTORS.md for making the wheelhouse).
PIP_OPTS ?=
VENV := .venv
BIN := $(VENV)/bin
# The installer: uv when it is on PATH or can be fetched into the venv (a
# fresh setup in seconds), pip otherwise. Both install exactly the locked set,
# compiled to bytecode: where PYTHONDONTWRITEBYTECODE is set (this CI machine sets
# it), nothing would ever be compiled again, and every process would parse the
# libraries afresh (a bare pytest run: 2.0 s instead of 1.2 s).
UV_VERSION := 0.13.8

.PHONY: lab test setup lock wheelhouse clean

$(BIN)/workbook: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else \
	  "The workbook needs Python 3.11 or newer; this is " + sys.version.split()[0] + \
	  ". Install one, then run: make PYTHON=python3.11 ...")'
	$(PYTHON) -m venv $(VENV)
	@uv=$$(command -v uv || true); \
	if [ -z "$$uv" ] && $(BIN)/python -m pip install --quiet $(PIP_OPTS) uv==$(UV_VERSION) 2>/dev/null; then \
	  uv=$(BIN)/uv; fi; \
	if [ -n "$$uv" ]; then \
	  echo "installing the locked packages with uv"; \
	  "$$uv" pip sync --quiet --require-hashes --compile-bytecode --python $(BIN)/python $(PIP_OPTS) requirements.lock && \
	  "$$uv" pip install --quiet --python $(BIN)/python $(PIP_OPTS) --no-deps -e .; \
	else \
	  echo "uv is not available: installing the locked packages with pip (a minute or so)"; \
	  $(BIN)/python -m pip install --quiet $(PIP_OPTS) --require-hashes -r requirements.lock && \
	  $(BIN)/python -m pip install --quiet $(PIP_OPTS) --no-deps -e .; \
	fi
	@touch $@

setup: $(BIN)/workbook

lab: setup
	$(BIN)/workbook lab

test: setup
	$(BIN)/workbook verify

# After changing the dependencies in pyproject.toml: the whole tree, pinned with
# hashes, for Linux, macOS and Windows, and the same pins in environment.yml
# (tests/workbook/test_packaging.py fails until they agree).
lock: setup
	"$$(command -v uv || echo $(BIN)/uv)" pip compile pyproject.toml --universal --generate-hashes --python-version 3.11 \
	  --custom-compile-command "make lock" --quiet -o requirements.lock
	$(BIN)/python -m workbook.lockfile

# Everything `make setup` installs, as files to copy to machines with no internet.
wheelhouse:
	$(PYTHON) -m pip download --quiet --dest wheelhouse --require-hashes -r requirements.lock
	$(PYTHON) -m pip download --quiet --dest wheelhouse uv==$(UV_VERSION) setuptools

clean:
	rm -rf $(VENV) site reports
