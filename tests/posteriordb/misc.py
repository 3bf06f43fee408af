"""The single-program families of posteriordb: eight schools (a hierarchy), a Gaussian
process Poisson regression, and a two-component normal mixture."""

import jax.numpy as jnp
import numpy as np

import pplx
import pplx.distributions as dist

# the benchmark's models are the same programs: one definition serves both
from bench.models_pplx import eight_schools as eight_schools_noncentered  # noqa: F401
from bench.models_pplx import gp_pois_regr  # noqa: F401

C = dist.constraints


@pplx.model
def low_dim_gauss_mix(y):
    """mu ordered with a normal(0, 2) prior, sigma half-normal(2), theta ~ beta(5, 5)."""
    mu = pplx.sample("mu", dist.ImproperUniform(C.ordered_vector, (), (2,)))
    pplx.factor("mu_prior", jnp.sum(dist.Normal(0.0, 2.0).log_prob(mu)))
    sigma = pplx.sample("sigma", dist.HalfNormal(2.0).expand((2,)).to_event(1))
    theta = pplx.sample("theta", dist.Beta(5.0, 5.0))
    lik = jnp.logaddexp(
        jnp.log(theta) + dist.Normal(mu[0], sigma[0]).log_prob(y),
        jnp.log1p(-theta) + dist.Normal(mu[1], sigma[1]).log_prob(y),
    )
    pplx.factor("y", jnp.sum(lik))


def _f(x):
    return np.asarray(x, dtype=np.float64)


def eight_schools_data(d):
    return {"y": _f(d["y"]), "sigma": _f(d["sigma"])}


def gp_data(d):
    return {"x": _f(d["x"]), "k": np.asarray(d["k"], dtype=np.int64)}


def gauss_mix_data(d):
    return {"y": _f(d["y"])}
