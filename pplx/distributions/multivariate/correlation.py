"""Correlation matrices and their Cholesky factors: the LKJ distributions."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    betaln,
    check_positive,
    promote,
)
from pplx.distributions.bijectors_cholesky import corr_cholesky_from_partial


def _lkj_log_normalizer(dim, eta):
    """``log`` of the integral of ``det(C)^(eta - 1)`` over ``dim x dim`` correlation
    matrices (Lewandowski, Kurowicka and Joe, 2009)."""
    total = 0.0
    for k in range(1, dim):
        b = eta + 0.5 * (dim - k - 1)
        total = total + (2.0 * eta - 2.0 + dim - k) * (dim - k) * math.log(2.0)
        total = total + (dim - k) * betaln(b, b)
    return total


def _lkj_cholesky_sample(key, dim, eta, shape):
    """Draw Cholesky factors: the partial correlation in column j is
    ``2 Beta(b_j, b_j) - 1`` with ``b_j = eta + (dim - 2 - j) / 2``, independently."""
    j = jnp.arange(dim - 1, dtype=eta.dtype)
    b = eta[..., None] + 0.5 * (dim - 2 - jnp.broadcast_to(j, eta.shape + (dim - 1,)))
    b = jnp.broadcast_to(b[..., None, :], shape + (dim, dim - 1))
    beta = jax.random.beta(key, b, b, shape + (dim, dim - 1), eta.dtype)
    z = jnp.concatenate([2.0 * beta - 1.0, jnp.zeros(shape + (dim, 1), eta.dtype)], axis=-1)
    z = jnp.tril(z, -1)
    return corr_cholesky_from_partial(z)[0]


class _LKJ(Distribution):
    """Shared scaffolding of the LKJ families: a static ``dim`` and a positive
    ``concentration`` (eta), with ``(dim, dim)`` events."""

    dim: int = eqx.field(static=True)
    concentration: jax.Array

    def __init__(self, dim, concentration=1.0):
        name = type(self).__name__
        if int(dim) < 2:
            raise ValueError(f"{name}: dim must be at least 2, got {dim}")
        self.dim = int(dim)
        (self.concentration,) = promote(concentration)
        check_positive(name, concentration=self.concentration)

    @property
    def batch_shape(self):
        return self.concentration.shape

    @property
    def event_shape(self):
        return (self.dim, self.dim)


class LKJCholesky(_LKJ):
    """LKJ prior on correlation matrices, as a distribution on their Cholesky factors.

    The density of ``L`` (with respect to its strictly lower entries) is
    proportional to ``prod_i L[i, i]^(dim - i - 1 + 2 eta - 2)``.

    Args:
        dim: matrix size (a Python int).
        concentration: ``eta > 0``; 1 is uniform over correlation matrices.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import LKJCholesky
        >>> round(float(LKJCholesky(2, 1.0).log_prob(jnp.eye(2))), 4)
        -0.6931
    """

    @property
    def support(self):
        return constraints.corr_cholesky

    def _log_prob(self, value):
        value = as_float(value)
        n, eta = self.dim, self.concentration
        log_diag = jnp.log(jnp.diagonal(value, axis1=-2, axis2=-1))
        order_term = n - 1.0 - jnp.arange(n, dtype=value.dtype)
        order_term, eta_term = bcast(order_term, 2.0 * eta[..., None] - 2.0)
        log_diag, expo = bcast(log_diag, order_term + eta_term)
        unnorm = jnp.sum(expo * log_diag, axis=-1)
        unnorm, norm = bcast(unnorm, _lkj_log_normalizer(n, eta))
        return unnorm - norm

    def sample(self, key, sample_shape=()):
        shape = tuple(sample_shape) + self.batch_shape
        eta = jnp.broadcast_to(self.concentration, shape)
        return _lkj_cholesky_sample(key, self.dim, eta, shape)


class LKJCorr(_LKJ):
    """LKJ distribution on correlation matrices: density proportional to
    ``det(C)^(concentration - 1)``.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import LKJCorr
        >>> round(float(LKJCorr(2, 1.0).log_prob(jnp.eye(2))), 4)
        -0.6931
    """

    @property
    def support(self):
        return constraints.corr_matrix

    def _log_prob(self, value):
        value = as_float(value)
        eta = self.concentration
        logdet = jnp.linalg.slogdet(value)[1]
        logdet, eta = bcast(logdet, eta)
        return (eta - 1.0) * logdet - _lkj_log_normalizer(self.dim, eta)

    def sample(self, key, sample_shape=()):
        shape = tuple(sample_shape) + self.batch_shape
        eta = jnp.broadcast_to(self.concentration, shape)
        chol = _lkj_cholesky_sample(key, self.dim, eta, shape)
        return chol @ jnp.swapaxes(chol, -1, -2)

    @property
    def mean(self):
        eye = jnp.eye(self.dim, dtype=self.concentration.dtype)
        return jnp.broadcast_to(eye, self.shape())
