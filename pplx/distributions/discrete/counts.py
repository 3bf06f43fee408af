"""Univariate discrete families on the counts {0, 1, 2, ...} without an upper bound."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    cdf_between,
    check_param,
    check_positive,
    discrete_icdf,
    probs_logits,
    promote,
)
from pplx.distributions.discrete.finite import int_dtype
from pplx.distributions.helpers import expand_to


class Poisson(Distribution):
    """Poisson distribution with mean ``rate``.

    Example:
        >>> from pplx.distributions import Poisson
        >>> round(float(Poisson(2.0).log_prob(0)), 4)
        -2.0
    """

    rate: jax.Array

    is_discrete = True

    def __init__(self, rate):
        (self.rate,) = promote(rate)
        check_param("Poisson", "rate", self.rate, lambda r: r >= 0, "must be nonnegative")

    @property
    def batch_shape(self):
        return self.rate.shape

    @property
    def support(self):
        return constraints.nonnegative_integer

    def _log_prob(self, value):
        value = as_float(value)
        value, rate = bcast(value, self.rate)
        return jss.xlogy(value, rate) - rate - jss.gammaln(value + 1.0)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        (rate,) = expand_to(shape, self.rate)
        return jax.random.poisson(key, rate, shape).astype(int_dtype())

    @property
    def mean(self):
        return self.rate

    @property
    def variance(self):
        return self.rate

    def cdf(self, value):
        k, rate = bcast(jnp.floor(as_float(value)), self.rate)
        return cdf_between(k, -1.0, jnp.inf, lambda k: jss.gammaincc(k + 1.0, rate))


def _gamma_poisson_sample(key, shape, concentration, rate):
    """Poisson(Gamma(concentration, rate)) draws, as integers."""
    k1, k2 = jax.random.split(key)
    lam = jax.random.gamma(k1, concentration, shape, concentration.dtype) / rate
    return jax.random.poisson(k2, lam, shape).astype(int_dtype())


def _nb_log_prob(k, r, log_p, log_1mp):
    """``log C(k+r-1, k) + r log(1-p) + k log(p)`` with p the per-trial 'success' prob."""
    coef = jss.gammaln(k + r) - jss.gammaln(r) - jss.gammaln(k + 1.0)
    return coef + r * log_1mp + jnp.where(k == 0, 0.0, k * log_p)


class NegativeBinomial(Distribution):
    """Number of successes before ``total_count`` failures, success prob ``probs``.

    Example:
        >>> from pplx.distributions import NegativeBinomial
        >>> round(float(NegativeBinomial(2.0, probs=0.5).log_prob(0)), 4)
        -1.3863
    """

    total_count: jax.Array
    probs: jax.Array
    logits: jax.Array

    is_discrete = True

    def __init__(self, total_count, probs=None, logits=None):
        self.probs, self.logits, _, (self.total_count,) = probs_logits(
            "NegativeBinomial", probs, logits, total_count
        )
        check_positive("NegativeBinomial", total_count=self.total_count)

    @property
    def batch_shape(self):
        return self.probs.shape

    @property
    def support(self):
        return constraints.nonnegative_integer

    def _log_prob(self, value):
        value, r, logits = bcast(as_float(value), self.total_count, self.logits)
        log_p, log_1mp = jax.nn.log_sigmoid(logits), jax.nn.log_sigmoid(-logits)
        return _nb_log_prob(value, r, log_p, log_1mp)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        r, logits = expand_to(shape, self.total_count, self.logits)
        return _gamma_poisson_sample(key, shape, r, jnp.exp(-logits))

    @property
    def mean(self):
        return self.total_count * jnp.exp(self.logits)

    @property
    def variance(self):
        return self.mean / (1.0 - self.probs)

    def cdf(self, value):
        """``I_{1-p}(r, k + 1)`` (not differentiable in ``total_count``)."""
        k, r, logits = bcast(jnp.floor(as_float(value)), self.total_count, self.logits)
        p0 = jax.nn.sigmoid(-logits)
        return cdf_between(k, -1.0, jnp.inf, lambda k: jss.betainc(r, k + 1.0, p0))


class NegativeBinomial2(Distribution):
    """Negative binomial by ``mean`` and ``concentration`` (variance mean + mean^2/conc).

    Example:
        >>> from pplx.distributions import NegativeBinomial2
        >>> round(float(NegativeBinomial2(1.0, 1.0).log_prob(0)), 4)
        -0.6931
    """

    mean_: jax.Array
    concentration: jax.Array

    is_discrete = True

    def __init__(self, mean, concentration):
        self.mean_, self.concentration = promote(mean, concentration)
        check_param(
            "NegativeBinomial2", "mean", self.mean_, lambda m: m >= 0, "must be nonnegative"
        )
        check_positive("NegativeBinomial2", concentration=self.concentration)

    @property
    def batch_shape(self):
        return self.mean_.shape

    @property
    def support(self):
        return constraints.nonnegative_integer

    def _log_prob(self, value):
        value, mu, phi = bcast(as_float(value), self.mean_, self.concentration)
        log_total = jnp.log(mu + phi)
        log_p = jnp.where(value == 0, 0.0, jnp.log(jnp.where(value == 0, 1.0, mu)) - log_total)
        return _nb_log_prob(value, phi, log_p, jnp.log(phi) - log_total)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        mu, phi = expand_to(shape, self.mean_, self.concentration)
        return _gamma_poisson_sample(key, shape, phi, phi / mu)

    @property
    def mean(self):
        return self.mean_

    @property
    def variance(self):
        return self.mean_ + self.mean_**2 / self.concentration

    def cdf(self, value):
        """``I_{phi/(mu+phi)}(phi, k + 1)`` (not differentiable in ``concentration``)."""
        k, mu, phi = bcast(jnp.floor(as_float(value)), self.mean_, self.concentration)
        p0 = phi / (mu + phi)
        return cdf_between(k, -1.0, jnp.inf, lambda k: jss.betainc(phi, k + 1.0, p0))


class Geometric(Distribution):
    """Number of failures before the first success, success prob ``probs``.

    Example:
        >>> from pplx.distributions import Geometric
        >>> round(float(Geometric(probs=0.5).log_prob(1)), 4)
        -1.3863
    """

    probs: jax.Array
    logits: jax.Array

    is_discrete = True

    def __init__(self, probs=None, logits=None):
        self.probs, self.logits, _, _ = probs_logits("Geometric", probs, logits)

    @property
    def batch_shape(self):
        return self.probs.shape

    @property
    def support(self):
        return constraints.nonnegative_integer

    def _log_prob(self, value):
        value, logits = bcast(as_float(value), self.logits)
        return jax.nn.log_sigmoid(logits) + value * jax.nn.log_sigmoid(-logits)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        (logits,) = expand_to(shape, self.logits)
        u = jax.random.uniform(key, shape, logits.dtype, minval=jnp.finfo(logits.dtype).tiny)
        return jnp.floor(jnp.log(u) / jax.nn.log_sigmoid(-logits)).astype(int_dtype())

    @property
    def mean(self):
        return (1.0 - self.probs) / self.probs

    @property
    def variance(self):
        return (1.0 - self.probs) / self.probs**2

    def cdf(self, value):
        k, logits = bcast(jnp.floor(as_float(value)), self.logits)
        log_fail = jax.nn.log_sigmoid(-logits)
        return cdf_between(k, -1.0, jnp.inf, lambda k: -jnp.expm1((k + 1.0) * log_fail))

    def icdf(self, q):
        q, logits = bcast(as_float(q), self.logits)
        guess = jnp.ceil(jnp.log1p(-q) / jax.nn.log_sigmoid(-logits) - 1.0)
        return discrete_icdf(q, guess, self.cdf, 0.0, jnp.inf)


class DiscreteWeibull(Distribution):
    """Discrete Weibull: ``P(X >= x) = q^(x^beta)`` for ``x = 0, 1, ...``.

    Example:
        >>> from pplx.distributions import DiscreteWeibull
        >>> round(float(DiscreteWeibull(0.5, 1.0).log_prob(0)), 4)
        -0.6931
    """

    q: jax.Array
    beta: jax.Array

    is_discrete = True

    def __init__(self, q, beta):
        self.q, self.beta = promote(q, beta)
        check_param(
            "DiscreteWeibull", "q", self.q, (self.q > 0) & (self.q < 1), "must be in (0, 1)"
        )
        check_param("DiscreteWeibull", "beta", self.beta, self.beta > 0, "must be positive")

    @property
    def batch_shape(self):
        return self.q.shape

    @property
    def support(self):
        return constraints.nonnegative_integer

    def _log_prob(self, value):
        x, q, beta = bcast(as_float(value), self.q, self.beta)
        log_q = jnp.log(q)
        gap = (x + 1.0) ** beta - x**beta
        return x**beta * log_q + jnp.log(-jnp.expm1(gap * log_q))

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        q, beta = expand_to(shape, self.q, self.beta)
        u = jax.random.uniform(key, shape, q.dtype)
        return jnp.maximum(self._icdf_guess(u, q, beta), 0.0).astype(int_dtype())

    @staticmethod
    def _icdf_guess(u, q, beta):
        # Smallest x with F(x) = 1 - q^((x+1)^beta) >= u.
        return jnp.ceil((jnp.log1p(-u) / jnp.log(q)) ** (1.0 / beta) - 1.0)

    def cdf(self, value):
        k, q, beta = bcast(jnp.floor(as_float(value)), self.q, self.beta)
        log_q = jnp.log(q)
        return cdf_between(k, -1.0, jnp.inf, lambda k: -jnp.expm1((k + 1.0) ** beta * log_q))

    def icdf(self, q):
        q, dq, beta = bcast(as_float(q), self.q, self.beta)
        return discrete_icdf(q, self._icdf_guess(q, dq, beta), self.cdf, 0.0, jnp.inf)
