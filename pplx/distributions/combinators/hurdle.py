"""Hurdle models: zero with probability ``1 - psi``, otherwise a strictly positive draw."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    bcast,
    check_param,
    check_positive,
    check_when_concrete,
    promote,
)
from pplx.distributions.continuous.positive import Gamma
from pplx.distributions.continuous.positive_skewed import LogNormal
from pplx.distributions.discrete.counts import Geometric, NegativeBinomial2, Poisson
from pplx.distributions.discrete.finite import Binomial, int_dtype

NUM_ROUNDS = 64  # resampling rounds for discrete bases without a dedicated sampler


# ------------------------------------------------------------------------- validation


def _check_psi(name, psi):
    (psi,) = promote(psi)
    check_param(name, "psi", psi, lambda p: (p >= 0) & (p <= 1), "must be in [0, 1]")
    return psi


def _nonnegative_lower(name, lower):
    if not np.all(np.asarray(lower) >= 0):
        raise ValueError(f"{name}: the base's support must lie in [0, inf), got lower={lower}")


def _hurdle_support(name, base):
    """The hurdle's support (the base's, with zero added); raises for a base that can
    be negative or is not univariate."""
    if base.event_shape:
        raise ValueError(f"{name}: the base must be univariate, got event shape {base.event_shape}")
    support = base.support
    lower = getattr(support, "lower", None)
    if lower is None or isinstance(support, constraints.LessThan):
        raise ValueError(
            f"{name}: the base's support {support.name!r} must be bounded below by 0 "
            "(e.g. Poisson, NegativeBinomial2, Gamma, LogNormal)"
        )
    check_when_concrete(functools.partial(_nonnegative_lower, name), lower)
    if isinstance(support, constraints.IntegerInterval):
        return constraints.integer_interval(0, support.upper)
    if isinstance(support, constraints.Interval):
        return constraints.interval(0.0, support.upper)
    return constraints.nonnegative_integer if base.is_discrete else constraints.nonnegative


def _log1mexp(x):
    """``log(1 - exp(x))`` for ``x <= 0``, accurate at both ends."""
    near = x > -np.log(2.0)
    safe_near = jnp.where(near, x, -1.0)
    safe_far = jnp.where(near, -1.0, x)
    return jnp.where(near, jnp.log(-jnp.expm1(safe_near)), jnp.log1p(-jnp.exp(safe_far)))


# -------------------------------------------------------------- zero-truncated samplers


def _truncated_arrival(key, rate):
    """First arrival time on ``[0, 1]`` of a rate-``rate`` Poisson process, given one."""
    u = jax.random.uniform(key, rate.shape, rate.dtype)
    safe = jnp.where(rate > 0, rate, 1.0)
    t = -jnp.log1p(u * jnp.expm1(-safe)) / safe
    return jnp.clip(t, 0.0, 1.0)


def _zt_poisson(base, key, sample_shape, batch):
    rate = jnp.broadcast_to(base.rate, tuple(sample_shape) + batch)
    k1, k2 = jax.random.split(key)
    t = _truncated_arrival(k1, rate)
    return 1 + jax.random.poisson(k2, rate * (1.0 - t), rate.shape).astype(int_dtype())


def _logarithmic(key, log_1mp, shape):
    """Logarithmic(p) draws on {1, 2, ...}, with ``log_1mp = log(1 - p)``.

    A geometric on {1, 2, ...} with continuation prob ``q = 1 - (1 - p)**U``."""
    k1, k2 = jax.random.split(key)
    u = jax.random.uniform(k1, shape, log_1mp.dtype)
    v = jax.random.uniform(k2, shape, log_1mp.dtype, minval=jnp.finfo(log_1mp.dtype).tiny)
    log_q = jnp.log(-jnp.expm1(u * log_1mp))
    return 1 + jnp.minimum(jnp.floor(jnp.log(v) / log_q), 2.0**52).astype(int_dtype())


def _zt_negative_binomial2(base, key, sample_shape, batch):
    shape = tuple(sample_shape) + batch
    mu, phi = (jnp.broadcast_to(p, shape) for p in (base.mean_, base.concentration))
    k1, k2, k3, k4 = jax.random.split(key, 4)
    log_ratio = jnp.log1p(mu / phi)  # -log(1 - p), p = mu / (mu + phi)
    # NB(phi, p) = sum of Poisson(phi * log_ratio) Logarithmic(p) terms.
    t = _truncated_arrival(k1, phi * log_ratio)
    first = _logarithmic(k2, -log_ratio, shape)
    rest_conc = jnp.maximum(phi * (1.0 - t), jnp.finfo(phi.dtype).tiny)
    lam = jax.random.gamma(k3, rest_conc, shape, phi.dtype) * (mu / phi)
    return first + jax.random.poisson(k4, lam, shape).astype(int_dtype())


def _zt_binomial(base, key, sample_shape, batch):
    shape = tuple(sample_shape) + batch
    n, p = (jnp.broadcast_to(v, shape) for v in (base.total_count, base.probs))
    k1, k2 = jax.random.split(key)
    # The first success J among the n trials, given that there is one, then the rest.
    log_q = jnp.log1p(-jnp.where(p > 0, p, 0.5))
    u = jax.random.uniform(k1, shape, p.dtype)
    first = jnp.clip(jnp.ceil(jnp.log1p(u * jnp.expm1(n * log_q)) / log_q), 1.0, n)
    return 1 + jax.random.binomial(k2, n - first, p, shape, p.dtype).astype(int_dtype())


def _zt_geometric(base, key, sample_shape, batch):
    return 1 + base.expand(batch).sample(key, sample_shape)


_ZERO_TRUNCATED = {
    Poisson: _zt_poisson,
    NegativeBinomial2: _zt_negative_binomial2,
    Binomial: _zt_binomial,
    Geometric: _zt_geometric,
}


def _zt_inverse_cdf(base, key, sample_shape, batch, num_steps=62):
    """Smallest ``k >= 1`` with ``cdf(k) >= U(p(0), 1)``: doubling, then bisection."""
    shape = tuple(sample_shape) + batch
    p0 = jnp.exp(base.log_prob(jnp.zeros((), int_dtype())))
    p0 = jnp.broadcast_to(p0, shape)
    target = p0 + jax.random.uniform(key, shape, p0.dtype) * (1.0 - p0)

    def below(k):  # cdf(k) < target, as a boolean array of the full shape
        cdf, tgt = bcast(base.cdf(k), target)
        return cdf < tgt

    def grow(_, hi):
        return jnp.where(below(hi), 2.0 * hi, hi)

    hi = jax.lax.fori_loop(0, num_steps, grow, jnp.ones(shape, p0.dtype))

    def halve(_, bounds):
        lo, hi = bounds
        mid = jnp.floor(0.5 * (lo + hi))
        go_up = below(mid)
        return jnp.where(go_up, mid, lo), jnp.where(go_up, hi, mid)

    _, hi = jax.lax.fori_loop(0, num_steps, halve, (jnp.floor(0.5 * hi), hi))
    return jnp.maximum(hi, 1.0).astype(int_dtype())


def _zt_resample(base, key, sample_shape, batch):
    """Keep the first non-zero of up to ``NUM_ROUNDS`` draws; ``1`` if all are zero."""
    expanded = base.expand(batch)
    shape = tuple(sample_shape) + batch
    dtype = jax.eval_shape(lambda: expanded.sample(key, sample_shape)).dtype

    def more(carry):
        i, _, found = carry
        return (i < NUM_ROUNDS) & ~jnp.all(found)

    def round_(carry):
        i, value, found = carry
        draw = expanded.sample(jax.random.fold_in(key, i), sample_shape)
        return i + 1, jnp.where(found, value, draw), found | (draw != 0)

    init = (0, jnp.ones(shape, dtype), jnp.zeros(shape, bool))
    _, value, found = jax.lax.while_loop(more, round_, init)
    return jnp.where(found, value, jnp.ones_like(value))


def _positive_draws(base, key, sample_shape, batch):
    """Draws from the non-zero part: the zero-truncated base, or a continuous base."""
    if not base.is_discrete:
        x = base.expand(batch).sample(key, sample_shape)
        # A draw that underflows to 0 would land on the point mass.
        return jnp.maximum(x, jnp.finfo(x.dtype).tiny)
    sampler = _ZERO_TRUNCATED.get(type(base))
    if sampler is not None:
        return sampler(base, key, sample_shape, batch)
    if type(base).cdf is not Distribution.cdf:
        return _zt_inverse_cdf(base, key, sample_shape, batch)
    return _zt_resample(base, key, sample_shape, batch)


# ---------------------------------------------------------------------- distributions


class _Hurdle(Distribution):
    """Shared implementation; subclasses set ``psi`` and ``base`` in ``__init__``."""

    psi: jax.Array
    base: Distribution
    hurdle_support: constraints.Constraint

    @property
    def is_discrete(self):
        return self.base.is_discrete

    @property
    def batch_shape(self):
        return jnp.broadcast_shapes(self.psi.shape, tuple(self.base.batch_shape))

    @property
    def support(self):
        return self.hurdle_support

    def _log_nonzero_mass(self):
        """``log P(base > 0)``: ``log(1 - p(0))`` for discrete bases, else 0."""
        if not self.base.is_discrete:
            return jnp.zeros((), self.psi.dtype)
        return _log1mexp(self.base.log_prob(jnp.zeros((), int_dtype())))

    def _log_prob(self, value):
        value = jnp.asarray(value)
        is_zero = value == 0
        safe = jnp.where(is_zero, self.base.support.feasible_like(value), value)
        lp = self.base.log_prob(safe.astype(value.dtype))
        is_zero, psi, lp, log_mass = bcast(is_zero, self.psi, lp, self._log_nonzero_mass())
        return jnp.where(is_zero, jnp.log1p(-psi), jnp.log(psi) + lp - log_mass)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        k1, k2 = jax.random.split(key)
        positive = _positive_draws(self.base, k2, tuple(sample_shape), self.batch_shape)
        psi = jnp.broadcast_to(self.psi, shape)
        nonzero = jax.random.uniform(k1, shape, psi.dtype) < psi
        return jnp.where(nonzero, positive, jnp.zeros((), positive.dtype))

    def _nonzero_scale(self):
        """``psi / P(base > 0)``: the weight of the base's moments."""
        psi, log_mass = bcast(self.psi, self._log_nonzero_mass())
        return psi * jnp.exp(-log_mass)

    @property
    def mean(self):
        scale, m = bcast(self._nonzero_scale(), self.base.mean)
        return scale * m

    @property
    def variance(self):
        scale, m, v = bcast(self._nonzero_scale(), self.base.mean, self.base.variance)
        return scale * (v + m**2) - (scale * m) ** 2


