"""Discrete latent sites as one integer vector, and the joint log density of a model with
both continuous and discrete latents.

The continuous latents keep their flat unconstrained vector ``z`` (``model.layout``);
the discrete ones live in an integer vector ``ints`` with a static slice per site
(:class:`DiscreteLayout`). Each component records how many values it can take when that
number is finite (boolean: 2; ``Categorical``: K; ``integer_interval(a, b)``: b - a + 1,
starting at ``a``) or 0 when it is unbounded (Poisson counts), which is what decides
between Gibbs by enumeration and Metropolis.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.core.handlers import site_key
from pplx.core.stack import Message
from pplx.distributions.base import family_name
from pplx.model.execute import (
    constrain,
    is_latent,
    joint_log_density,
    reported_values,
    run_traced,
)
from pplx.model.layout import Layout
from pplx.model.model import Model


class DiscreteLayout(NamedTuple):
    """Where each discrete latent site sits in the integer vector, and what values each
    component can take.

    Attributes:
        layout: static slices (a :class:`Layout` over integer values).
        num_values: per component, the number of values it takes, 0 when unbounded.
        lower: per component, its smallest value.
        supports: per site, the name of its support.
    """

    layout: Layout
    num_values: tuple[int, ...]
    lower: tuple[int, ...]
    supports: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return self.layout.names

    @property
    def num_dims(self) -> int:
        return self.layout.num_dims

    def indices(self, name: str) -> tuple[int, ...]:
        """The components of site ``name``."""
        block = next(b for b in self.layout.blocks if b.name == name)
        return tuple(range(block.offset, block.offset + block.size))

    def ravel(self, values: dict) -> jax.Array:
        if not self.layout.blocks:
            return jnp.zeros((0,), jnp.result_type(int))
        return self.layout.ravel(values).astype(jnp.result_type(int))

    def unravel(self, ints: jax.Array) -> dict[str, jax.Array]:
        return self.layout.unravel(ints)


def _bounds(msg: Message) -> tuple[np.ndarray, np.ndarray, str]:
    """(number of values, lower bound) of each element of a discrete site."""
    support = msg.fn.support
    shape = tuple(jnp.shape(msg.value))
    name = str(getattr(support, "name", type(support).__name__))
    if getattr(support, "event_dim", 0):
        raise TypeError(
            f"discrete latent site '{msg.name}' has a multivariate support '{name}' "
            f"({family_name(msg.fn)}); compound samplers update scalar integer "
            "components only. Write it as independent scalar sites or marginalise it."
        )
    lower, upper = getattr(support, "lower", None), getattr(support, "upper", None)
    if type(support).__name__ == "Boolean":
        lower, upper = 0, 1
    concrete = lambda a: a is not None and not isinstance(a, jax.core.Tracer)
    low = np.broadcast_to(np.asarray(lower if concrete(lower) else 0), shape).astype(np.int64)
    if concrete(upper) and concrete(lower):
        count = np.broadcast_to(np.asarray(upper), shape).astype(np.int64) - low + 1
    else:
        count = np.zeros(shape, np.int64)
    return count.reshape(-1), low.reshape(-1), name


def discrete_layout(model: Model) -> DiscreteLayout:
    """The integer layout of ``model``'s discrete latent sites (runs the model once).

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("b", dist.Bernoulli(probs=0.3))
        ...     pplx.sample("c", dist.Categorical(probs=jnp.ones(4) / 4))
        ...     pplx.sample("n", dist.Poisson(3.0))
        >>> lay = discrete_layout(m())
        >>> lay.names, lay.num_values
        (('b', 'c', 'n'), (2, 4, 0))
    """
    args, kwargs = model._args_kwargs()
    sites = run_traced(model.fn, args, kwargs, constrain(fill_missing=True))
    named, counts, lows, supports = [], [], [], []
    for msg in sites.values():
        if msg.type == "sample" and is_latent(msg) and msg.fn.is_discrete:
            count, low, support = _bounds(msg)
            named.append((msg.name, tuple(jnp.shape(msg.value))))
            counts += count.tolist()
            lows += low.tolist()
            supports.append(support)
    return DiscreteLayout(Layout.from_shapes(named), tuple(counts), tuple(lows), tuple(supports))


def _trace(model: Model, z: jax.Array, discrete: dict, handler_cls=constrain, **kw):
    args, kwargs = model._args_kwargs()
    values = {**model.layout.unravel(z), **discrete}
    return run_traced(
        model.fn, args, kwargs, handler_cls(values=values, missing=model.missing_index, **kw)
    )


def joint_logdensity(
    model: Model,
    z: jax.Array,
    ints: jax.Array,
    jacobian: bool = True,
    layout: DiscreteLayout | None = None,
) -> jax.Array:
    """Joint log density at continuous unconstrained ``z`` and discrete values ``ints``.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("mu", dist.Normal(0.0, 1.0))
        ...     pplx.sample("k", dist.Bernoulli(probs=0.25))
        >>> round(float(joint_logdensity(m(), jnp.zeros(1), jnp.array([1]))), 4)
        -2.3052
    """
    layout = discrete_layout(model) if layout is None else layout
    return joint_log_density(_trace(model, z, layout.unravel(ints)), jacobian)


def constrained_values(
    model: Model, z: jax.Array, ints: jax.Array, layout: DiscreteLayout
) -> dict[str, jax.Array]:
    """Latent values (continuous constrained, discrete as is) and deterministics."""
    discrete = layout.unravel(ints)
    out = reported_values(_trace(model, z, discrete), model.layout.names)
    return {**out, **discrete}


class _prior_discrete(constrain):
    """``constrain`` that draws each discrete latent from its distribution (given the
    continuous values) instead of reading it."""

    def __init__(self, fn=None, values=None, missing=None, key=None):
        super().__init__(fn, values=values, missing=missing)
        self.key = key

    def _discrete(self, msg: Message) -> None:
        msg.value = msg.fn.sample(site_key(self.key, msg.name))


def sample_discrete(
    model: Model, key: jax.Array, z: jax.Array, layout: DiscreteLayout
) -> jax.Array:
    """Discrete values drawn from the model given continuous ``z`` (a starting point)."""
    sites = _trace(model, z, {}, handler_cls=_prior_discrete, key=key)
    return layout.ravel({n: sites[n].value for n in layout.names})
