"""Matrix-variate distributions: Wishart and the matrix normal."""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
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

real_matrix = constraints.independent(constraints.real, 2, name="real_matrix")


def _check_square(name, param, matrix):
    if matrix.ndim < 2 or matrix.shape[-1] != matrix.shape[-2]:
        raise ValueError(f"{name}: {param} must be a square matrix, got shape {matrix.shape}")


def _check_pd(name, param, chol, matrix=None):
    """Host-side check (once the values are concrete) that ``chol`` is a valid Cholesky
    factor and, when given, that ``matrix`` is symmetric."""
    check_when_concrete(functools.partial(_valid_factor, name, param), chol, matrix)


def _valid_factor(name, param, chol, matrix):
    if matrix is not None:
        m = np.asarray(matrix)
        if not np.allclose(m, np.swapaxes(m, -1, -2), rtol=1e-8, atol=1e-10):
            raise ValueError(f"{name}: {param} must be symmetric")
    require_cholesky_factor(name, param, chol)


def resolve_tril(name, cov_name, cov, tril_name, tril):
    """The lower Cholesky factor from exactly one of a covariance-like matrix and its
    ``*_tril`` factor, validated when concrete."""
    if (cov is None) == (tril is None):
        raise ValueError(f"{name}: give exactly one of {cov_name} or {tril_name}")
    if cov is not None:
        cov = as_float(cov)
        _check_square(name, cov_name, cov)
        chol = jnp.linalg.cholesky(cov)
        _check_pd(name, cov_name, chol, cov)
        return chol
    chol = jnp.tril(as_float(tril))
    _check_square(name, tril_name, chol)
    _check_pd(name, tril_name, chol)
    return chol


def _log_det(chol):
    """``log det(chol chol^T)``."""
    return 2.0 * jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)


def _tri_solve(chol, rhs):
    """``chol^{-1} rhs`` with the batch dims of both broadcast together."""
    batch = jnp.broadcast_shapes(chol.shape[:-2], rhs.shape[:-2])
    chol = jnp.broadcast_to(chol, batch + chol.shape[-2:])
    rhs = jnp.broadcast_to(rhs, batch + rhs.shape[-2:])
    return solve_triangular(chol, rhs, lower=True)


def _outer(chol):
    return chol @ jnp.swapaxes(chol, -1, -2)


def _log_multigamma(a, p):
    """``log Gamma_p(a)``, the multivariate gamma function, elementwise in ``a``."""
    half_j = 0.5 * jnp.arange(p, dtype=a.dtype)
    a_b, half_j = bcast(a[..., None], half_j)
    const = 0.25 * p * (p - 1) * math.log(math.pi)
    return const + jnp.sum(jss.gammaln(a_b - half_j), axis=-1)


class Wishart(Distribution):
    """Wishart distribution on ``p x p`` positive definite matrices.

    The density is ``|X|^((df - p - 1)/2) exp(-tr(S^{-1} X) / 2)`` normalised by
    ``2^(df p / 2) |S|^(df / 2) Gamma_p(df / 2)``; the mean is ``df * S``.

    Args:
        df: degrees of freedom, ``> p - 1``; shape ``batch``.
        scale: the scale matrix ``S``, symmetric positive definite, ``batch + (p, p)``.
        scale_tril: its lower Cholesky factor instead (give exactly one of the two).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from pplx.distributions.multivariate.matrix import Wishart
        >>> d = Wishart(4.0, jnp.eye(2))
        >>> round(float(d.log_prob(jnp.eye(2))), 4)
        -4.2242
        >>> d.sample(jax.random.key(0), (5,)).shape
        (5, 2, 2)
    """

    df: jax.Array
    scale_tril: jax.Array

    def __init__(self, df, scale=None, *, scale_tril=None):
        chol = resolve_tril("Wishart", "scale", scale, "scale_tril", scale_tril)
        df = as_float(df)
        p = chol.shape[-1]
        check_param(
            "Wishart", "df", df, lambda v: v > p - 1, f"must be greater than p - 1 = {p - 1}"
        )
        batch = jnp.broadcast_shapes(df.shape, chol.shape[:-2])
        dtype = jnp.result_type(df, chol)
        self.df = jnp.broadcast_to(df, batch).astype(dtype)
        self.scale_tril = jnp.broadcast_to(chol, batch + (p, p)).astype(dtype)

    @property
    def batch_shape(self):
        return self.df.shape

    @property
    def event_shape(self):
        return self.scale_tril.shape[-2:]

    @property
    def support(self):
        return constraints.positive_definite

    @property
    def scale(self):
        """The scale matrix ``S``."""
        return _outer(self.scale_tril)

    def _log_prob(self, value):
        value = as_float(value)
        p = self.scale_tril.shape[-1]
        chol_x = jnp.linalg.cholesky(value)
        # tr(S^{-1} X) = |L_S^{-1} L_X|_F^2.
        trace = jnp.sum(_tri_solve(self.scale_tril, chol_x) ** 2, axis=(-2, -1))
        log_det_x = _log_det(chol_x)
        df = self.df
        norm = (
            0.5 * df * p * math.log(2.0)
            + 0.5 * df * _log_det(self.scale_tril)
            + _log_multigamma(0.5 * df, p)
        )
        trace, log_det_x, df, norm = bcast(trace, log_det_x, df, norm)
        return 0.5 * (df - p - 1.0) * log_det_x - 0.5 * trace - norm

    def sample(self, key, sample_shape=()):
        # Bartlett decomposition: X = L A A^T L^T with A lower triangular,
        # A_ii^2 ~ chi^2(df - i) and standard normals below the diagonal.
        shape = tuple(sample_shape) + self.batch_shape
        p, dtype = self.scale_tril.shape[-1], self.df.dtype
        k_chi, k_normal = jax.random.split(key)
        conc, offset = bcast(self.df[..., None], jnp.arange(p, dtype=dtype))
        conc = jnp.broadcast_to(0.5 * (conc - offset), shape + (p,))
        chi = jnp.sqrt(2.0 * jax.random.gamma(k_chi, conc, shape + (p,), dtype))
        normals = jnp.tril(jax.random.normal(k_normal, shape + (p, p), dtype), -1)
        eye = jnp.eye(p, dtype=dtype)
        chi_b, eye = bcast(chi[..., None, :], eye)
        bartlett = normals + chi_b * eye
        factor = jnp.broadcast_to(self.scale_tril, shape + (p, p)) @ bartlett
        x = _outer(factor)
        return 0.5 * (x + jnp.swapaxes(x, -1, -2))

    @property
    def mean(self):
        df, scale = bcast(self.df[..., None, None], self.scale)
        return df * scale

    @property
    def variance(self):
        scale = self.scale
        diag = jnp.diagonal(scale, axis1=-2, axis2=-1)
        df, scale, outer = bcast(self.df[..., None, None], scale, diag[..., :, None])
        outer = outer * jnp.swapaxes(outer, -1, -2)
        return df * (scale**2 + outer)


