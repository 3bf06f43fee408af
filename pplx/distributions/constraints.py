"""Constraints: the supports of distributions.

A constraint says which values a distribution puts mass on. It knows its
``event_dim`` (how many rightmost dimensions form one value), whether it is
discrete, how to ``check`` a value and how to produce a point inside it
(``feasible_like``), which log densities use to keep their gradients finite.

Singletons (``real``, ``positive``, ...) are module-level instances;
parametrised constraints (``interval(lower, upper)``, ``greater_than(lower)``,
...) are classes called with their bounds, which may be arrays or tracers.

Example:
    >>> import jax.numpy as jnp
    >>> from pplx.distributions import constraints
    >>> constraints.positive.check(jnp.array([-1.0, 2.0])).tolist()
    [False, True]
    >>> constraints.interval(0.0, 1.0).check(0.5).item()
    True
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp

__all__ = [
    "Constraint",
    "Real",
    "Independent",
    "GreaterThan",
    "GreaterThanEq",
    "LessThan",
    "Interval",
    "Simplex",
    "OrderedVector",
    "PositiveOrderedVector",
    "LowerCholesky",
    "CorrCholesky",
    "CorrMatrix",
    "PositiveDefinite",
    "Boolean",
    "NonnegativeInteger",
    "IntegerInterval",
    "ZeroSum",
    "Multinomial",
    "multinomial",
    "real",
    "real_vector",
    "positive",
    "nonnegative",
    "unit_interval",
    "circular",
    "interval",
    "greater_than",
    "less_than",
    "simplex",
    "ordered_vector",
    "positive_ordered_vector",
    "lower_cholesky",
    "corr_cholesky",
    "corr_matrix",
    "positive_definite",
    "boolean",
    "nonnegative_integer",
    "positive_integer",
    "integer_interval",
    "independent",
    "zero_sum",
]


def _float(x):
    # Python scalars stay Python scalars so that importing this module creates no
    # device arrays (which would initialise the JAX backend at import time).
    if isinstance(x, (int, float)) and not isinstance(x, bool):
        return float(x)
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        x = x.astype(jnp.result_type(float))
    return x


def _all_rightmost(x, n):
    """Reduce a boolean array with ``all`` over its ``n`` rightmost dimensions."""
    return jnp.all(x, axis=tuple(range(x.ndim - n, x.ndim))) if n > 0 else x


def _bcast(*xs):
    return jnp.broadcast_arrays(*(jnp.asarray(x) for x in xs))


class Constraint(eqx.Module):
    """Base class of constraints.

    Attributes:
        event_dim: number of rightmost dimensions that form one value.
        is_discrete: whether the constrained set is a set of integers.
        name: a short human-readable name.
    """

    event_dim: int = eqx.field(static=True, default=0, kw_only=True)
    name: str = eqx.field(static=True, default="constraint", kw_only=True)

    is_discrete = False

    @abc.abstractmethod
    def check(self, value):
        """Return a boolean array of shape ``value.shape[:value.ndim - event_dim]``."""

    @abc.abstractmethod
    def feasible_like(self, value):
        """Return a point inside the constraint broadcastable against ``value``."""

    def __repr__(self):
        return self.name


class Real(Constraint):
    """The real line (finite values); ``real`` is its singleton."""

    def check(self, value):
        value = jnp.asarray(value)
        return jnp.isfinite(value)

    def feasible_like(self, value):
        return jnp.zeros_like(_float(value))


class Independent(Constraint):
    """Reinterpret ``n`` batch dimensions of ``base`` as event dimensions."""

    base: Constraint
    reinterpreted: int = eqx.field(static=True)

    def __init__(self, base, reinterpreted, *, name=None):
        self.base = base
        self.reinterpreted = int(reinterpreted)
        self.event_dim = base.event_dim + self.reinterpreted
        self.name = name or f"independent({base.name}, {self.reinterpreted})"

    @property
    def is_discrete(self):
        return self.base.is_discrete

    def check(self, value):
        return _all_rightmost(self.base.check(value), self.reinterpreted)

    def feasible_like(self, value):
        return self.base.feasible_like(value)


class GreaterThan(Constraint):
    """Values strictly greater than ``lower``."""

    lower: jax.Array

    def __init__(self, lower, *, name=None):
        self.lower = _float(lower)
        self.name = name or "greater_than"

    def check(self, value):
        value, lower = _bcast(value, self.lower)
        return value > lower

    def feasible_like(self, value):
        value, lower = _bcast(_float(value), self.lower)
        return lower + 1.0


class GreaterThanEq(Constraint):
    """Values greater than or equal to ``lower``."""

    lower: jax.Array

    def __init__(self, lower, *, name=None):
        self.lower = _float(lower)
        self.name = name or "greater_than_eq"

    def check(self, value):
        value, lower = _bcast(value, self.lower)
        return value >= lower

    def feasible_like(self, value):
        value, lower = _bcast(_float(value), self.lower)
        return lower + 1.0


class LessThan(Constraint):
    """Values strictly less than ``upper``."""

    upper: jax.Array

    def __init__(self, upper, *, name=None):
        self.upper = _float(upper)
        self.name = name or "less_than"

    def check(self, value):
        value, upper = _bcast(value, self.upper)
        return value < upper

    def feasible_like(self, value):
        value, upper = _bcast(_float(value), self.upper)
        return upper - 1.0


class Interval(Constraint):
    """The closed interval ``[lower, upper]``; bounds may be arrays or tracers."""

    lower: jax.Array
    upper: jax.Array

    def __init__(self, lower, upper, *, name=None):
        self.lower = _float(lower)
        self.upper = _float(upper)
        self.name = name or "interval"

    def check(self, value):
        value, lower, upper = _bcast(value, self.lower, self.upper)
        return (value >= lower) & (value <= upper)

    def feasible_like(self, value):
        value, lower, upper = _bcast(_float(value), self.lower, self.upper)
        lo_inf, hi_inf = jnp.isinf(lower), jnp.isinf(upper)
        lower0 = jnp.where(lo_inf, 0.0, lower)
        upper0 = jnp.where(hi_inf, 0.0, upper)
        mid = jnp.where(lo_inf, upper0 - 1.0, 0.5 * (lower0 + upper0))
        mid = jnp.where(hi_inf, lower0 + 1.0, mid)
        return jnp.where(lo_inf & hi_inf, 0.0, mid)


class Simplex(Constraint):
    """Nonnegative vectors summing to one (event_dim 1)."""

    def __init__(self):
        self.event_dim = 1
        self.name = "simplex"

    def check(self, value):
        value = jnp.asarray(value)
        tol = 1e-6 if value.dtype == jnp.float64 else 1e-4
        nonneg = jnp.all(value >= 0, axis=-1)
        return nonneg & (jnp.abs(jnp.sum(value, axis=-1) - 1.0) < tol)

    def feasible_like(self, value):
        value = _float(value)
        return jnp.full_like(value, 1.0 / value.shape[-1])


class OrderedVector(Constraint):
    """Strictly increasing real vectors (event_dim 1)."""

    def __init__(self):
        self.event_dim = 1
        self.name = "ordered_vector"

    def check(self, value):
        value = jnp.asarray(value)
        inc = jnp.all(value[..., 1:] > value[..., :-1], axis=-1)
        return inc & jnp.all(jnp.isfinite(value), axis=-1)

    def feasible_like(self, value):
        value = _float(value)
        return jnp.broadcast_to(jnp.arange(value.shape[-1], dtype=value.dtype), value.shape)


class PositiveOrderedVector(Constraint):
    """Strictly increasing positive vectors (event_dim 1)."""

    def __init__(self):
        self.event_dim = 1
        self.name = "positive_ordered_vector"

    def check(self, value):
        value = jnp.asarray(value)
        return ordered_vector.check(value) & jnp.all(value > 0, axis=-1)

    def feasible_like(self, value):
        return ordered_vector.feasible_like(value) + 1.0


def _eye_like(value):
    value = _float(value)
    return jnp.broadcast_to(jnp.eye(value.shape[-1], dtype=value.dtype), value.shape)


class LowerCholesky(Constraint):
    """Lower-triangular matrices with a positive diagonal (event_dim 2)."""

    def __init__(self):
        self.event_dim = 2
        self.name = "lower_cholesky"

    def check(self, value):
        value = jnp.asarray(value)
        lower = jnp.all(jnp.triu(value, 1) == 0, axis=(-2, -1))
        diag = jnp.all(jnp.diagonal(value, axis1=-2, axis2=-1) > 0, axis=-1)
        return lower & diag

    def feasible_like(self, value):
        return _eye_like(value)


class CorrCholesky(Constraint):
    """Cholesky factors of correlation matrices: lower Cholesky, unit rows."""

    def __init__(self):
        self.event_dim = 2
        self.name = "corr_cholesky"

    def check(self, value):
        value = jnp.asarray(value)
        tol = 1e-6 if value.dtype == jnp.float64 else 1e-4
        norms = jnp.sum(value**2, axis=-1)
        unit = jnp.all(jnp.abs(norms - 1.0) < tol, axis=-1)
        return lower_cholesky.check(value) & unit

    def feasible_like(self, value):
        return _eye_like(value)


def _symmetric(value):
    tol = 1e-6 if value.dtype == jnp.float64 else 1e-4
    return jnp.all(jnp.abs(value - jnp.swapaxes(value, -1, -2)) < tol, axis=(-2, -1))


class PositiveDefinite(Constraint):
    """Symmetric positive definite matrices (event_dim 2)."""

    def __init__(self):
        self.event_dim = 2
        self.name = "positive_definite"

    def check(self, value):
        value = _float(value)
        sym = _symmetric(value)
        eig = jnp.linalg.eigvalsh(value)
        return sym & jnp.all(eig > 0, axis=-1)

    def feasible_like(self, value):
        return _eye_like(value)


class CorrMatrix(Constraint):
    """Correlation matrices: positive definite with a unit diagonal."""

    def __init__(self):
        self.event_dim = 2
        self.name = "corr_matrix"

    def check(self, value):
        value = _float(value)
        tol = 1e-6 if value.dtype == jnp.float64 else 1e-4
        diag = jnp.diagonal(value, axis1=-2, axis2=-1)
        unit = jnp.all(jnp.abs(diag - 1.0) < tol, axis=-1)
        return positive_definite.check(value) & unit

    def feasible_like(self, value):
        return _eye_like(value)


class ZeroSum(Constraint):
    """Real arrays whose last ``event_dim`` axes each sum to zero."""

    def __init__(self, event_dim=1):
        self.event_dim = int(event_dim)
        self.name = "zero_sum"

    def check(self, value):
        value = _float(value)
        tol = 1e-6 if value.dtype == jnp.float64 else 1e-4
        ok = jnp.isfinite(value)
        for axis in range(-self.event_dim, 0):
            ok = ok & (jnp.abs(jnp.sum(value, axis=axis, keepdims=True)) < tol)
        return _all_rightmost(ok, self.event_dim)

    def feasible_like(self, value):
        return jnp.zeros_like(_float(value))


class _Integer(Constraint):
    is_discrete = True


def _is_integer(value):
    return value == jnp.floor(value)


class Boolean(_Integer):
    """The set {0, 1}."""

    def __init__(self):
        self.name = "boolean"

    def check(self, value):
        value = jnp.asarray(value)
        return (value == 0) | (value == 1)

    def feasible_like(self, value):
        return jnp.zeros_like(jnp.asarray(value))


class NonnegativeInteger(_Integer):
    """Integers ``k >= lower`` (``lower`` is 0 or 1 for the singletons)."""

    lower: int = eqx.field(static=True, default=0)

    def __init__(self, lower=0, *, name=None):
        self.lower = int(lower)
        self.name = name or "nonnegative_integer"

    def check(self, value):
        value = jnp.asarray(value)
        return (value >= self.lower) & _is_integer(value)

    def feasible_like(self, value):
        return jnp.full_like(jnp.asarray(value), self.lower)


class IntegerInterval(_Integer):
    """Integers in ``[lower, upper]``; bounds may be arrays or tracers."""

    lower: jax.Array
    upper: jax.Array

    def __init__(self, lower, upper, *, name=None):
        self.lower = jnp.asarray(lower)
        self.upper = jnp.asarray(upper)
        self.name = name or "integer_interval"

    def check(self, value):
        value, lower, upper = _bcast(value, self.lower, self.upper)
        return (value >= lower) & (value <= upper) & _is_integer(value)

    def feasible_like(self, value):
        value, lower = _bcast(jnp.asarray(value), self.lower)
        return lower.astype(jnp.result_type(value, lower))


class Multinomial(_Integer):
    """Nonnegative integer vectors summing to ``total_count`` (event_dim 1)."""

    total_count: jax.Array

    def __init__(self, total_count):
        self.total_count = jnp.asarray(total_count)
        self.event_dim = 1
        self.name = "multinomial"

    def check(self, value):
        value = jnp.asarray(value)
        ok = jnp.all((value >= 0) & _is_integer(value), axis=-1)
        total, count = _bcast(jnp.sum(value, axis=-1), self.total_count)
        return ok & (total == count)

    def feasible_like(self, value):
        value = jnp.asarray(value)
        first = jnp.zeros(value.shape, value.dtype).at[..., 0].set(1)
        first, count = _bcast(first, jnp.asarray(self.total_count)[..., None])
        return (first * count).astype(value.dtype)


# Lowercase names for the parametrised constraints.
interval = Interval
greater_than = GreaterThan
less_than = LessThan
integer_interval = IntegerInterval
independent = Independent
zero_sum = ZeroSum
multinomial = Multinomial

real = Real(name="real")
real_vector = Independent(real, 1, name="real_vector")
positive = GreaterThan(0.0, name="positive")
nonnegative = GreaterThanEq(0.0, name="nonnegative")
unit_interval = Interval(0.0, 1.0, name="unit_interval")
circular = Interval(-jnp.pi, jnp.pi, name="circular")
simplex = Simplex()
ordered_vector = OrderedVector()
positive_ordered_vector = PositiveOrderedVector()
lower_cholesky = LowerCholesky()
corr_cholesky = CorrCholesky()
corr_matrix = CorrMatrix()
positive_definite = PositiveDefinite()
boolean = Boolean()
nonnegative_integer = NonnegativeInteger(0)
positive_integer = NonnegativeInteger(1, name="positive_integer")
