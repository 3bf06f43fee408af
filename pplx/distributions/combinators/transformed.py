"""``TransformedDistribution``: the distribution of ``bijector(X)`` for ``X ~ base``."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from pplx.distributions import bijectors as b
from pplx.distributions import bijectors_cholesky as bc
from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    bcast,
    sum_rightmost,
    support_with_event_dim,
)

# The image of each bijector when it is applied to all of R^n.
_IMAGES = {
    b.Exp: lambda bij: constraints.positive,
    b.Softplus: lambda bij: constraints.positive,
    b.LowerBound: lambda bij: constraints.greater_than(bij.lower),
    b.UpperBound: lambda bij: constraints.less_than(bij.upper),
    b.IntervalBijector: lambda bij: constraints.interval(bij.lower, bij.upper),
    b.StickBreaking: lambda bij: constraints.simplex,
    b.Ordered: lambda bij: constraints.ordered_vector,
    bc.LowerCholeskyBijector: lambda bij: constraints.lower_cholesky,
    bc.CorrCholeskyBijector: lambda bij: constraints.corr_cholesky,
    bc.CholeskyOuter: lambda bij: (
        constraints.corr_matrix if bij.corr else constraints.positive_definite
    ),
}


def _image(bijector, base_support):
    """The support of ``bijector(X)``: the last non-identity map's image, else real.

    A superset when the base does not cover all of R^n (e.g. ``Exp`` of a Gamma lies in
    ``(1, inf)``); the density is still right there, as the base gives ``-inf``.
    """
    parts = bijector.bijectors if isinstance(bijector, b.Chain) else (bijector,)
    for part in reversed(parts):
        if isinstance(part, b.Identity):
            continue
        if isinstance(part, b.IndependentBijector):
            return _image(part.base, constraints.real)
        rule = _IMAGES.get(type(part))
        return rule(part) if rule is not None else constraints.real
    return base_support


def _shapes(base, bijector):
    """Batch and event shapes of ``bijector(X)``, and how many rightmost dims of the
    bijector's log-determinant are event dims still to be summed.

    The event rank changes by what ``forward_shape`` adds (e.g. a vector to a Cholesky
    factor); the full shape comes from tracing ``forward``, so bijector parameters with
    a larger batch broadcast into the batch shape.
    """
    base_shape = tuple(base.batch_shape) + tuple(base.event_shape)
    event_ndim = len(base.event_shape) + len(bijector.forward_shape(base_shape)) - len(base_shape)
    if event_ndim < 0:
        raise ValueError("TransformedDistribution: the bijector removes batch dims of the base")
    x = jax.ShapeDtypeStruct(base_shape, jnp.result_type(float))
    y, log_det = jax.eval_shape(lambda bij, v: bij.forward_and_log_det(v), bijector, x)
    full = tuple(y.shape)
    # The bijector already summed over its own event dims (len(y) - len(log_det)).
    num_to_sum = max(event_ndim - (len(full) - len(log_det.shape)), 0)
    return full[: len(full) - event_ndim], full[len(full) - event_ndim :], num_to_sum


class TransformedDistribution(Distribution):
    """The distribution of ``Y = bijector(X)``, ``X ~ base``.

    ``log p(y) = base.log_prob(x) + log|det dx/dy|`` with ``x = bijector.inverse(y)``;
    the bijector's log-determinant is summed over the event dims.

    Args:
        base: a continuous distribution.
        bijector: a ``Bijector``, or a list of them applied first to last (a ``Chain``).
            Maps that act on whole vectors or matrices (``StickBreaking``, ...) need the
            base's event dims to cover the dims they act on (use ``.to_event()``).
        support: the support of ``Y``. By default the image of the last bijector that is
            not the identity (``Exp`` -> positive, ``IntervalBijector`` -> interval, ...),
            real for maps with no known image (``Affine``), or the base's support for the
            identity. Pass it when the default is looser than the truth and ``Y`` is a
            latent site: the sampler works on ``biject_to(support)``.

    Example:
        >>> import jax
        >>> from pplx.distributions import Normal
        >>> from pplx.distributions.bijectors import Affine, IntervalBijector
        >>> from pplx.distributions.combinators.transformed import TransformedDistribution
        >>> d = TransformedDistribution(Normal(0.0, 1.0), [Affine(0.0, 2.0),
        ...                             IntervalBijector(0.0, 1.0)])
        >>> d.support.name, d.sample(jax.random.key(0), (3,)).shape
        ('interval', (3,))
        >>> round(float(d.log_prob(0.5)), 4)
        -0.2258
    """

    base: Distribution
    bijector: b.Bijector
    transformed_support: constraints.Constraint
    transformed_shapes: tuple = eqx.field(static=True)

    def __init__(self, base, bijector, support=None):
        if isinstance(bijector, (list, tuple)):
            bijector = b.Chain(bijector)
        if not isinstance(bijector, b.Bijector):
            raise TypeError(f"TransformedDistribution: expected a Bijector, got {bijector!r}")
        if base.is_discrete:
            raise ValueError("TransformedDistribution: the base must be continuous")
        batch, event, num_to_sum = _shapes(base, bijector)
        if batch != tuple(base.batch_shape):
            base = base.expand(batch)
        if support is None:
            support = _image(bijector, base.support)
        if not isinstance(support, constraints.Constraint):
            raise TypeError(f"TransformedDistribution: support must be a Constraint: {support!r}")
        self.base = base
        self.bijector = bijector
        self.transformed_support = support_with_event_dim(
            "TransformedDistribution", support, len(event)
        )
        self.transformed_shapes = (batch, event, num_to_sum)

    @property
    def batch_shape(self):
        return self.transformed_shapes[0]

    @property
    def event_shape(self):
        return self.transformed_shapes[1]

    @property
    def support(self):
        return self.transformed_support

    def _log_prob(self, value):
        x, log_det = self.bijector.inverse_and_log_det(value)
        lp = self.base.log_prob(x)
        # Elementwise maps leave event dims in the log-determinant: sum them.
        log_det = sum_rightmost(log_det, self.transformed_shapes[2])
        lp, log_det = bcast(lp, log_det)
        return lp + log_det

    def sample(self, key, sample_shape=()):
        return self.bijector.forward(self.base.sample(key, sample_shape))
