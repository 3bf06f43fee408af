"""Distribution base class, ``Independent`` and ``Expanded``, and shared helpers.

Shapes follow the usual split: a draw has shape
``sample_shape + batch_shape + event_shape``; ``log_prob`` reduces the event
dimensions and broadcasts the rest against ``batch_shape``.

Example:
    >>> import jax
    >>> from pplx.distributions import Normal
    >>> d = Normal(0.0, 1.0).expand((3,)).to_event(1)
    >>> d.batch_shape, d.event_shape
    ((), (3,))
    >>> d.sample(jax.random.key(0), (2,)).shape
    (2, 3)
"""

from __future__ import annotations

import abc
import math

import equinox as eqx
import jax
import jax.numpy as jnp

from pplx.distributions import constraints
from pplx.distributions.param_checks import (  # noqa: F401  (re-exported)
    check_param,
    check_when_concrete,
    deferred_checks,
    is_concrete,
)

__all__ = ["Distribution", "Independent", "Expanded"]


# ----------------------------------------------------------------------------- helpers


def as_float(x):
    """Convert to a floating array: floating inputs keep their dtype, others get
    the default float dtype (float64 when ``jax_enable_x64`` is on)."""
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def promote_dtype(*params):
    """Convert parameters to floats of one dtype, each keeping its shape."""
    arrays = [as_float(p) for p in params]
    dtype = jnp.result_type(*arrays)
    return tuple(a.astype(dtype) for a in arrays)


def promote(*params):
    """Convert parameters to floats of one dtype and broadcast them together."""
    arrays = promote_dtype(*params)
    shape = jnp.broadcast_shapes(*(a.shape for a in arrays))
    return tuple(jnp.broadcast_to(a, shape) for a in arrays)


def betaln(a, b):
    """``log B(a, b)``. jax.scipy.special.betaln is only accurate to ~1e-7 here."""
    return (
        jax.scipy.special.gammaln(a)
        + jax.scipy.special.gammaln(b)
        - (jax.scipy.special.gammaln(a + b))
    )


def cdf_between(value, low, high, fn):
    """``fn(value)`` for ``low < value < high``; 0 at or below ``low``, 1 at or above ``high``.

    ``fn`` sees a safe interior point in place of the values outside the open interval
    (the double-where trick), so neither the result nor its gradient is NaN there.
    Discrete families pass ``floor(value)`` and ``low = min(support) - 1``.

    Example:
        >>> import jax.numpy as jnp
        >>> f = cdf_between(jnp.array([-1.0, 1.0]), 0.0, jnp.inf, lambda x: -jnp.expm1(-x))
        >>> [round(float(v), 4) for v in f]
        [0.0, 0.6321]
    """
    value, low, high = jnp.broadcast_arrays(as_float(value), as_float(low), as_float(high))
    below, above = value <= low, value >= high
    lo_ok, hi_ok = jnp.isfinite(low), jnp.isfinite(high)
    lo, hi = jnp.where(lo_ok, low, 0.0), jnp.where(hi_ok, high, 0.0)
    safe = jnp.where(lo_ok, jnp.where(hi_ok, 0.5 * (lo + hi), lo + 1.0), hi - 1.0)
    safe = jnp.where(lo_ok | hi_ok, safe, 0.0)
    out = fn(jnp.where(below | above, safe, value))
    return jnp.where(below, 0.0, jnp.where(above, 1.0, out))


def discrete_icdf(q, guess, cdf, low, high):
    """Smallest integer ``k`` in ``[low, high]`` with ``cdf(k) >= q``, as a float.

    ``guess`` is a closed-form answer that rounding may leave one off; one step each
    way against ``cdf`` itself makes ``icdf(cdf(k)) == k`` exact. ``q`` outside
    ``[0, 1]`` gives NaN.
    """
    q, guess, low, high = jnp.broadcast_arrays(q, guess, as_float(low), as_float(high))
    k = jnp.clip(jnp.where(jnp.isnan(guess), low, guess), low, high)
    k = jnp.where((k > low) & (cdf(k - 1.0) >= q), k - 1.0, k)
    k = jnp.where((k < high) & (cdf(k) < q), k + 1.0, k)
    return jnp.where((q >= 0) & (q <= 1), k, jnp.nan)


