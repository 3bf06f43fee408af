"""Univariate continuous families on the real line with skew: SkewNormal, AsymmetricLaplace,
ExGaussian.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import bcast, check_positive, promote
from pplx.distributions.families import LocScaleFamily
from pplx.distributions.helpers import expand_to, std_normal_log_prob


class SkewNormal(LocScaleFamily):
    """Skew-normal distribution with location, scale and shape ``alpha``.

    Example:
        >>> from pplx.distributions import SkewNormal
        >>> round(float(SkewNormal(0.0, 1.0, 0.0).log_prob(0.0)), 4)
        -0.9189
    """

    alpha: jax.Array

    def __init__(self, loc=0.0, scale=1.0, alpha=0.0):
        self.loc, self.scale, self.alpha = promote(loc, scale, alpha)
        check_positive("SkewNormal", scale=self.scale)

    @property
    def support(self):
        return constraints.real

    def _log_prob(self, value):
        value, loc, scale, alpha = bcast(value, self.loc, self.scale, self.alpha)
        z = (value - loc) / scale
        return math.log(2.0) + std_normal_log_prob(z) - jnp.log(scale) + jss.log_ndtr(alpha * z)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        loc, scale, alpha = expand_to(shape, self.loc, self.scale, self.alpha)
        delta = alpha / jnp.sqrt(1.0 + alpha**2)
        u0, v = jax.random.normal(key, (2,) + shape, loc.dtype)
        u1 = delta * u0 + jnp.sqrt(1.0 - delta**2) * v
        return loc + scale * jnp.where(u0 >= 0, u1, -u1)

    @property
    def mean(self):
        delta = self.alpha / jnp.sqrt(1.0 + self.alpha**2)
        return self.loc + self.scale * delta * math.sqrt(2.0 / math.pi)

    @property
    def variance(self):
        delta2 = self.alpha**2 / (1.0 + self.alpha**2)
        return self.scale**2 * (1.0 - 2.0 * delta2 / math.pi)

    def cdf(self, value):
        """``Phi(z) - 2 T(z, alpha)`` with Owen's T. In the thin tail (``z alpha`` very
        negative) the two terms cancel, so accuracy there is absolute, not relative."""
        value, loc, scale, alpha = bcast(value, self.loc, self.scale, self.alpha)
        z = (value - loc) / scale
        return jnp.clip(jss.ndtr(z) - 2.0 * jss.owens_t(z, alpha), 0.0, 1.0)


class AsymmetricLaplace(LocScaleFamily):
    """Asymmetric Laplace: decay rate ``asymmetry / scale`` above ``loc``, ``1 / (asymmetry
    scale)`` below.

    Example:
        >>> from pplx.distributions import AsymmetricLaplace
        >>> round(float(AsymmetricLaplace(0.0, 1.0, 1.0).log_prob(0.0)), 4)
        -0.6931
    """

    asymmetry: jax.Array

    def __init__(self, loc=0.0, scale=1.0, asymmetry=1.0):
        self.loc, self.scale, self.asymmetry = promote(loc, scale, asymmetry)
        check_positive("AsymmetricLaplace", scale=self.scale, asymmetry=self.asymmetry)

    @property
    def support(self):
        return constraints.real

    def _log_prob(self, value):
        value, loc, scale, k = bcast(value, self.loc, self.scale, self.asymmetry)
        z = (value - loc) / scale
        expo = jnp.where(z >= 0, -z * k, z / k)
        return expo - jnp.log(scale) - jnp.log(k + 1.0 / k)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        loc, scale, k = expand_to(shape, self.loc, self.scale, self.asymmetry)
        e1, e2 = jax.random.exponential(key, (2,) + shape, loc.dtype)
        return loc + scale * (e1 / k - e2 * k)

    @property
    def mean(self):
        k = self.asymmetry
        return self.loc + self.scale * (1.0 / k - k)

    @property
    def variance(self):
        k = self.asymmetry
        return self.scale**2 * (1.0 / k**2 + k**2)

    def cdf(self, value):
        value, loc, scale, k = bcast(value, self.loc, self.scale, self.asymmetry)
        z = (value - loc) / scale
        k2 = k**2
        # Mass k^2 / (1 + k^2) lies below loc. Each exponent is clamped to its own
        # branch so that the unused one cannot overflow.
        left = k2 / (1.0 + k2) * jnp.exp(jnp.minimum(z, 0.0) / k)
        right = 1.0 - jnp.exp(-jnp.maximum(z, 0.0) * k) / (1.0 + k2)
        return jnp.where(z < 0, left, right)

    def icdf(self, q):
        q, loc, scale, k = bcast(q, self.loc, self.scale, self.asymmetry)
        log1p_k2 = jnp.log1p(k**2)
        split = k**2 / (1.0 + k**2)
        below = q < split
        left = k * (jnp.log(jnp.where(below, q, split)) - 2.0 * jnp.log(k) + log1p_k2)
        right = -(jnp.log1p(-jnp.where(below, split, q)) + log1p_k2) / k
        return loc + scale * jnp.where(below, left, right)


class ExGaussian(LocScaleFamily):
    """Normal(loc, scale) plus an independent exponential with mean ``nu``.

    Args:
        loc: mean of the normal part.
        scale: standard deviation of the normal part.
        nu: mean of the exponential part (PyMC's ``nu``).

    Example:
        >>> from pplx.distributions import ExGaussian
        >>> round(float(ExGaussian(0.0, 1.0, 1.0).log_prob(0.0)), 4)
        -1.341
    """

    nu: jax.Array

    def __init__(self, loc=0.0, scale=1.0, nu=1.0):
        self.loc, self.scale, self.nu = promote(loc, scale, nu)
        check_positive("ExGaussian", scale=self.scale, nu=self.nu)

    @property
    def support(self):
        return constraints.real

    def _log_prob(self, value):
        value, mu, sigma, nu = bcast(value, self.loc, self.scale, self.nu)
        return (
            -jnp.log(nu)
            + (mu - value) / nu
            + 0.5 * (sigma / nu) ** 2
            + jss.log_ndtr((value - mu) / sigma - sigma / nu)
        )

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        mu, sigma, nu = expand_to(shape, self.loc, self.scale, self.nu)
        k1, k2 = jax.random.split(key)
        normal = jax.random.normal(k1, shape, mu.dtype)
        return mu + sigma * normal + nu * jax.random.exponential(k2, shape, mu.dtype)

    @property
    def mean(self):
        return self.loc + self.nu

    @property
    def variance(self):
        return self.scale**2 + self.nu**2

    def cdf(self, value):
        """``Phi(u) - exp(v^2/2 - u v) Phi(u - v)`` with ``u = (x - loc)/scale`` and
        ``v = scale/nu``, as ``Phi(u) (1 - exp(d))`` with ``d <= 0`` formed in log space,
        so neither term overflows and the lower tail keeps its relative accuracy."""
        value, mu, sigma, nu = bcast(value, self.loc, self.scale, self.nu)
        u, v = (value - mu) / sigma, sigma / nu
        log_phi_u = jss.log_ndtr(u)
        d = jnp.minimum(0.5 * v**2 - u * v + jss.log_ndtr(u - v) - log_phi_u, 0.0)
        return jnp.exp(log_phi_u + jnp.log(-jnp.expm1(d)))
