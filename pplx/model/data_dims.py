"""Dimension names for a model's constant data (ArviZ's ``constant_data`` group).

A model's other array arguments (``sigma`` beside ``y`` in eight schools) have no site,
so no plate names their dimensions. They take the names of the sites whose shape they
share: ``sigma`` of shape ``(8,)`` gets ``("school",)`` when the sites of shape ``(8,)``
all live on the ``school`` plate, and so shows the school names where the user gave
them. A design matrix ``X`` of shape ``(n, k)`` gets the observations' dim on its first
axis when the sites of shape ``(n,)`` agree on it. Where sites disagree, or none has the
shape, the dimension keeps ArviZ's generic name (``X_dim_1``).
"""

from __future__ import annotations

import numpy as np


def _is_generic(site_name: str, dim: str) -> bool:
    return dim.startswith(f"{site_name}_dim_")


def _named_dims_by_shape(model) -> dict[tuple[int, ...], tuple[str, ...] | None]:
    """Site shape -> the dims all sites of that shape agree on (None: they disagree or
    one of them has a generic name)."""
    found: dict[tuple[int, ...], tuple[str, ...] | None] = {}
    for site in model.sites:
        shape = tuple(site.shape)
        if not shape:
            continue
        dims = None if any(_is_generic(site.name, d) for d in site.dims) else tuple(site.dims)
        found[shape] = dims if found.get(shape, dims) == dims else None
    return found


def constant_data_dims(model) -> dict[str, tuple[str, ...]]:
    """Constant-data name -> one dimension name per axis (see the module docstring).

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def schools(sigma, y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 5.0))
        ...     with pplx.plate("school", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, sigma), obs=y)
        >>> constant_data_dims(schools(jnp.ones(3), jnp.zeros(3)))
        {'sigma': ('school',)}
    """
    by_shape = _named_dims_by_shape(model)
    out = {}
    for name, value in model.constant_data().items():
        shape = tuple(np.shape(value))
        dims = [f"{name}_dim_{i}" for i in range(len(shape))]
        for cut in range(len(shape), 0, -1):  # the longest leading run a site names
            named = by_shape.get(shape[:cut])
            if named is not None:
                dims[:cut] = named
                break
        out[name] = tuple(dims)
    return out
