"""The PyMC eight-schools model (nutpie's contender in ``bench.run``) has pplx's log
density at the same unconstrained points, to rounding; and ``bench.run`` skips the
nutpie contenders with a message when PyMC or nutpie is missing."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from bench import run as bench_run
from bench.common import NUTPIE_CONTENDERS

POSTERIOR = "eight_schools-eight_schools_noncentered"


def _posteriordb_or_skip():
    from bench.common import posteriordb_dir

    if not (posteriordb_dir() / "posteriordb.py").exists():
        pytest.skip("posteriordb not found (set PPLX_POSTERIORDB)")


def test_pymc_eight_schools_density_equals_pplx():
    pytest.importorskip("pymc", reason="pymc not installed: pip install -e '.[bench-nutpie]'")
    _posteriordb_or_skip()
    from bench.models_pplx import bound_model
    from bench.models_pymc import logp_at, pymc_model, value_names

    m = bound_model(POSTERIOR)  # float64: tests/conftest.py enables x64
    pm_model = pymc_model(POSTERIOR)
    assert set(value_names(pm_model)) == {"mu", "tau", "theta_trans"}
    logp = logp_at(pm_model)
    for i in range(3):
        z = jax.random.uniform(jax.random.key(i), (m.num_dims,), minval=-2.0, maxval=2.0)
        u = {k: np.asarray(v) for k, v in m.unflatten(z).items()}
        expected = float(m.logdensity(z))
        assert logp(u) == pytest.approx(expected, rel=1e-9, abs=1e-9)


def test_run_skips_nutpie_without_it(monkeypatch, capsys):
    monkeypatch.setattr(bench_run, "nutpie_available", lambda: "nutpie not installed")
    contenders, skip = bench_run.drop_unrunnable([POSTERIOR], ["pplx", *NUTPIE_CONTENDERS])
    assert contenders == ["pplx"] and not skip
    assert "skipping contenders nutpie, nutpie_1000" in capsys.readouterr().out


def test_run_skips_models_without_a_pymc_version(monkeypatch):
    monkeypatch.setattr(bench_run, "nutpie_available", lambda: None)
    models = [POSTERIOR, "hmm_example-hmm_example"]
    contenders, skip = bench_run.drop_unrunnable(models, ["pplx", "nutpie"])
    assert contenders == ["pplx", "nutpie"]
    assert skip == {("hmm_example-hmm_example", "nutpie")}
