"""Univariate continuous families on a bounded interval (lower, upper) or the circle."""

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
from pplx.distributions.families import LocScaleFamily
from pplx.distributions.helpers import expand_to, log_diff_ndtr, open_uniform, std_normal_log_prob


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
        return std_normal_log_prob(z) - jnp.log(scale) - log_diff_ndtr(a, b)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        a, b = self._std_bounds()
        a, b, loc, scale = expand_to(shape, a, b, self.loc, self.scale)
        # Sample the side of the bulk nearer to zero, so ndtr keeps its precision.
        flip = a > 0
        lo, hi = jnp.where(flip, -b, a), jnp.where(flip, -a, b)
        p_lo, p_hi = jss.ndtr(lo), jss.ndtr(hi)
        u = open_uniform(key, shape, loc.dtype)
        z = jss.ndtri(p_lo + u * (p_hi - p_lo))
        z = jnp.clip(jnp.where(flip, -z, z), a, b)
        return loc + scale * z

    def _moments(self):
        a, b = self._std_bounds()
        log_z = log_diff_ndtr(a, b)
        pdf_a = jnp.exp(std_normal_log_prob(a) - log_z)
        pdf_b = jnp.exp(std_normal_log_prob(b) - log_z)
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
        log_mass = log_diff_ndtr(a, b)
        return cdf_between(
            value, low, high, lambda x: jnp.exp(log_diff_ndtr(a, (x - loc) / scale) - log_mass)
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
        u = open_uniform(key, shape, lo.dtype)
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
        u2 = open_uniform(k2, kappa.shape, kappa.dtype)
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
