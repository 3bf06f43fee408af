"""NumPyro versions of posteriordb's linear regressions (kidiq, kidiq_with_mom_work,
earnings, mesquite, nes, kilpisjarvi; sblrc and diamonds are ``bench.models_numpyro``'s).

They take the data prepared by ``tests.posteriordb.regression`` (a design matrix ``X``
with its intercept column, the response ``y``), so both libraries see the same arrays.
A parameter with no prior line in the Stan program is flat on its support.
"""

import numpyro
import numpyro.distributions as dist
from numpyro.distributions import constraints


def _coefficients(num):
    return numpyro.sample("beta", dist.ImproperUniform(constraints.real_vector, (), (num,)))


def _likelihood(X, y, beta, sigma):
    with numpyro.plate("obs", y.shape[0]):
        numpyro.sample("y", dist.Normal(X @ beta, sigma), obs=y)


def flat_regression(X, y):
    """beta flat, sigma > 0 flat: kidiq_with_mom_work, earnings, mesquite, nes."""
    beta = _coefficients(X.shape[1])
    sigma = numpyro.sample("sigma", dist.ImproperUniform(constraints.positive, (), ()))
    _likelihood(X, y, beta, sigma)


def cauchy_sigma_regression(X, y):
    """beta flat, sigma ~ half-Cauchy(2.5): the kidscore_mom* programs."""
    beta = _coefficients(X.shape[1])
    sigma = numpyro.sample("sigma", dist.HalfCauchy(2.5))
    _likelihood(X, y, beta, sigma)


def kilpisjarvi(x, y, pmualpha, psalpha, pmubeta, psbeta):
    """alpha, beta normal with prior settings from the data; sigma > 0 flat."""
    alpha = numpyro.sample("alpha", dist.Normal(pmualpha, psalpha))
    beta = numpyro.sample("beta", dist.Normal(pmubeta, psbeta))
    sigma = numpyro.sample("sigma", dist.ImproperUniform(constraints.positive, (), ()))
    with numpyro.plate("obs", y.shape[0]):
        numpyro.sample("y", dist.Normal(alpha + beta * x, sigma), obs=y)
