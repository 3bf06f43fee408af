"""The five models of the SBC checks (tests/test_sbc.py slow tests, bench/sbc_bench.py)."""

import jax.numpy as jnp
import numpy as np

import pplx
import pplx.distributions as dist


@pplx.model
def normal_mean(y):
    mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu, 1.0), obs=y)


@pplx.model
def eight_schools_noncentered(sigma, y):
    mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
    tau = pplx.sample("tau", dist.HalfCauchy(5.0))
    with pplx.plate("school", sigma.shape[0]):
        theta_z = pplx.sample("theta_z", dist.Normal(0.0, 1.0))
        pplx.sample("y", dist.Normal(mu + tau * theta_z, sigma), obs=y)


@pplx.model
def logistic_regression(x, y):
    alpha = pplx.sample("alpha", dist.Normal(0.0, 1.0))
    beta = pplx.sample("beta", dist.Normal(0.0, 1.0).expand((x.shape[1],)).to_event(1))
    with pplx.plate("obs", x.shape[0]):
        pplx.sample("y", dist.Bernoulli(logits=alpha + x @ beta), obs=y)


@pplx.model
def hierarchical_poisson(group, y, num_groups):
    mu = pplx.sample("mu", dist.Normal(1.0, 0.5))
    sigma = pplx.sample("sigma", dist.HalfNormal(0.5))
    with pplx.plate("group", num_groups):
        z = pplx.sample("z", dist.Normal(0.0, 1.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Poisson(jnp.exp(mu + sigma * z[group])), obs=y)


@pplx.model
def dirichlet_categorical(y):
    theta = pplx.sample("theta", dist.Dirichlet(jnp.full(4, 2.0)))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Categorical(probs=theta), obs=y)


def bound_models():
    """name -> the bound model (the observed data are placeholders: SBC simulates them)."""
    rng = np.random.default_rng(0)
    sigma = jnp.array([15.0, 10.0, 16.0, 11.0, 9.0, 11.0, 10.0, 18.0])
    x = jnp.asarray(rng.normal(size=(40, 3)))
    group = jnp.repeat(jnp.arange(6), 5)
    return {
        "normal_mean": normal_mean(jnp.zeros(10)),
        "eight_schools_noncentered": eight_schools_noncentered(sigma, jnp.zeros(8)),
        "logistic_regression": logistic_regression(x, jnp.zeros(40)),
        "hierarchical_poisson": hierarchical_poisson(group, jnp.zeros(30, jnp.int32), 6),
        "dirichlet_categorical": dirichlet_categorical(jnp.zeros(20, jnp.int32)),
    }
