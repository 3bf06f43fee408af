"""The PyMC-style model API: graph, initial points, model-level condition and do."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy import stats

import pplx
import pplx.distributions as dist


@pplx.model
def chain3():
    a = pplx.sample("a", dist.Normal(0.0, 1.0))
    b = pplx.sample("b", dist.Normal(a, 1.0))
    c = pplx.deterministic("c", a + b)
    pplx.sample("d", dist.Normal(c, 1.0), obs=0.5)
    pplx.sample("s", dist.HalfNormal(1.0))


def test_dependency_graph_and_dot():
    from pplx.model.graph import dependencies

    deps = dependencies(chain3())
    assert deps == {"a": [], "b": ["a"], "c": ["a", "b"], "d": ["c"], "s": []}
    dot = chain3().to_dot()
    assert dot.startswith('digraph "chain3"') and '"c" -> "d";' in dot
    assert "fillcolor=lightgrey" in dot.split('"d" [')[1].splitlines()[0]


@pytest.mark.parametrize("strategy", ["center", "uniform", "prior"])
def test_initial_point_strategies(strategy):
    m = chain3()
    point = m.initial_point(strategy, key=jax.random.key(0))
    assert set(point) == {"a", "b", "c", "s"}
    assert float(point["s"]) > 0
    np.testing.assert_allclose(point["c"], point["a"] + point["b"], rtol=1e-6)
    assert np.isfinite(m.logp(point))


def test_initial_point_user_values_and_errors():
    point = chain3().initial_point(values={"a": 2.0})
    assert float(point["a"]) == 2.0 and float(point["c"]) == 2.0
    with pytest.raises(ValueError, match="needs a key"):
        chain3().initial_point("prior")
    with pytest.raises(ValueError, match="unknown strategy"):
        chain3().initial_point("median-ish")


def test_condition_makes_sites_observed():
    m = pplx.condition(chain3(), {"b": 1.0})
    assert [s.name for s in m.free_vars] == ["a", "s"]
    z = jnp.array([0.3, 0.0])
    want = (
        stats.norm.logpdf(0.3)
        + stats.norm(0.3, 1).logpdf(1.0)
        + stats.norm(1.3, 1).logpdf(0.5)
        + stats.halfnorm.logpdf(1.0)
    )
    np.testing.assert_allclose(m.logdensity(z), want, rtol=1e-10)


def test_do_cuts_the_density_of_the_intervened_site():
    m = pplx.do(chain3(), {"a": 2.0})
    assert [s.name for s in m.free_vars] == ["b", "s"]
    z = jnp.array([1.0, 0.0])
    want = (
        stats.norm(2.0, 1).logpdf(1.0) + stats.norm(3.0, 1).logpdf(0.5) + stats.halfnorm.logpdf(1.0)
    )
    np.testing.assert_allclose(m.logdensity(z), want, rtol=1e-10)


def test_condition_on_new_values_reuses_the_compiled_density():
    f = jax.jit(lambda m, z: m.logdensity(z))
    f(pplx.condition(chain3(), {"b": 1.0}), jnp.zeros(2))
    size = f._cache_size()
    f(pplx.condition(chain3(), {"b": 2.0}), jnp.zeros(2))
    assert f._cache_size() == size


def test_condition_unknown_site():
    with pytest.raises(ValueError, match=r"\['zz'\] are not sites"):
        pplx.condition(chain3(), {"zz": 1.0})


@pplx.model
def schools(sigma, y=None):
    mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
    with pplx.plate("school", sigma.shape[0]):
        pplx.sample("y", dist.Normal(mu, sigma), obs=y)


def test_hvp_and_fused_logp_and_grad():
    m = schools(jnp.ones(3), y=jnp.arange(3.0))
    z = jnp.array([0.4])
    value, grad = m.logp_and_grad(z)
    np.testing.assert_allclose(value, m.logdensity(z))
    np.testing.assert_allclose(grad, m.dlogp(z))
    v = jnp.array([2.0])
    np.testing.assert_allclose(m.hvp(z, v), m.d2logp(z) @ v, rtol=1e-10)


def test_constant_data_and_coords_reach_inferencedata():
    m = schools(jnp.ones(3), y=jnp.arange(3.0))
    assert set(m.constant_data()) == {"sigma"}
    names = ["a", "b", "c"]
    idata = pplx.prior_predictive(m, jax.random.key(0), 5, coords={"school": names})
    assert list(idata.prior_predictive["y"].coords["school"].values) == names
    np.testing.assert_array_equal(idata.constant_data["sigma"], np.ones(3))


def test_coords_that_disagree_with_shapes():
    m = schools(jnp.ones(3), y=jnp.arange(3.0))
    with pytest.raises(
        ValueError,
        match=r"coords\['school'\] has 2 values but plate 'school' has size 3",
    ):
        m.check_coords({"school": ["a", "b"]})
    with pytest.raises(ValueError, match="no site has"):
        m.check_coords({"county": [1]})


@pytest.mark.filterwarnings("ignore::pplx.ConvergenceWarning")  # short run
def test_nuts_with_coords_and_advi_init():
    m = schools(jnp.ones(3), y=jnp.arange(3.0))
    idata = pplx.nuts(
        m,
        jax.random.key(0),
        num_warmup=100,
        num_samples=100,
        num_chains=2,
        init="advi",
        coords={"school": ["a", "b", "c"]},
        progress_bar=False,
    )
    assert list(idata.observed_data["y"].coords["school"].values) == ["a", "b", "c"]
    assert "sigma" in idata.constant_data
    with pytest.raises(ValueError, match="'advi' or 'pathfinder'"):
        pplx.nuts(m, jax.random.key(0), init="laplace", progress_bar=False)
