"""The single-program families of posteriordb: eight schools (a hierarchy), a Gaussian
process Poisson regression, and a two-component normal mixture."""

import jax.numpy as jnp
import numpy as np

import pplx
import pplx.distributions as dist

C = dist.constraints


@pplx.model
def eight_schools_noncentered(y, sigma):
    """theta = mu + tau * theta_trans (reported), y ~ normal(theta, sigma)."""
    mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
    tau = pplx.sample("tau", dist.HalfCauchy(5.0))
    with pplx.plate("school", y.shape[0]):
        z = pplx.sample("theta_trans", dist.Normal(0.0, 1.0))
        theta = pplx.deterministic("theta", mu + tau * z)
        pplx.sample("y", dist.Normal(theta, sigma), obs=y)


def gp_cholesky(x, alpha, rho):
    """Cholesky factor of alpha^2 exp(-(x_i - x_j)^2 / (2 rho^2)) + 1e-10 I."""
    d = x[:, None] - x[None, :]
    cov = alpha**2 * jnp.exp(-(d**2) / (2.0 * rho**2)) + 1e-10 * jnp.eye(x.shape[0])
    return jnp.linalg.cholesky(cov)


@pplx.model
def gp_pois_regr(x, k):
    """f = chol(K) f_tilde (reported), k ~ poisson_log(f)."""
    rho = pplx.sample("rho", dist.Gamma(25.0, 4.0))
    alpha = pplx.sample("alpha", dist.HalfNormal(2.0))
    with pplx.plate("point", x.shape[0]):
        f_tilde = pplx.sample("f_tilde", dist.Normal(0.0, 1.0))
    f = pplx.deterministic("f", gp_cholesky(x, alpha, rho) @ f_tilde)
    with pplx.plate("point", x.shape[0]):
        pplx.sample("k", dist.Poisson(jnp.exp(f)), obs=k)


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
