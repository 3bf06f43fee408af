"""Initial points: uniform in (-radius, radius) of the unconstrained space, retried until
the log density is finite."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp


def uniform_candidate(key: jax.Array, num_dims: int, radius: float = 2.0) -> jax.Array:
    """One candidate point, uniform in the cube (-radius, radius)^d."""
    return jax.random.uniform(key, (num_dims,), minval=-radius, maxval=radius)


def find_initial_position(
    logdensity_fn: Callable,
    key: jax.Array,
    num_dims: int,
    max_tries: int = 100,
    radius: float = 2.0,
):
    """A point with finite log density and gradient, searched inside ``lax.while_loop``.

    Pure and jit/vmap-able. Returns ``(z, ok)``: ``ok`` is False when none of
    ``max_tries`` candidates was finite (``z`` is then the last candidate).
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

    # candidate i from fold_in(key, i), the first one inside the loop too: the log
    # density is traced once
    start = (jnp.int32(0), jnp.zeros(num_dims, jnp.result_type(float)), jnp.bool_(False))
    _, z, ok = jax.lax.while_loop(cond, body, start)
    return z, ok
