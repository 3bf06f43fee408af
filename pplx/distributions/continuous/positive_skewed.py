"""Right-skewed univariate continuous families on the positive reals: LogNormal, Weibull,
Pareto, Wald, Rice.
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
    cdf_between,
    check_param,
    check_positive,
    promote,
    standardize,
)
from pplx.distributions.families import LocScaleFamily
from pplx.distributions.helpers import expand_to, std_normal_log_prob


class Wald(Distribution):
    """Wald (inverse Gaussian) distribution with ``mean`` and shape ``lam``.

    Example:
        >>> from pplx.distributions import Wald
        >>> round(float(Wald(1.0, 1.0).log_prob(1.0)), 4)
        -0.9189
    """

    mean_: jax.Array
    lam: jax.Array

    def __init__(self, mean, lam):
        self.mean_, self.lam = promote(mean, lam)
        check_positive("Wald", mean=self.mean_, lam=self.lam)

    @property
    def batch_shape(self):
        return self.mean_.shape

    @property
    def support(self):
        return constraints.positive

    def _log_prob(self, value):
        x, mu, lam = bcast(value, self.mean_, self.lam)
        return 0.5 * (jnp.log(lam) - math.log(2 * math.pi) - 3.0 * jnp.log(x)) - lam * (
            x - mu
        ) ** 2 / (2.0 * mu**2 * x)

    def sample(self, key, sample_shape=()):
        # Michael, Schucany and Haas (1976): one normal and one uniform per draw.
        shape = self.shape(sample_shape)
        mu, lam = expand_to(shape, self.mean_, self.lam)
        k1, k2 = jax.random.split(key)
        y = jax.random.normal(k1, shape, mu.dtype) ** 2
        my = mu * y
        x = mu + mu * my / (2.0 * lam) - mu / (2.0 * lam) * jnp.sqrt(4.0 * lam * my + my**2)
        u = jax.random.uniform(k2, shape, mu.dtype)
        return jnp.where(u <= mu / (mu + x), x, mu**2 / x)

    @property
    def mean(self):
        return self.mean_

    @property
    def variance(self):
        return self.mean_**3 / self.lam

    def cdf(self, value):
        """``Phi(r (x/mu - 1)) + exp(2 lam/mu) Phi(-r (x/mu + 1))`` with ``r = sqrt(lam/x)``;
        the second term is formed in log space, as ``exp(2 lam/mu)`` alone overflows."""
        value, mu, lam = bcast(value, self.mean_, self.lam)

        def fn(x):
            r = jnp.sqrt(lam / x)
            tail = jnp.exp(2.0 * lam / mu + jss.log_ndtr(-r * (x / mu + 1.0)))
            return jss.ndtr(r * (x / mu - 1.0)) + tail

        return cdf_between(value, 0.0, jnp.inf, fn)


class Rice(Distribution):
    """Rice distribution: the norm of a 2-d normal with mean at distance ``nu``.

    Example:
        >>> from pplx.distributions import Rice
        >>> round(float(Rice(0.0, 1.0).log_prob(1.0)), 4)
        -0.5
    """

    nu: jax.Array
    sigma: jax.Array

    def __init__(self, nu, sigma=1.0):
        self.nu, self.sigma = promote(nu, sigma)
        check_param("Rice", "nu", self.nu, lambda v: v >= 0, "must be nonnegative")
        check_positive("Rice", sigma=self.sigma)

    @property
    def batch_shape(self):
        return self.nu.shape

    @property
    def support(self):
        return constraints.nonnegative

    def _log_prob(self, value):
        x, nu, sigma = bcast(value, self.nu, self.sigma)
        s2 = sigma**2
        arg = x * nu / s2
        # log I0(arg) = log(i0e(arg)) + arg, stable for large arguments.
        return jnp.log(x) - jnp.log(s2) - (x**2 + nu**2) / (2.0 * s2) + jnp.log(jss.i0e(arg)) + arg

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        nu, sigma = expand_to(shape, self.nu, self.sigma)
        z1, z2 = jax.random.normal(key, (2,) + shape, nu.dtype)
        return jnp.hypot(nu + sigma * z1, sigma * z2)

    @property
    def mean(self):
        x = -(self.nu**2) / (2.0 * self.sigma**2)
        laguerre = (1.0 - x) * jss.i0e(-0.5 * x) - x * jss.i1e(-0.5 * x)
        return self.sigma * math.sqrt(math.pi / 2.0) * laguerre

    @property
    def variance(self):
        return 2.0 * self.sigma**2 + self.nu**2 - self.mean**2


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
        return std_normal_log_prob(z) - log_scale - jnp.broadcast_to(log_x, z.shape)

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
