"""Bijectors onto lower-triangular (Cholesky) factors and positive-definite matrices.

``LowerCholeskyBijector`` (covariance Cholesky factors), ``CorrCholeskyBijector``
(correlation Cholesky factors, through partial correlations) and ``CholeskyOuter``
(``L -> L L^T``); the elementwise and simplex bijectors are in
:mod:`pplx.distributions.bijectors`.
"""

from __future__ import annotations

import math

import equinox as eqx
import jax.numpy as jnp

from pplx.distributions.bijectors import Bijector, exclusive_cumsum

__all__ = ["LowerCholeskyBijector", "CorrCholeskyBijector", "CholeskyOuter"]


def _tril_size_to_n(m, diagonal):
    """Matrix size n from the number m of (strictly, if not diagonal) lower entries."""
    n = (math.isqrt(8 * m + 1) - 1) // 2 + (0 if diagonal else 1)
    expected = n * (n + 1) // 2 if diagonal else n * (n - 1) // 2
    if expected != m:
        raise ValueError(f"{m} is not a triangular number of entries")
    return n


def _fill_tril(x, n, offset):
    """Place the last axis of ``x`` into the lower triangle (``offset`` 0 or -1)."""
    rows, cols = jnp.tril_indices(n, offset)
    out = jnp.zeros(x.shape[:-1] + (n, n), x.dtype)
    return out.at[..., rows, cols].set(x)


def _read_tril(y, offset):
    rows, cols = jnp.tril_indices(y.shape[-1], offset)
    return y[..., rows, cols]


