"""More multivariate families: LKJ, multivariate Student-t, multinomial."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy import special as jss

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    betaln,
    check_param,
    check_positive,
    is_concrete,
    promote,
)
from pplx.distributions.bijectors import corr_cholesky_from_partial
from pplx.distributions.discrete import int_dtype
from pplx.distributions.multivariate import half_log_det, mahalanobis_sq, matrix_to_scale_tril

__all__ = ["LKJCholesky", "LKJCorr", "MultivariateStudentT", "MvStudentT", "Multinomial"]


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


MvStudentT = MultivariateStudentT


def multinomial_counts(key, logits, total_count, max_count, shape):
    """Counts from ``max_count`` categorical draws, of which the first ``total_count``
    are kept (``max_count`` is a Python int: it fixes the number of draws)."""
    k = logits.shape[-1]
    draws = jax.random.categorical(key, logits, -1, (max_count,) + tuple(shape))
    used = jnp.arange(max_count)[(...,) + (None,) * len(shape)]
    used, n = bcast(used, total_count)
    one_hot = jax.nn.one_hot(draws, k, dtype=int_dtype())
    one_hot, used = bcast(one_hot, (used < n)[..., None])
    return jnp.sum(one_hot * used, axis=0)


class Multinomial(Distribution):
    """Counts of ``total_count`` draws over K categories (``probs`` or ``logits``).

    Sampling needs a ``total_count`` known at construction (not a tracer): it fixes
    the number of categorical draws.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import Multinomial
        >>> d = Multinomial(2, probs=jnp.array([0.5, 0.5]))
        >>> round(float(d.log_prob(jnp.array([1, 1]))), 4)
        -0.6931
    """

    total_count: jax.Array
    logits: jax.Array
    max_count: int | None = eqx.field(static=True)

    is_discrete = True

    def __init__(self, total_count, probs=None, logits=None):
        if (probs is None) == (logits is None):
            raise ValueError("Multinomial: give exactly one of probs or logits")
        if probs is not None:
            probs = as_float(probs)
            check_param("Multinomial", "probs", probs, lambda p: p >= 0, "must be nonnegative")
            logits = jnp.log(probs)
        logits = jax.nn.log_softmax(as_float(logits), axis=-1)
        (total_count,) = promote(total_count)
        check_param(
            "Multinomial",
            "total_count",
            total_count,
            lambda v: (v >= 0) & (v == jnp.floor(v)),
            "must be a nonnegative integer",
        )
        batch = jnp.broadcast_shapes(total_count.shape, logits.shape[:-1])
        self.total_count = jnp.broadcast_to(total_count, batch)
        self.logits = jnp.broadcast_to(logits, batch + logits.shape[-1:])
        # The number of categorical draws is a shape, so it is fixed here when known.
        self.max_count = (
            int(np.max(np.asarray(total_count), initial=0)) if is_concrete(total_count) else None
        )

    @property
    def probs(self):
        return jnp.exp(self.logits)

    @property
    def batch_shape(self):
        return self.total_count.shape

    @property
    def event_shape(self):
        return self.logits.shape[-1:]

    @property
    def support(self):
        return constraints.multinomial(self.total_count)

    def _log_prob(self, value):
        value, logits = bcast(as_float(value), self.logits)
        value_sum, n = bcast(jnp.sum(value, axis=-1), self.total_count)
        terms = jnp.where(value == 0, 0.0, value * logits)
        coef = jss.gammaln(n + 1.0) - jnp.sum(jss.gammaln(value + 1.0), axis=-1)
        coef, total = bcast(coef, jnp.sum(terms, axis=-1))
        return coef + total

    def sample(self, key, sample_shape=()):
        if self.max_count is None:
            raise ValueError(
                "Multinomial: sampling needs a total_count known when the distribution is built"
            )
        shape = tuple(sample_shape) + self.batch_shape
        return multinomial_counts(key, self.logits, self.total_count, self.max_count, shape)

    @property
    def mean(self):
        n, p = bcast(self.total_count[..., None], self.probs)
        return n * p

    @property
    def variance(self):
        n, p = bcast(self.total_count[..., None], self.probs)
        return n * p * (1.0 - p)
