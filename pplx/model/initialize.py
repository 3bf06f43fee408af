"""Initial points: uniform in (-radius, radius) of the unconstrained space, retried until
the log density is finite."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np


def uniform_candidate(key: jax.Array, num_dims: int, radius: float = 2.0) -> jax.Array:
    """One candidate point, uniform in the cube (-radius, radius)^d."""
    return jax.random.uniform(key, (num_dims,), minval=-radius, maxval=radius)


def find_initial_position(logdensity_fn: Callable, key: jax.Array, num_dims: int,
                          max_tries: int = 100, radius: float = 2.0) -> jax.Array:
    """A point with finite log density and gradient, searched inside ``lax.while_loop``.

    Pure and jit/vmap-able. Returns the last candidate if none of ``max_tries`` is
    finite (the friendly drivers check and explain before they get here).
    """

    def is_ok(z):
        value, grad = jax.value_and_grad(logdensity_fn)(z)
        return jnp.isfinite(value) & jnp.all(jnp.isfinite(grad))

    def cond(carry):
        i, _, ok = carry
        return (i < max_tries) & ~ok

    def body(carry):
        i, _, _ = carry
        z = uniform_candidate(jax.random.fold_in(key, i), num_dims, radius)
        return i + 1, z, is_ok(z)

    z0 = uniform_candidate(jax.random.fold_in(key, 0), num_dims, radius)
    _, z, _ = jax.lax.while_loop(cond, body, (jnp.int32(1), z0, is_ok(z0)))
    return z


def find_initial_positions_eagerly(logdensity_fn: Callable, key: jax.Array, num_chains: int,
                                   num_dims: int, max_tries: int = 100,
                                   radius: float = 2.0) -> tuple[np.ndarray | None, jax.Array]:
    """Python-side search (no compilation) used by friendly drivers to fail early.

    Returns ``(positions or None, last_candidate)``; None when some chain found no finite
    point in ``max_tries`` tries.
    """
    out = []
    z = None
    for chain in range(num_chains):
        chain_key = jax.random.fold_in(key, chain)
        found = None
        for i in range(max_tries):
            z = uniform_candidate(jax.random.fold_in(chain_key, i), num_dims, radius)
            value, grad = jax.value_and_grad(logdensity_fn)(z)
            if np.isfinite(float(value)) and np.all(np.isfinite(np.asarray(grad))):
                found = z
                break
        if found is None:
            return None, z
        out.append(found)
    return np.stack([np.asarray(p) for p in out]), z
