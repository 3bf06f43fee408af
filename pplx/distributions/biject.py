"""``biject_to``: the bijector from unconstrained space onto a constraint.

Example:
    >>> import jax.numpy as jnp
    >>> from pplx.distributions import biject_to, constraints
    >>> b = biject_to(constraints.interval(0.0, 2.0))
    >>> float(b.forward(jnp.array(0.0)))
    1.0
    >>> half_line = biject_to(constraints.interval(0.0, jnp.inf))  # a lower bound only
    >>> float(half_line.forward(jnp.array(0.0)))
    1.0
"""

from __future__ import annotations

import jax
import numpy as np

from pplx.distributions import bijectors as b
from pplx.distributions import bijectors_cholesky as bc
from pplx.distributions import constraints as c
from pplx.distributions.zero_sum import ZeroSumBijector

__all__ = ["biject_to"]


def _greater_than(con):
    return b.Exp() if con.name == "positive" else b.LowerBound(con.lower)


def _greater_than_eq(con):
    return b.Exp() if con.name == "nonnegative" else b.LowerBound(con.lower)


def _all_equal(bound, value: float) -> bool:
    """True when ``bound`` is concrete and every entry equals ``value`` (an infinity)."""
    try:
        return bool(np.all(np.asarray(bound) == value))
    except (TypeError, jax.errors.ConcretizationTypeError, jax.errors.TracerArrayConversionError):
        return False  # a traced bound: finite by assumption


def _interval(con):
    # an interval with an infinite end is a half-line (e.g. TruncatedNormal(low=0.0)):
    # the logistic map onto (lower, inf) would send every value to inf
    no_lower, no_upper = _all_equal(con.lower, -np.inf), _all_equal(con.upper, np.inf)
    if no_lower and no_upper:
        return b.Identity()
    if no_upper:
        return b.LowerBound(con.lower)
    if no_lower:
        return b.UpperBound(con.upper)
    return b.IntervalBijector(con.lower, con.upper)


def _independent(con):
    return b.IndependentBijector(biject_to(con.base), con.reinterpreted)


_RULES = {
    c.Real: lambda con: b.Identity(),
    c.Independent: _independent,
    c.GreaterThan: _greater_than,
    c.GreaterThanEq: _greater_than_eq,
    c.LessThan: lambda con: b.UpperBound(con.upper),
    c.Interval: _interval,
    c.Simplex: lambda con: b.StickBreaking(),
    c.OrderedVector: lambda con: b.Ordered(),
    c.PositiveOrderedVector: lambda con: b.Chain([b.Ordered(), b.Exp()]),
    c.LowerCholesky: lambda con: bc.LowerCholeskyBijector(),
    c.CorrCholesky: lambda con: bc.CorrCholeskyBijector(),
    c.PositiveDefinite: lambda con: b.Chain([bc.LowerCholeskyBijector(), bc.CholeskyOuter()]),
    c.ZeroSum: lambda con: ZeroSumBijector(con.event_dim),
    c.CorrMatrix: lambda con: b.Chain([bc.CorrCholeskyBijector(), bc.CholeskyOuter(corr=True)]),
}


def biject_to(constraint):
    """Return a bijector from unconstrained reals onto ``constraint``.

    Args:
        constraint: a continuous ``Constraint`` instance.

    Returns:
        A ``Bijector`` whose ``forward`` lands inside the constraint.

    Raises:
        TypeError: for discrete constraints or constraints without a rule.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx import distributions as dist
        >>> from pplx.distributions import constraints
        >>> dist.biject_to(constraints.positive)
        Exp()
        >>> b = dist.biject_to(constraints.simplex)
        >>> [round(float(v), 4) for v in b.forward(jnp.zeros(3))]
        [0.25, 0.25, 0.25, 0.25]
        >>> dist.biject_to(dist.Normal(0.0, 1.0).support)
        Identity()
    """
    if constraint.is_discrete:
        raise TypeError(
            f"no bijector for discrete support {constraint.name!r}; "
            "integer latent sites need a Gibbs/Metropolis step"
        )
    rule = _RULES.get(type(constraint))
    if rule is None:
        raise TypeError(f"no bijector registered for constraint {constraint.name!r}")
    return rule(constraint)
