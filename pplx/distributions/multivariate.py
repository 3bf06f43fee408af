"""Multivariate distributions: Dirichlet and the multivariate normal."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
from jax.scipy import special as jss
from jax.scipy.linalg import solve_triangular

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    check_param,
    check_when_concrete,
)
from pplx.distributions.param_checks import require_cholesky_factor

__all__ = ["Dirichlet", "MultivariateNormal"]


class Dirichlet(Distribution):
    """Dirichlet distribution on the simplex; ``concentration`` has K on its last axis.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import Dirichlet
        >>> round(float(Dirichlet(jnp.ones(3)).log_prob(jnp.array([0.2, 0.3, 0.5]))), 4)
        0.6931
    """

    concentration: jax.Array

    def __init__(self, concentration):
        concentration = as_float(concentration)
        if concentration.ndim == 0:
            raise ValueError("Dirichlet: concentration must have at least one dimension")
        check_param(
            "Dirichlet", "concentration", concentration, lambda a: a > 0, "must be positive"
        )
        self.concentration = concentration

    @property
    def batch_shape(self):
        return self.concentration.shape[:-1]

    @property
    def event_shape(self):
        return self.concentration.shape[-1:]

    @property
    def support(self):
        return constraints.simplex

    def _log_prob(self, value):
        value, alpha = bcast(value, self.concentration)
        norm = jnp.sum(jss.gammaln(alpha), axis=-1) - jss.gammaln(jnp.sum(alpha, axis=-1))
        return jnp.sum(jss.xlogy(alpha - 1.0, value), axis=-1) - norm

    def sample(self, key, sample_shape=()):
        shape = tuple(sample_shape) + tuple(self.batch_shape)
        alpha = self.concentration
        return jax.random.dirichlet(key, alpha, shape, alpha.dtype)

    @property
    def mean(self):
        alpha = self.concentration
        total = jnp.sum(alpha, axis=-1, keepdims=True)
        return alpha / total

    @property
    def variance(self):
        alpha = self.concentration
        total = jnp.sum(alpha, axis=-1, keepdims=True)
        return alpha * (total - alpha) / (total**2 * (total + 1.0))


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
        chol = jnp.linalg.cholesky(as_float(covariance_matrix))
        _check_chol(name, "covariance_matrix", chol)
    elif precision_matrix is not None:
        chol = _precision_to_scale_tril(as_float(precision_matrix))
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
