"""Univariate discrete families with finite support: {0, 1}, {0..n}, {0..K-1}, {lower..upper}."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
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
    is_concrete,
    probs_logits,
    promote,
)
from pplx.distributions.helpers import expand_to
from pplx.distributions.param_checks import check_simplex


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
            if probs.ndim == 0:
                raise ValueError("Categorical: probs must have at least one dimension")
            check_simplex("Categorical", "probs", probs)
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


class HyperGeometric(Distribution):
    """Successes in ``n`` draws without replacement from ``N`` items, ``K`` of them
    successes (PyMC's ``HyperGeometric(N, k, n)``).

    Sampling, ``cdf`` and ``icdf`` need ``n`` known when the distribution is built (not
    a tracer): they tabulate the mass function over ``0, ..., max(n)``.

    Example:
        >>> from pplx.distributions import HyperGeometric
        >>> round(float(HyperGeometric(4, 2, 2).log_prob(1)), 4)
        -0.4055
    """

    N: jax.Array
    K: jax.Array
    n: jax.Array
    max_draws: int | None = eqx.field(static=True)

    is_discrete = True

    def __init__(self, N, k, n):
        self.N, self.K, self.n = promote(N, k, n)
        for name, value in (("N", self.N), ("k", self.K), ("n", self.n)):
            _check_count("HyperGeometric", name, value)
        check_param(
            "HyperGeometric",
            "k",
            self.K,
            lambda v: v <= self.N,
            "must be at most N",
        )
        check_param("HyperGeometric", "n", self.n, lambda v: v <= self.N, "must be at most N")
        concrete = is_concrete(self.n)
        self.max_draws = int(np.max(np.asarray(self.n), initial=0)) if concrete else None

    @property
    def batch_shape(self):
        return self.N.shape

    @property
    def support(self):
        low = jnp.maximum(0.0, self.n + self.K - self.N)
        return constraints.integer_interval(low, jnp.minimum(self.K, self.n))

    def _log_prob(self, value):
        x, big_n, k, n = bcast(as_float(value), self.N, self.K, self.n)
        return (
            log_binomial_coef(k, x)
            + log_binomial_coef(big_n - k, n - x)
            - log_binomial_coef(big_n, n)
        )

    def _table(self, what):
        """Log mass at ``0, ..., max(n)`` on the last axis."""
        if self.max_draws is None:
            raise ValueError(f"HyperGeometric: {what} needs n known when the distribution is built")
        values = jnp.arange(self.max_draws + 1, dtype=self.N.dtype)
        grid = values.reshape((-1,) + (1,) * len(self.batch_shape))
        return jnp.moveaxis(self.log_prob(grid), 0, -1)

    def sample(self, key, sample_shape=()):
        logits = self._table("sampling")
        logits = jnp.broadcast_to(logits, self.shape(sample_shape) + logits.shape[-1:])
        return jax.random.categorical(key, logits, -1).astype(int_dtype())

    def _inner_cdf(self, what):
        return jnp.cumsum(jnp.exp(self._table(what)), axis=-1)[..., :-1]

    def cdf(self, value):
        f = table_cdf(self._inner_cdf("cdf"), value)
        # Exactly 1 from the top of the support on (the running sum may fall short).
        f, top, k = bcast(f, self.support.upper, jnp.floor(as_float(value)))
        return jnp.where(k >= top, 1.0, f)

    def icdf(self, q):
        k = table_icdf(self._inner_cdf("icdf"), q)
        support = self.support
        k, low, high = bcast(k, support.lower, support.upper)
        return jnp.clip(k, low, high)

    @property
    def mean(self):
        return self.n * self.K / self.N

    @property
    def variance(self):
        big_n, k, n = self.N, self.K, self.n
        return n * k / big_n * (big_n - k) / big_n * (big_n - n) / (big_n - 1.0)
