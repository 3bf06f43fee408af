"""Time series of posteriordb: arK (autoregression of order K) and garch11."""

import jax
import jax.numpy as jnp
import numpy as np

import pplx
import pplx.distributions as dist

C = dist.constraints


@pplx.model
def ark(lags, y_obs):
    """y[t] ~ normal(alpha + sum_k beta[k] y[t-k], sigma); lags[i, k] = y[i + K - k - 1]."""
    alpha = pplx.sample("alpha", dist.Normal(0.0, 10.0))
    beta = pplx.sample("beta", dist.Normal(0.0, 10.0).expand((lags.shape[1],)).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfCauchy(2.5))
    with pplx.plate("obs", y_obs.shape[0]):
        pplx.sample("y", dist.Normal(alpha + lags @ beta, sigma), obs=y_obs)


def garch_sigma(y, sigma1, mu, alpha0, alpha1, beta1):
    """sigma[t] = sqrt(alpha0 + alpha1 (y[t-1] - mu)^2 + beta1 sigma[t-1]^2), sigma[1] = sigma1."""

    def step(sigma_prev, y_prev):
        sigma = jnp.sqrt(alpha0 + alpha1 * (y_prev - mu) ** 2 + beta1 * sigma_prev**2)
        return sigma, sigma

    _, rest = jax.lax.scan(step, sigma1, y[:-1])
    return jnp.concatenate([jnp.reshape(sigma1, (1,)), rest])


@pplx.model
def garch11(y, sigma1):
    """Flat priors; beta1's upper bound 1 - alpha1 is evaluated at each draw."""
    mu = pplx.sample("mu", dist.ImproperUniform(C.real))
    alpha0 = pplx.sample("alpha0", dist.ImproperUniform(C.positive))
    alpha1 = pplx.sample("alpha1", dist.ImproperUniform(C.unit_interval))
    beta1 = pplx.sample("beta1", dist.ImproperUniform(C.interval(0.0, 1.0 - alpha1)))
    sigma = garch_sigma(y, sigma1, mu, alpha0, alpha1, beta1)
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu, sigma), obs=y)


def ark_data(d):
    y, k = np.asarray(d["y"], dtype=np.float64), int(d["K"])
    lags = np.stack([y[k - 1 - j : y.shape[0] - 1 - j] for j in range(k)], axis=1)
    return {"lags": lags, "y_obs": y[k:]}


def garch_data(d):
    return {"y": np.asarray(d["y"], dtype=np.float64), "sigma1": np.float64(d["sigma1"])}
