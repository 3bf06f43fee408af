"""More discrete families: HyperGeometric, DiscreteWeibull."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    cdf_between,
    check_param,
    discrete_icdf,
    is_concrete,
    promote,
)
from pplx.distributions.continuous import expand_to
from pplx.distributions.discrete import (
    _check_count,
    int_dtype,
    log_binomial_coef,
    table_cdf,
    table_icdf,
)

__all__ = ["HyperGeometric", "DiscreteWeibull"]


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
