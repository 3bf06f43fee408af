"""The bijector onto vectors whose entries sum to zero along the event axes."""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp

from pplx.distributions.bijectors import Bijector

__all__ = ["ZeroSumBijector"]


class ZeroSumBijector(Bijector):
    """``R^(n-1)`` onto the zero-sum hyperplane of ``R^n``, along each of the last
    ``event_dim`` axes; an isometry onto that subspace, so the log-det is 0.

    Each axis is extended with one coordinate and reflected (a Householder map) so
    the sum vanishes.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> b = dist.ZeroSumBijector()
        >>> y, log_det = b.forward_and_log_det(jnp.array([1.0, 2.0]))
        >>> y.shape, bool(abs(y.sum()) < 1e-6), float(log_det)
        ((3,), True, 0.0)
        >>> [round(float(v), 4) for v in b.inverse(y)]
        [1.0, 2.0]
        >>> dist.ZeroSumBijector(event_dim=2).forward_shape((5, 2, 3))
        (5, 3, 4)
    """

    event_dim: int = eqx.field(static=True, default=1)

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        for axis in range(x.ndim - self.event_dim, x.ndim):
            x = _extend_zero_sum(x, axis)
        return x, jnp.zeros(x.shape[: x.ndim - self.event_dim], x.dtype)

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y)
        for axis in range(y.ndim - self.event_dim, y.ndim):
            y = _reduce_zero_sum(y, axis)
        return y, jnp.zeros(y.shape[: y.ndim - self.event_dim], y.dtype)

    def forward_shape(self, shape):
        k = self.event_dim
        return tuple(shape[: len(shape) - k]) + tuple(s + 1 for s in shape[len(shape) - k :])

    def inverse_shape(self, shape):
        k = self.event_dim
        return tuple(shape[: len(shape) - k]) + tuple(s - 1 for s in shape[len(shape) - k :])


def _extend_zero_sum(x, axis):
    n = x.shape[axis] + 1
    total = jnp.sum(x, axis=axis, keepdims=True)
    norm = total / (math.sqrt(n) + n)
    fill = norm - total / math.sqrt(n)
    return jnp.concatenate([x, fill], axis=axis) - norm


def _reduce_zero_sum(y, axis):
    n = y.shape[axis]
    last = jax.lax.slice_in_dim(y, n - 1, n, axis=axis)
    total = -last * math.sqrt(n)
    norm = total / (math.sqrt(n) + n)
    return jax.lax.slice_in_dim(y, 0, n - 1, axis=axis) + norm
