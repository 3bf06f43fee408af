"""Shared scaffolding of the univariate families: parameter fields, construction and
``batch_shape``, written once.

Each base declares the parameter fields, an ``__init__`` that converts them to floats of
one dtype and broadcasts them together (``promote``), validates them when concrete
(naming the concrete family, e.g. ``"HalfNormal: scale must be positive, got -1.0"``),
and ``batch_shape``. ``LocScaleFamily`` keeps ``loc`` and ``scale`` at their own shapes
(``batch_shape`` is their broadcast), so a density can take ``log(scale)`` once per
distinct scale. The bases are abstract (``support`` and ``sample`` are left to each
family), so only the concrete, final families are ever built. A family with extra
parameters may still inherit the shared fields and ``batch_shape``: it declares the
extra fields after them and defines its own ``__init__``.

Example:
    >>> from pplx.distributions import HalfNormal, Normal
    >>> from pplx.distributions.families import LocScaleFamily
    >>> isinstance(Normal(0.0, 1.0), LocScaleFamily), Normal(0.0, [1.0, 2.0]).batch_shape
    (True, (2,))
    >>> HalfNormal(-1.0)
    Traceback (most recent call last):
        ...
    ValueError: HalfNormal: scale must be positive, got -1.0
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from pplx.distributions.base import Distribution, check_positive, promote, promote_dtype

__all__ = ["ScaleFamily", "LocScaleFamily", "ConcentrationRateFamily", "BetaShapeFamily"]


class ScaleFamily(Distribution):
    """A family with one positive ``scale`` (default 1)."""

    scale: jax.Array

    def __init__(self, scale=1.0):
        (self.scale,) = promote(scale)
        check_positive(type(self).__name__, scale=self.scale)

    @property
    def batch_shape(self):
        return self.scale.shape


class LocScaleFamily(Distribution):
    """A family with a location ``loc`` (default 0) and a positive ``scale`` (default 1).

    The two keep their own shapes (``batch_shape`` is their broadcast): a likelihood with
    one scale for many locations then takes one ``log(scale)`` and one reciprocal, not one
    per observation (see ``base.standardize``).
    """

    loc: jax.Array
    scale: jax.Array

    def __init__(self, loc=0.0, scale=1.0):
        self.loc, self.scale = promote_dtype(loc, scale)
        try:
            jnp.broadcast_shapes(self.loc.shape, self.scale.shape)
        except ValueError:
            raise ValueError(
                f"{type(self).__name__}: loc of shape {self.loc.shape} and scale of shape "
                f"{self.scale.shape} do not broadcast together"
            ) from None
        check_positive(type(self).__name__, scale=self.scale)

    @property
    def batch_shape(self):
        return jnp.broadcast_shapes(self.loc.shape, self.scale.shape)


class ConcentrationRateFamily(Distribution):
    """A family with a positive shape ``concentration`` and a positive ``rate`` (default 1)."""

    concentration: jax.Array
    rate: jax.Array

    def __init__(self, concentration, rate=1.0):
        self.concentration, self.rate = promote(concentration, rate)
        check_positive(type(self).__name__, concentration=self.concentration, rate=self.rate)

    @property
    def batch_shape(self):
        return self.rate.shape


class BetaShapeFamily(Distribution):
    """A family on ``[0, 1]`` with two positive shapes, ``concentration1`` (a) and
    ``concentration0`` (b)."""

    concentration1: jax.Array
    concentration0: jax.Array

    def __init__(self, concentration1, concentration0):
        self.concentration1, self.concentration0 = promote(concentration1, concentration0)
        check_positive(
            type(self).__name__,
            concentration1=self.concentration1,
            concentration0=self.concentration0,
        )

    @property
    def batch_shape(self):
        return self.concentration1.shape
