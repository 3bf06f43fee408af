"""The simplex and counts on it: Dirichlet, Multinomial, Dirichlet-multinomial."""

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
    check_param,
    is_concrete,
    promote,
)
from pplx.distributions.discrete.finite import int_dtype
from pplx.distributions.param_checks import check_simplex


class Dirichlet(Distribution):
    """Dirichlet distribution on the simplex; ``concentration`` has K on its last axis.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import Dirichlet
        >>> round(float(Dirichlet(jnp.ones(3)).log_prob(jnp.array([0.2, 0.3, 0.5]))), 4)
        0.6931
    """

    concentration: jax.Array

    def __init__(self, concentration):
        concentration = as_float(concentration)
        if concentration.ndim == 0:
            raise ValueError("Dirichlet: concentration must have at least one dimension")
        check_param(
            "Dirichlet", "concentration", concentration, lambda a: a > 0, "must be positive"
        )
        self.concentration = concentration

    @property
    def batch_shape(self):
        return self.concentration.shape[:-1]

    @property
    def event_shape(self):
        return self.concentration.shape[-1:]

    @property
    def support(self):
        return constraints.simplex

    def _log_prob(self, value):
        value, alpha = bcast(value, self.concentration)
        norm = jnp.sum(jss.gammaln(alpha), axis=-1) - jss.gammaln(jnp.sum(alpha, axis=-1))
        return jnp.sum(jss.xlogy(alpha - 1.0, value), axis=-1) - norm

    def sample(self, key, sample_shape=()):
        shape = tuple(sample_shape) + tuple(self.batch_shape)
        alpha = self.concentration
        return jax.random.dirichlet(key, alpha, shape, alpha.dtype)

    @property
    def mean(self):
        alpha = self.concentration
        total = jnp.sum(alpha, axis=-1, keepdims=True)
        return alpha / total

    @property
    def variance(self):
        alpha = self.concentration
        total = jnp.sum(alpha, axis=-1, keepdims=True)
        return alpha * (total - alpha) / (total**2 * (total + 1.0))


def multinomial_counts(key, logits, total_count, max_count, shape):
    """Counts from ``max_count`` categorical draws, of which the first ``total_count``
    are kept (``max_count`` is a Python int: it fixes the number of draws)."""
    k = logits.shape[-1]
    draws = jax.random.categorical(key, logits, -1, (max_count,) + tuple(shape))
    used = jnp.arange(max_count)[(...,) + (None,) * len(shape)]
    used, n = bcast(used, total_count)
    one_hot = jax.nn.one_hot(draws, k, dtype=int_dtype())
    one_hot, used = bcast(one_hot, (used < n)[..., None])
    return jnp.sum(one_hot * used, axis=0)


class Multinomial(Distribution):
    """Counts of ``total_count`` draws over K categories (``probs`` or ``logits``).

    Sampling needs a ``total_count`` known at construction (not a tracer): it fixes
    the number of categorical draws.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import Multinomial
        >>> d = Multinomial(2, probs=jnp.array([0.5, 0.5]))
        >>> round(float(d.log_prob(jnp.array([1, 1]))), 4)
        -0.6931
    """

    total_count: jax.Array
    logits: jax.Array
    max_count: int | None = eqx.field(static=True)

    is_discrete = True

    def __init__(self, total_count, probs=None, logits=None):
        if (probs is None) == (logits is None):
            raise ValueError("Multinomial: give exactly one of probs or logits")
        if probs is not None:
            probs = as_float(probs)
            check_simplex("Multinomial", "probs", probs)
            logits = jnp.log(probs)
        logits = jax.nn.log_softmax(as_float(logits), axis=-1)
        (total_count,) = promote(total_count)
        check_param(
            "Multinomial",
            "total_count",
            total_count,
            lambda v: (v >= 0) & (v == jnp.floor(v)),
            "must be a nonnegative integer",
        )
        batch = jnp.broadcast_shapes(total_count.shape, logits.shape[:-1])
        self.total_count = jnp.broadcast_to(total_count, batch)
        self.logits = jnp.broadcast_to(logits, batch + logits.shape[-1:])
        # The number of categorical draws is a shape, so it is fixed here when known.
        self.max_count = (
            int(np.max(np.asarray(total_count), initial=0)) if is_concrete(total_count) else None
        )

    @property
    def probs(self):
        return jnp.exp(self.logits)

    @property
    def batch_shape(self):
        return self.total_count.shape

    @property
    def event_shape(self):
        return self.logits.shape[-1:]

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    def _log_prob(self, value):
        value, logits = bcast(as_float(value), self.logits)
        value_sum, n = bcast(jnp.sum(value, axis=-1), self.total_count)
        terms = jnp.where(value == 0, 0.0, value * logits)
        coef = jss.gammaln(n + 1.0) - jnp.sum(jss.gammaln(value + 1.0), axis=-1)
        coef, total = bcast(coef, jnp.sum(terms, axis=-1))
        return coef + total

    def sample(self, key, sample_shape=()):
        if self.max_count is None:
            raise ValueError(
                "Multinomial: sampling needs a total_count known when the distribution is built"
            )
        shape = tuple(sample_shape) + self.batch_shape
        return multinomial_counts(key, self.logits, self.total_count, self.max_count, shape)

    @property
    def mean(self):
        n, p = bcast(self.total_count[..., None], self.probs)
        return n * p

    @property
    def variance(self):
        n, p = bcast(self.total_count[..., None], self.probs)
        return n * p * (1.0 - p)


