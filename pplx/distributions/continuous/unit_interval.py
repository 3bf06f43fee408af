"""Univariate continuous families on the unit interval (0, 1)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    bcast,
    betaln,
    cdf_between,
)
from pplx.distributions.families import (
    BetaShapeFamily,
    LocScaleFamily,
)
from pplx.distributions.helpers import expand_to, open_uniform, std_normal_log_prob


class Beta(BetaShapeFamily):
    """Beta distribution on [0, 1] with ``concentration1`` (a) and ``concentration0`` (b).

    Example:
        >>> from pplx.distributions import Beta
        >>> round(float(Beta(2.0, 2.0).log_prob(0.5)), 4)
        0.4055
    """

    @property
    def support(self):
        return constraints.unit_interval

    def _log_prob(self, value):
        value, a, b = bcast(value, self.concentration1, self.concentration0)
        return jss.xlogy(a - 1.0, value) + jss.xlog1py(b - 1.0, -value) - betaln(a, b)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        a, b = expand_to(shape, self.concentration1, self.concentration0)
        return jax.random.beta(key, a, b, shape, a.dtype)

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def variance(self):
        a, b = self.concentration1, self.concentration0
        total = a + b
        return a * b / (total**2 * (total + 1.0))

    def cdf(self, value):
        """Via the regularised incomplete beta function (not differentiable in a, b)."""
        value, a, b = bcast(value, self.concentration1, self.concentration0)
        return cdf_between(value, 0.0, 1.0, lambda x: jss.betainc(a, b, x))


class LogitNormal(LocScaleFamily):
    """Distribution of ``sigmoid(X)`` for ``X ~ Normal(loc, scale)``.

    Example:
        >>> from pplx.distributions import LogitNormal
        >>> round(float(LogitNormal(0.0, 1.0).log_prob(0.5)), 4)
        0.4674
    """

    @property
    def support(self):
        return constraints.unit_interval

    def _log_prob(self, value):
        value, loc, scale = bcast(value, self.loc, self.scale)
        log_x, log_1mx = jnp.log(value), jnp.log1p(-value)
        z = (log_x - log_1mx - loc) / scale
        return std_normal_log_prob(z) - jnp.log(scale) - log_x - log_1mx

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        loc, scale = expand_to(shape, self.loc, self.scale)
        return jax.nn.sigmoid(loc + scale * jax.random.normal(key, shape, loc.dtype))

    def cdf(self, value):
        value, loc, scale = bcast(value, self.loc, self.scale)
        return cdf_between(
            value, 0.0, 1.0, lambda x: jss.ndtr((jnp.log(x) - jnp.log1p(-x) - loc) / scale)
        )

    def icdf(self, q):
        q, loc, scale = bcast(q, self.loc, self.scale)
        return jax.nn.sigmoid(loc + scale * jss.ndtri(q))


class Kumaraswamy(BetaShapeFamily):
    """Kumaraswamy distribution on [0, 1] with shapes ``concentration1``, ``concentration0``.

    Example:
        >>> from pplx.distributions import Kumaraswamy
        >>> round(float(Kumaraswamy(1.0, 1.0).log_prob(0.3)), 4)
        0.0
    """

    @property
    def support(self):
        return constraints.unit_interval

    def _log_prob(self, value):
        value, a, b = bcast(value, self.concentration1, self.concentration0)
        log_x = jnp.log(value)
        return (
            jnp.log(a) + jnp.log(b) + (a - 1.0) * log_x + (b - 1.0) * jnp.log1p(-jnp.exp(a * log_x))
        )

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        a, b = expand_to(shape, self.concentration1, self.concentration0)
        u = open_uniform(key, shape, a.dtype)
        # x = (1 - (1 - u)^(1/b))^(1/a), with u -> 1 - u (same law) and logs for accuracy.
        return jnp.exp(jnp.log(-jnp.expm1(jnp.log(u) / b)) / a)

    def _raw_moment(self, n):
        a, b = self.concentration1, self.concentration0
        return b * jnp.exp(betaln(1.0 + n / a, b))

    @property
    def mean(self):
        return self._raw_moment(1.0)

    @property
    def variance(self):
        return self._raw_moment(2.0) - self._raw_moment(1.0) ** 2

    def cdf(self, value):
        value, a, b = bcast(value, self.concentration1, self.concentration0)
        # 1 - (1 - x^a)^b, in logs so neither end loses digits.
        return cdf_between(
            value, 0.0, 1.0, lambda x: -jnp.expm1(b * jnp.log1p(-jnp.exp(a * jnp.log(x))))
        )

    def icdf(self, q):
        q, a, b = bcast(q, self.concentration1, self.concentration0)
        return jnp.exp(jnp.log(-jnp.expm1(jnp.log1p(-q) / b)) / a)
