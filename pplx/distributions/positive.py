"""More univariate continuous families on the positive reals and the unit interval."""

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
)
from pplx.distributions.continuous import expand_to, student_t_cdf_parts, student_t_log_prob
from pplx.distributions.continuous_extra import _uniform
from pplx.distributions.families import BetaShapeFamily, ConcentrationRateFamily

__all__ = [
    "InverseGamma",
    "Weibull",
    "Pareto",
    "ChiSquared",
    "HalfStudentT",
    "Kumaraswamy",
]


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


class Weibull(Distribution):
    """Weibull distribution with ``scale`` and shape ``concentration``.

    Example:
        >>> from pplx.distributions import Weibull
        >>> round(float(Weibull(1.0, 1.0).log_prob(1.0)), 4)
        -1.0
    """

    scale: jax.Array
    concentration: jax.Array

    def __init__(self, scale, concentration):
        self.scale, self.concentration = promote(scale, concentration)
        check_positive("Weibull", scale=self.scale, concentration=self.concentration)

    @property
    def batch_shape(self):
        return self.scale.shape

    @property
    def support(self):
        return constraints.positive

    def _log_prob(self, value):
        value, lam, k = bcast(value, self.scale, self.concentration)
        log_z = jnp.log(value) - jnp.log(lam)
        return jnp.log(k) - jnp.log(lam) + (k - 1.0) * log_z - jnp.exp(k * log_z)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        lam, k = expand_to(shape, self.scale, self.concentration)
        e = jax.random.exponential(key, shape, lam.dtype)
        return lam * e ** (1.0 / k)

    @property
    def mean(self):
        return self.scale * jnp.exp(jss.gammaln(1.0 + 1.0 / self.concentration))

    @property
    def variance(self):
        k = self.concentration
        m2 = jnp.exp(jss.gammaln(1.0 + 2.0 / k))
        return self.scale**2 * (m2 - jnp.exp(2.0 * jss.gammaln(1.0 + 1.0 / k)))

    def cdf(self, value):
        value, lam, k = bcast(value, self.scale, self.concentration)
        return cdf_between(value, 0.0, jnp.inf, lambda x: -jnp.expm1(-((x / lam) ** k)))

    def icdf(self, q):
        q, lam, k = bcast(q, self.scale, self.concentration)
        return lam * (-jnp.log1p(-q)) ** (1.0 / k)


class Pareto(Distribution):
    """Pareto distribution on ``[scale, inf)`` with tail index ``alpha``.

    Example:
        >>> from pplx.distributions import Pareto
        >>> round(float(Pareto(1.0, 2.0).log_prob(1.0)), 4)
        0.6931
    """

    scale: jax.Array
    alpha: jax.Array

    def __init__(self, scale, alpha):
        self.scale, self.alpha = promote(scale, alpha)
        check_positive("Pareto", scale=self.scale, alpha=self.alpha)

    @property
    def batch_shape(self):
        return self.scale.shape

    @property
    def support(self):
        return constraints.GreaterThanEq(self.scale)

    def _log_prob(self, value):
        value, xm, a = bcast(value, self.scale, self.alpha)
        return jnp.log(a) + a * jnp.log(xm) - (a + 1.0) * jnp.log(value)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        xm, a = expand_to(shape, self.scale, self.alpha)
        return xm * jnp.exp(jax.random.exponential(key, shape, xm.dtype) / a)

    @property
    def mean(self):
        a = self.alpha
        return jnp.where(a > 1, a * self.scale / (a - 1.0), jnp.inf)

    @property
    def variance(self):
        a = self.alpha
        var = self.scale**2 * a / ((a - 1.0) ** 2 * (a - 2.0))
        return jnp.where(a > 2, var, jnp.inf)

    def cdf(self, value):
        value, xm, a = bcast(value, self.scale, self.alpha)
        return cdf_between(value, xm, jnp.inf, lambda x: -jnp.expm1(-a * jnp.log1p((x - xm) / xm)))

    def icdf(self, q):
        q, xm, a = bcast(q, self.scale, self.alpha)
        return xm * jnp.exp(-jnp.log1p(-q) / a)


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
        u = _uniform(key, shape, a.dtype)
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
