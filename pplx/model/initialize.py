"""Initial points: uniform in (-radius, radius) of the unconstrained space, retried until
the log density and its gradient are finite, and not hopelessly far below the others.

Why not simply the first finite candidate: a model can be finite but astronomically
improbable over much of the cube. An MA(2) series of 200 points whose coefficients
start past 1 in magnitude has a log density near -1e60 there; no sampler gets out of
such a point, because its energy error, however small relative to 1e60, is thousands
of nats (a divergence) for any step that moves the chain. The search therefore looks at
the first ``num_candidates`` candidates and keeps the earliest finite one whose log
density is within ``max_gap`` nats of every other finite candidate's: the start is
still drawn from the cube (dispersed, as R-hat needs), but never from a region the
chain could not leave.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

#: Candidates compared (one log-density-and-gradient evaluation each).
NUM_CANDIDATES = 10
#: How far (nats) the chosen start may lie below the best candidate: one trajectory
#: bridges a few thousand nats (the divergence threshold is 1000), not 1e10.
MAX_GAP = 1e4


def uniform_candidate(key: jax.Array, num_dims: int, radius: float = 2.0) -> jax.Array:
    """One candidate point, uniform in the cube (-radius, radius)^d."""
    return jax.random.uniform(key, (num_dims,), minval=-radius, maxval=radius)


def find_initial_position(
    logdensity_fn: Callable,
    key: jax.Array,
    num_dims: int,
    max_tries: int = 100,
    radius: float = 2.0,
    num_candidates: int = NUM_CANDIDATES,
    max_gap: float = MAX_GAP,
):
    """A point with finite log density and gradient, searched inside ``lax.while_loop``.

    Candidate ``i`` is uniform in ``(-radius, radius)^d`` from ``fold_in(key, i)``. The
    first finite candidate is kept, and replaced by a later one (among the first
    ``num_candidates``) only when that one's log density exceeds it by more than
    ``max_gap``: the kept point is then within ``max_gap`` of the best candidate seen.
    After ``num_candidates`` candidates the search stops at the first finite one, up to
    ``max_tries`` in all.

    Pure and jit/vmap-able. Returns ``(z, ok)``: ``ok`` is False when none of
    ``max_tries`` candidates was finite (``z`` is then the last candidate).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> steep = lambda z: -jnp.exp(40.0 * z[0])  # astronomically low for z > 0.5
        >>> z, ok = find_initial_position(steep, jax.random.key(0), 1)
        >>> bool(ok), float(steep(z)) > -1e4
        (True, True)
    """

    def evaluate(z):
        value, grad = jax.value_and_grad(logdensity_fn)(z)
        ok = jnp.isfinite(value) & jnp.all(jnp.isfinite(grad))
        return jnp.where(ok, value, -jnp.inf), ok

    def cond(carry):
        i, _, _, ok = carry
        return (i < max_tries) & ~(ok & (i >= num_candidates))

    def body(carry):
        i, z, best, ok = carry
        new = uniform_candidate(jax.random.fold_in(key, i), num_dims, radius)
        value, new_ok = evaluate(new)
        take = new_ok & (~ok | (value > best + max_gap))
        take = take | (~ok & ~new_ok)  # until one is finite, report the last candidate
        z = jnp.where(take, new, z)
        best = jnp.where(take, value, best)
        return i + 1, z, best, ok | new_ok

    # candidate i from fold_in(key, i), the first one inside the loop too: the log
    # density is traced once
    dtype = jnp.result_type(float)
    start = (
        jnp.int32(0),
        jnp.zeros(num_dims, dtype),
        jnp.asarray(-jnp.inf, dtype),
        jnp.bool_(False),
    )
    _, z, _, ok = jax.lax.while_loop(cond, body, start)
    return z, ok