class MatrixNormal(Distribution):
    """Matrix normal on ``n x p`` real matrices.

    ``vec(X) ~ N(vec(loc), col_cov kron row_cov)``: rows covary by ``row_cov`` (n x n),
    columns by ``col_cov`` (p x p).

    Args:
        loc: mean, ``batch + (n, p)`` (a scalar broadcasts to ``(n, p)``).
        row_cov: ``batch + (n, n)`` among-row covariance.
        col_cov: ``batch + (p, p)`` among-column covariance.
        row_scale_tril: lower Cholesky factor of ``row_cov`` (instead of it).
        col_scale_tril: lower Cholesky factor of ``col_cov`` (instead of it).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from pplx.distributions.multivariate.matrix import MatrixNormal
        >>> d = MatrixNormal(jnp.zeros((2, 3)), jnp.eye(2), jnp.eye(3))
        >>> round(float(d.log_prob(jnp.zeros((2, 3)))), 4)
        -5.5136
        >>> d.sample(jax.random.key(0), (4,)).shape
        (4, 2, 3)
    """

    loc: jax.Array
    row_scale_tril: jax.Array
    col_scale_tril: jax.Array

    def __init__(
        self, loc, row_cov=None, col_cov=None, *, row_scale_tril=None, col_scale_tril=None
    ):
        name = "MatrixNormal"
        row = resolve_tril(name, "row_cov", row_cov, "row_scale_tril", row_scale_tril)
        col = resolve_tril(name, "col_cov", col_cov, "col_scale_tril", col_scale_tril)
        n, p = row.shape[-1], col.shape[-1]
        loc = as_float(loc)
        if loc.ndim < 2:
            loc = jnp.broadcast_to(loc, (n, p))
        if loc.shape[-2:] != (n, p):
            raise ValueError(
                f"{name}: loc ends in shape {loc.shape[-2:]} but row_cov is {n} x {n} "
                f"and col_cov is {p} x {p}, so it must end in ({n}, {p})"
            )
        batch = jnp.broadcast_shapes(loc.shape[:-2], row.shape[:-2], col.shape[:-2])
        dtype = jnp.result_type(loc, row, col)
        self.loc = jnp.broadcast_to(loc, batch + (n, p)).astype(dtype)
        self.row_scale_tril = jnp.broadcast_to(row, batch + (n, n)).astype(dtype)
        self.col_scale_tril = jnp.broadcast_to(col, batch + (p, p)).astype(dtype)

    @property
    def batch_shape(self):
        return self.loc.shape[:-2]

    @property
    def event_shape(self):
        return self.loc.shape[-2:]

    @property
    def support(self):
        return real_matrix

    @property
    def row_cov(self):
        return _outer(self.row_scale_tril)

    @property
    def col_cov(self):
        return _outer(self.col_scale_tril)

    def _log_prob(self, value):
        value, loc = bcast(as_float(value), self.loc)
        n, p = self.loc.shape[-2:]
        # tr(V^{-1} D^T U^{-1} D) = |L_U^{-1} D L_V^{-T}|_F^2.
        rows = _tri_solve(self.row_scale_tril, value - loc)
        both = _tri_solve(self.col_scale_tril, jnp.swapaxes(rows, -1, -2))
        maha = jnp.sum(both**2, axis=(-2, -1))
        log_det = p * _log_det(self.row_scale_tril) + n * _log_det(self.col_scale_tril)
        maha, log_det = bcast(maha, log_det)
        return -0.5 * (maha + log_det + n * p * math.log(2 * math.pi))

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        n, p = shape[-2:]
        eps = jax.random.normal(key, shape, self.loc.dtype)
        row = jnp.broadcast_to(self.row_scale_tril, shape[:-2] + (n, n))
        col = jnp.broadcast_to(self.col_scale_tril, shape[:-2] + (p, p))
        return jnp.broadcast_to(self.loc, shape) + row @ eps @ jnp.swapaxes(col, -1, -2)

    @property
    def mean(self):
        return self.loc

    @property
    def variance(self):
        row_var = jnp.sum(self.row_scale_tril**2, axis=-1)
        col_var = jnp.sum(self.col_scale_tril**2, axis=-1)
        row_var, col_var = bcast(row_var[..., :, None], col_var[..., None, :])
        return row_var * col_var
