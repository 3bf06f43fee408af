"""Improper flat priors: log density 0 on a support, ``-inf`` outside."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from pplx.distributions import constraints
from pplx.distributions.base import Distribution, _broadcast_batch


def _support_batch_shape(support):
    """Broadcast shape of the support's parameters (e.g. interval bounds)."""
    shapes = [jnp.shape(leaf) for leaf in jax.tree_util.tree_leaves(support)]
    return jnp.broadcast_shapes(*shapes) if shapes else ()


class ImproperUniform(Distribution):
    """Flat (improper) density over ``support``.

    Args:
        support: a ``Constraint``; its bounds may depend on other parameters.
        batch_shape: batch shape (broadcast with the shape of the support's bounds).
        event_shape: event shape; at least ``support.event_dim`` dims.

    Example:
        >>> from pplx.distributions import ImproperUniform, constraints
        >>> d = ImproperUniform(constraints.interval(0.0, 0.7))
        >>> float(d.log_prob(0.5)), float(d.log_prob(0.9))
        (0.0, -inf)
    """

    improper_support: constraints.Constraint
    improper_batch_shape: tuple = eqx.field(static=True)
    improper_event_shape: tuple = eqx.field(static=True)

    def __init__(self, support, batch_shape=(), event_shape=()):
        event_shape = tuple(int(s) for s in event_shape)
        if len(event_shape) < support.event_dim:
            raise ValueError(
                f"ImproperUniform: event_shape {event_shape} has fewer dims than the "
                f"support {support.name!r} needs ({support.event_dim})"
            )
        bound_shape = _support_batch_shape(support) if support.event_dim == 0 else ()
        bound_shape = bound_shape[: max(len(bound_shape) - len(event_shape), 0)]
        try:
            batch_shape = jnp.broadcast_shapes(tuple(batch_shape), bound_shape)
        except ValueError as err:
            raise ValueError(
                f"ImproperUniform: batch_shape {tuple(batch_shape)} does not broadcast "
                f"with the support's bounds of shape {bound_shape}"
            ) from err
        self.improper_support = support
        self.improper_batch_shape = tuple(int(s) for s in batch_shape)
        self.improper_event_shape = event_shape

    @property
    def is_discrete(self):
        return self.improper_support.is_discrete

    @property
    def batch_shape(self):
        return self.improper_batch_shape

    @property
    def event_shape(self):
        return self.improper_event_shape

    @property
    def support(self):
        return self.improper_support

    def log_prob(self, value):
        value = jnp.asarray(value)
        ok = self.improper_support.check(value)
        extra = len(self.event_shape) - self.improper_support.event_dim
        if extra > 0:
            ok = jnp.all(ok, axis=tuple(range(ok.ndim - extra, ok.ndim)))
        dtype = value.dtype if jnp.issubdtype(value.dtype, jnp.floating) else float
        lp = jnp.where(ok, 0.0, -jnp.inf).astype(dtype)
        shape = _broadcast_batch(value, len(self.event_shape), self.batch_shape)
        return jnp.broadcast_to(lp, shape)

    def sample(self, key, sample_shape=()):
        raise ValueError(
            f"an improper distribution cannot be sampled (ImproperUniform over "
            f"{self.improper_support.name!r}); give the site an initial value or a "
            f"proper prior"
        )


def Flat(batch_shape=()):
    """Improper flat prior over the reals (log density 0).

    Example:
        >>> from pplx.distributions import Flat
        >>> float(Flat().log_prob(123.0))
        0.0
    """
    return ImproperUniform(constraints.real, batch_shape)


def HalfFlat(batch_shape=()):
    """Improper flat prior over the positive reals.

    Example:
        >>> from pplx.distributions import HalfFlat
        >>> float(HalfFlat().log_prob(-1.0))
        -inf
    """
    return ImproperUniform(constraints.positive, batch_shape)
