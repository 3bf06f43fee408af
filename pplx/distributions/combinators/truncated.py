"""Truncation and censoring of any univariate distribution."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from pplx.distributions import constraints
from pplx.distributions.base import Distribution, bcast


def _bounds(base, low, high):
    dtype = jnp.result_type(float)
    low = jnp.asarray(-jnp.inf if low is None else low, dtype)
    high = jnp.asarray(jnp.inf if high is None else high, dtype)
    shape = jnp.broadcast_shapes(low.shape, high.shape, tuple(base.batch_shape))
    return jnp.broadcast_to(low, shape), jnp.broadcast_to(high, shape)


def _cdf_below(base, x):
    """``P(X < x)`` for discrete bases and ``P(X <= x)`` for continuous ones, with
    ``0`` at ``-inf`` (cdfs are not asked to handle infinities)."""
    finite = jnp.isfinite(x)
    safe = jnp.where(finite, x, 0.0)
    point = safe - 1.0 if base.is_discrete else safe
    cdf = base.cdf(point)
    cdf, x = bcast(cdf, x)
    return jnp.where(finite, cdf, jnp.where(x > 0, 1.0, 0.0))


class _Bounded(Distribution):
    """Shared scaffolding of ``Truncated`` and ``Censored``: a univariate ``base`` and
    bounds ``[low, high]`` that set the batch shape and the support."""

    base: Distribution
    low: jax.Array
    high: jax.Array

    def __init__(self, base, low=None, high=None):
        if base.event_shape:
            raise ValueError(
                f"{type(self).__name__}: only univariate base distributions are supported"
            )
        self.base = base
        self.low, self.high = _bounds(base, low, high)

    @property
    def is_discrete(self):
        return self.base.is_discrete

    @property
    def batch_shape(self):
        return self.low.shape

    @property
    def support(self):
        if self.base.is_discrete:  # truncating or censoring counts keeps them integers
            return constraints.integer_interval(self.low, self.high)
        return constraints.interval(self.low, self.high)


class Truncated(_Bounded):
    """``base`` restricted to ``[low, high]`` and renormalised (needs ``base.cdf``;
    sampling needs ``base.icdf``).

    Example:
        >>> from pplx.distributions import Normal, Truncated
        >>> round(float(Truncated(Normal(0.0, 1.0), low=0.0).log_prob(0.0)), 4)
        -0.2258
    """

    def _log_mass(self):
        upper = self.base.cdf(jnp.where(jnp.isfinite(self.high), self.high, 0.0))
        upper = jnp.where(jnp.isfinite(self.high), upper, 1.0)
        return jnp.log(upper - _cdf_below(self.base, self.low))

    def log_prob(self, value):
        value = jnp.asarray(value)
        lp = self.base.log_prob(value)
        lp, low, high, log_mass = bcast(lp, self.low, self.high, self._log_mass())
        inside = (value >= low) & (value <= high)
        return jnp.where(inside, lp - log_mass, -jnp.inf)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        lo = jnp.broadcast_to(_cdf_below(self.base, self.low), shape)
        hi = jnp.broadcast_to(jnp.exp(self._log_mass()), shape) + lo
        u = jax.random.uniform(key, shape, lo.dtype)
        x = self.base.icdf(lo + u * (hi - lo))
        x, low, high = bcast(x, self.low, self.high)
        return jnp.clip(x, low, high)


class Censored(_Bounded):
    """``base`` clipped to ``[low, high]``: values at a bound carry the tail mass.

    Example:
        >>> from pplx.distributions import Censored, Normal
        >>> round(float(Censored(Normal(0.0, 1.0), low=0.0).log_prob(0.0)), 4)
        -0.6931
    """

    def log_prob(self, value):
        value = jnp.asarray(value)
        lp = self.base.log_prob(value)
        lp, value, low, high = bcast(lp, value, self.low, self.high)
        log_below = jnp.log(_cdf_below_inclusive(self.base, low))
        log_above = jnp.log1p(-_cdf_below(self.base, high))
        out = jnp.where(value <= low, log_below, lp)
        out = jnp.where(value >= high, log_above, out)
        return jnp.where((value < low) | (value > high), -jnp.inf, out)

    def sample(self, key, sample_shape=()):
        x = self.base.expand(self.batch_shape).sample(key, sample_shape)
        x, low, high = bcast(x, self.low, self.high)
        return jnp.clip(x, low, high)


def _cdf_below_inclusive(base, x):
    """``P(X <= x)`` with ``0`` at ``-inf``."""
    finite = jnp.isfinite(x)
    cdf = base.cdf(jnp.where(finite, x, 0.0))
    cdf, x = bcast(cdf, x)
    return jnp.where(finite, cdf, 0.0)
