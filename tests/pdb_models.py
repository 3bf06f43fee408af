"""pplx versions of posteriordb models used by the sampler tests (see the posteriordb
README for the math), with their data preparation."""

import jax.numpy as jnp
import numpy as np

import pplx
import pplx.distributions as dist


@pplx.model
def eight_schools_noncentered(sigma, y=None):
    mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
    tau = pplx.sample("tau", dist.HalfCauchy(5.0))
    with pplx.plate("school", sigma.shape[0]):
        theta_trans = pplx.sample("theta_trans", dist.Normal(0.0, 1.0))
        theta = pplx.deterministic("theta", mu + tau * theta_trans)
        pplx.sample("y", dist.Normal(theta, sigma), obs=y)


@pplx.model
def kidscore_momhsiq(mom_hs, mom_iq, kid_score=None):
    beta = pplx.sample("beta", dist.Flat((3,)))
    sigma = pplx.sample("sigma", dist.HalfCauchy(2.5))
    mean = beta[0] + beta[1] * mom_hs + beta[2] * mom_iq
    with pplx.plate("child", mom_hs.shape[0]):
        pplx.sample("kid_score", dist.Normal(mean, sigma), obs=kid_score)


@pplx.model
def ark(y, num_lags):
    alpha = pplx.sample("alpha", dist.Normal(0.0, 10.0))
    beta = pplx.sample("beta", dist.Normal(0.0, 10.0).expand((num_lags,)).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfCauchy(2.5))
    n = y.shape[0]
    lags = jnp.stack([y[num_lags - k - 1 : n - k - 1] for k in range(num_lags)], axis=-1)
    with pplx.plate("time", n - num_lags):
        pplx.sample("y", dist.Normal(alpha + lags @ beta, sigma), obs=y[num_lags:])


def bind(name: str, data: dict):
    """The bound pplx model of a posteriordb posterior."""
    f = lambda k: jnp.asarray(np.asarray(data[k], dtype=float))
    if name == "eight_schools-eight_schools_noncentered":
        return eight_schools_noncentered(f("sigma"), y=f("y"))
    if name == "kidiq-kidscore_momhsiq":
        return kidscore_momhsiq(f("mom_hs"), f("mom_iq"), kid_score=f("kid_score"))
    if name == "arK-arK":
        return ark(f("y"), int(data["K"]))
    raise KeyError(name)
