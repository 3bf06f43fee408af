"""Model-level conditioning and intervention: new bound models from old ones.

``condition(model, data)`` observes latent sites; ``do(model, values)`` sets sites to
values and cuts their density (an intervention). The values become data leaves of the
new model, so conditioning again on new values of the same shape does not recompile.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import jax.numpy as jnp

from pplx.core import handlers
from pplx.model.model import Model

_KEYS = {handlers.condition: "_pplx_condition", handlers.do: "_pplx_do"}


@functools.cache
def _wrap(fn: Callable, handler) -> Callable:
    key = _KEYS[handler]

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        values = kwargs.pop(key)
        with handler(data=values):
            return fn(*args, **kwargs)

    return wrapped


def _apply(model: Model, values: dict, handler) -> Model:
    if not isinstance(model, Model):
        raise TypeError(f"expected a bound pplx model, got {type(model).__name__}.")
    names = set(model.named_vars)
    unknown = sorted(set(values) - names)
    if unknown:
        raise ValueError(
            f"{handler.__name__}: {unknown} are not sites of the model; its sites "
            f"are {sorted(names)}."
        )
    args, kwargs = model._args_kwargs()
    key = _KEYS[handler]
    merged = {**kwargs.get(key, {}), **{k: jnp.asarray(v) for k, v in values.items()}}
    fn = model.fn if key in kwargs else _wrap(model.fn, handler)
    return Model(fn, args, {**kwargs, key: merged}, coords=model.coords)


def condition(model: Model, data: dict) -> Model:
    """The model with the sites in ``data`` observed at the given values.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def two():
        ...     a = pplx.sample("a", dist.Normal(0.0, 1.0))
        ...     pplx.sample("b", dist.Normal(a, 1.0))
        >>> [s.name for s in pplx.condition(two(), {"b": 1.0}).observed_vars]
        ['b']
    """
    return _apply(model, data, handlers.condition)


def do(model: Model, values: dict) -> Model:
    """The model under the intervention that sets the given sites to ``values``.

    Intervened sites are neither sampled nor scored; sites downstream see the values.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def two():
        ...     a = pplx.sample("a", dist.Normal(0.0, 1.0))
        ...     pplx.sample("b", dist.Normal(a, 1.0))
        >>> [s.name for s in pplx.do(two(), {"a": 3.0}).free_vars]
        ['b']
    """
    return _apply(model, values, handlers.do)
