"""Vectors on R^k: the multivariate normal (full, low-rank, zero-sum) and Student-t."""

from __future__ import annotations

import functools
import math

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.scipy import special as jss
from jax.scipy.linalg import solve_triangular

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    check_positive,
    check_when_concrete,
    promote,
)
from pplx.distributions.param_checks import check_symmetric, require_cholesky_factor


def _precision_to_scale_tril(precision):
    # With P = U U^T for an upper-triangular U (Cholesky of P in reversed order),
    # Sigma = P^{-1} = U^{-T} U^{-1}, and U^{-T} is lower triangular.
    flipped = jnp.flip(precision, (-2, -1))
    upper = jnp.flip(jnp.linalg.cholesky(flipped), (-2, -1))
    eye = jnp.broadcast_to(jnp.eye(precision.shape[-1], dtype=precision.dtype), precision.shape)
    return jnp.swapaxes(solve_triangular(upper, eye, lower=False), -1, -2)


def _check_chol(name, param, chol):
    check_when_concrete(functools.partial(require_cholesky_factor, name, param), chol)


def matrix_to_scale_tril(name, covariance_matrix, precision_matrix, scale_tril):
    """Resolve exactly one of the three matrix parametrisations to a Cholesky factor."""
    given = [m is not None for m in (covariance_matrix, precision_matrix, scale_tril)]
    if sum(given) != 1:
        raise ValueError(
            f"{name}: give exactly one of covariance_matrix, precision_matrix, scale_tril"
        )
    if covariance_matrix is not None:
        covariance_matrix = as_float(covariance_matrix)
        check_symmetric(name, "covariance_matrix", covariance_matrix)
        chol = jnp.linalg.cholesky(covariance_matrix)
        _check_chol(name, "covariance_matrix", chol)
    elif precision_matrix is not None:
        precision_matrix = as_float(precision_matrix)
        check_symmetric(name, "precision_matrix", precision_matrix)
        chol = _precision_to_scale_tril(precision_matrix)
        _check_chol(name, "precision_matrix", chol)
    else:
        chol = jnp.tril(as_float(scale_tril))
        _check_chol(name, "scale_tril", chol)
    if chol.ndim < 2 or chol.shape[-1] != chol.shape[-2]:
        raise ValueError(f"{name}: the matrix parameter must be square, got {chol.shape}")
    return chol


def mahalanobis_sq(chol, diff):
    """``|chol^{-1} diff|^2`` over the last axis, with batch dims broadcast."""
    shape = jnp.broadcast_shapes(chol.shape[:-2], diff.shape[:-1])
    n = chol.shape[-1]
    chol = jnp.broadcast_to(chol, shape + (n, n))
    diff = jnp.broadcast_to(diff, shape + (n,))
    sol = solve_triangular(chol, diff[..., None], lower=True)[..., 0]
    return jnp.sum(sol**2, axis=-1)


def half_log_det(chol):
    """``0.5 * log det(chol chol^T)``."""
    return jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)


class MultivariateNormal(Distribution):
    """Multivariate normal, given one of covariance, precision or ``scale_tril``.

    Args:
        loc: mean vector, shape ``batch + (n,)``.
        covariance_matrix: ``batch + (n, n)`` positive definite.
        precision_matrix: ``batch + (n, n)`` positive definite.
        scale_tril: lower Cholesky factor of the covariance.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import MultivariateNormal
        >>> d = MultivariateNormal(jnp.zeros(2), covariance_matrix=jnp.eye(2))
        >>> round(float(d.log_prob(jnp.zeros(2))), 4)
        -1.8379
    """

    loc: jax.Array
    scale_tril: jax.Array

    def __init__(self, loc=0.0, covariance_matrix=None, precision_matrix=None, scale_tril=None):
        chol = matrix_to_scale_tril(
            "MultivariateNormal", covariance_matrix, precision_matrix, scale_tril
        )
        loc = as_float(loc)
        n = chol.shape[-1]
        if loc.ndim == 0:
            loc = jnp.broadcast_to(loc, (n,))
        if loc.shape[-1] != n:
            raise ValueError(
                f"MultivariateNormal: loc has {loc.shape[-1]} entries on its last axis "
                f"but the matrix is {n} x {n}"
            )
        batch = jnp.broadcast_shapes(loc.shape[:-1], chol.shape[:-2])
        dtype = jnp.result_type(loc, chol)
        self.loc = jnp.broadcast_to(loc, batch + (n,)).astype(dtype)
        self.scale_tril = jnp.broadcast_to(chol, batch + (n, n)).astype(dtype)

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
        return self.scale_tril @ jnp.swapaxes(self.scale_tril, -1, -2)

    @property
    def precision_matrix(self):
        return jnp.linalg.inv(self.covariance_matrix)

    def _log_prob(self, value):
        value = as_float(value)
        value, loc = bcast(value, self.loc)
        n = self.loc.shape[-1]
        maha = mahalanobis_sq(self.scale_tril, value - loc)
        hld = half_log_det(self.scale_tril)
        maha, hld = bcast(maha, hld)
        return -0.5 * maha - hld - 0.5 * n * math.log(2 * math.pi)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        eps = jax.random.normal(key, shape, self.loc.dtype)
        chol = jnp.broadcast_to(self.scale_tril, shape + shape[-1:])
        loc = jnp.broadcast_to(self.loc, shape)
        return loc + (chol @ eps[..., None])[..., 0]

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        return jnp.sum(self.scale_tril**2, axis=-1)


