"""More continuous families: LogNormal and Uniform."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    bcast,
    cdf_between,
    check_param,
    promote,
    standardize,
)
from pplx.distributions.continuous import _std_normal_lp, expand_to
from pplx.distributions.families import LocScaleFamily

__all__ = ["LogNormal", "Uniform"]


class LogNormal(LocScaleFamily):
    """Distribution of ``exp(X)`` for ``X ~ Normal(loc, scale)``.

    Example:
        >>> from pplx.distributions import LogNormal
        >>> round(float(LogNormal(0.0, 1.0).log_prob(1.0)), 4)
        -0.9189
    """

    @property
    def support(self):
        return constraints.positive

    def _log_prob(self, value):
        log_x = jnp.log(value)
        z, log_scale = standardize(log_x, self.loc, self.scale)
        return _std_normal_lp(z) - log_scale - jnp.broadcast_to(log_x, z.shape)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        loc, scale = expand_to(shape, self.loc, self.scale)
        return jnp.exp(loc + scale * jax.random.normal(key, shape, loc.dtype))

    @property
    def mean(self):
        loc, scale = bcast(self.loc, self.scale)
        return jnp.exp(loc + 0.5 * scale**2)

    @property
    def variance(self):
        loc, scale = bcast(self.loc, self.scale)
        return jnp.expm1(scale**2) * jnp.exp(2.0 * loc + scale**2)

    def cdf(self, value):
        value, loc, scale = bcast(value, self.loc, self.scale)
        return cdf_between(value, 0.0, jnp.inf, lambda x: jss.ndtr((jnp.log(x) - loc) / scale))

    def icdf(self, q):
        q, loc, scale = bcast(q, self.loc, self.scale)
        return jnp.exp(loc + scale * jss.ndtri(q))


class Uniform(Distribution):
    """Uniform distribution on ``[low, high]``.

    Example:
        >>> from pplx.distributions import Uniform
        >>> round(float(Uniform(0.0, 4.0).log_prob(1.0)), 4)
        -1.3863
    """

    low: jax.Array
    high: jax.Array

    def __init__(self, low=0.0, high=1.0):
        self.low, self.high = promote(low, high)
        check_param("Uniform", "high", self.high, self.high > self.low, "must be greater than low")

    @property
    def batch_shape(self):
        return self.low.shape

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    def _log_prob(self, value):
        value, low, high = bcast(value, self.low, self.high)
        return -jnp.log(high - low)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        low, high = expand_to(shape, self.low, self.high)
        return low + (high - low) * jax.random.uniform(key, shape, low.dtype)

    @property
    def mean(self):
        return 0.5 * (self.low + self.high)

    @property
    def variance(self):
        return (self.high - self.low) ** 2 / 12.0

    def cdf(self, value):
        value, low, high = bcast(value, self.low, self.high)
        return jnp.clip((value - low) / (high - low), 0.0, 1.0)

    def icdf(self, q):
        q, low, high = bcast(q, self.low, self.high)
        return low + q * (high - low)
