"""Low-rank multivariate normal, zero-sum normal, Dirichlet-multinomial."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    check_param,
    check_positive,
    promote,
)
from pplx.distributions.multivariate_extra import Multinomial, multinomial_counts

__all__ = ["LowRankMultivariateNormal", "ZeroSumNormal", "DirichletMultinomial"]


class LowRankMultivariateNormal(Distribution):
    """Normal with covariance ``cov_factor @ cov_factor.T + diag(cov_diag)``.

    Args:
        loc: mean, ``batch + (n,)``.
        cov_factor: ``batch + (n, r)``.
        cov_diag: positive, ``batch + (n,)``.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import LowRankMultivariateNormal
        >>> d = LowRankMultivariateNormal(jnp.zeros(2), jnp.zeros((2, 1)), jnp.ones(2))
        >>> round(float(d.log_prob(jnp.zeros(2))), 4)
        -1.8379
    """

    loc: jax.Array
    cov_factor: jax.Array
    cov_diag: jax.Array

    def __init__(self, loc, cov_factor, cov_diag):
        loc, cov_factor, cov_diag = as_float(loc), as_float(cov_factor), as_float(cov_diag)
        check_positive("LowRankMultivariateNormal", cov_diag=cov_diag)
        n, r = cov_factor.shape[-2:]
        batch = jnp.broadcast_shapes(loc.shape[:-1], cov_factor.shape[:-2], cov_diag.shape[:-1])
        dtype = jnp.result_type(loc, cov_factor, cov_diag)
        self.loc = jnp.broadcast_to(loc, batch + (n,)).astype(dtype)
        self.cov_factor = jnp.broadcast_to(cov_factor, batch + (n, r)).astype(dtype)
        self.cov_diag = jnp.broadcast_to(cov_diag, batch + (n,)).astype(dtype)

    @property
    def batch_shape(self):
        return self.loc.shape[:-1]

    @property
    def event_shape(self):
        return self.loc.shape[-1:]

    @property
    def support(self):
        return constraints.real_vector

    @property
    def covariance_matrix(self):
        w = self.cov_factor
        eye = jnp.broadcast_to(jnp.eye(w.shape[-2], dtype=w.dtype), w.shape[:-1] + w.shape[-2:-1])
        diag = self.cov_diag[..., None] * eye
        return w @ jnp.swapaxes(w, -1, -2) + diag

    def _log_prob(self, value):
        # Woodbury: Sigma^{-1} = D^{-1} - D^{-1} W C^{-1} W^T D^{-1}, C = I + W^T D^{-1} W.
        value, loc = bcast(as_float(value), self.loc)
        diff = value - loc
        shape = diff.shape[:-1]
        n, r = self.cov_factor.shape[-2:]
        w = jnp.broadcast_to(self.cov_factor, shape + (n, r))
        d = jnp.broadcast_to(self.cov_diag, shape + (n,))
        w_d = w / d[..., None]
        inner = jnp.swapaxes(w, -1, -2) @ w_d
        cap = jnp.broadcast_to(jnp.eye(r, dtype=w.dtype), inner.shape) + inner
        chol = jnp.linalg.cholesky(cap)
        proj = (jnp.swapaxes(w_d, -1, -2) @ diff[..., None])[..., 0]
        sol = jax.scipy.linalg.solve_triangular(chol, proj[..., None], lower=True)[..., 0]
        maha = jnp.sum(diff**2 / d, axis=-1) - jnp.sum(sol**2, axis=-1)
        log_det = 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
        log_det = log_det + jnp.sum(jnp.log(d), axis=-1)
        return -0.5 * (maha + log_det + n * math.log(2 * math.pi))

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        r = self.cov_factor.shape[-1]
        k1, k2 = jax.random.split(key)
        eps_w = jax.random.normal(k1, shape[:-1] + (r,), self.loc.dtype)
        eps_d = jax.random.normal(k2, shape, self.loc.dtype)
        w = jnp.broadcast_to(self.cov_factor, shape + (r,))
        low_rank = (w @ eps_w[..., None])[..., 0]
        scale = jnp.broadcast_to(jnp.sqrt(self.cov_diag), shape)
        return jnp.broadcast_to(self.loc, shape) + low_rank + scale * eps_d

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return jnp.sum(self.cov_factor**2, axis=-1) + self.cov_diag


class ZeroSumNormal(Distribution):
    """Normal(0, sigma) draws constrained to sum to zero over the last axes.

    The density is with respect to the zero-sum subspace (``prod(n_i - 1)``
    degrees of freedom), as for PyMC's ZeroSumNormal.

    Args:
        sigma: scale, shape ``batch``.
        event_shape: shape of one draw (its axes each sum to zero).

    Example:
        >>> import jax
        >>> from pplx.distributions import ZeroSumNormal
        >>> x = ZeroSumNormal(1.0, (4,)).sample(jax.random.key(0))
        >>> abs(float(x.sum())) < 1e-6
        True
    """

    sigma: jax.Array
    zero_sum_shape: tuple = eqx.field(static=True)

    def __init__(self, sigma=1.0, event_shape=(2,)):
        (self.sigma,) = promote(sigma)
        check_positive("ZeroSumNormal", sigma=self.sigma)
        event_shape = tuple(int(s) for s in event_shape)
        if not event_shape or min(event_shape) < 2:
            raise ValueError(f"ZeroSumNormal: event_shape needs sizes >= 2, got {event_shape}")
        self.zero_sum_shape = event_shape

    @property
    def batch_shape(self):
        return self.sigma.shape

    @property
    def event_shape(self):
        return self.zero_sum_shape

    @property
    def support(self):
        return constraints.zero_sum(len(self.zero_sum_shape))

    @property
    def _dof(self):
        return math.prod(n - 1 for n in self.zero_sum_shape)

    def _log_prob(self, value):
        k = len(self.zero_sum_shape)
        value = as_float(value)
        sq = jnp.sum(value**2, axis=tuple(range(-k, 0)))
        sq, sigma = bcast(sq, self.sigma)
        return -0.5 * sq / sigma**2 - 0.5 * self._dof * jnp.log(2 * math.pi * sigma**2)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        eps = jax.random.normal(key, shape, self.sigma.dtype)
        # Centring along each axis projects onto the zero-sum subspace.
        for axis in range(-len(self.zero_sum_shape), 0):
            eps = eps - jnp.mean(eps, axis=axis, keepdims=True)
        sigma = self.sigma.reshape(self.sigma.shape + (1,) * len(self.zero_sum_shape))
        eps, sigma = bcast(eps, sigma)
        return sigma * eps

    @property
    def mean(self):
        return jnp.zeros(self.shape(), self.sigma.dtype)

    @property
    def variance(self):
        frac = math.prod((n - 1) / n for n in self.zero_sum_shape)
        sigma = self.sigma.reshape(self.sigma.shape + (1,) * len(self.zero_sum_shape))
        return jnp.broadcast_to(sigma**2 * frac, self.shape())


class DirichletMultinomial(Distribution):
    """Multinomial(total_count, p) with ``p ~ Dirichlet(concentration)``.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import DirichletMultinomial
        >>> d = DirichletMultinomial(jnp.ones(2), 1)
        >>> round(float(d.log_prob(jnp.array([1, 0]))), 4)
        -0.6931
    """

    concentration: jax.Array
    total_count: jax.Array
    max_count: int | None = eqx.field(static=True)

    is_discrete = True

    def __init__(self, concentration, total_count=1):
        concentration = as_float(concentration)
        check_param(
            "DirichletMultinomial",
            "concentration",
            concentration,
            lambda a: a > 0,
            "must be positive",
        )
        helper = Multinomial(total_count, logits=jnp.zeros(concentration.shape[-1:]))
        (total_count,) = promote(total_count)
        batch = jnp.broadcast_shapes(total_count.shape, concentration.shape[:-1])
        self.concentration = jnp.broadcast_to(concentration, batch + concentration.shape[-1:])
        self.total_count = jnp.broadcast_to(total_count, batch)
        self.max_count = helper.max_count

    @property
    def batch_shape(self):
        return self.total_count.shape

    @property
    def event_shape(self):
        return self.concentration.shape[-1:]

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    def _log_prob(self, value):
        value, alpha = bcast(as_float(value), self.concentration)
        alpha0 = jnp.sum(alpha, axis=-1)
        alpha0, n = bcast(alpha0, self.total_count)
        per = jss.gammaln(value + alpha) - jss.gammaln(value + 1.0) - jss.gammaln(alpha)
        head = jss.gammaln(n + 1.0) + jss.gammaln(alpha0) - jss.gammaln(n + alpha0)
        head, per_sum = bcast(head, jnp.sum(per, axis=-1))
        return head + per_sum

    def sample(self, key, sample_shape=()):
        k1, k2 = jax.random.split(key)
        shape = tuple(sample_shape) + self.batch_shape
        if self.max_count is None:
            raise ValueError(
                "DirichletMultinomial: sampling needs a total_count known when the "
                "distribution is built"
            )
        probs = jax.random.dirichlet(k1, self.concentration, shape, self.concentration.dtype)
        total = jnp.broadcast_to(self.total_count, shape)
        return multinomial_counts(k2, jnp.log(probs), total, self.max_count, shape)

    @property
    def mean(self):
        alpha = self.concentration
        n, p = bcast(self.total_count[..., None], alpha / jnp.sum(alpha, -1, keepdims=True))
        return n * p

    @property
    def variance(self):
        alpha = self.concentration
        alpha0 = jnp.sum(alpha, -1, keepdims=True)
        n, p, a0 = bcast(self.total_count[..., None], alpha / alpha0, alpha0)
        return n * p * (1.0 - p) * (n + a0) / (1.0 + a0)