class MultivariateStudentT(Distribution):
    """Multivariate Student-t with ``df``, ``loc`` and a scale matrix.

    Give one of ``scale_tril``, ``covariance_matrix`` (the scale matrix, not the
    covariance of the draws) or ``precision_matrix``.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import MultivariateStudentT
        >>> d = MultivariateStudentT(3.0, jnp.zeros(2), scale_tril=jnp.eye(2))
        >>> round(float(d.log_prob(jnp.zeros(2))), 4)
        -1.8379
    """

    df: jax.Array
    loc: jax.Array
    scale_tril: jax.Array

    def __init__(self, df, loc=0.0, scale_tril=None, covariance_matrix=None, precision_matrix=None):
        chol = matrix_to_scale_tril(
            "MultivariateStudentT", covariance_matrix, precision_matrix, scale_tril
        )
        n = chol.shape[-1]
        loc = as_float(loc)
        if loc.ndim == 0:
            loc = jnp.broadcast_to(loc, (n,))
        (df,) = promote(df)
        check_positive("MultivariateStudentT", df=df)
        batch = jnp.broadcast_shapes(df.shape, loc.shape[:-1], chol.shape[:-2])
        dtype = jnp.result_type(df, loc, chol)
        self.df = jnp.broadcast_to(df, batch).astype(dtype)
        self.loc = jnp.broadcast_to(loc, batch + (n,)).astype(dtype)
        self.scale_tril = jnp.broadcast_to(chol, batch + (n, n)).astype(dtype)

    @property
    def batch_shape(self):
        return self.df.shape

    @property
    def event_shape(self):
        return self.loc.shape[-1:]

    @property
    def support(self):
        return constraints.real_vector

    def _log_prob(self, value):
        value, loc = bcast(as_float(value), self.loc)
        n = self.loc.shape[-1]
        maha = mahalanobis_sq(self.scale_tril, value - loc)
        maha, df, hld = bcast(maha, self.df, half_log_det(self.scale_tril))
        return (
            jss.gammaln(0.5 * (df + n))
            - jss.gammaln(0.5 * df)
            - 0.5 * n * jnp.log(df * math.pi)
            - hld
            - 0.5 * (df + n) * jnp.log1p(maha / df)
        )

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        k1, k2 = jax.random.split(key)
        eps = jax.random.normal(k1, shape, self.loc.dtype)
        df = jnp.broadcast_to(self.df, shape[:-1])
        chi2 = 2.0 * jax.random.gamma(k2, 0.5 * df, shape[:-1], df.dtype)
        factor = jnp.sqrt(df / chi2)[..., None]
        chol = jnp.broadcast_to(self.scale_tril, shape + shape[-1:])
        step = (chol @ eps[..., None])[..., 0]
        step, factor = bcast(step, factor)
        return jnp.broadcast_to(self.loc, shape) + factor * step

    @property
    def mean(self):
        df = jnp.broadcast_to(self.df[..., None], self.loc.shape)
        return jnp.where(df > 1, self.loc, jnp.nan)

    @property
    def variance(self):
        df = jnp.broadcast_to(self.df[..., None], self.loc.shape)
        diag = jnp.sum(self.scale_tril**2, axis=-1)
        var = diag * df / jnp.where(df > 2, df - 2.0, 1.0)
        return jnp.where(df > 2, var, jnp.where(df > 1, jnp.inf, jnp.nan))


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


MvStudentT = MultivariateStudentT