def bcast(*xs):
    """Broadcast arrays explicitly (the test suite forbids implicit rank promotion)."""
    return jnp.broadcast_arrays(*(jnp.asarray(x) for x in xs))


def standardize(value, loc, scale):
    """``(value - loc) / scale`` and ``log(scale)``, broadcast together (explicitly).

    The reciprocal and the log are taken at the scale's own shape, before broadcasting to
    the values: one division and one log per distinct scale, not one per value. On a CPU a
    division costs several multiplications: a normal likelihood of 5000 observations with
    one scale evaluates with its gradient in about 12 us this way against 16 us dividing.

    Example:
        >>> import jax.numpy as jnp
        >>> z, log_scale = standardize(jnp.array([1.0, 3.0]), 1.0, 2.0)
        >>> z.tolist(), log_scale.shape
        ([0.0, 1.0], (2,))
    """
    scale = jnp.asarray(scale)
    value, loc, inv_scale, log_scale = bcast(value, loc, 1.0 / scale, jnp.log(scale))
    return (value - loc) * inv_scale, log_scale


def sum_rightmost(x, n):
    """Sum over the ``n`` rightmost axes of ``x``."""
    return jnp.sum(x, axis=tuple(range(x.ndim - n, x.ndim))) if n > 0 else x


def check_positive(dist_name, **params):
    for name, value in params.items():
        check_param(dist_name, name, value, lambda v: v > 0, "must be positive")


def check_probs(dist_name, probs):
    check_param(dist_name, "probs", probs, lambda p: (p >= 0) & (p <= 1), "must be in [0, 1]")


def probs_logits(dist_name, probs, logits, *others):
    """Resolve the ``probs``/``logits`` pair (exactly one given), broadcast with others."""
    if (probs is None) == (logits is None):
        raise ValueError(f"{dist_name}: give exactly one of probs or logits")
    if probs is not None:
        probs, *others = promote(probs, *others)
        check_probs(dist_name, probs)
        logits = jnp.log(probs) - jnp.log1p(-probs)
        return probs, logits, True, others
    logits, *others = promote(logits, *others)
    return jax.nn.sigmoid(logits), logits, False, others


def support_with_event_dim(name, support, event_ndim):
    """``support`` made to cover ``event_ndim`` event dims (wrapped in ``independent``);
    ``ValueError`` naming ``name`` when it already covers more."""
    if support.event_dim > event_ndim:
        raise ValueError(
            f"{name}: support {support.name!r} has event_dim {support.event_dim} but the "
            f"event shape has only {event_ndim} dims"
        )
    if support.event_dim < event_ndim:
        support = constraints.independent(support, event_ndim - support.event_dim)
    return support


def _broadcast_batch(value, event_ndim, batch_shape):
    """Shape of ``log_prob(value)``: the value's batch part broadcast with ``batch_shape``."""
    value_batch = jnp.shape(value)[: jnp.ndim(value) - event_ndim]
    return jnp.broadcast_shapes(value_batch, tuple(batch_shape))


# ------------------------------------------------------------------------ distribution


