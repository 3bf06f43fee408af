"""Univariate continuous distributions: the core families.

Every family broadcasts its parameters at construction; ``batch_shape`` is their
broadcast shape. Parameters that are concrete are validated on the host.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    bcast,
    betaln,
    cdf_between,
    check_positive,
    promote,
    standardize,
)
from pplx.distributions.families import (
    BetaShapeFamily,
    ConcentrationRateFamily,
    LocScaleFamily,
    ScaleFamily,
)

__all__ = [
    "Normal",
    "HalfNormal",
    "Cauchy",
    "HalfCauchy",
    "StudentT",
    "Exponential",
    "Gamma",
    "Beta",
]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def expand_to(shape, *params):
    """Broadcast parameters to a full sample shape."""
    return tuple(jnp.broadcast_to(p, shape) for p in params)


def _std_normal_lp(z):
    return -0.5 * z**2 - _HALF_LOG_2PI


class Normal(LocScaleFamily):
    """Normal distribution with mean ``loc`` and standard deviation ``scale``.

    Args:
        loc: mean.
        scale: standard deviation, positive.

    Example:
        >>> from pplx.distributions import Normal
        >>> round(float(Normal(0.0, 1.0).log_prob(0.0)), 4)
        -0.9189
    """

    @property
    def support(self):
        return constraints.real

    def _log_prob(self, value):
        z, log_scale = standardize(value, self.loc, self.scale)
        return _std_normal_lp(z) - log_scale

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        loc, scale = expand_to(shape, self.loc, self.scale)
        return loc + scale * jax.random.normal(key, shape, loc.dtype)

    @property
    def mean(self):
        return bcast(self.loc, self.scale)[0]

    @property
    def variance(self):
        return bcast(self.loc, self.scale)[1] ** 2

    def cdf(self, value):
        value, loc, scale = bcast(value, self.loc, self.scale)
        return jss.ndtr((value - loc) / scale)

    def icdf(self, q):
        q, loc, scale = bcast(q, self.loc, self.scale)
        return loc + scale * jss.ndtri(q)


class HalfNormal(ScaleFamily):
    """Normal(0, scale) folded onto the nonnegative reals.

    Example:
        >>> from pplx.distributions import HalfNormal
        >>> round(float(HalfNormal(1.0).log_prob(0.0)), 4)
        -0.2258
    """

    @property
    def support(self):
        return constraints.nonnegative

    def _log_prob(self, value):
        z, log_scale = standardize(value, 0.0, self.scale)
        return math.log(2.0) + _std_normal_lp(z) - log_scale

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        (scale,) = expand_to(shape, self.scale)
        return scale * jnp.abs(jax.random.normal(key, shape, scale.dtype))

    @property
    def mean(self):
        return self.scale * math.sqrt(2.0 / math.pi)

    @property
    def variance(self):
        return self.scale**2 * (1.0 - 2.0 / math.pi)

    def cdf(self, value):
        value, scale = bcast(value, self.scale)
        return cdf_between(value, 0.0, jnp.inf, lambda x: jss.erf(x / (scale * math.sqrt(2.0))))

    def icdf(self, q):
        q, scale = bcast(q, self.scale)
        return scale * jss.ndtri(0.5 + 0.5 * q)


class Cauchy(LocScaleFamily):
    """Cauchy distribution with location ``loc`` and scale ``scale``.

    Example:
        >>> from pplx.distributions import Cauchy
        >>> round(float(Cauchy(0.0, 1.0).log_prob(0.0)), 4)
        -1.1447
    """

    @property
    def support(self):
        return constraints.real

    def _log_prob(self, value):
        value, loc, scale = bcast(value, self.loc, self.scale)
        z = (value - loc) / scale
        return -math.log(math.pi) - jnp.log(scale) - jnp.log1p(z**2)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        loc, scale = expand_to(shape, self.loc, self.scale)
        return loc + scale * jax.random.cauchy(key, shape, loc.dtype)

    @property
    def mean(self):
        return jnp.full(self.batch_shape, jnp.nan, self.loc.dtype)

    @property
    def variance(self):
        return jnp.full(self.batch_shape, jnp.inf, self.loc.dtype)

    def cdf(self, value):
        value, loc, scale = bcast(value, self.loc, self.scale)
        return 0.5 + jnp.arctan((value - loc) / scale) / math.pi

    def icdf(self, q):
        q, loc, scale = bcast(q, self.loc, self.scale)
        return loc + scale * jnp.tan(math.pi * (q - 0.5))


class HalfCauchy(ScaleFamily):
    """Cauchy(0, scale) folded onto the nonnegative reals.

    Example:
        >>> from pplx.distributions import HalfCauchy
        >>> round(float(HalfCauchy(1.0).log_prob(0.0)), 4)
        -0.4516
    """

    @property
    def support(self):
        return constraints.nonnegative

    def _log_prob(self, value):
        value, scale = bcast(value, self.scale)
        z = value / scale
        return math.log(2.0 / math.pi) - jnp.log(scale) - jnp.log1p(z**2)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        (scale,) = expand_to(shape, self.scale)
        return scale * jnp.abs(jax.random.cauchy(key, shape, scale.dtype))

    @property
    def mean(self):
        return jnp.full(self.batch_shape, jnp.inf, self.scale.dtype)

    @property
    def variance(self):
        return jnp.full(self.batch_shape, jnp.inf, self.scale.dtype)

    def cdf(self, value):
        value, scale = bcast(value, self.scale)
        return cdf_between(value, 0.0, jnp.inf, lambda x: 2.0 * jnp.arctan(x / scale) / math.pi)

    def icdf(self, q):
        q, scale = bcast(q, self.scale)
        return scale * jnp.tan(0.5 * math.pi * q)


def student_t_log_prob(df, z):
    """Log density of a standard Student-t at ``z`` (without the scale term)."""
    return (
        jss.gammaln(0.5 * (df + 1.0))
        - jss.gammaln(0.5 * df)
        - 0.5 * jnp.log(df * math.pi)
        - 0.5 * (df + 1.0) * jnp.log1p(z**2 / df)
    )


def student_t_cdf_parts(df, t):
    """Pieces of the standard Student-t cdf, each with finite gradients.

    Returns ``(near, central, tail)``: ``near`` is ``|t| < sqrt(df)``; where it holds,
    ``central = sign(t) P(|T| <= |t|)``; elsewhere ``tail = P(T > |t|)``. Each piece is
    evaluated at a safe point where it is not used, and ``central`` takes its linear
    expansion at ``t = 0`` (the betainc form has a ``0 * inf`` gradient there).
    """
    root = jnp.sqrt(df)
    near, zero = t**2 < df, t == 0
    tc = jnp.where(near & ~zero, t, 0.5 * root)
    tt = jnp.where(near, 2.0 * root, t)
    central = jnp.sign(tc) * jss.betainc(0.5, 0.5 * df, tc**2 / (df + tc**2))
    central = jnp.where(zero, 2.0 * t * jnp.exp(student_t_log_prob(df, 0.0)), central)
    tail = 0.5 * jss.betainc(0.5 * df, 0.5, df / (df + tt**2))
    return near, central, tail


class StudentT(Distribution):
    """Student-t distribution with ``df`` degrees of freedom, location and scale.

    Example:
        >>> from pplx.distributions import StudentT
        >>> round(float(StudentT(3.0).log_prob(0.0)), 4)
        -1.0009
    """

    df: jax.Array
    loc: jax.Array
    scale: jax.Array

    def __init__(self, df, loc=0.0, scale=1.0):
        self.df, self.loc, self.scale = promote(df, loc, scale)
        check_positive("StudentT", df=self.df, scale=self.scale)

    @property
    def batch_shape(self):
        return self.loc.shape

    @property
    def support(self):
        return constraints.real

    def _log_prob(self, value):
        z, log_scale = standardize(value, self.loc, self.scale)
        z, log_scale, df = bcast(z, log_scale, self.df)
        return student_t_log_prob(df, z) - log_scale

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        df, loc, scale = expand_to(shape, self.df, self.loc, self.scale)
        return loc + scale * jax.random.t(key, df, shape, loc.dtype)

    @property
    def mean(self):
        return jnp.where(self.df > 1, self.loc, jnp.nan)

    @property
    def variance(self):
        df = self.df
        var = self.scale**2 * df / jnp.where(df > 2, df - 2.0, 1.0)
        return jnp.where(df > 2, var, jnp.where(df > 1, jnp.inf, jnp.nan))

    def cdf(self, value):
        """Via the regularised incomplete beta function (not differentiable in ``df``)."""
        value, df, loc, scale = bcast(value, self.df, self.loc, self.scale)
        t = (value - loc) / scale
        near, central, tail = student_t_cdf_parts(df, t)
        return jnp.where(near, 0.5 + 0.5 * central, jnp.where(t < 0, tail, 1.0 - tail))


class Exponential(Distribution):
    """Exponential distribution with ``rate`` (mean ``1 / rate``).

    Example:
        >>> from pplx.distributions import Exponential
        >>> round(float(Exponential(2.0).log_prob(1.0)), 4)
        -1.3069
    """

    rate: jax.Array

    def __init__(self, rate=1.0):
        (self.rate,) = promote(rate)
        check_positive("Exponential", rate=self.rate)

    @property
    def batch_shape(self):
        return self.rate.shape

    @property
    def support(self):
        return constraints.nonnegative

    def _log_prob(self, value):
        value, rate = bcast(value, self.rate)
        return jnp.log(rate) - rate * value

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        (rate,) = expand_to(shape, self.rate)
        return jax.random.exponential(key, shape, rate.dtype) / rate

    @property
    def mean(self):
        return 1.0 / self.rate

    @property
    def variance(self):
        return self.rate**-2

    def cdf(self, value):
        value, rate = bcast(value, self.rate)
        return cdf_between(value, 0.0, jnp.inf, lambda x: -jnp.expm1(-rate * x))

    def icdf(self, q):
        q, rate = bcast(q, self.rate)
        return -jnp.log1p(-q) / rate


class Gamma(ConcentrationRateFamily):
    """Gamma distribution with shape ``concentration`` and ``rate``.

    Example:
        >>> from pplx.distributions import Gamma
        >>> round(float(Gamma(2.0, 1.0).log_prob(1.0)), 4)
        -1.0
    """

    @property
    def support(self):
        return constraints.positive

    def _log_prob(self, value):
        value, a, b = bcast(value, self.concentration, self.rate)
        return a * jnp.log(b) + (a - 1.0) * jnp.log(value) - b * value - jss.gammaln(a)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        a, b = expand_to(shape, self.concentration, self.rate)
        return jax.random.gamma(key, a, shape, a.dtype) / b

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def variance(self):
        return self.concentration / self.rate**2

    def cdf(self, value):
        value, a, b = bcast(value, self.concentration, self.rate)
        return cdf_between(value, 0.0, jnp.inf, lambda x: jss.gammainc(a, b * x))


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
