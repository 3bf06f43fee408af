# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PYTEST_WORKERS ?= 2

.PHONY: run test test-all lint format bench bench-quick docs chromium clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -e ".[test,docs]"
	touch $@

$(VENV)/.installed-docs: $(VENV)/.installed
	$(PIP) install --quiet -e ".[docs]"
	touch $@

# headless Chromium for the site test (tests/test_site.py): Debian's package
chromium:
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	  { SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

$(VENV)/.installed-bench: $(VENV)/.installed
	$(PIP) install --quiet -e ".[bench]"
	touch $@

run: $(VENV)/.installed
	$(PY) examples/eight_schools.py

test: $(VENV)/.installed-test chromium
	$(PY) -m pytest -n $(PYTEST_WORKERS) -m "not slow" tests

test-all: $(VENV)/.installed-test chromium
	$(PY) -m pytest -n $(PYTEST_WORKERS) tests

lint: $(VENV)/.installed-test
	$(PY) -m ruff check pplx tests examples bench
	$(PY) -m ruff format --check pplx tests examples bench

format: $(VENV)/.installed-test
	$(PY) -m ruff format pplx tests examples bench
	$(PY) -m ruff check --fix pplx tests examples bench

bench: $(VENV)/.installed-bench
	$(PY) -m bench.run

bench-quick: $(VENV)/.installed-bench
	$(PY) -m bench.run --quick

# the site, gallery included (examples run only when their source changed), into site/
docs: $(VENV)/.installed-docs
	$(PY) docs/build.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache site .gallery_cache
