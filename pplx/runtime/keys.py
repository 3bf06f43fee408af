"""PRNG keys at the entry points: an int seed is accepted wherever a key is taken."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np


def as_key(key):
    """A JAX PRNG key; an int seed (a Python or NumPy int, or an integer scalar array,
    traced or not) becomes ``jax.random.key(seed)``, as NumPyro and PyMC accept seeds.

    Raises a ``TypeError`` saying what to pass for anything else (a float, a string).

    Example:
        >>> import jax
        >>> bool(jax.random.key_data(as_key(3)).tolist() == jax.random.key_data(
        ...     jax.random.key(3)).tolist())
        True
        >>> as_key(0.5)
        Traceback (most recent call last):
        TypeError: key must be a PRNG key or an int seed, got float (0.5): pass jax.random.key(0).
    """
    if isinstance(key, int | np.integer) and not isinstance(key, bool):
        return jax.random.key(int(key))
    if isinstance(key, jax.Array | np.ndarray):
        if key.ndim == 0 and jnp.issubdtype(key.dtype, jnp.integer):
            return jax.random.key(key)
        return key  # a typed key (array), or the legacy uint32 form
    raise TypeError(
        f"key must be a PRNG key or an int seed, got {type(key).__name__} ({key!r:.40}): "
        "pass jax.random.key(0)."
    )
