"""More univariate continuous families: truncated and location-scale families.

SkewNormal, AsymmetricLaplace and ExGaussian live in ``continuous_skewed`` and are
re-exported here.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    bcast,
    cdf_between,
    check_param,
    check_positive,
    promote,
    standardize,
)
from pplx.distributions.continuous import _std_normal_lp, expand_to
from pplx.distributions.continuous_skewed import AsymmetricLaplace, ExGaussian, SkewNormal
from pplx.distributions.families import LocScaleFamily

__all__ = [
    "TruncatedNormal",
    "LogitNormal",
    "Laplace",
    "Logistic",
    "Gumbel",
    "SkewNormal",
    "AsymmetricLaplace",
    "Moyal",
    "ExGaussian",
]

_EULER_GAMMA = 0.5772156649015329


def _uniform(key, shape, dtype):
    """Uniform draws in the open interval (0, 1)."""
    tiny = jnp.finfo(dtype).tiny
    return jax.random.uniform(key, shape, dtype, minval=tiny, maxval=1.0)


def _log_diff_ndtr(a, b):
    """``log(Phi(b) - Phi(a))`` for ``a < b``, accurate in both tails."""
    flip = a > 0
    lo = jnp.where(flip, -b, a)
    hi = jnp.where(flip, -a, b)
    hi_inf = jnp.isinf(hi)
    log_hi = jnp.where(hi_inf, 0.0, jss.log_ndtr(jnp.where(hi_inf, 0.0, hi)))
    # An infinite lower end contributes Phi(-inf) = 0; keep it out of the gradient.
    lo_inf = jnp.isinf(lo)
    log_lo = jss.log_ndtr(jnp.where(lo_inf, 0.0, lo))
    ratio = jnp.where(lo_inf, 0.0, jnp.exp(log_lo - log_hi))
    return log_hi + jnp.log1p(-ratio)


class TruncatedNormal(LocScaleFamily):
    """Normal(loc, scale) restricted to ``[low, high]`` (either bound may be infinite).

    Example:
        >>> from pplx.distributions import TruncatedNormal
        >>> round(float(TruncatedNormal(0.0, 1.0, low=0.0).log_prob(0.0)), 4)
        -0.2258
    """

    low: jax.Array
    high: jax.Array

    def __init__(self, loc=0.0, scale=1.0, low=-jnp.inf, high=jnp.inf):
        self.loc, self.scale, self.low, self.high = promote(loc, scale, low, high)
        check_positive("TruncatedNormal", scale=self.scale)
        check_param(
            "TruncatedNormal", "high", self.high, self.high > self.low, "must be greater than low"
        )

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    def _std_bounds(self):
        # Infinite bounds stay infinite without a (NaN) gradient path to loc and scale.
        def std(bound):
            inf = jnp.isinf(bound)
            finite = (jnp.where(inf, 0.0, bound) - self.loc) / self.scale
            return jnp.where(inf, bound, finite)

        return std(self.low), std(self.high)

    def _log_prob(self, value):
        a, b = self._std_bounds()
        value, loc, scale, a, b = bcast(value, self.loc, self.scale, a, b)
        z = (value - loc) / scale
        return _std_normal_lp(z) - jnp.log(scale) - _log_diff_ndtr(a, b)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        a, b = self._std_bounds()
        a, b, loc, scale = expand_to(shape, a, b, self.loc, self.scale)
        # Sample the side of the bulk nearer to zero, so ndtr keeps its precision.
        flip = a > 0
        lo, hi = jnp.where(flip, -b, a), jnp.where(flip, -a, b)
        p_lo, p_hi = jss.ndtr(lo), jss.ndtr(hi)
        u = _uniform(key, shape, loc.dtype)
        z = jss.ndtri(p_lo + u * (p_hi - p_lo))
        z = jnp.clip(jnp.where(flip, -z, z), a, b)
        return loc + scale * z

    def _moments(self):
        a, b = self._std_bounds()
        log_z = _log_diff_ndtr(a, b)
        pdf_a = jnp.exp(_std_normal_lp(a) - log_z)
        pdf_b = jnp.exp(_std_normal_lp(b) - log_z)
        a_pdf = jnp.where(jnp.isinf(a), 0.0, a * pdf_a)
        b_pdf = jnp.where(jnp.isinf(b), 0.0, b * pdf_b)
        return pdf_a - pdf_b, a_pdf - b_pdf

    @property
    def mean(self):
        d, _ = self._moments()
        return self.loc + self.scale * d

    @property
    def variance(self):
        d, e = self._moments()
        return self.scale**2 * (1.0 + e - d**2)

    def cdf(self, value):
        a, b = self._std_bounds()
        value, loc, scale, a, b, low, high = bcast(
            value, self.loc, self.scale, a, b, self.low, self.high
        )
        log_mass = _log_diff_ndtr(a, b)
        return cdf_between(
            value, low, high, lambda x: jnp.exp(_log_diff_ndtr(a, (x - loc) / scale) - log_mass)
        )

    def icdf(self, q):
        a, b = self._std_bounds()
        q, loc, scale, a, b = bcast(q, self.loc, self.scale, a, b)
        # As in ``sample``: invert on the side of the bulk nearer to zero (q -> 1 - q).
        flip = a > 0
        lo, hi = jnp.where(flip, -b, a), jnp.where(flip, -a, b)
        p_lo, p_hi = jss.ndtr(lo), jss.ndtr(hi)
        z = jss.ndtri(p_lo + jnp.where(flip, 1.0 - q, q) * (p_hi - p_lo))
        z = jnp.clip(jnp.where(flip, -z, z), a, b)
        return loc + scale * z


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
        return _std_normal_lp(z) - jnp.log(scale) - log_x - log_1mx

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


class _LocScale(LocScaleFamily):
    """Shared plumbing for location-scale families with a standard ``_std_log_prob``."""

    @property
    def support(self):
        return constraints.real

    def _log_prob(self, value):
        z, log_scale = standardize(value, self.loc, self.scale)
        return self._std_log_prob(z) - log_scale

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        loc, scale = expand_to(shape, self.loc, self.scale)
        return loc + scale * self._std_sample(key, shape, loc.dtype)

    def cdf(self, value):
        value, loc, scale = bcast(value, self.loc, self.scale)
        return self._std_cdf((value - loc) / scale)

    def icdf(self, q):
        q, loc, scale = bcast(q, self.loc, self.scale)
        return loc + scale * self._std_icdf(q)

    def _std_sample(self, key, shape, dtype):
        return self._std_icdf(_uniform(key, shape, dtype))


class Laplace(_LocScale):
    """Laplace (double exponential) distribution.

    Example:
        >>> from pplx.distributions import Laplace
        >>> round(float(Laplace(0.0, 1.0).log_prob(0.0)), 4)
        -0.6931
    """

    def _std_log_prob(self, z):
        return -jnp.abs(z) - math.log(2.0)

    def _std_cdf(self, z):
        # Clamp each exponent to its own branch so the unused one cannot overflow.
        return jnp.where(
            z < 0, 0.5 * jnp.exp(jnp.minimum(z, 0.0)), 1.0 - 0.5 * jnp.exp(-jnp.maximum(z, 0.0))
        )

    def _std_icdf(self, q):
        return -jnp.sign(q - 0.5) * jnp.log1p(-2.0 * jnp.abs(q - 0.5))

    @property
    def mean(self):
        return bcast(self.loc, self.scale)[0]

    @property
    def variance(self):
        return 2.0 * bcast(self.loc, self.scale)[1] ** 2


class Logistic(_LocScale):
    """Logistic distribution.

    Example:
        >>> from pplx.distributions import Logistic
        >>> round(float(Logistic(0.0, 1.0).log_prob(0.0)), 4)
        -1.3863
    """

    def _std_log_prob(self, z):
        return -z - 2.0 * jax.nn.softplus(-z)

    def _std_cdf(self, z):
        return jax.nn.sigmoid(z)

    def _std_icdf(self, q):
        return jnp.log(q) - jnp.log1p(-q)

    @property
    def mean(self):
        return bcast(self.loc, self.scale)[0]

    @property
    def variance(self):
        return bcast(self.loc, self.scale)[1] ** 2 * math.pi**2 / 3.0


class Gumbel(_LocScale):
    """Gumbel (maximum extreme value) distribution.

    Example:
        >>> from pplx.distributions import Gumbel
        >>> round(float(Gumbel(0.0, 1.0).log_prob(0.0)), 4)
        -1.0
    """

    def _std_log_prob(self, z):
        return -(z + jnp.exp(-z))

    def _std_cdf(self, z):
        return jnp.exp(-jnp.exp(-z))

    def _std_icdf(self, q):
        return -jnp.log(-jnp.log(q))

    @property
    def mean(self):
        loc, scale = bcast(self.loc, self.scale)
        return loc + _EULER_GAMMA * scale

    @property
    def variance(self):
        return bcast(self.loc, self.scale)[1] ** 2 * math.pi**2 / 6.0


class Moyal(_LocScale):
    """Moyal distribution (an approximation to the Landau distribution).

    Example:
        >>> from pplx.distributions import Moyal
        >>> round(float(Moyal(0.0, 1.0).log_prob(0.0)), 4)
        -1.4189
    """

    def _std_log_prob(self, z):
        return -0.5 * (z + jnp.exp(-z)) - 0.5 * math.log(2 * math.pi)

    def _std_sample(self, key, shape, dtype):
        return -jnp.log(jax.random.normal(key, shape, dtype) ** 2)

    def _std_cdf(self, z):
        return jss.erfc(jnp.exp(-0.5 * z) / math.sqrt(2.0))

    def _std_icdf(self, q):
        # erfc(t) = 2 Phi(-t sqrt(2)), so exp(-z/2) = -ndtri(q/2).
        return -jnp.log(jss.ndtri(0.5 * q) ** 2)

    @property
    def mean(self):
        loc, scale = bcast(self.loc, self.scale)
        return loc + scale * (_EULER_GAMMA + math.log(2.0))

    @property
    def variance(self):
        return bcast(self.loc, self.scale)[1] ** 2 * math.pi**2 / 2.0
