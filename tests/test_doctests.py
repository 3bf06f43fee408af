"""Every ``Example:`` in the public docstrings runs."""

import doctest
import importlib
import pkgutil

import pytest

import pplx

MODULES = sorted(m.name for m in pkgutil.walk_packages(pplx.__path__, prefix="pplx."))


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # tiny example runs
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest(s) failed in {name}"
