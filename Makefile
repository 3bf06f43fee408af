# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PYTEST_WORKERS ?= 2

.PHONY: run test test-all test-arviz1 lint format bench bench-quick docs chromium clean

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
	@$(MAKE) --no-print-directory test-arviz1

# The ArviZ matrix: the main venv has ArviZ 0.23 (InferenceData, Python 3.11); ArviZ 1.x
# (xarray DataTree) needs Python >= 3.12. Where such a Python is found (on PATH, or among
# pyenv's versions), a second venv gets pplx + ArviZ 1.x and runs the tests of what
# touches ArviZ; without one, this says it skipped. See docs/installation.md.
VENV_ARVIZ1 := .venv-arviz1
PYTHON_ARVIZ1 ?= $(shell for p in python3.12 python3.13 python3.14 \
	  $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	  $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && \
	  { $$p -c 'import sys; print(sys.executable)'; break; }; done)
ARVIZ1_TESTS := tests/test_conventions.py tests/test_coords.py tests/test_arviz_compat.py \
	tests/test_predictive.py tests/test_prefetch.py \
	"tests/test_doctests.py::test_docstring_examples[pplx.results.arviz_compat]" \
	"tests/test_doctests.py::test_docstring_examples[pplx.results.posterior]" \
	"tests/test_doctests.py::test_docstring_examples[pplx.infer.predictive]" \
	"tests/test_doctests.py::test_docstring_examples[pplx.model.coords]"

$(VENV_ARVIZ1)/.installed: pyproject.toml
	rm -rf $(VENV_ARVIZ1)
	$(PYTHON_ARVIZ1) -m venv $(VENV_ARVIZ1)
	$(VENV_ARVIZ1)/bin/python -m pip install --quiet --upgrade pip
	$(VENV_ARVIZ1)/bin/python -m pip install --quiet -e ".[graph]" "pytest>=8" "scipy>=1.11"
	touch $@

test-arviz1:
	@if [ -z "$(PYTHON_ARVIZ1)" ]; then \
	  echo "ArviZ matrix: no Python >= 3.12 found; skipped the ArviZ 1.x tests" \
	       "(set PYTHON_ARVIZ1=/path/to/python3.12 to run them)"; \
	else \
	  $(MAKE) --no-print-directory $(VENV_ARVIZ1)/.installed PYTHON_ARVIZ1="$(PYTHON_ARVIZ1)" && \
	  $(VENV_ARVIZ1)/bin/python -c 'import sys, arviz; print("ArviZ matrix: Python", \
	    sys.version.split()[0], "+ ArviZ", arviz.__version__, "(DataTree): conventions,", \
	    "coords, ArviZ compatibility (NUTS smoke), predictive, prefetch, results doctests")' && \
	  $(VENV_ARVIZ1)/bin/python -m pytest -q -p no:cacheprovider $(ARVIZ1_TESTS); \
	fi

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
	rm -rf $(VENV) $(VENV_ARVIZ1) .pytest_cache .ruff_cache site .gallery_cache
