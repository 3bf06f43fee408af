"""Drivers: warmup and sampling as one ``lax.scan``, chains vectorised or in sequence.

A run is a pure function of (log density, key, start, settings). Warmup and sampling share
one scan, so the kernel is traced and compiled once per run; the adaptation is frozen
after the last warmup step by selecting, not branching. The key of chain ``c`` at
transition ``t`` is ``fold_in(fold_in(key, t), c)``: it depends on neither the number of
chains nor how they are run, so a resumed run continues exactly where a longer run would
have gone, and every chain method gives the same draws.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.kernels import adaptation
from pplx.kernels.nuts import NUTSInfo, NUTSState, nuts

CHAIN_METHODS = ("vectorized", "sequential", "parallel")


class ChainState(NamedTuple):
    """Where each chain is (leading axis: chain), what it samples with, and how far it is.

    Pass it back as ``state=`` to continue the same chains (no new warmup).
    """

    kernel_state: NUTSState
    step_size: jax.Array
    inverse_mass_matrix: jax.Array
    iteration: jax.Array


class RunOutput(NamedTuple):
    """Flat draws ``(chain, draw, d)``, per-draw stats ``(chain, draw)``, final state, and
    the number of integration steps (gradient evaluations) each chain spent in warmup."""

    positions: jax.Array
    info: NUTSInfo
    state: ChainState
    warmup_n_steps: jax.Array


class _Step(NamedTuple):
    is_slow: jax.Array
    ends_window: jax.Array
    is_warmup: jax.Array
    is_last_warmup: jax.Array
    keep: jax.Array
    slot: jax.Array
    iteration: jax.Array


def _schedule(start, num_warmup: int, num_samples: int, thinning: int) -> _Step:
    total = num_warmup + num_samples * thinning
    is_slow, ends = adaptation.window_schedule(num_warmup)
    pad = np.zeros(total - num_warmup, bool)
    after = np.arange(total) - num_warmup
    return _Step(
        jnp.asarray(np.concatenate([is_slow, pad])),
        jnp.asarray(np.concatenate([ends, pad])),
        jnp.asarray(after < 0),
        jnp.asarray(after == -1),
        jnp.asarray((after >= 0) & (after % thinning == thinning - 1)),
        jnp.asarray(np.maximum(after, 0) // thinning),
        start + jnp.arange(total),
    )


def _chain_keys(key, iteration, chain_ids):
    step_key = jax.random.fold_in(key, iteration)
    return jax.vmap(lambda c: jax.random.fold_in(step_key, c))(chain_ids)


def run_nuts(
    logdensity_fn: Callable,
    key: jax.Array,
    init_positions: jax.Array | None = None,
    *,
    state: ChainState | None = None,
    num_warmup: int,
    num_samples: int,
    thinning: int = 1,
    target_accept: float = 0.8,
    max_tree_depth: int = 10,
    dense_mass: bool = False,
    chain_ids: jax.Array | None = None,
    progress=None,
) -> RunOutput:
    """NUTS with Stan window adaptation, all chains vectorised.

    Starts from ``init_positions`` ``(chains, d)`` (with warmup) or continues ``state``
    (warmup already done: ``num_warmup`` must be 0). Keeps every ``thinning``-th draw.
    Returns draws ``(chain, draw, d)``. ``chain_ids`` (default ``0..chains-1``) pick the
    chains' random streams. Pure; ``progress`` is None or an object with
    ``hook(iteration, divergences, step_size)`` called inside the loop.
    """
    algo = nuts(logdensity_fn, max_tree_depth=max_tree_depth)
    states, adapt, start = _start(algo, init_positions, state, dense_mass, num_warmup)
    num_chains, num_dims = states.position.shape
    if chain_ids is None:
        chain_ids = jnp.arange(num_chains)
    update = jax.vmap(adaptation.window_update, in_axes=(0, None, 0, 0, None))
    finalize = jax.vmap(adaptation.window_final)

    def body(carry, x: _Step):
        states, adapt, buffer, divergences, warm_steps = carry
        keys = _chain_keys(key, x.iteration, chain_ids)
        states, info = jax.vmap(algo.step)(keys, states, adapt.step_size, adapt.inverse_mass_matrix)
        adapted = update(
            adapt, (x.is_slow, x.ends_window), states.position, info.acceptance_rate, target_accept
        )
        adapted = adapted._replace(
            step_size=jnp.where(x.is_last_warmup, finalize(adapted)[0], adapted.step_size)
        )
        adapt = jax.tree.map(lambda new, old: jnp.where(x.is_warmup, new, old), adapted, adapt)
        buffer = jax.tree.map(
            lambda b, v: b.at[x.slot].set(jnp.where(x.keep, v, b[x.slot])),
            buffer,
            (states.position, info),
        )
        divergences = divergences + jnp.sum(info.diverging, dtype=jnp.int32)
        warm_steps = warm_steps + jnp.where(x.is_warmup, info.n_steps, 0)
        if progress is not None:
            progress.hook(x.iteration - start, divergences, jnp.mean(adapt.step_size))
        # the bar shows warmup divergences during warmup, then sampling ones only
        divergences = jnp.where(x.is_last_warmup, 0, divergences)
        return (states, adapt, buffer, divergences, warm_steps), None

    info_shape = jax.eval_shape(
        jax.vmap(algo.step),
        _chain_keys(key, 0, chain_ids),
        states,
        adapt.step_size,
        adapt.inverse_mass_matrix,
    )[1]
    buffer = (
        jnp.zeros((num_samples, num_chains, num_dims), states.position.dtype),
        jax.tree.map(lambda s: jnp.zeros((num_samples,) + s.shape, s.dtype), info_shape),
    )
    carry = (states, adapt, buffer, jnp.zeros((), jnp.int32), jnp.zeros(num_chains, jnp.int32))
    steps = _schedule(start, num_warmup, num_samples, thinning)
    (states, adapt, (positions, info), _, warm_steps), _ = jax.lax.scan(body, carry, steps)
    swap = lambda a: jnp.swapaxes(a, 0, 1)
    end = jnp.full((num_chains,), start + steps.iteration.shape[0])
    final = ChainState(states, adapt.step_size, adapt.inverse_mass_matrix, end)
    return RunOutput(swap(positions), jax.tree.map(swap, info), final, warm_steps)


def _start(algo, init_positions, state: ChainState | None, dense_mass: bool, num_warmup: int):
    """Kernel states, adaptation state and first iteration index of a run."""
    if state is not None:
        if num_warmup:
            raise ValueError("a run that continues a state does no warmup: num_warmup=0.")
        positions = state.kernel_state.position
        adapt = jax.vmap(lambda p: adaptation.window_init(p, dense_mass))(positions)
        adapt = adapt._replace(
            step_size=state.step_size, inverse_mass_matrix=state.inverse_mass_matrix
        )
        return state.kernel_state, adapt, jnp.asarray(state.iteration)[0]
    states = jax.vmap(algo.init)(init_positions)
    adapt = jax.vmap(lambda p: adaptation.window_init(p, dense_mass))(init_positions)
    if num_warmup == 0:
        adapt = adapt._replace(step_size=jnp.full_like(adapt.step_size, 0.1))
    return states, adapt, jnp.asarray(0)


def run_sequentially(run_chains: Callable, per_chain_inputs):
    """Call ``run_chains`` (which takes inputs with a leading chain axis) one chain at a
    time with ``lax.map`` (less memory than vectorised chains) and stack the results."""
    out = jax.lax.map(lambda x: run_chains(jax.tree.map(lambda a: a[None], x)), per_chain_inputs)
    return jax.tree.map(lambda a: a.reshape((-1,) + a.shape[2:]), out)


def shard_chains(tree, num_chains: int):
    """Constrain arrays with a leading chain axis to be split over all devices."""
    from jax.sharding import Mesh, NamedSharding, PartitionSpec

    devices = jax.devices()
    if num_chains % len(devices):
        raise ValueError(
            f"chain_method='parallel' splits chains over {len(devices)} devices: "
            f"num_chains={num_chains} must be a multiple of it."
        )
    sharding = NamedSharding(Mesh(np.array(devices), ("chain",)), PartitionSpec("chain"))
    return jax.tree.map(lambda a: jax.lax.with_sharding_constraint(a, sharding), tree)
