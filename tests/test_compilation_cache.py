"""JAX's persistent compilation cache across processes: with ``pplx.enable_compilation_cache``
a second process compiles nothing, with the default progress bar too (the drivers then
keep host callbacks out of their programs), and its draws are the first process's
(tests/cache_script.py runs in each process)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pytest

import pplx
from tests.cache_script import mu_draws

SCRIPT = Path(__file__).resolve().parent / "cache_script.py"


def _run(folder):
    env = {**os.environ, "JAX_ENABLE_X64": str(bool(jax.config.jax_enable_x64))}  # as here
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(SCRIPT.parent.parent), env.get("PYTHONPATH")])
    )
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(folder)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "100%" in done.stderr, "the default progress bar was not drawn"
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def two_processes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jax-cache")
    return _run(folder), _run(folder)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_a_second_process_compiles_nothing(two_processes):
    first, second = two_processes
    # every program is looked up in the cache (none holds a host callback) ...
    assert first["events"]["requests"] > 0
    assert first["events"]["misses"] == first["events"]["requests"], first["events"]
    # ... and the second process finds every one there: it compiles nothing
    assert second["events"]["misses"] == 0, second["events"]
    assert second["events"]["hits"] == second["events"]["requests"] == first["events"]["requests"]


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_cached_programs_give_the_same_draws(two_processes):
    first, second = two_processes
    assert first["mu"] == second["mu"]
    # the bar between host-driven blocks draws what one program without a bar draws
    here = mu_draws(progress_bar=False)
    for method, mu in first["mu"].items():
        np.testing.assert_allclose(np.asarray(here[method]), np.asarray(mu), rtol=1e-5)


def test_the_cache_switch_is_reported(tmp_path):
    from pplx.runtime.cache import compilation_cache_on

    assert not compilation_cache_on()  # the suite runs without the cache
    pplx.enable_compilation_cache(tmp_path)
    try:
        assert compilation_cache_on()
        assert jax.config.jax_compilation_cache_dir == str(tmp_path)
    finally:
        pplx.disable_compilation_cache()
    assert not compilation_cache_on()
