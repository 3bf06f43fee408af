"""Discrete distributions: the core families.

Samples are integer arrays (the default integer dtype); ``log_prob`` accepts
integer or float values and returns ``-inf`` for non-integers and values outside
the support.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    check_param,
    probs_logits,
    promote,
)
from pplx.distributions.continuous import expand_to

__all__ = ["Bernoulli", "Binomial", "Poisson", "Categorical"]


def int_dtype():
    """The default integer dtype (int64 when ``jax_enable_x64`` is on)."""
    return jnp.result_type(int)


def log_binomial_coef(n, k):
    """``log(n choose k)`` for real ``n >= k >= 0``."""
    return jss.gammaln(n + 1.0) - jss.gammaln(k + 1.0) - jss.gammaln(n - k + 1.0)


def _check_count(dist_name, name, value):
    check_param(
        dist_name,
        name,
        value,
        lambda v: (v >= 0) & (v == jnp.floor(v)),
        "must be a nonnegative integer",
    )


class Bernoulli(Distribution):
    """Bernoulli distribution on {0, 1}, given ``probs`` or ``logits``.

    Example:
        >>> from pplx.distributions import Bernoulli
        >>> round(float(Bernoulli(probs=0.25).log_prob(1)), 4)
        -1.3863
    """

    probs: jax.Array
    logits: jax.Array
    from_probs: bool = eqx.field(static=True)

    is_discrete = True

    def __init__(self, probs=None, logits=None):
        self.probs, self.logits, self.from_probs, _ = probs_logits("Bernoulli", probs, logits)

    @property
    def batch_shape(self):
        return self.probs.shape

    @property
    def support(self):
        return constraints.boolean

    def _log_prob(self, value):
        value = as_float(value)
        if self.from_probs:
            value, p = bcast(value, self.probs)
            return jss.xlogy(value, p) + jss.xlog1py(1.0 - value, -p)
        value, logits = bcast(value, self.logits)
        return value * logits - jax.nn.softplus(logits)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        (p,) = expand_to(shape, self.probs)
        return (jax.random.uniform(key, shape, p.dtype) < p).astype(int_dtype())

    @property
    def mean(self):
        return self.probs

    @property
    def variance(self):
        return self.probs * (1.0 - self.probs)


class Binomial(Distribution):
    """Number of successes in ``total_count`` Bernoulli trials.

    Example:
        >>> from pplx.distributions import Binomial
        >>> round(float(Binomial(2, probs=0.5).log_prob(1)), 4)
        -0.6931
    """

    total_count: jax.Array
    probs: jax.Array
    logits: jax.Array
    from_probs: bool = eqx.field(static=True)

    is_discrete = True

    def __init__(self, total_count, probs=None, logits=None):
        self.probs, self.logits, self.from_probs, (self.total_count,) = probs_logits(
            "Binomial", probs, logits, total_count
        )
        _check_count("Binomial", "total_count", self.total_count)

    @property
    def batch_shape(self):
        return self.probs.shape

    @property
    def support(self):
        return constraints.integer_interval(0, self.total_count)

    def _log_prob(self, value):
        value = as_float(value)
        value, n, p, logits = bcast(value, self.total_count, self.probs, self.logits)
        coef = log_binomial_coef(n, value)
        if self.from_probs:
            return coef + jss.xlogy(value, p) + jss.xlog1py(n - value, -p)
        return coef + value * logits - n * jax.nn.softplus(logits)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        n, p = expand_to(shape, self.total_count, self.probs)
        draws = jax.random.binomial(key, n, p, shape, p.dtype)
        return draws.astype(int_dtype())

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def variance(self):
        return self.total_count * self.probs * (1.0 - self.probs)


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
        value, rate = bcast(as_float(value), self.rate)
        return jss.gammaincc(jnp.floor(value) + 1.0, rate)


class Categorical(Distribution):
    """Distribution over ``{0, ..., K-1}`` from ``probs`` or ``logits`` (last axis K).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import Categorical
        >>> round(float(Categorical(probs=jnp.array([0.2, 0.8])).log_prob(1)), 4)
        -0.2231
    """

    logits: jax.Array

    is_discrete = True

    def __init__(self, probs=None, logits=None):
        if (probs is None) == (logits is None):
            raise ValueError("Categorical: give exactly one of probs or logits")
        if probs is not None:
            probs = as_float(probs)
            check_param("Categorical", "probs", probs, lambda p: p >= 0, "must be nonnegative")
            if probs.ndim == 0:
                raise ValueError("Categorical: probs must have at least one dimension")
            logits = jnp.log(probs)
        logits = as_float(logits)
        if logits.ndim == 0:
            raise ValueError("Categorical: logits must have at least one dimension")
        self.logits = jax.nn.log_softmax(logits, axis=-1)

    @property
    def probs(self):
        return jnp.exp(self.logits)

    @property
    def num_categories(self):
        return self.logits.shape[-1]

    @property
    def batch_shape(self):
        return self.logits.shape[:-1]

    @property
    def support(self):
        return constraints.integer_interval(0, self.num_categories - 1)

    def _log_prob(self, value):
        value = jnp.asarray(value)
        shape = jnp.broadcast_shapes(value.shape, self.batch_shape)
        index = jnp.broadcast_to(value, shape).astype(int_dtype())
        logits = jnp.broadcast_to(self.logits, shape + (self.num_categories,))
        return jnp.take_along_axis(logits, index[..., None], axis=-1)[..., 0]

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        return jax.random.categorical(key, self.logits, -1, shape).astype(int_dtype())

    @property
    def mean(self):
        probs = self.probs
        k = jnp.broadcast_to(jnp.arange(self.num_categories, dtype=probs.dtype), probs.shape)
        return jnp.sum(probs * k, axis=-1)

    @property
    def variance(self):
        probs = self.probs
        k = jnp.broadcast_to(jnp.arange(self.num_categories, dtype=probs.dtype), probs.shape)
        m2 = jnp.sum(probs * k**2, axis=-1)
        return m2 - self.mean**2