class Distribution(eqx.Module):
    """Base class of all distributions.

    Subclasses set ``is_discrete``, implement ``batch_shape``, ``event_shape``,
    ``support``, ``sample`` and either ``_log_prob`` (evaluated only at points inside
    the support, so its gradients stay finite) or ``log_prob`` itself.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> from pplx.distributions import constraints
        >>> class UnitExponential(dist.Distribution):
        ...     @property
        ...     def batch_shape(self):
        ...         return ()
        ...     @property
        ...     def support(self):
        ...         return constraints.positive
        ...     def _log_prob(self, value):
        ...         return -value
        ...     def sample(self, key, sample_shape=()):
        ...         return jax.random.exponential(key, sample_shape)
        >>> d = UnitExponential()
        >>> float(d.log_prob(2.0)), float(d.log_prob(-1.0))  # -inf outside the support
        (-2.0, -inf)
        >>> d.sample(jax.random.key(0), (4,)).shape, d.expand((3,)).batch_shape
        ((4,), (3,))
    """

    is_discrete = False

    @property
    @abc.abstractmethod
    def batch_shape(self):
        """Shape of independent, non-identical draws (a tuple of ints)."""

    @property
    def event_shape(self):
        return ()

    @property
    @abc.abstractmethod
    def support(self):
        """The constraint every draw satisfies."""

    def shape(self, sample_shape=()):
        """Shape of ``sample(key, sample_shape)``."""
        return tuple(sample_shape) + tuple(self.batch_shape) + tuple(self.event_shape)

    def _log_prob(self, value):
        """Log density at a value inside the support (families that override
        ``log_prob`` itself need not define it)."""
        raise NotImplementedError(f"{type(self).__name__} defines neither _log_prob nor log_prob")

    def log_prob(self, value):
        """Log density (or mass) of ``value``; ``-inf`` outside the support.

        Args:
            value: an array whose rightmost dims match ``event_shape``.

        Returns:
            An array of shape ``broadcast(value batch shape, batch_shape)``.
        """
        value = jnp.asarray(value)
        support = self.support
        ok = support.check(value)
        event_ndim = len(self.event_shape)
        # Evaluate the density at a safe point where the value is outside the
        # support (the double-where trick), so that gradients are not NaN.
        ok_full = jnp.reshape(ok, ok.shape + (1,) * event_ndim)
        ok_full, value_b, safe = bcast(ok_full, value, support.feasible_like(value))
        safe_value = jnp.where(ok_full, value_b, safe.astype(value_b.dtype))
        lp = self._log_prob(safe_value)
        ok_b, lp = bcast(ok, lp)
        return jnp.where(ok_b, lp, -jnp.inf)

    @abc.abstractmethod
    def sample(self, key, sample_shape=()):
        """Draw samples of shape ``sample_shape + batch_shape + event_shape``."""

    @property
    def mean(self):
        raise NotImplementedError(f"{type(self).__name__} has no mean implemented")

    @property
    def variance(self):
        raise NotImplementedError(f"{type(self).__name__} has no variance implemented")

    def cdf(self, value):
        """``P(X <= value)``; ``P(X <= floor(value))`` for discrete families.

        0 below the support and 1 above it (never NaN there); gradients are finite
        inside the support. Not defined by every family.
        """
        raise NotImplementedError(f"{type(self).__name__} has no cdf implemented")

    def icdf(self, q):
        """The smallest ``x`` with ``cdf(x) >= q``, for ``q`` in ``[0, 1]`` (discrete
        families return an integer-valued float). ``q`` outside ``[0, 1]`` gives NaN
        or an undefined value. Not defined by every family."""
        raise NotImplementedError(f"{type(self).__name__} has no icdf implemented")

    def to_event(self, n=None):
        """Reinterpret the ``n`` rightmost batch dims as event dims (all when None)."""
        n = len(self.batch_shape) if n is None else int(n)
        if n == 0:
            return self
        return Independent(self, n)

    def expand(self, batch_shape):
        """Broadcast the batch shape to ``batch_shape``."""
        batch_shape = tuple(int(s) for s in batch_shape)
        if batch_shape == tuple(self.batch_shape):
            return self
        return Expanded(self, batch_shape)


class Independent(Distribution):
    """Treat the ``reinterpreted`` rightmost batch dims of ``base`` as event dims.

    Args:
        base: a distribution.
        reinterpreted: number of batch dims to move into the event.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import Independent, Normal
        >>> d = Independent(Normal(jnp.zeros(3), 1.0), 1)
        >>> d.batch_shape, d.event_shape
        ((), (3,))
    """

    base: Distribution
    reinterpreted: int = eqx.field(static=True)

    def __init__(self, base, reinterpreted):
        reinterpreted = int(reinterpreted)
        if not 0 <= reinterpreted <= len(base.batch_shape):
            raise ValueError(
                f"Independent: cannot move {reinterpreted} dims of batch shape "
                f"{tuple(base.batch_shape)} into the event"
            )
        self.base = base
        self.reinterpreted = reinterpreted

    @property
    def is_discrete(self):
        return self.base.is_discrete

    @property
    def batch_shape(self):
        shape = tuple(self.base.batch_shape)
        return shape[: len(shape) - self.reinterpreted]

    @property
    def event_shape(self):
        shape = tuple(self.base.batch_shape)
        return shape[len(shape) - self.reinterpreted :] + tuple(self.base.event_shape)

    @property
    def support(self):
        return constraints.independent(self.base.support, self.reinterpreted)

    def log_prob(self, value):
        return sum_rightmost(self.base.log_prob(value), self.reinterpreted)

    def sample(self, key, sample_shape=()):
        return self.base.sample(key, sample_shape)

    @property
    def mean(self):
        return self.base.mean

    @property
    def variance(self):
        return self.base.variance


