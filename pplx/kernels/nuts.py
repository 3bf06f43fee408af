"""The No-U-Turn Sampler on a flat vector, with ArviZ-named transition statistics.

The trajectory building is BlackJAX's iterative multinomial NUTS; this module adapts it
to pplx's kernel shape and vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from blackjax.mcmc import hmc as bj_hmc
from blackjax.mcmc import nuts as bj_nuts

from pplx.kernels.base import Algorithm


class NUTSState(NamedTuple):
    """Position ``f[d]``, its log density and gradient."""

    position: jax.Array
    logdensity: jax.Array
    logdensity_grad: jax.Array


class NUTSInfo(NamedTuple):
    """Per-transition statistics, named as ArviZ's ``sample_stats`` group."""

    lp: jax.Array
    diverging: jax.Array
    acceptance_rate: jax.Array
    energy: jax.Array
    n_steps: jax.Array
    tree_depth: jax.Array


def nuts(logdensity_fn: Callable[[jax.Array], jax.Array], max_tree_depth: int = 10,
         divergence_threshold: float = 1000.0) -> Algorithm:
    """Build NUTS for ``logdensity_fn``.

    Args:
        logdensity_fn: ``f[d] -> f[]``, the log density to sample.
        max_tree_depth: most doublings of the trajectory (at most 2**depth - 1 steps).
        divergence_threshold: energy error that marks a transition divergent.

    Returns:
        ``Algorithm(init, step)`` with ``step(key, state, step_size, inverse_mass_matrix)``;
        the inverse mass matrix is ``f[d]`` (diagonal) or ``f[d, d]`` (dense).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> algo = nuts(lambda z: -0.5 * jnp.sum(z**2))
        >>> state = algo.init(jnp.zeros(2))
        >>> state, info = algo.step(jax.random.key(0), state, 0.5, jnp.ones(2))
        >>> state.position.shape, bool(info.diverging)
        ((2,), False)
    """
    kernel = bj_nuts.build_kernel(divergence_threshold=divergence_threshold)

    def init(position: jax.Array) -> NUTSState:
        value, grad = jax.value_and_grad(logdensity_fn)(position)
        return NUTSState(position, value, grad)

    def step(key, state: NUTSState, step_size, inverse_mass_matrix):
        bj_state = bj_hmc.HMCState(state.position, state.logdensity, state.logdensity_grad)
        new, info = kernel(key, bj_state, logdensity_fn, step_size, inverse_mass_matrix,
                           max_num_doublings=max_tree_depth)
        out = NUTSState(new.position, new.logdensity, new.logdensity_grad)
        return out, NUTSInfo(
            lp=new.logdensity,
            diverging=info.is_divergent,
            acceptance_rate=info.acceptance_rate,
            energy=info.energy,
            n_steps=jnp.asarray(info.num_integration_steps, jnp.int32),
            tree_depth=jnp.asarray(info.num_trajectory_expansions, jnp.int32),
        )

    return Algorithm(init, step)
