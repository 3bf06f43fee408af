"""Univariate slice sampling with stepping out and shrinkage (Neal 2003), applied to each
coordinate of ``f[d]`` in turn.

Gradient-free and needs no acceptance step: every coordinate update leaves the target
invariant. ``width`` (a scalar or ``f[d]``) is the initial bracket size; the sampler is
correct for any width, only its cost depends on it. :func:`width_adapt_update` sets it
to about twice the mean size of recent moves during warmup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from pplx.kernels.base import Algorithm


class SliceState(NamedTuple):
    position: jax.Array
    logdensity: jax.Array


class SliceInfo(NamedTuple):
    """``acceptance_rate`` is 1 (slice moves are always accepted) unless the shrinkage
    gave up (then the coordinate stays and the rate drops); ``n_steps`` counts density
    evaluations in the sweep; ``lp`` the log density after it."""

    acceptance_rate: jax.Array
    n_steps: jax.Array
    lp: jax.Array


class WidthAdaptState(NamedTuple):
    """Running mean of the absolute move of each coordinate."""

    mean_jump: jax.Array
    count: jax.Array


def _safe(logdensity):
    return jnp.where(jnp.isnan(logdensity), -jnp.inf, logdensity)


def slice_sampler(
    logdensity_fn: Callable[[jax.Array], jax.Array],
    max_steps_out: int = 20,
    max_shrink: int = 100,
) -> Algorithm:
    """Coordinate-wise slice sampler.

    Args:
        logdensity_fn: ``f[d] -> f[]``.
        max_steps_out: the most bracket extensions per coordinate (split at random
            between the two sides, as Neal's procedure requires for reversibility).
        max_shrink: the most shrinkage proposals per coordinate before giving up
            (a safeguard; the coordinate then keeps its value).

    Returns:
        ``Algorithm(init, step)`` with ``step(key, state, width)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> algo = slice_sampler(lambda x: -0.5 * jnp.sum(x**2))
        >>> state, info = algo.step(jax.random.key(0), algo.init(jnp.zeros(3)), 1.0)
        >>> state.position.shape, float(info.acceptance_rate)
        ((3,), 1.0)
    """

    def init(position: jax.Array) -> SliceState:
        return SliceState(position, _safe(logdensity_fn(position)))

    def step(key, state: SliceState, width):
        x0 = state.position
        widths = jnp.broadcast_to(jnp.asarray(width, x0.dtype), x0.shape)

        def body(i, carry):
            x, lp, ok, evals = carry
            x, lp, accepted, n = _update_one(
                logdensity_fn,
                jax.random.fold_in(key, i),
                x,
                lp,
                i,
                widths[i],
                max_steps_out,
                max_shrink,
            )
            return x, lp, ok + accepted, evals + n

        n = x0.shape[0]
        zero = jnp.zeros((), jnp.int32)
        x, lp, ok, evals = jax.lax.fori_loop(0, n, body, (x0, state.logdensity, zero, zero))
        rate = ok.astype(state.logdensity.dtype) / max(n, 1)
        return SliceState(x, lp), SliceInfo(acceptance_rate=rate, n_steps=evals, lp=lp)

    return Algorithm(init, step)


def _update_one(logdensity_fn, key, x, lp, i, w, max_steps_out, max_shrink):
    """One slice update of coordinate ``i``: (x, lp, accepted, evaluations)."""
    k_level, k_pos, k_split, k_shrink = jax.random.split(key, 4)
    level = lp - jax.random.exponential(k_level, dtype=lp.dtype)
    at = lambda v: _safe(logdensity_fn(x.at[i].set(v)))
    xi = x[i]
    left = xi - w * jax.random.uniform(k_pos, dtype=x.dtype)
    right = left + w
    steps_left = jax.random.randint(k_split, (), 0, max_steps_out + 1)
    steps_right = max_steps_out - steps_left

    def step_out(direction):
        def cond(c):
            edge, budget, _ = c
            return (budget > 0) & (at(edge) > level)

        def body(c):
            edge, budget, n = c
            return edge + direction * w, budget - 1, n + 1

        return cond, body

    cond_l, body_l = step_out(-1.0)
    left, _, n_left = jax.lax.while_loop(cond_l, body_l, (left, steps_left, jnp.int32(0)))
    cond_r, body_r = step_out(1.0)
    right, _, n_right = jax.lax.while_loop(cond_r, body_r, (right, steps_right, jnp.int32(0)))

    def shrink_cond(c):
        _, _, _, _, done, tries = c
        return ~done & (tries < max_shrink)

    def shrink_body(c):
        lo, hi, cand, cand_lp, _, tries = c
        u = jax.random.uniform(jax.random.fold_in(k_shrink, tries), dtype=x.dtype)
        cand = lo + u * (hi - lo)
        cand_lp = at(cand)
        done = cand_lp > level
        lo = jnp.where(~done & (cand < xi), cand, lo)
        hi = jnp.where(~done & (cand >= xi), cand, hi)
        return lo, hi, cand, cand_lp, done, tries + 1

    init = (left, right, xi, lp, jnp.array(False), jnp.int32(0))
    _, _, cand, cand_lp, done, tries = jax.lax.while_loop(shrink_cond, shrink_body, init)
    new_x = jnp.where(done, x.at[i].set(cand), x)
    new_lp = jnp.where(done, cand_lp, lp)
    # the step-out loops evaluate each tested edge once more than they move
    evals = n_left + n_right + 2 + tries
    return new_x, new_lp, done.astype(jnp.int32), evals


def width_adapt_init(width, num_dims: int) -> WidthAdaptState:
    width = jnp.broadcast_to(jnp.asarray(width, jnp.result_type(float)), (num_dims,))
    return WidthAdaptState(width / 2.0, jnp.zeros((), width.dtype))


def width_adapt_update(state: WidthAdaptState, old, new) -> WidthAdaptState:
    """Fold the move ``|new - old|`` into the running mean (one entry per coordinate)."""
    count = state.count + 1.0
    mean = state.mean_jump + (jnp.abs(new - old) - state.mean_jump) / count
    return WidthAdaptState(mean, count)


def width_from_adapt(state: WidthAdaptState, floor: float = 1e-3) -> jax.Array:
    """The width to use next: twice the mean move, at least ``floor``."""
    return jnp.maximum(2.0 * state.mean_jump, floor)