class Expanded(Distribution):
    """``base`` with its batch shape broadcast to ``batch_shape``.

    Example:
        >>> import jax
        >>> from pplx.distributions import Normal
        >>> Normal(0.0, 1.0).expand((2, 3)).sample(jax.random.key(0)).shape
        (2, 3)
    """

    base: Distribution
    expanded_shape: tuple = eqx.field(static=True)

    def __init__(self, base, batch_shape):
        batch_shape = tuple(int(s) for s in batch_shape)
        base_shape = tuple(base.batch_shape)
        try:
            target = jnp.broadcast_shapes(base_shape, batch_shape)
        except ValueError:
            target = None
        if target != batch_shape:
            raise ValueError(
                f"{type(base).__name__}: cannot expand batch shape {base_shape} to {batch_shape}"
            )
        self.base = base
        self.expanded_shape = batch_shape

    @property
    def is_discrete(self):
        return self.base.is_discrete

    @property
    def batch_shape(self):
        return self.expanded_shape

    @property
    def event_shape(self):
        return tuple(self.base.event_shape)

    @property
    def support(self):
        return self.base.support

    def log_prob(self, value):
        lp = self.base.log_prob(value)
        shape = _broadcast_batch(value, len(self.event_shape), self.batch_shape)
        return jnp.broadcast_to(lp, shape)

    def sample(self, key, sample_shape=()):
        sample_shape = tuple(sample_shape)
        new = self.expanded_shape
        old = (1,) * (len(new) - len(self.base.batch_shape)) + tuple(self.base.batch_shape)
        grown = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a == 1 and b != 1]
        extra = tuple(new[i] for i in grown)
        x = self.base.sample(key, sample_shape + extra)
        event = tuple(self.event_shape)
        x = jnp.reshape(x, sample_shape + extra + old + event)
        # Swap each grown axis into the size-1 slot of the batch dim it replaces.
        perm = list(range(x.ndim))
        ns, ne = len(sample_shape), len(extra)
        for j, i in enumerate(grown):
            perm[ns + j], perm[ns + ne + i] = perm[ns + ne + i], perm[ns + j]
        x = jnp.transpose(x, perm)
        return jnp.reshape(x, sample_shape + new + event)

    @property
    def mean(self):
        return jnp.broadcast_to(self.base.mean, self.shape())

    @property
    def variance(self):
        return jnp.broadcast_to(self.base.variance, self.shape())

    def cdf(self, value):
        out = self.base.cdf(value)
        return jnp.broadcast_to(out, _broadcast_batch(value, 0, self.batch_shape))

    def icdf(self, q):
        out = self.base.icdf(q)
        return jnp.broadcast_to(out, _broadcast_batch(q, 0, self.batch_shape))


def family_name(d) -> str:
    """The family of ``d`` as a user wrote it, seen through the batch-shape wrappers
    (``Expanded`` from ``.expand`` or a plate, ``Independent`` from ``.to_event``).

    Example:
        >>> from pplx.distributions import HalfNormal
        >>> family_name(HalfNormal(1.0).expand((3,)).to_event(1))
        'HalfNormal'
    """
    while isinstance(d, Expanded | Independent):
        d = d.base
    return type(d).__name__


def log_normalizer_gaussian(dtype):
    """``0.5 * log(2 pi)`` in ``dtype``."""
    return jnp.asarray(0.5 * math.log(2 * math.pi), dtype)