class Hurdle(_Hurdle):
    """Zero with probability ``1 - psi``, else a draw from ``base`` given it is non-zero.

    Args:
        psi: probability of a non-zero value, in ``[0, 1]``.
        base: a univariate distribution on the nonnegative integers (truncated to
            ``x >= 1`` for the non-zero part) or on the positive reals (used as is).

    Example:
        >>> from pplx.distributions import Gamma
        >>> from pplx.distributions.combinators.hurdle import Hurdle
        >>> d = Hurdle(0.25, Gamma(2.0, 1.0))
        >>> round(float(d.log_prob(0.0)), 4), round(float(d.log_prob(1.0)), 4)
        (-0.2877, -2.3863)
    """

    def __init__(self, psi, base):
        self.psi = _check_psi("Hurdle", psi)
        self.hurdle_support = _hurdle_support("Hurdle", base)
        self.base = base


class HurdlePoisson(_Hurdle):
    """Hurdle model with a zero-truncated ``Poisson(mu)`` for the non-zero counts.

    Example:
        >>> from pplx.distributions.combinators.hurdle import HurdlePoisson
        >>> round(float(HurdlePoisson(0.7, 2.0).mean), 4)
        1.6191
    """

    def __init__(self, psi, mu):
        psi, mu = promote(psi, mu)
        check_param("HurdlePoisson", "mu", mu, lambda m: m > 0, "must be positive")
        self.psi = _check_psi("HurdlePoisson", psi)
        self.base = Poisson(mu)
        self.hurdle_support = constraints.nonnegative_integer


