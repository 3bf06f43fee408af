"""More discrete families: negative binomials, zero inflation.

OrderedLogistic and OrderedProbit live in ``ordinal`` and are re-exported here.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    betaln,
    cdf_between,
    check_param,
    check_positive,
    discrete_icdf,
    probs_logits,
    promote,
)
from pplx.distributions.continuous import expand_to
from pplx.distributions.discrete import (
    Binomial,
    Poisson,
    _check_count,
    int_dtype,
    log_binomial_coef,
)
from pplx.distributions.ordinal import OrderedLogistic, OrderedProbit

__all__ = [
    "NegativeBinomial",
    "NegativeBinomial2",
    "Geometric",
    "BetaBinomial",
    "DiscreteUniform",
    "ZeroInflatedPoisson",
    "ZeroInflatedNegativeBinomial",
    "ZeroInflatedBinomial",
    "OrderedLogistic",
    "OrderedProbit",
]


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


class BetaBinomial(Distribution):
    """Binomial(total_count, p) with ``p ~ Beta(concentration1, concentration0)``.

    Example:
        >>> from pplx.distributions import BetaBinomial
        >>> round(float(BetaBinomial(1.0, 1.0, 2).log_prob(1)), 4)
        -1.0986
    """

    concentration1: jax.Array
    concentration0: jax.Array
    total_count: jax.Array

    is_discrete = True

    def __init__(self, concentration1, concentration0, total_count=1):
        self.concentration1, self.concentration0, self.total_count = promote(
            concentration1, concentration0, total_count
        )
        check_positive(
            "BetaBinomial",
            concentration1=self.concentration1,
            concentration0=self.concentration0,
        )
        _check_count("BetaBinomial", "total_count", self.total_count)

    @property
    def batch_shape(self):
        return self.total_count.shape

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    def _log_prob(self, value):
        k, a, b, n = bcast(
            as_float(value), self.concentration1, self.concentration0, self.total_count
        )
        return log_binomial_coef(n, k) + betaln(k + a, n - k + b) - betaln(a, b)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        a, b, n = expand_to(shape, self.concentration1, self.concentration0, self.total_count)
        k1, k2 = jax.random.split(key)
        p = jax.random.beta(k1, a, b, shape, a.dtype)
        return jax.random.binomial(k2, n, p, shape, a.dtype).astype(int_dtype())

    @property
    def mean(self):
        a, b = self.concentration1, self.concentration0
        return self.total_count * a / (a + b)

    @property
    def variance(self):
        a, b, n = self.concentration1, self.concentration0, self.total_count
        return n * a * b * (a + b + n) / ((a + b) ** 2 * (a + b + 1.0))


class DiscreteUniform(Distribution):
    """Uniform over the integers ``low, ..., high`` (inclusive).

    Example:
        >>> from pplx.distributions import DiscreteUniform
        >>> round(float(DiscreteUniform(0, 3).log_prob(2)), 4)
        -1.3863
    """

    low: jax.Array
    high: jax.Array

    is_discrete = True

    def __init__(self, low=0, high=1):
        self.low, self.high = promote(low, high)
        check_param("DiscreteUniform", "high", self.high, self.high >= self.low, "must be >= low")

    @property
    def batch_shape(self):
        return self.low.shape

    @property
    def support(self):
        return constraints.integer_interval(self.low, self.high)

    def _log_prob(self, value):
        value, low, high = bcast(as_float(value), self.low, self.high)
        return -jnp.log(high - low + 1.0)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        low, high = expand_to(shape, self.low, self.high)
        u = jax.random.uniform(key, shape, low.dtype)
        return jnp.minimum(low + jnp.floor(u * (high - low + 1.0)), high).astype(int_dtype())

    @property
    def mean(self):
        return 0.5 * (self.low + self.high)

    @property
    def variance(self):
        return ((self.high - self.low + 1.0) ** 2 - 1.0) / 12.0

    def cdf(self, value):
        k, low, high = bcast(jnp.floor(as_float(value)), self.low, self.high)
        return cdf_between(k, low - 1.0, high, lambda k: (k - low + 1.0) / (high - low + 1.0))

    def icdf(self, q):
        q, low, high = bcast(as_float(q), self.low, self.high)
        guess = low - 1.0 + jnp.ceil(q * (high - low + 1.0))
        return discrete_icdf(q, guess, self.cdf, low, high)


class _ZeroInflated(Distribution):
    """A count distribution mixed with a point mass at zero of weight ``gate``."""

    gate: jax.Array
    base: Distribution

    is_discrete = True

    @property
    def batch_shape(self):
        return self.gate.shape

    @property
    def support(self):
        return self.base.support

    def _log_prob(self, value):
        base_lp = self.base.log_prob(value)
        value, gate, base_lp = bcast(as_float(value), self.gate, base_lp)
        zero = jnp.logaddexp(jnp.log(gate), jnp.log1p(-gate) + base_lp)
        return jnp.where(value == 0, zero, jnp.log1p(-gate) + base_lp)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        k1, k2 = jax.random.split(key)
        draws = self.base.sample(k2, sample_shape)
        (gate,) = expand_to(shape, self.gate)
        return jnp.where(jax.random.uniform(k1, shape, gate.dtype) < gate, 0, draws)

    @property
    def mean(self):
        return (1.0 - self.gate) * self.base.mean

    @property
    def variance(self):
        m, v = self.base.mean, self.base.variance
        return (1.0 - self.gate) * (v + m**2) - self.mean**2

    def cdf(self, value):
        base_cdf = self.base.cdf(value)
        k, gate, base_cdf = bcast(jnp.floor(as_float(value)), self.gate, base_cdf)
        return jnp.where(k < 0, 0.0, gate + (1.0 - gate) * base_cdf)


def _gate(name, gate, *others):
    gate, *others = promote(gate, *others)
    check_param(name, "gate", gate, lambda g: (g >= 0) & (g <= 1), "must be in [0, 1]")
    return gate, others


class ZeroInflatedPoisson(_ZeroInflated):
    """Zero with probability ``gate``, else Poisson(rate).

    Example:
        >>> from pplx.distributions import ZeroInflatedPoisson
        >>> round(float(ZeroInflatedPoisson(0.5, 1.0).log_prob(1)), 4)
        -1.6931
    """

    def __init__(self, gate, rate):
        self.gate, (rate,) = _gate("ZeroInflatedPoisson", gate, rate)
        self.base = Poisson(rate)


class ZeroInflatedNegativeBinomial(_ZeroInflated):
    """Zero with probability ``gate``, else NegativeBinomial2(mean, concentration).

    Example:
        >>> from pplx.distributions import ZeroInflatedNegativeBinomial
        >>> round(float(ZeroInflatedNegativeBinomial(0.5, 1.0, 1.0).log_prob(0)), 4)
        -0.2877
    """

    def __init__(self, gate, mean, concentration):
        self.gate, (mean, conc) = _gate("ZeroInflatedNegativeBinomial", gate, mean, concentration)
        self.base = NegativeBinomial2(mean, conc)


class ZeroInflatedBinomial(_ZeroInflated):
    """Zero with probability ``gate``, else Binomial(total_count, probs).

    Example:
        >>> from pplx.distributions import ZeroInflatedBinomial
        >>> round(float(ZeroInflatedBinomial(0.5, 2, 0.5).log_prob(2)), 4)
        -2.0794
    """

    def __init__(self, gate, total_count, probs):
        self.gate, (n, p) = _gate("ZeroInflatedBinomial", gate, total_count, probs)
        self.base = Binomial(n, probs=p)