class LowerCholeskyBijector(Bijector):
    """Vector of ``n(n+1)/2`` reals -> lower-triangular matrix, exp on the diagonal.

    The entries fill the lower triangle row by row; the log-det is the sum of the raw
    diagonal entries.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> b = dist.LowerCholeskyBijector()
        >>> y, log_det = b.forward_and_log_det(jnp.array([0.0, 0.5, 1.0]))
        >>> [[round(float(v), 4) for v in row] for row in y], float(log_det)
        ([[1.0, 0.0], [0.5, 2.7183]], 1.0)
        >>> b.forward_shape((6,)), b.inverse(y).shape
        ((3, 3), (3,))
    """

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        n = _tril_size_to_n(x.shape[-1], True)
        raw = _fill_tril(x, n, 0)
        diag = jnp.diagonal(raw, axis1=-2, axis2=-1)
        eye = jnp.eye(n, dtype=bool)
        y = jnp.where(eye, jnp.exp(raw), raw)
        return y, jnp.sum(diag, axis=-1)

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y)
        n = y.shape[-1]
        eye = jnp.eye(n, dtype=bool)
        log_diag = jnp.log(jnp.diagonal(y, axis1=-2, axis2=-1))
        raw = jnp.where(eye, jnp.log(jnp.where(eye, y, 1.0)), y)
        return _read_tril(raw, 0), -jnp.sum(log_diag, axis=-1)

    def forward_shape(self, shape):
        n = _tril_size_to_n(shape[-1], True)
        return tuple(shape[:-1]) + (n, n)

    def inverse_shape(self, shape):
        n = shape[-1]
        return tuple(shape[:-2]) + (n * (n + 1) // 2,)


def corr_cholesky_from_partial(z):
    """Cholesky factor of a correlation matrix from partial correlations ``z``.

    ``z`` is ``(..., n, n)`` with the partial correlations strictly below the diagonal
    (zeros elsewhere). Returns ``(L, log(1 - z^2), log_rest)`` where ``log_rest[i, j]``
    is ``log(1 - sum_{k<j} L[i, k]^2)``.
    """
    n = z.shape[-1]
    # 1 - sum_{k<j} L[i,k]^2 = prod_{k<j} (1 - z[i,k]^2), in log space.
    log_1mz2 = jnp.log1p(-(z**2))
    log_rest = exclusive_cumsum(log_1mz2)
    eye = jnp.broadcast_to(jnp.eye(n, dtype=z.dtype), z.shape)
    return jnp.tril((z + eye) * jnp.exp(0.5 * log_rest)), log_1mz2, log_rest


class CorrCholeskyBijector(Bijector):
    """Vector of ``n(n-1)/2`` reals -> Cholesky factor of a correlation matrix.

    ``tanh`` gives partial correlations ``z`` in (-1, 1); row ``i`` then breaks the
    unit-length stick: ``L[i, j] = z[i, j] * sqrt(1 - sum_{k<j} L[i, k]^2)``. The
    log-determinant is with respect to the strictly lower entries of ``L`` (the
    diagonal is determined by them).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> b = dist.CorrCholeskyBijector()
        >>> L = b.forward(jnp.array([0.5]))  # a 2 x 2 factor: L[1, 0] = tanh(0.5)
        >>> corr = L @ L.T
        >>> round(float(corr[1, 0]), 4), round(float(corr[1, 1]), 4)
        (0.4621, 1.0)
        >>> b.forward_shape((3,)), round(float(b.inverse(L)[0]), 4)
        ((3, 3), 0.5)
    """

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        n = _tril_size_to_n(x.shape[-1], False)
        z = _fill_tril(jnp.tanh(x), n, -1)
        y, log_1mz2, log_rest = corr_cholesky_from_partial(z)
        strict = jnp.tril(jnp.ones((n, n), dtype=bool), -1)
        terms = jnp.where(jnp.broadcast_to(strict, z.shape), log_1mz2 + 0.5 * log_rest, 0.0)
        return y, jnp.sum(terms, axis=(-2, -1))

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y)
        n = y.shape[-1]
        strict = jnp.broadcast_to(jnp.tril(jnp.ones((n, n), dtype=bool), -1), y.shape)
        rest = 1.0 - exclusive_cumsum(jnp.where(strict, y**2, 0.0))
        rest = jnp.where(strict, rest, 1.0)
        z = jnp.where(strict, y, 0.0) / jnp.sqrt(rest)
        x = jnp.arctanh(_read_tril(z, -1))
        log_1mz2 = jnp.log1p(-(z**2))
        terms = jnp.where(strict, log_1mz2 + 0.5 * jnp.log(rest), 0.0)
        return x, -jnp.sum(terms, axis=(-2, -1))

    def forward_shape(self, shape):
        n = _tril_size_to_n(shape[-1], False)
        return tuple(shape[:-1]) + (n, n)

    def inverse_shape(self, shape):
        n = shape[-1]
        return tuple(shape[:-2]) + (n * (n - 1) // 2,)


class CholeskyOuter(Bijector):
    """``L -> L @ L.T`` from lower Cholesky factors to positive definite matrices.

    The log-determinant is with respect to the lower-triangular entries on both
    sides: ``n log 2 + sum_i (n - i) log L[i, i]`` (``i`` from 0). With
    ``corr=True`` (unit-diagonal factors to correlation matrices) it is with respect
    to the strictly lower entries: ``sum_i (n - 1 - i) log L[i, i]``.

    For ``L = [[2, 0], [1, 1]]`` the log-det is ``2 log 2 + 2 log 2 + 1 log 1 = 4 log 2``.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> L = jnp.array([[2.0, 0.0], [1.0, 1.0]])
        >>> y, log_det = dist.CholeskyOuter().forward_and_log_det(L)
        >>> y.tolist(), round(float(log_det), 4)
        ([[4.0, 2.0], [2.0, 2.0]], 2.7726)
        >>> dist.CholeskyOuter().inverse(y).tolist()
        [[2.0, 0.0], [1.0, 1.0]]
    """

    corr: bool = eqx.field(static=True, default=False)

    def _log_det(self, chol):
        n = chol.shape[-1]
        log_diag = jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1))
        if self.corr:
            powers = jnp.arange(n - 1, -1, -1, dtype=chol.dtype)
            return jnp.sum(jnp.broadcast_to(powers, log_diag.shape) * log_diag, axis=-1)
        powers = jnp.broadcast_to(jnp.arange(n, 0, -1, dtype=chol.dtype), log_diag.shape)
        return n * math.log(2.0) + jnp.sum(powers * log_diag, axis=-1)

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        y = x @ jnp.swapaxes(x, -1, -2)
        return y, self._log_det(x)

    def inverse_and_log_det(self, y):
        x = jnp.linalg.cholesky(y)
        return x, -self._log_det(x)
