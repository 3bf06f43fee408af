"""pplx's results follow ArviZ's conventions; the model graph follows PyMC's.

Oracles: ArviZ itself (its group names, ``az.loo`` needing ``log_likelihood``, its
sample-stat names), the model's own plates and dependencies, and a fresh ArviZ import in
a subprocess (which prints the refactor FutureWarning that pplx must not).
"""

import os
import shutil
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import pplx
import pplx.distributions as dist
from pplx.model.graph import dependencies
from pplx.results.arviz_compat import arviz_major, group_names

NAMES = ["a", "b", "c", "d"]
ARVIZ_STATS = {"lp", "diverging", "acceptance_rate", "energy", "n_steps", "tree_depth", "step_size"}


@pplx.model
def schools(sigma, y=None):
    mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
    tau = pplx.sample("tau", dist.HalfNormal(5.0))
    with pplx.plate("school", sigma.shape[0]):
        z = pplx.sample("theta_z", dist.Normal(0.0, 1.0))
        theta = pplx.deterministic("theta", mu + tau * z)
        pplx.sample("y", dist.Normal(theta, sigma), obs=y)


SIGMA = jnp.array([10.0, 12.0, 9.0, 15.0])
Y = jnp.array([5.0, -2.0, 8.0, 1.0])


@pytest.fixture(scope="module")
def idata():
    return pplx.nuts(
        schools(SIGMA, y=Y),
        jax.random.key(0),
        num_warmup=150,
        num_samples=100,
        num_chains=2,
        coords={"school": NAMES},
        log_likelihood=True,
        progress_bar=False,
    )


def _school_coords_everywhere(idata, groups):
    for group in groups:
        ds = idata[group]
        assert "school" in ds.dims, f"{group} has no 'school' dim: {dict(ds.sizes)}"
        assert ds["school"].values.tolist() == NAMES, group


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_nuts_groups_dims_and_coords(idata):
    groups = set(group_names(idata))
    assert {"posterior", "sample_stats", "log_likelihood", "observed_data"} <= groups
    assert idata.posterior["theta"].dims == ("chain", "draw", "school")
    assert idata.log_likelihood["y"].dims == ("chain", "draw", "school")
    assert idata.observed_data["y"].dims == ("school",)
    np.testing.assert_allclose(idata.observed_data["y"].values, Y)
    _school_coords_everywhere(idata, ["posterior", "log_likelihood", "observed_data"])
    assert ARVIZ_STATS <= set(idata.sample_stats.data_vars)


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
@pytest.mark.filterwarnings("ignore:Estimated shape parameter of Pareto:UserWarning")
def test_constant_data_and_loo(idata):
    import arviz as az

    assert "constant_data" in group_names(idata)
    np.testing.assert_allclose(idata.constant_data["sigma"].values, SIGMA)
    # the oracle: ArviZ's own LOO reads log_likelihood with the posterior's shape
    loo = az.loo(idata)
    assert np.isfinite(loo.elpd_loo if arviz_major() == 0 else loo.elpd)  # 1.x renamed it
    # pointwise log-likelihood equals the Normal density at each draw
    theta, y, sigma = idata.posterior["theta"].values, np.asarray(Y), np.asarray(SIGMA)
    expect = -0.5 * ((y - theta) / sigma) ** 2 - np.log(sigma) - 0.5 * np.log(2 * np.pi)
    np.testing.assert_allclose(idata.log_likelihood["y"].values, expect, rtol=1e-4, atol=1e-4)


def test_prior_predictive_groups_and_coords():
    prior = pplx.prior_predictive(
        schools(SIGMA, y=Y), jax.random.key(1), 50, coords={"school": NAMES}
    )
    groups = set(group_names(prior))
    assert {"prior", "prior_predictive", "observed_data", "constant_data"} <= groups
    assert prior.prior["theta"].dims == ("chain", "draw", "school")
    _school_coords_everywhere(prior, ["prior", "prior_predictive", "observed_data"])


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")
def test_posterior_predictive_coords(idata):
    ppc = pplx.posterior_predictive(
        schools(SIGMA, y=Y), idata, jax.random.key(2), coords={"school": NAMES}
    )
    assert ppc.posterior_predictive["y"].shape == (2, 100, 4)
    _school_coords_everywhere(ppc, ["posterior_predictive", "observed_data"])


def test_bad_coords_name_the_dimension():
    with pytest.raises(ValueError, match="'school'"):
        pplx.prior_predictive(schools(SIGMA, y=Y), jax.random.key(1), 5, coords={"school": ["a"]})


@pplx.model
def nested(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    with pplx.plate("col", y.shape[1]):
        a = pplx.sample("a", dist.Normal(mu, 1.0))
        with pplx.plate("row", y.shape[0]):
            c = pplx.deterministic("c", 2.0 * a)
            pplx.sample("y", dist.Normal(c, 0.5), obs=y)


def test_model_graph_plates_are_nested_clusters():
    pytest.importorskip("graphviz")
    source = pplx.model_graph(nested(jnp.zeros((3, 5)))).source
    col, row = source.index("subgraph cluster_col"), source.index("subgraph cluster_row")
    assert col < row and 'label="col (5)"' in source and 'label="row (3)"' in source
    # mu is outside every plate, a inside col only, c and y inside row
    assert source.index("\tmu [") < col
    assert col < source.index("a [") < row < source.index("c [") < source.index("y [")
    edges = {line.strip() for line in source.splitlines() if "->" in line}
    assert edges == {"mu -> a", "a -> c", "c -> y"}
    assert "fillcolor=lightgrey" in source.split("y [", 1)[1].split("]")[0]  # observed


def test_model_graph_edges_follow_dependencies():
    pytest.importorskip("graphviz")
    model = schools(SIGMA, y=Y)
    source = pplx.model_graph(model).source
    edges = {line.strip() for line in source.splitlines() if "->" in line}
    expect = {f"{p} -> {c}" for c, ps in dependencies(model).items() for p in ps}
    assert edges == expect == {"mu -> theta", "tau -> theta", "theta_z -> theta", "theta -> y"}


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot program is absent")
def test_model_graph_renders_to_svg():
    pytest.importorskip("graphviz")
    svg = pplx.model_graph(nested(jnp.zeros((3, 5)))).pipe(format="svg").decode()
    assert "<svg" in svg and "row (3)" in svg


def test_model_graph_needs_a_bound_model():
    with pytest.raises(TypeError, match="bound model"):
        pplx.model_graph(nested)


def _fresh_python(code: str, cache_dir) -> str:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_dir), "PYTHONWARNINGS": "default"}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stderr


@pytest.mark.slow  # two fresh interpreters importing JAX and ArviZ
def test_no_arviz_refactor_warning_from_pplx(tmp_path):
    # ArviZ warns once a day per cache directory: a fresh one makes it warn
    code = (
        "import numpy as np; from pplx.results import Posterior; "
        "Posterior(draws={'x': np.zeros((1, 3))}, stats={}).to_arviz()"
    )
    assert "undergoing a major refactor" not in _fresh_python(code, tmp_path / "a")
    # the oracle: the same fresh start with a plain import does print it (ArviZ 0.x only:
    # 1.x, the refactor itself, prints no such warning)
    if arviz_major() == 0:
        assert "undergoing a major refactor" in _fresh_python("import arviz", tmp_path / "b")
