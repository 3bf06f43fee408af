"""Drivers: warmup and sampling as one ``lax.scan`` over pre-split keys, chains vectorised.

A run is a pure function of (log density, key, initial positions, settings). Warmup and
sampling share one scan, so the kernel is traced and compiled once per run; the adaptation
is frozen after the last warmup step by selecting, not branching.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.kernels import adaptation
from pplx.kernels.nuts import NUTSInfo, NUTSState, nuts


class ChainState(NamedTuple):
    """Where each chain is (leading axis: chain) and the parameters it samples with."""

    kernel_state: NUTSState
    step_size: jax.Array
    inverse_mass_matrix: jax.Array


class RunOutput(NamedTuple):
    """Flat draws ``(chain, draw, d)``, per-draw stats ``(chain, draw)``, final state."""

    positions: jax.Array
    info: NUTSInfo
    state: ChainState


class _Schedule(NamedTuple):
    keys: jax.Array  # (steps, chains)
    is_slow: jax.Array
    ends_window: jax.Array
    is_warmup: jax.Array
    is_last_warmup: jax.Array
    iteration: jax.Array


def _schedule(key: jax.Array, num_warmup: int, num_samples: int, num_chains: int) -> _Schedule:
    total = num_warmup + num_samples
    is_slow, ends = adaptation.window_schedule(num_warmup)
    pad = np.zeros(num_samples, bool)
    is_warmup = np.arange(total) < num_warmup
    keys = jax.random.split(key, total * num_chains).reshape(total, num_chains)
    return _Schedule(keys, jnp.asarray(np.concatenate([is_slow, pad])),
                     jnp.asarray(np.concatenate([ends, pad])), jnp.asarray(is_warmup),
                     jnp.asarray(np.arange(total) == num_warmup - 1), jnp.arange(total))


def run_nuts(logdensity_fn: Callable, key: jax.Array, init_positions: jax.Array, *,
             num_warmup: int, num_samples: int, target_accept: float = 0.8,
             max_tree_depth: int = 10, dense_mass: bool = False,
             progress=None) -> RunOutput:
    """NUTS with Stan window adaptation on ``init_positions`` of shape ``(chains, d)``.

    Returns draws shaped ``(chain, draw, d)``. Pure; ``progress`` is None or an object with
    ``hook(iteration, divergences, step_size)`` called inside the loop.
    """
    algo = nuts(logdensity_fn, max_tree_depth=max_tree_depth)
    num_chains, num_dims = init_positions.shape
    states = jax.vmap(algo.init)(init_positions)
    adapt = jax.vmap(lambda p: adaptation.window_init(p, dense_mass))(init_positions)
    if num_warmup == 0:
        adapt = adapt._replace(step_size=jnp.full((num_chains,), 0.1, init_positions.dtype))
    update = jax.vmap(adaptation.window_update, in_axes=(0, None, 0, 0, None))
    finalize = jax.vmap(adaptation.window_final)

    def body(carry, x: _Schedule):
        states, adapt, buffer, divergences = carry
        states, info = jax.vmap(algo.step)(x.keys, states, adapt.step_size,
                                           adapt.inverse_mass_matrix)
        adapted = update(adapt, (x.is_slow, x.ends_window), states.position,
                         info.acceptance_rate, target_accept)
        final_step, _ = finalize(adapted)
        adapted = adapted._replace(
            step_size=jnp.where(x.is_last_warmup, final_step, adapted.step_size))
        adapt = jax.tree.map(lambda new, old: jnp.where(x.is_warmup, new, old), adapted, adapt)
        slot = jnp.maximum(x.iteration - num_warmup, 0)
        buffer = jax.tree.map(lambda b, v: b.at[slot].set(v), buffer, (states.position, info))
        divergences = divergences + jnp.sum(info.diverging, dtype=jnp.int32)
        if progress is not None:
            progress.hook(x.iteration, divergences, jnp.mean(adapt.step_size))
        # the bar shows warmup divergences during warmup, then sampling ones only
        divergences = jnp.where(x.is_last_warmup, 0, divergences)
        return (states, adapt, buffer, divergences), None

    info_shape = jax.eval_shape(jax.vmap(algo.step), _schedule(key, 0, 1, num_chains).keys[0],
                                states, adapt.step_size, adapt.inverse_mass_matrix)[1]
    buffer = (jnp.zeros((num_samples, num_chains, num_dims), init_positions.dtype),
              jax.tree.map(lambda s: jnp.zeros((num_samples,) + s.shape, s.dtype), info_shape))
    carry = (states, adapt, buffer, jnp.zeros((), jnp.int32))
    sched = _schedule(key, num_warmup, num_samples, num_chains)
    (states, adapt, (positions, info), _), _ = jax.lax.scan(body, carry, sched)
    swap = lambda a: jnp.swapaxes(a, 0, 1)
    final = ChainState(states, adapt.step_size, adapt.inverse_mass_matrix)
    return RunOutput(swap(positions), jax.tree.map(swap, info), final)
