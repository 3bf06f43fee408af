"""More continuous families: Wald, Triangular, Rice, VonMises."""

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
)
from pplx.distributions.continuous import expand_to
from pplx.distributions.continuous_extra import _uniform

__all__ = ["Wald", "Triangular", "Rice", "VonMises"]


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


class Triangular(Distribution):
    """Triangular distribution on ``[low, high]`` with peak at ``mode``.

    Example:
        >>> from pplx.distributions import Triangular
        >>> round(float(Triangular(0.0, 0.5, 1.0).log_prob(0.5)), 4)
        0.6931
    """

    low: jax.Array
    mode: jax.Array
    high: jax.Array

    def __init__(self, low=0.0, mode=0.5, high=1.0):
        self.low, self.mode, self.high = promote(low, mode, high)
        check_param(
            "Triangular",
            "mode",
            self.mode,
            (self.mode >= self.low) & (self.mode <= self.high) & (self.high > self.low),
            "must lie in [low, high] with low < high",
        )

    @property
    def batch_shape(self):
        return self.low.shape

    @property
    def support(self):
        return constraints.interval(self.low, self.high)

    def _log_prob(self, value):
        x, lo, c, hi = bcast(value, self.low, self.mode, self.high)
        width = hi - lo
        left = jnp.log(2.0 * (x - lo)) - jnp.log(width * (c - lo))
        right = jnp.log(2.0 * (hi - x)) - jnp.log(width * (hi - c))
        return jnp.where(x < c, left, right)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        lo, c, hi = expand_to(shape, self.low, self.mode, self.high)
        u = _uniform(key, shape, lo.dtype)
        return self._icdf(u, lo, c, hi)

    @staticmethod
    def _icdf(u, lo, c, hi):
        width = hi - lo
        split = (c - lo) / width
        left = lo + jnp.sqrt(u * width * (c - lo))
        right = hi - jnp.sqrt((1.0 - u) * width * (hi - c))
        return jnp.where(u < split, left, right)

    def icdf(self, q):
        return self._icdf(*bcast(q, self.low, self.mode, self.high))

    def cdf(self, value):
        value, lo, c, hi = bcast(value, self.low, self.mode, self.high)
        width = hi - lo
        # A mode at either end leaves one branch unused; keep its denominator nonzero.
        left_den = width * jnp.where(c > lo, c - lo, 1.0)
        right_den = width * jnp.where(hi > c, hi - c, 1.0)

        def fn(x):
            return jnp.where(x < c, (x - lo) ** 2 / left_den, 1.0 - (hi - x) ** 2 / right_den)

        return cdf_between(value, lo, hi, fn)

    @property
    def mean(self):
        return (self.low + self.mode + self.high) / 3.0

    @property
    def variance(self):
        a, c, b = self.low, self.mode, self.high
        return (a**2 + b**2 + c**2 - a * b - a * c - b * c) / 18.0


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


def _von_mises_standard(key, kappa):
    """Best and Fisher (1979) rejection sampler for VonMises(0, kappa), all at once."""
    tau = 1.0 + jnp.sqrt(1.0 + 4.0 * kappa**2)
    rho = (tau - jnp.sqrt(2.0 * tau)) / (2.0 * kappa)
    r = (1.0 + rho**2) / (2.0 * rho)

    def cond(state):
        return ~jnp.all(state[1])

    def body(state):
        key, done, f = state
        key, k1, k2 = jax.random.split(key, 3)
        u1 = jax.random.uniform(k1, kappa.shape, kappa.dtype)
        u2 = _uniform(k2, kappa.shape, kappa.dtype)
        z = jnp.cos(math.pi * u1)
        f_new = (1.0 + r * z) / (r + z)
        c = kappa * (r - f_new)
        accept = (c * (2.0 - c) - u2 > 0) | (jnp.log(c / u2) + 1.0 - c >= 0)
        f = jnp.where(done, f, f_new)
        return key, done | accept, f

    key, sign_key = jax.random.split(key)
    init = (key, jnp.zeros(kappa.shape, bool), jnp.zeros_like(kappa))
    _, _, f = jax.lax.while_loop(cond, body, init)
    sign = jnp.where(jax.random.uniform(sign_key, kappa.shape, kappa.dtype) < 0.5, -1.0, 1.0)
    return sign * jnp.arccos(jnp.clip(f, -1.0, 1.0))


class VonMises(Distribution):
    """Von Mises distribution on the circle ``[-pi, pi]``.

    Example:
        >>> from pplx.distributions import VonMises
        >>> round(float(VonMises(0.0, 1.0).log_prob(0.0)), 4)
        -1.0738
    """

    loc: jax.Array
    concentration: jax.Array

    def __init__(self, loc=0.0, concentration=1.0):
        self.loc, self.concentration = promote(loc, concentration)
        check_positive("VonMises", concentration=self.concentration)

    @property
    def batch_shape(self):
        return self.loc.shape

    @property
    def support(self):
        return constraints.circular

    def _log_prob(self, value):
        x, loc, kappa = bcast(value, self.loc, self.concentration)
        return kappa * (jnp.cos(x - loc) - 1.0) - math.log(2 * math.pi) - jnp.log(jss.i0e(kappa))

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        loc, kappa = expand_to(shape, self.loc, self.concentration)
        theta = _von_mises_standard(key, kappa) + loc
        # Wrap into [-pi, pi).
        return jnp.mod(theta + math.pi, 2 * math.pi) - math.pi

    @property
    def mean(self):
        """The circular mean (the location)."""
        return self.loc

    @property
    def variance(self):
        """The circular variance ``1 - I1(kappa) / I0(kappa)``."""
        kappa = self.concentration
        return 1.0 - jss.i1e(kappa) / jss.i0e(kappa)
