# ticketing — `make run` starts the store, `make test` runs the whole suite. Both install what they need.
SHELL := /bin/bash
# Any python3.13 that works, or PYTHON=... (pyenv's bare shim needs a version, so look behind it too).
PYTHON ?= $(shell for p in python3.13 $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.13*/bin/python3.13 2>/dev/null); do \
	$$p -c 'import sys; assert sys.version_info[:2] == (3, 13)' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
STAMP := $(VENV)/.installed

.PHONY: run test bench browser lint clean

$(STAMP): setup.cfg pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.13 not found: set PYTHON=/path/to/python3.13" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $@

run: $(STAMP)
	$(BIN)/python -m app.platform.runner

browser:
	@test -x $(CHROMIUM) || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null; }

test: $(STAMP) browser
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/lint-imports
	$(BIN)/ruff check --isolated --line-length 120 --select E,F,W,I,B,UP app migrations tests bench

clean:
	rm -rf $(VENV) instance test-output .pytest_cache