class DirichletMultinomial(Distribution):
    """Multinomial(total_count, p) with ``p ~ Dirichlet(concentration)``.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import DirichletMultinomial
        >>> d = DirichletMultinomial(jnp.ones(2), 1)
        >>> round(float(d.log_prob(jnp.array([1, 0]))), 4)
        -0.6931
    """

    concentration: jax.Array
    total_count: jax.Array
    max_count: int | None = eqx.field(static=True)

    is_discrete = True

    def __init__(self, concentration, total_count=1):
        concentration = as_float(concentration)
        check_param(
            "DirichletMultinomial",
            "concentration",
            concentration,
            lambda a: a > 0,
            "must be positive",
        )
        helper = Multinomial(total_count, logits=jnp.zeros(concentration.shape[-1:]))
        (total_count,) = promote(total_count)
        batch = jnp.broadcast_shapes(total_count.shape, concentration.shape[:-1])
        self.concentration = jnp.broadcast_to(concentration, batch + concentration.shape[-1:])
        self.total_count = jnp.broadcast_to(total_count, batch)
        self.max_count = helper.max_count

    @property
    def batch_shape(self):
        return self.total_count.shape

    @property
    def event_shape(self):
        return self.concentration.shape[-1:]

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    def _log_prob(self, value):
        value, alpha = bcast(as_float(value), self.concentration)
        alpha0 = jnp.sum(alpha, axis=-1)
        alpha0, n = bcast(alpha0, self.total_count)
        per = jss.gammaln(value + alpha) - jss.gammaln(value + 1.0) - jss.gammaln(alpha)
        head = jss.gammaln(n + 1.0) + jss.gammaln(alpha0) - jss.gammaln(n + alpha0)
        head, per_sum = bcast(head, jnp.sum(per, axis=-1))
        return head + per_sum

    def sample(self, key, sample_shape=()):
        k1, k2 = jax.random.split(key)
        shape = tuple(sample_shape) + self.batch_shape
        if self.max_count is None:
            raise ValueError(
                "DirichletMultinomial: sampling needs a total_count known when the "
                "distribution is built"
            )
        probs = jax.random.dirichlet(k1, self.concentration, shape, self.concentration.dtype)
        total = jnp.broadcast_to(self.total_count, shape)
        return multinomial_counts(k2, jnp.log(probs), total, self.max_count, shape)

    @property
    def mean(self):
        alpha = self.concentration
        n, p = bcast(self.total_count[..., None], alpha / jnp.sum(alpha, -1, keepdims=True))
        return n * p

    @property
    def variance(self):
        alpha = self.concentration
        alpha0 = jnp.sum(alpha, -1, keepdims=True)
        n, p, a0 = bcast(self.total_count[..., None], alpha / alpha0, alpha0)
        return n * p * (1.0 - p) * (n + a0) / (1.0 + a0)
