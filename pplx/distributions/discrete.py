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
    cdf_between,
    check_param,
    discrete_icdf,
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


def table_cdf(inner, value):
    """cdf on ``{0, ..., m}`` given ``inner = F(0), ..., F(m - 1)`` on the last axis."""
    value = as_float(value)
    m = inner.shape[-1]
    shape = jnp.broadcast_shapes(value.shape, inner.shape[:-1])
    k = jnp.floor(jnp.broadcast_to(value, shape))
    if m == 0:
        return jnp.where(k < 0, 0.0, 1.0).astype(inner.dtype)
    index = jnp.clip(k, 0, m - 1).astype(int_dtype())
    table = jnp.broadcast_to(inner, shape + (m,))
    f = jnp.take_along_axis(table, index[..., None], axis=-1)[..., 0]
    return jnp.where(k < 0, 0.0, jnp.where(k >= m, 1.0, f))


def table_icdf(inner, q):
    """icdf on ``{0, ..., m}`` given ``inner = F(0), ..., F(m - 1)``: the number of
    ``F(j) < q``. ``q`` outside ``[0, 1]`` gives NaN."""
    q = as_float(q)
    shape = jnp.broadcast_shapes(q.shape, inner.shape[:-1])
    q = jnp.broadcast_to(q, shape)
    table = jnp.broadcast_to(inner, shape + inner.shape[-1:])
    k = jnp.sum(table < q[..., None], axis=-1).astype(q.dtype)
    return jnp.where((q >= 0) & (q <= 1), k, jnp.nan)


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

    def _prob_zero(self):
        return 1.0 - self.probs if self.from_probs else jax.nn.sigmoid(-self.logits)

    def cdf(self, value):
        k, p0 = bcast(jnp.floor(as_float(value)), self._prob_zero())
        return cdf_between(k, -1.0, 1.0, lambda _: p0)

    def icdf(self, q):
        q, p0 = bcast(as_float(q), self._prob_zero())
        return discrete_icdf(q, jnp.where(q <= p0, 0.0, 1.0), self.cdf, 0.0, 1.0)


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

    def cdf(self, value):
        """``I_{1-p}(n - k, k + 1)``; ``total_count`` is held out of the gradient (an
        integer, and betainc has no derivative in its shape arguments)."""
        p0 = 1.0 - self.probs if self.from_probs else jax.nn.sigmoid(-self.logits)
        n = jax.lax.stop_gradient(self.total_count)
        k, n, p0 = bcast(jnp.floor(as_float(value)), n, p0)
        return cdf_between(k, -1.0, n, lambda k: jss.betainc(n - k, k + 1.0, p0))


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

    def _inner_cdf(self):
        return jnp.cumsum(self.probs, axis=-1)[..., :-1]

    def cdf(self, value):
        return table_cdf(self._inner_cdf(), value)

    def icdf(self, q):
        return table_icdf(self._inner_cdf(), q)
