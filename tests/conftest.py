"""Test configuration: float64 for reference comparisons, strict rank promotion."""

import importlib.util
import os
from pathlib import Path

import jax
import pytest

jax.config.update("jax_enable_x64", True)
jax.config.update("jax_numpy_rank_promotion", "raise")

# Imported before any test computes: the suite runs with the XLA option that pplx sets
# at import (see pplx/runtime/xla_options.py), as users' programs do.
import pplx  # noqa: E402, F401

REPO = Path(__file__).resolve().parent.parent


def _posteriordb_dir() -> Path:
    return Path(os.environ.get("PPLX_POSTERIORDB", REPO.parent / "shared" / "posteriordb"))


@pytest.fixture(scope="session")
def posteriordb():
    """The posteriordb loader shipped beside the project (``../shared/posteriordb``)."""
    path = _posteriordb_dir() / "posteriordb.py"
    if not path.exists():
        raise FileNotFoundError(
            f"posteriordb not found at {path.parent}; set PPLX_POSTERIORDB to its folder."
        )
    spec = importlib.util.spec_from_file_location("posteriordb", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