class HurdleNegativeBinomial(_Hurdle):
    """Hurdle model with a zero-truncated negative binomial of mean ``mu`` and
    dispersion ``alpha`` (variance ``mu + mu**2 / alpha``) for the non-zero counts.

    Example:
        >>> from pplx.distributions.combinators.hurdle import HurdleNegativeBinomial
        >>> round(float(HurdleNegativeBinomial(0.5, 1.0, 1.0).log_prob(1)), 4)
        -1.3863
    """

    def __init__(self, psi, mu, alpha):
        psi, mu, alpha = promote(psi, mu, alpha)
        check_positive("HurdleNegativeBinomial", mu=mu, alpha=alpha)
        self.psi = _check_psi("HurdleNegativeBinomial", psi)
        self.base = NegativeBinomial2(mu, alpha)
        self.hurdle_support = constraints.nonnegative_integer


class HurdleGamma(_Hurdle):
    """Hurdle model with ``Gamma(alpha, beta)`` (shape, rate) for the non-zero values.

    Example:
        >>> from pplx.distributions.combinators.hurdle import HurdleGamma
        >>> round(float(HurdleGamma(0.5, 2.0, 1.0).log_prob(1.0)), 4)
        -1.6931
    """

    def __init__(self, psi, alpha, beta):
        psi, alpha, beta = promote(psi, alpha, beta)
        check_positive("HurdleGamma", alpha=alpha, beta=beta)
        self.psi = _check_psi("HurdleGamma", psi)
        self.base = Gamma(alpha, beta)
        self.hurdle_support = constraints.nonnegative


class HurdleLogNormal(_Hurdle):
    """Hurdle model with ``LogNormal(mu, sigma)`` for the non-zero values.

    Example:
        >>> from pplx.distributions.combinators.hurdle import HurdleLogNormal
        >>> round(float(HurdleLogNormal(0.5, 0.0, 1.0).log_prob(1.0)), 4)
        -1.6121
    """

    def __init__(self, psi, mu, sigma):
        psi, mu, sigma = promote(psi, mu, sigma)
        check_positive("HurdleLogNormal", sigma=sigma)
        self.psi = _check_psi("HurdleLogNormal", psi)
        self.base = LogNormal(mu, sigma)
        self.hurdle_support = constraints.nonnegative
