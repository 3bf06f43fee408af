"""User coordinates (``coords={"school": names}``): checked against the model's dims.

Coords can be given when the model is bound (``my_model(data, coords=...)``, kept on the
:class:`pplx.Model` as static, hashable values) and when it is run
(``pplx.nuts(..., coords=...)``); the two are merged, the run's winning. Every check runs
in Python before anything is traced, and its error names the dimension and both sizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _dim_sizes(model) -> dict[str, tuple[int, str]]:
    """Dimension name -> (size, the first site that has it)."""
    sizes: dict[str, tuple[int, str]] = {}
    for site in model.sites:
        for dim, size in zip(site.dims, site.shape, strict=True):
            sizes.setdefault(dim, (int(size), site.name))
    return sizes


def _plate_size(model, dim: str) -> int | None:
    from pplx.model.graph import site_plates  # only on the error path: it runs the model

    for plates in site_plates(model).values():
        for name, size in plates:
            if name == dim:
                return size
    return None


def check_coord_sizes(model, coords: dict[str, Any]) -> dict[str, list]:
    """``coords`` as lists, after checking each against the size of its dimension.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m(y):
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(0.0, 1.0), obs=y)
        >>> check_coord_sizes(m(jnp.zeros(2)), {"obs": ("a", "b")})
        {'obs': ['a', 'b']}
        >>> check_coord_sizes(m(jnp.zeros(2)), {"obs": ["a"]})
        Traceback (most recent call last):
        ...
        ValueError: coords['obs'] has 1 value but plate 'obs' has size 2; give one value ...
    """
    if not isinstance(coords, dict):
        raise TypeError(
            f"coords must be a dict of dimension name -> values, got {type(coords).__name__}."
        )
    sizes = _dim_sizes(model)
    out = {}
    for dim, values in coords.items():
        if dim not in sizes:
            raise ValueError(
                f"coords names the dimension '{dim}', which no site has; "
                f"the model's dimensions are {sorted(sizes)}."
            )
        values = np.asarray(values).tolist() if not isinstance(values, list) else values
        if not isinstance(values, list):
            raise TypeError(f"coords['{dim}'] must be a sequence of values, got {values!r}.")
        size, site = sizes[dim]
        if len(values) != size:
            plate = _plate_size(model, dim)
            where = (
                f"plate '{dim}' has size {plate}"
                if plate is not None
                else f"dimension '{dim}' of site '{site}' has size {size}"
            )
            count = f"{len(values)} value" + ("s" if len(values) != 1 else "")
            raise ValueError(
                f"coords['{dim}'] has {count} but {where}; give one value per entry of '{dim}'."
            )
        out[dim] = values
    return out


def freeze_coords(coords: dict[str, list]) -> tuple:
    """Coords as a hashable tuple of ``(dim, values)`` (a static field of the model)."""
    return tuple((dim, tuple(values)) for dim, values in coords.items())


def merge_coords(model, given: dict[str, Any]) -> dict[str, list]:
    """The model's bound coords with ``given`` (call-time) coords over them, checked.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m(y):
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(0.0, 1.0), obs=y)
        >>> merge_coords(m(jnp.zeros(2), coords={"obs": ["a", "b"]}), {"obs": ["c", "d", "e"]})
        Traceback (most recent call last):
        ...
        ValueError: coords['obs'] given at call time has 3 values, but the model was bound ...
    """
    bound = model.coords
    if not isinstance(given, dict):
        raise TypeError(
            f"coords must be a dict of dimension name -> values, got {type(given).__name__}."
        )
    for dim, values in given.items():
        if dim in bound and len(values) != len(bound[dim]):
            raise ValueError(
                f"coords['{dim}'] given at call time has {len(values)} values, but the model "
                f"was bound with {len(bound[dim])} for '{dim}'; give the same number (the "
                "call-time values replace the bound ones)."
            )
    return {**bound, **check_coord_sizes(model, given)}
