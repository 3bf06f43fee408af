"""Vectors indexed by the nodes of a graph: the conditional autoregressive (CAR) distribution."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.linalg import solve_triangular

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    check_param,
    check_positive,
    is_concrete,
)


class HostArray:
    """A read-only numpy array that can be a static (hashable) field of a module."""

    __slots__ = ("array", "_hash")

    def __init__(self, array):
        array = np.array(array)
        array.flags.writeable = False
        self.array = array
        self._hash = hash((array.shape, array.dtype.str, array.tobytes()))

    def __hash__(self):
        return self._hash

    def __eq__(self, other):
        return (
            isinstance(other, HostArray)
            and self._hash == other._hash
            and self.array.shape == other.array.shape
            and self.array.dtype == other.array.dtype
            and bool(np.array_equal(self.array, other.array))
        )

    def __repr__(self):
        return f"HostArray(shape={self.array.shape})"


def _adjacency(W):
    """Validate the adjacency matrix on the host and return it as a float array."""
    if not is_concrete(W):
        raise ValueError(
            "CAR: the adjacency matrix W must be concrete (a numpy array), not a traced "
            "value: build the distribution with W as a constant, outside jax.jit/vmap"
        )
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"CAR: W must be a square matrix, got shape {W.shape}")
    if W.shape[0] < 2:
        raise ValueError("CAR: W needs at least two nodes")
    if not np.all(np.isfinite(W)) or np.any(W < 0):
        raise ValueError("CAR: W must have finite, nonnegative entries")
    if not np.array_equal(W, W.T):
        i, j = np.argwhere(W != W.T)[0]
        raise ValueError(f"CAR: W must be symmetric, but W[{i}, {j}] != W[{j}, {i}]")
    if np.any(np.diag(W) != 0):
        raise ValueError("CAR: W must have a zero diagonal (no self-loops)")
    isolated = np.flatnonzero(W.sum(axis=1) == 0)
    if isolated.size:
        raise ValueError(
            f"CAR: every node needs a neighbour, but node {int(isolated[0])} has none "
            f"({isolated.size} isolated node(s)); the precision would be singular"
        )
    return W


def _graph_summary(W):
    """Edge list (i < j), edge weights, degrees and the eigenvalues of
    ``D^{-1/2} W D^{-1/2}``, all computed with numpy."""
    rows, cols = np.nonzero(np.triu(W, 1))
    degree = W.sum(axis=1)
    inv_sqrt = 1.0 / np.sqrt(degree)
    eigs = np.linalg.eigvalsh(inv_sqrt[:, None] * W * inv_sqrt[None, :])
    return rows.astype(np.int32), cols.astype(np.int32), W[rows, cols], degree, eigs


class CAR(Distribution):
    """Conditional autoregressive prior (PyMC's ``CAR``) for areal data on a graph.

    ``x ~ N(mu, Q^{-1})`` with precision ``Q = tau (D - alpha W)``: given its
    neighbours, ``x_i`` is normal with mean ``mu_i + alpha * sum_j W_ij (x_j - mu_j) / D_ii``
    and precision ``tau D_ii``.

    Args:
        mu: mean, ``batch + (n,)`` (a scalar broadcasts to ``(n,)``).
        W: symmetric ``(n, n)`` adjacency matrix (0/1, or nonnegative weights) with a
            zero diagonal and no isolated node; a concrete numpy array.
        alpha: spatial dependence, in ``(-1, 1)``; shape ``batch``.
        tau: precision scale, positive; shape ``batch``.

    Raises:
        ValueError: when ``W`` is traced or invalid, or a concrete ``alpha`` or
            ``tau`` is out of range.

    Example:
        >>> import jax, numpy as np
        >>> from pplx.distributions.multivariate.graph import CAR
        >>> W = np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]])
        >>> d = CAR(np.zeros(3), W, 0.5, 2.0)
        >>> round(float(d.log_prob(np.zeros(3))), 4)
        -1.5144
        >>> d.sample(jax.random.key(0), (4,)).shape
        (4, 3)
    """

    mu: jax.Array
    alpha: jax.Array
    tau: jax.Array
    degree: jax.Array
    eigenvalues: jax.Array
    edge_weights: jax.Array
    edge_rows: HostArray = eqx.field(static=True)
    edge_cols: HostArray = eqx.field(static=True)

    def __init__(self, mu, W, alpha, tau):
        W = _adjacency(W)
        n = W.shape[0]
        rows, cols, weights, degree, eigs = _graph_summary(W)
        mu, alpha, tau = as_float(mu), as_float(alpha), as_float(tau)
        check_param("CAR", "alpha", alpha, lambda a: (a > -1) & (a < 1), "must be in (-1, 1)")
        check_positive("CAR", tau=tau)
        if mu.ndim == 0:
            mu = jnp.broadcast_to(mu, (n,))
        if mu.shape[-1] != n:
            raise ValueError(f"CAR: mu has {mu.shape[-1]} entries on its last axis, W has {n}")
        batch = jnp.broadcast_shapes(mu.shape[:-1], alpha.shape, tau.shape)
        dtype = jnp.result_type(mu, alpha, tau)
        self.mu = jnp.broadcast_to(mu, batch + (n,)).astype(dtype)
        self.alpha = jnp.broadcast_to(alpha, batch).astype(dtype)
        self.tau = jnp.broadcast_to(tau, batch).astype(dtype)
        self.degree = jnp.asarray(degree, dtype)
        self.eigenvalues = jnp.asarray(eigs, dtype)
        self.edge_weights = jnp.asarray(weights, dtype)
        self.edge_rows = HostArray(rows)
        self.edge_cols = HostArray(cols)

    @property
    def batch_shape(self):
        return self.tau.shape

    @property
    def event_shape(self):
        return self.mu.shape[-1:]

    @property
    def support(self):
        return constraints.real_vector

    @property
    def precision_matrix(self):
        """The dense precision ``tau (D - alpha W)``, shape ``batch + (n, n)``."""
        n = self.mu.shape[-1]
        rows, cols = self.edge_rows.array, self.edge_cols.array
        adjacency = jnp.zeros((n, n), self.mu.dtype).at[rows, cols].set(self.edge_weights)
        adjacency = adjacency + adjacency.T
        alpha, adjacency = bcast(self.alpha[..., None, None], adjacency)
        tau, degree = bcast(self.tau[..., None, None], jnp.diag(self.degree))
        return tau * (degree - alpha * adjacency)

    def _log_prob(self, value):
        value, mu = bcast(as_float(value), self.mu)
        diff = value - mu
        n = diff.shape[-1]
        rows, cols = self.edge_rows.array, self.edge_cols.array
        sq, degree = bcast(diff**2, self.degree)
        diag_term = jnp.sum(degree * sq, axis=-1)
        pairs = bcast(diff[..., rows] * diff[..., cols], self.edge_weights)
        edge_term = jnp.sum(pairs[0] * pairs[1], axis=-1)
        # log|D - alpha W| = sum log D_ii + sum log(1 - alpha lambda_i).
        alpha_b, eigs = bcast(self.alpha[..., None], self.eigenvalues)
        log_det = jnp.sum(jnp.log1p(-alpha_b * eigs), axis=-1) + jnp.sum(jnp.log(self.degree))
        diag_term, edge_term, alpha, tau, log_det = bcast(
            diag_term, edge_term, self.alpha, self.tau, log_det
        )
        quad = diag_term - 2.0 * alpha * edge_term
        log_det = log_det + n * jnp.log(tau)
        return 0.5 * (log_det - tau * quad - n * math.log(2 * math.pi))

    def _precision_chol(self):
        return jnp.linalg.cholesky(self.precision_matrix)

    def sample(self, key, sample_shape=()):
        # x = mu + L^{-T} z with Q = L L^T; the draws are the columns of one solve.
        sample_shape = tuple(sample_shape)
        batch, n = self.batch_shape, self.mu.shape[-1]
        num = math.prod(sample_shape)
        z = jax.random.normal(key, batch + (n, num), self.mu.dtype)
        x = solve_triangular(self._precision_chol(), z, lower=True, trans="T")
        x = jnp.reshape(jnp.moveaxis(x, -1, 0), sample_shape + batch + (n,))
        return x + jnp.broadcast_to(self.mu, x.shape)

    @property
    def mean(self):
        return self.mu

    @property
    def variance(self):
        # diag(Q^{-1}) = column sums of squares of L^{-1}.
        chol = self._precision_chol()
        eye = jnp.broadcast_to(jnp.eye(chol.shape[-1], dtype=chol.dtype), chol.shape)
        inv = solve_triangular(chol, eye, lower=True)
        return jnp.sum(inv**2, axis=-2)
