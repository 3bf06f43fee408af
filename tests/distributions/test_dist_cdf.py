"""``cdf`` and ``icdf`` against scipy, and icdf(cdf(x)) == x."""

from __future__ import annotations

import jax
import numpy as np
import pytest
from scipy import stats

import pplx.distributions as dist

X = np.array([-1.5, 0.2, 0.7, 2.5])
ROWS = [
    ("Normal", dist.Normal(0.3, 1.7), stats.norm(0.3, 1.7), X, True),
    ("HalfNormal", dist.HalfNormal(1.3), stats.halfnorm(scale=1.3), abs(X), True),
    ("Cauchy", dist.Cauchy(-0.4, 0.8), stats.cauchy(-0.4, 0.8), X, True),
    ("HalfCauchy", dist.HalfCauchy(1.3), stats.halfcauchy(scale=1.3), abs(X), True),
    ("Exponential", dist.Exponential(2.5), stats.expon(scale=0.4), abs(X), True),
    ("Gamma", dist.Gamma(2.5, 1.5), stats.gamma(2.5, scale=1 / 1.5), abs(X), False),
    ("Beta", dist.Beta(2.0, 3.5), stats.beta(2.0, 3.5), abs(X) / 3, False),
    ("LogNormal", dist.LogNormal(0.2, 0.5), stats.lognorm(0.5, scale=np.exp(0.2)), abs(X), True),
    ("Uniform", dist.Uniform(-2.0, 3.0), stats.uniform(-2.0, 5.0), X, True),
    ("Laplace", dist.Laplace(0.3, 0.8), stats.laplace(0.3, 0.8), X, True),
    ("Logistic", dist.Logistic(0.3, 0.8), stats.logistic(0.3, 0.8), X, True),
    ("Gumbel", dist.Gumbel(0.3, 0.8), stats.gumbel_r(0.3, 0.8), X, True),
    ("Moyal", dist.Moyal(0.3, 0.8), stats.moyal(0.3, 0.8), X, True),
    ("Weibull", dist.Weibull(1.5, 2.0), stats.weibull_min(2.0, scale=1.5), abs(X), False),
    ("Poisson", dist.Poisson(3.5), stats.poisson(3.5), np.array([0.0, 1.0, 3.0, 7.0]), False),
]


@pytest.mark.parametrize(
    ("d", "oracle", "x", "has_icdf"), [pytest.param(*r[1:], id=r[0]) for r in ROWS]
)
def test_cdf_and_icdf(d, oracle, x, has_icdf):
    @jax.jit
    def run(x):
        cdf = d.cdf(x)
        return cdf, (d.icdf(cdf) if has_icdf else cdf)

    cdf, back = run(x)
    np.testing.assert_allclose(cdf, oracle.cdf(x), rtol=1e-9, atol=1e-12)
    if has_icdf:
        np.testing.assert_allclose(back, x, rtol=1e-7, atol=1e-9)
