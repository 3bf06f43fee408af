"""Bijectors: smooth invertible maps from unconstrained space onto supports.

A bijector implements ``forward_and_log_det`` and ``inverse_and_log_det``; the
log-determinant is log|det J| of that direction, summed over the bijector's
event dimensions, so its shape is the batch part of the input. ``forward``,
``inverse`` and the static shape maps are derived from them. The maps onto Cholesky
factors and positive-definite matrices are in :mod:`pplx.distributions.bijectors_cholesky`.

Example:
    >>> import jax.numpy as jnp
    >>> from pplx.distributions.bijectors import Exp
    >>> y, log_det = Exp().forward_and_log_det(jnp.array(0.0))
    >>> float(y), float(log_det)
    (1.0, 0.0)
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp

__all__ = [
    "Bijector",
    "Identity",
    "Exp",
    "Softplus",
    "Affine",
    "IntervalBijector",
    "LowerBound",
    "UpperBound",
    "StickBreaking",
    "Ordered",
    "Chain",
    "IndependentBijector",
]


def _sum_rightmost(x, n):
    return jnp.sum(x, axis=tuple(range(x.ndim - n, x.ndim))) if n > 0 else x


def _bcast(*xs):
    return jnp.broadcast_arrays(*(jnp.asarray(x) for x in xs))


class Bijector(eqx.Module):
    """Base class: subclasses implement the two ``*_and_log_det`` methods.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> class Double(dist.Bijector):
        ...     def forward_and_log_det(self, x):
        ...         return 2.0 * x, jnp.full(jnp.shape(x), jnp.log(2.0))
        ...     def inverse_and_log_det(self, y):
        ...         return y / 2.0, jnp.full(jnp.shape(y), -jnp.log(2.0))
        >>> b = Double()
        >>> float(b.forward(3.0)), float(b.inverse(6.0)), b.forward_shape((4,))
        (6.0, 3.0, (4,))
    """

    @abc.abstractmethod
    def forward_and_log_det(self, x):
        """Map unconstrained ``x`` to ``(y, log|det dy/dx|)``."""

    @abc.abstractmethod
    def inverse_and_log_det(self, y):
        """Map constrained ``y`` to ``(x, log|det dx/dy|)``."""

    def forward(self, x):
        """Map unconstrained ``x`` to the constrained space."""
        return self.forward_and_log_det(x)[0]

    def inverse(self, y):
        """Map constrained ``y`` back to unconstrained space."""
        return self.inverse_and_log_det(y)[0]

    def forward_shape(self, shape):
        """Shape of ``forward(x)`` for ``x`` of shape ``shape``."""
        return tuple(shape)

    def inverse_shape(self, shape):
        """Shape of ``inverse(y)`` for ``y`` of shape ``shape``."""
        return tuple(shape)


class Identity(Bijector):
    """The identity map (support: real).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> y, log_det = dist.Identity().forward_and_log_det(jnp.array([-1.0, 2.0]))
        >>> y.tolist(), log_det.tolist()
        ([-1.0, 2.0], [0.0, 0.0])
    """

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        return x, jnp.zeros_like(x)

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y)
        return y, jnp.zeros_like(y)


class Exp(Bijector):
    """``y = exp(x)`` (support: positive).

    The log-det of the forward map is ``x`` itself (``dy/dx = exp(x)``).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> y, log_det = dist.Exp().forward_and_log_det(jnp.array(1.0))
        >>> round(float(y), 4), float(log_det)
        (2.7183, 1.0)
        >>> round(float(dist.Exp().inverse(y)), 4)
        1.0
    """

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        return jnp.exp(x), x

    def inverse_and_log_det(self, y):
        x = jnp.log(y)
        return x, -x


class Softplus(Bijector):
    """``y = log(1 + exp(x))`` (support: positive), gentler than ``Exp`` in the tail.

    The log-det of the forward map is ``log(sigmoid(x))``: at ``x = 0`` it is
    ``log(1/2)``, and ``y = log(2)``.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> y, log_det = dist.Softplus().forward_and_log_det(jnp.array(0.0))
        >>> round(float(y), 4), round(float(log_det), 4)
        (0.6931, -0.6931)
        >>> round(float(dist.Softplus().inverse(jnp.array(3.0))), 4)  # 3 + log(1 - e^-3)
        2.9489
    """

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        return jax.nn.softplus(x), jax.nn.log_sigmoid(x)

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y)
        # softplus^{-1}(y) = y + log(-expm1(-y)), stable for small and large y.
        x = y + jnp.log(-jnp.expm1(-y))
        return x, -jax.nn.log_sigmoid(x)


class Affine(Bijector):
    """``y = loc + scale * x`` elementwise; ``scale`` must be nonzero.

    The log-det is ``log|scale|`` whatever ``x`` is.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> b = dist.Affine(loc=1.0, scale=-2.0)
        >>> y, log_det = b.forward_and_log_det(jnp.array(3.0))
        >>> float(y), round(float(log_det), 4), float(b.inverse(y))
        (-5.0, 0.6931, 3.0)
    """

    loc: jax.Array
    scale: jax.Array

    def __init__(self, loc=0.0, scale=1.0):
        self.loc = jnp.asarray(loc)
        self.scale = jnp.asarray(scale)

    def forward_and_log_det(self, x):
        x, loc, scale = _bcast(x, self.loc, self.scale)
        return loc + scale * x, jnp.log(jnp.abs(scale))

    def inverse_and_log_det(self, y):
        y, loc, scale = _bcast(y, self.loc, self.scale)
        return (y - loc) / scale, -jnp.log(jnp.abs(scale))


class IntervalBijector(Bijector):
    """``y = lower + (upper - lower) * sigmoid(x)`` (support: interval).

    The bounds may be arrays (broadcasting with ``x``) or tracers, e.g. a bound that
    depends on another parameter.

    At ``x = 0`` the map gives the midpoint and its log-det is
    ``log(upper - lower) + 2 log(1/2)``, 0 for an interval of width 4.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> b = dist.IntervalBijector(0.0, 4.0)
        >>> y, log_det = b.forward_and_log_det(jnp.array(0.0))
        >>> float(y), round(float(log_det), 4)
        (2.0, 0.0)
        >>> round(float(b.inverse(b.forward(jnp.array(1.5)))), 4)
        1.5
    """

    lower: jax.Array
    upper: jax.Array

    def __init__(self, lower, upper):
        self.lower = jnp.asarray(lower)
        self.upper = jnp.asarray(upper)

    def forward_and_log_det(self, x):
        x, lower, upper = _bcast(x, self.lower, self.upper)
        width = upper - lower
        y = lower + width * jax.nn.sigmoid(x)
        # Keep y inside [lower, upper] when rounding pushes it out.
        y = jnp.clip(y, lower, upper)
        log_det = jnp.log(width) + jax.nn.log_sigmoid(x) + jax.nn.log_sigmoid(-x)
        return y, log_det

    def inverse_and_log_det(self, y):
        y, lower, upper = _bcast(y, self.lower, self.upper)
        width = upper - lower
        log_p = jnp.log(y - lower) - jnp.log(width)
        log_1mp = jnp.log(upper - y) - jnp.log(width)
        x = log_p - log_1mp
        return x, -(jnp.log(width) + log_p + log_1mp)


class LowerBound(Bijector):
    """``y = lower + exp(x)`` (support: greater_than(lower)).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> b = dist.LowerBound(3.0)
        >>> y, log_det = b.forward_and_log_det(jnp.array(0.0))
        >>> float(y), float(log_det), float(b.inverse(jnp.array(4.0)))
        (4.0, 0.0, 0.0)
    """

    lower: jax.Array

    def __init__(self, lower):
        self.lower = jnp.asarray(lower)

    def forward_and_log_det(self, x):
        x, lower = _bcast(x, self.lower)
        return lower + jnp.exp(x), x

    def inverse_and_log_det(self, y):
        y, lower = _bcast(y, self.lower)
        x = jnp.log(y - lower)
        return x, -x


class UpperBound(Bijector):
    """``y = upper - exp(x)`` (support: less_than(upper)).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> b = dist.UpperBound(1.0)
        >>> y, log_det = b.forward_and_log_det(jnp.array(0.0))
        >>> float(y), float(log_det), round(float(b.inverse(jnp.array(-2.0))), 4)  # log 3
        (0.0, 0.0, 1.0986)
    """

    upper: jax.Array

    def __init__(self, upper):
        self.upper = jnp.asarray(upper)

    def forward_and_log_det(self, x):
        x, upper = _bcast(x, self.upper)
        return upper - jnp.exp(x), x

    def inverse_and_log_det(self, y):
        y, upper = _bcast(y, self.upper)
        x = jnp.log(upper - y)
        return x, -x


def exclusive_cumsum(x, axis=-1):
    """Sum of the entries before each one along ``axis`` (0 for the first)."""
    return jnp.cumsum(x, axis=axis) - x


class StickBreaking(Bijector):
    """Map ``(..., K-1)`` reals onto the ``K``-simplex (support: simplex).

    Each coordinate takes a sigmoid fraction of the stick left over; the offset
    ``log(K-1-i)`` makes ``x = 0`` map to the uniform vector. Everything is done in
    log space so that long sticks do not underflow.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> b = dist.StickBreaking()
        >>> y = b.forward(jnp.zeros(2))
        >>> [round(float(v), 4) for v in y], b.forward_shape((2,)), b.inverse_shape((3,))
        ([0.3333, 0.3333, 0.3333], (3,), (2,))
        >>> y = jnp.array([0.5, 0.3, 0.2])
        >>> [round(float(v), 4) for v in b.forward(b.inverse(y))]
        [0.5, 0.3, 0.2]
    """

    def _offsets(self, k_minus_1, dtype):
        return jnp.log(jnp.arange(k_minus_1, 0, -1, dtype=dtype))

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        t = x - jnp.broadcast_to(self._offsets(x.shape[-1], x.dtype), x.shape)
        log_z = jax.nn.log_sigmoid(t)
        log_1mz = jax.nn.log_sigmoid(-t)
        log_rest = exclusive_cumsum(log_1mz)
        y_head = jnp.exp(log_z + log_rest)
        y_last = jnp.exp(jnp.sum(log_1mz, axis=-1, keepdims=True))
        log_det = jnp.sum(log_z + log_1mz + log_rest, axis=-1)
        return jnp.concatenate([y_head, y_last], axis=-1), log_det

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y)
        # What is left of the stick before coordinate i: a reverse cumulative sum is
        # more accurate than 1 - cumsum.
        rest = jnp.flip(jnp.cumsum(jnp.flip(y, -1), axis=-1), -1)[..., :-1]
        y_head = y[..., :-1]
        log_z = jnp.log(y_head) - jnp.log(rest)
        log_1mz = jnp.log(rest - y_head) - jnp.log(rest)
        offsets = jnp.broadcast_to(self._offsets(y.shape[-1] - 1, y.dtype), log_z.shape)
        x = log_z - log_1mz + offsets
        log_det = -jnp.sum(log_z + log_1mz + jnp.log(rest), axis=-1)
        return x, log_det

    def forward_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] + 1,)

    def inverse_shape(self, shape):
        return tuple(shape[:-1]) + (shape[-1] - 1,)


class Ordered(Bijector):
    """``y[0] = x[0]``, ``y[i] = y[i-1] + exp(x[i])`` (support: ordered_vector).

    The log-det is ``sum(x[1:])``.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> y, log_det = dist.Ordered().forward_and_log_det(jnp.array([1.0, 0.0, 0.5]))
        >>> [round(float(v), 4) for v in y], float(log_det)
        ([1.0, 2.0, 3.6487], 0.5)
        >>> [round(float(v), 4) for v in dist.Ordered().inverse(jnp.array([-1.0, 0.0]))]
        [-1.0, 0.0]
    """

    def forward_and_log_det(self, x):
        x = jnp.asarray(x)
        steps = jnp.concatenate([x[..., :1], jnp.exp(x[..., 1:])], axis=-1)
        return jnp.cumsum(steps, axis=-1), jnp.sum(x[..., 1:], axis=-1)

    def inverse_and_log_det(self, y):
        y = jnp.asarray(y)
        logs = jnp.log(y[..., 1:] - y[..., :-1])
        x = jnp.concatenate([y[..., :1], logs], axis=-1)
        return x, -jnp.sum(logs, axis=-1)


class Chain(Bijector):
    """Apply ``bijectors[0]`` first, then ``bijectors[1]``, and so on.

    The log-dets of the parts add up. Below, ``Ordered`` sends ``[0, 0]`` to ``[0, 1]``
    (log-det 0) and ``Exp`` then to ``[1, e]`` (log-det ``0 + 1``).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> b = dist.Chain([dist.Ordered(), dist.Exp()])  # onto positive ordered vectors
        >>> y, log_det = b.forward_and_log_det(jnp.array([0.0, 0.0]))
        >>> [round(float(v), 4) for v in y], round(float(log_det), 4)
        ([1.0, 2.7183], 1.0)
        >>> [round(float(v), 4) for v in b.inverse(y)]
        [0.0, 0.0]
    """

    bijectors: tuple

    def __init__(self, bijectors):
        self.bijectors = tuple(bijectors)

    @staticmethod
    def _total(log_dets):
        # Each part sums over its own event dims; the chain's batch rank is the
        # smallest rank among them, so the others are summed down to it.
        rank = min(ld.ndim for ld in log_dets)
        return sum(_sum_rightmost(ld, ld.ndim - rank) for ld in log_dets)

    def forward_and_log_det(self, x):
        log_dets = []
        for b in self.bijectors:
            x, ld = b.forward_and_log_det(x)
            log_dets.append(ld)
        return x, self._total(log_dets)

    def inverse_and_log_det(self, y):
        log_dets = []
        for b in reversed(self.bijectors):
            y, ld = b.inverse_and_log_det(y)
            log_dets.append(ld)
        return y, self._total(log_dets)

    def forward_shape(self, shape):
        for b in self.bijectors:
            shape = b.forward_shape(shape)
        return tuple(shape)

    def inverse_shape(self, shape):
        for b in reversed(self.bijectors):
            shape = b.inverse_shape(shape)
        return tuple(shape)


class IndependentBijector(Bijector):
    """Sum the log-determinant of ``base`` over ``reinterpreted`` more dimensions.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> b = dist.IndependentBijector(dist.Exp(), 1)
        >>> y, log_det = b.forward_and_log_det(jnp.array([[1.0, 2.0], [0.0, 0.5]]))
        >>> y.shape, log_det.tolist()  # one log-det per row
        ((2, 2), [3.0, 0.5])
    """

    base: Bijector
    reinterpreted: int = eqx.field(static=True)

    def forward_and_log_det(self, x):
        y, ld = self.base.forward_and_log_det(x)
        return y, _sum_rightmost(ld, self.reinterpreted)

    def inverse_and_log_det(self, y):
        x, ld = self.base.inverse_and_log_det(y)
        return x, _sum_rightmost(ld, self.reinterpreted)

    def forward_shape(self, shape):
        return self.base.forward_shape(shape)

    def inverse_shape(self, shape):
        return self.base.inverse_shape(shape)
