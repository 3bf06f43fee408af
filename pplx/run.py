"""Drivers: warmup and sampling as ``lax.scan`` over pre-split keys, chains vectorised.

A run is a pure function of (log density, key, initial positions, settings). Warmup and
sampling are two scans inside one function, so under ``jax.jit`` the whole run is one
compiled program.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

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


def _chain_keys(key: jax.Array, num_steps: int, num_chains: int) -> jax.Array:
    return jax.random.split(key, num_steps * num_chains).reshape(num_steps, num_chains)


def run_nuts(logdensity_fn: Callable, key: jax.Array, init_positions: jax.Array, *,
             num_warmup: int, num_samples: int, target_accept: float = 0.8,
             max_tree_depth: int = 10, dense_mass: bool = False,
             progress=None) -> RunOutput:
    """NUTS with Stan window adaptation on ``init_positions`` of shape ``(chains, d)``.

    Returns draws shaped ``(chain, draw, d)``. Pure; ``progress`` is None or an object with
    ``hook(iteration, divergences, step_size)`` called inside the loop.
    """
    algo = nuts(logdensity_fn, max_tree_depth=max_tree_depth)
    num_chains = init_positions.shape[0]
    warm_key, sample_key = jax.random.split(key)
    states = jax.vmap(algo.init)(init_positions)
    adapt = jax.vmap(lambda p: adaptation.window_init(p, dense_mass))(init_positions)
    states, adapt, divergences = _warmup(algo, states, adapt, warm_key, num_warmup,
                                         num_chains, target_accept, progress)
    step_size, imm = jax.vmap(adaptation.window_final)(adapt)
    chain = ChainState(states, step_size, imm)
    return _sample(algo, chain, sample_key, num_samples, num_warmup, divergences, progress)


def _warmup(algo, states, adapt, key, num_warmup, num_chains, target_accept, progress):
    is_slow, ends = adaptation.window_schedule(num_warmup)
    xs = (_chain_keys(key, num_warmup, num_chains), jnp.asarray(is_slow), jnp.asarray(ends),
          jnp.arange(num_warmup))
    update = jax.vmap(adaptation.window_update, in_axes=(0, None, 0, 0, None))

    def body(carry, x):
        states, adapt, divergences = carry
        keys, slow, end, t = x
        states, info = jax.vmap(algo.step)(keys, states, adapt.step_size,
                                           adapt.inverse_mass_matrix)
        adapt = update(adapt, (slow, end), states.position, info.acceptance_rate,
                       target_accept)
        divergences = divergences + jnp.sum(info.diverging)
        if progress is not None:
            progress.hook(t, divergences, jnp.mean(adapt.step_size))
        return (states, adapt, divergences), None

    carry = (states, adapt, jnp.zeros((), jnp.int32))
    if num_warmup > 0:
        carry, _ = jax.lax.scan(body, carry, xs)
    return carry


def _sample(algo, chain: ChainState, key, num_samples, offset, divergences,
            progress) -> RunOutput:
    num_chains = chain.step_size.shape[0]
    xs = (_chain_keys(key, num_samples, num_chains), jnp.arange(num_samples) + offset)

    def body(carry, x):
        states, divergences = carry
        keys, t = x
        states, info = jax.vmap(algo.step)(keys, states, chain.step_size,
                                           chain.inverse_mass_matrix)
        divergences = divergences + jnp.sum(info.diverging)
        if progress is not None:
            progress.hook(t, divergences, jnp.mean(chain.step_size))
        return (states, divergences), (states.position, info)

    (states, _), (positions, info) = jax.lax.scan(body, (chain.kernel_state, divergences), xs)
    swap = lambda a: jnp.swapaxes(a, 0, 1)
    final = ChainState(states, chain.step_size, chain.inverse_mass_matrix)
    return RunOutput(swap(positions), jax.tree.map(swap, info), final)
