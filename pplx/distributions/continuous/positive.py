"""Univariate continuous families on the positive reals: half-distributions and the gamma family."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    bcast,
    cdf_between,
    check_positive,
    promote,
    standardize,
)
from pplx.distributions.continuous.real import student_t_cdf_parts, student_t_log_prob
from pplx.distributions.families import (
    ConcentrationRateFamily,
    ScaleFamily,
)
from pplx.distributions.helpers import expand_to, std_normal_log_prob


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
        return math.log(2.0) + std_normal_log_prob(z) - log_scale

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


class InverseGamma(ConcentrationRateFamily):
    """Distribution of ``1 / X`` for ``X ~ Gamma(concentration, rate)``.

    Example:
        >>> from pplx.distributions import InverseGamma
        >>> round(float(InverseGamma(2.0, 1.0).log_prob(1.0)), 4)
        -1.0
    """

    @property
    def support(self):
        return constraints.positive

    def _log_prob(self, value):
        value, a, b = bcast(value, self.concentration, self.rate)
        return a * jnp.log(b) - (a + 1.0) * jnp.log(value) - b / value - jss.gammaln(a)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        a, b = expand_to(shape, self.concentration, self.rate)
        return b / jax.random.gamma(key, a, shape, a.dtype)

    @property
    def mean(self):
        a = self.concentration
        return jnp.where(a > 1, self.rate / (a - 1.0), jnp.inf)

    @property
    def variance(self):
        a = self.concentration
        var = self.rate**2 / ((a - 1.0) ** 2 * (a - 2.0))
        return jnp.where(a > 2, var, jnp.inf)

    def cdf(self, value):
        value, a, b = bcast(value, self.concentration, self.rate)
        return cdf_between(value, 0.0, jnp.inf, lambda x: jss.gammaincc(a, b / x))


class ChiSquared(Distribution):
    """Chi-squared distribution with ``df`` degrees of freedom.

    Example:
        >>> from pplx.distributions import ChiSquared
        >>> round(float(ChiSquared(2.0).log_prob(2.0)), 4)
        -1.6931
    """

    df: jax.Array

    def __init__(self, df):
        (self.df,) = promote(df)
        check_positive("ChiSquared", df=self.df)

    @property
    def batch_shape(self):
        return self.df.shape

    @property
    def support(self):
        return constraints.positive

    def _log_prob(self, value):
        value, df = bcast(value, self.df)
        k = 0.5 * df
        return (k - 1.0) * jnp.log(value) - 0.5 * value - k * math.log(2.0) - jss.gammaln(k)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        (df,) = expand_to(shape, self.df)
        return 2.0 * jax.random.gamma(key, 0.5 * df, shape, df.dtype)

    @property
    def mean(self):
        return self.df

    @property
    def variance(self):
        return 2.0 * self.df

    def cdf(self, value):
        value, df = bcast(value, self.df)
        return cdf_between(value, 0.0, jnp.inf, lambda x: jss.gammainc(0.5 * df, 0.5 * x))


class HalfStudentT(Distribution):
    """Student-t(df, 0, scale) folded onto the nonnegative reals.

    Example:
        >>> from pplx.distributions import HalfStudentT
        >>> round(float(HalfStudentT(3.0, 1.0).log_prob(0.0)), 4)
        -0.3077
    """

    df: jax.Array
    scale: jax.Array

    def __init__(self, df, scale=1.0):
        self.df, self.scale = promote(df, scale)
        check_positive("HalfStudentT", df=self.df, scale=self.scale)

    @property
    def batch_shape(self):
        return self.scale.shape

    @property
    def support(self):
        return constraints.nonnegative

    def _log_prob(self, value):
        value, df, scale = bcast(value, self.df, self.scale)
        return math.log(2.0) + student_t_log_prob(df, value / scale) - jnp.log(scale)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        df, scale = expand_to(shape, self.df, self.scale)
        return scale * jnp.abs(jax.random.t(key, df, shape, df.dtype))

    @property
    def mean(self):
        df = self.df
        log_m = jss.gammaln(0.5 * (df + 1.0)) - jss.gammaln(0.5 * df) + 0.5 * jnp.log(df / math.pi)
        m = 2.0 * self.scale * jnp.exp(log_m) / jnp.where(df > 1, df - 1.0, 1.0)
        return jnp.where(df > 1, m, jnp.inf)

    @property
    def variance(self):
        df = self.df
        m2 = self.scale**2 * df / jnp.where(df > 2, df - 2.0, 1.0)
        return jnp.where(df > 2, m2 - self.mean**2, jnp.inf)

    def cdf(self, value):
        """Via the regularised incomplete beta function (not differentiable in ``df``)."""
        value, df, scale = bcast(value, self.df, self.scale)

        def fn(x):
            near, central, tail = student_t_cdf_parts(df, x / scale)
            return jnp.where(near, central, 1.0 - 2.0 * tail)

        return cdf_between(value, 0.0, jnp.inf, fn)
