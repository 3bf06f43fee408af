"""The benchmark posteriors as pplx models.

Site names, priors and supports match ``models_numpyro`` and ``models_blackjax``. A
bounded parameter with no prior (Stan's convention: flat on its support) is an
``ImproperUniform``; a prior on a support with no ready-made distribution (a half
Student-t, a normal on an ordered vector) is a flat site plus ``pplx.factor``.
"""

from __future__ import annotations

import jax.numpy as jnp

import pplx
import pplx.distributions as dist
from bench.common import model_data
from bench.models_blackjax import garch_sigma, gp_cholesky, hmm_forward, student_t_sigma_prior

C = dist.constraints


def _flat(support, event_shape=()):
    return dist.ImproperUniform(support, (), event_shape)


@pplx.model
def eight_schools(y, sigma):
    mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
    tau = pplx.sample("tau", dist.HalfCauchy(5.0))
    with pplx.plate("school", y.shape[0]):
        z = pplx.sample("theta_trans", dist.Normal(0.0, 1.0))
        theta = pplx.deterministic("theta", mu + tau * z)
        pplx.sample("y", dist.Normal(theta, sigma), obs=y)


@pplx.model
def kidiq(kid_score, mom_hs, mom_iq):
    beta = pplx.sample("beta", _flat(C.real_vector, (3,)))
    sigma = pplx.sample("sigma", dist.HalfCauchy(2.5))
    mean = beta[0] + beta[1] * mom_hs + beta[2] * mom_iq
    with pplx.plate("obs", kid_score.shape[0]):
        pplx.sample("kid_score", dist.Normal(mean, sigma), obs=kid_score)


@pplx.model
def earnings(log_earn, height, male):
    beta = pplx.sample("beta", _flat(C.real_vector, (4,)))
    sigma = pplx.sample("sigma", _flat(C.positive))
    mean = beta[0] + beta[1] * height + beta[2] * male + beta[3] * height * male
    with pplx.plate("obs", log_earn.shape[0]):
        pplx.sample("log_earn", dist.Normal(mean, sigma), obs=log_earn)


@pplx.model
def nes(x, partyid7):
    beta = pplx.sample("beta", _flat(C.real_vector, (x.shape[1] + 1,)))
    sigma = pplx.sample("sigma", _flat(C.positive))
    mean = beta[0] + x @ beta[1:]
    with pplx.plate("obs", partyid7.shape[0]):
        pplx.sample("partyid7", dist.Normal(mean, sigma), obs=partyid7)


@pplx.model
def sblrc(X, y):
    beta = pplx.sample("beta", dist.Normal(0.0, 10.0).expand((X.shape[1],)).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfNormal(10.0))
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(X @ beta, sigma), obs=y)


@pplx.model
def ark(lags, y_obs):
    alpha = pplx.sample("alpha", dist.Normal(0.0, 10.0))
    beta = pplx.sample("beta", dist.Normal(0.0, 10.0).expand((lags.shape[1],)).to_event(1))
    sigma = pplx.sample("sigma", dist.HalfCauchy(2.5))
    with pplx.plate("obs", y_obs.shape[0]):
        pplx.sample("y", dist.Normal(alpha + lags @ beta, sigma), obs=y_obs)


@pplx.model
def garch(y, sigma1):
    mu = pplx.sample("mu", _flat(C.real))
    alpha0 = pplx.sample("alpha0", _flat(C.positive))
    alpha1 = pplx.sample("alpha1", _flat(C.unit_interval))
    # a bound that depends on another parameter: pplx evaluates it at each draw
    beta1 = pplx.sample("beta1", _flat(C.interval(0.0, 1.0 - alpha1)))
    sigma = garch_sigma(y, sigma1, mu, alpha0, alpha1, beta1)
    with pplx.plate("obs", y.shape[0]):
        pplx.sample("y", dist.Normal(mu, sigma), obs=y)


@pplx.model
def gp_pois_regr(x, k):
    rho = pplx.sample("rho", dist.Gamma(25.0, 4.0))
    alpha = pplx.sample("alpha", dist.HalfNormal(2.0))
    with pplx.plate("point", x.shape[0]):
        f_tilde = pplx.sample("f_tilde", dist.Normal(0.0, 1.0))
    f = pplx.deterministic("f", gp_cholesky(x, alpha, rho) @ f_tilde)
    with pplx.plate("point", x.shape[0]):
        pplx.sample("k", dist.Poisson(jnp.exp(f)), obs=k)


@pplx.model
def gauss_mix(y):
    mu = pplx.sample("mu", _flat(C.ordered_vector, (2,)))
    pplx.factor("mu_prior", jnp.sum(dist.Normal(0.0, 2.0).log_prob(mu)))
    sigma = pplx.sample("sigma", dist.HalfNormal(2.0).expand((2,)).to_event(1))
    theta = pplx.sample("theta", dist.Beta(5.0, 5.0))
    lik = jnp.logaddexp(
        jnp.log(theta) + dist.Normal(mu[0], sigma[0]).log_prob(y),
        jnp.log1p(-theta) + dist.Normal(mu[1], sigma[1]).log_prob(y),
    )
    pplx.factor("y", jnp.sum(lik))


@pplx.model
def diamonds(Xc, Y):
    b = pplx.sample("b", dist.Normal(0.0, 1.0).expand((Xc.shape[1],)).to_event(1))
    intercept = pplx.sample("Intercept", dist.StudentT(3.0, 8.0, 10.0))
    sigma = pplx.sample("sigma", _flat(C.positive))
    pplx.factor("sigma_prior", student_t_sigma_prior(sigma))
    with pplx.plate("obs", Y.shape[0]):
        pplx.sample("Y", dist.Normal(intercept + Xc @ b, sigma), obs=Y)


@pplx.model
def hmm_example(y):
    theta1 = pplx.sample("theta1", _flat(C.simplex, (2,)))
    theta2 = pplx.sample("theta2", _flat(C.simplex, (2,)))
    mu = pplx.sample("mu", _flat(C.positive_ordered_vector, (2,)))
    pplx.factor(
        "mu_prior",
        dist.Normal(3.0, 1.0).log_prob(mu[0]) + dist.Normal(10.0, 1.0).log_prob(mu[1]),
    )
    log_trans = jnp.log(jnp.stack([theta1, theta2]))
    pplx.factor("y", hmm_forward(y, log_trans, mu))


MODELS = {
    "eight_schools-eight_schools_noncentered": eight_schools,
    "kidiq-kidscore_momhsiq": kidiq,
    "earnings-logearn_interaction": earnings,
    "nes2000-nes": nes,
    "sblrc-blr": sblrc,
    "arK-arK": ark,
    "garch-garch11": garch,
    "gp_pois_regr-gp_pois_regr": gp_pois_regr,
    "low_dim_gauss_mix-low_dim_gauss_mix": gauss_mix,
    "diamonds-diamonds": diamonds,
    "hmm_example-hmm_example": hmm_example,
}


def bound_model(posterior: str):
    """The pplx model of ``posterior`` bound to its data (jnp arrays)."""
    data = {k: jnp.asarray(v) for k, v in model_data(posterior).items()}
    return MODELS[posterior](**data)
