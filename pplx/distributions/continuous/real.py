"""Univariate continuous families on the whole real line: symmetric location-scale families."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    bcast,
    check_positive,
    promote,
    standardize,
)
from pplx.distributions.families import (
    LocScaleFamily,
)
from pplx.distributions.helpers import expand_to, open_uniform, std_normal_log_prob


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
        return std_normal_log_prob(z) - log_scale

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


_EULER_GAMMA = 0.5772156649015329


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
        return self._std_icdf(open_uniform(key, shape, dtype))


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
