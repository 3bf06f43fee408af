"""The No-U-Turn Sampler on a flat vector, with ArviZ-named transition statistics.

Multinomial NUTS as Stan runs it (biased progressive sampling between subtrees, uniform
within, the generalised U-turn criterion with the checks across subtree joins of Stan
2.26), built iteratively by :mod:`pplx.kernels.trajectory` to keep the compiled program
small.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from pplx.kernels.base import Algorithm
from pplx.kernels.trajectory import nuts_kernel


class NUTSState(NamedTuple):
    """Position ``f[d]``, its log density and gradient."""

    position: jax.Array
    logdensity: jax.Array
    logdensity_grad: jax.Array


class NUTSInfo(NamedTuple):
    """Per-transition statistics, named as ArviZ's ``sample_stats`` group.

    ``n_steps`` counts leapfrog steps (gradient evaluations), ``tree_depth`` the valid
    doublings (Stan's ``treedepth__``), ``energy`` is the Hamiltonian at the chosen state
    and ``acceptance_rate`` Stan's mean Metropolis acceptance over the trajectory.
    """

    lp: jax.Array
    diverging: jax.Array
    acceptance_rate: jax.Array
    energy: jax.Array
    n_steps: jax.Array
    tree_depth: jax.Array


def nuts(
    logdensity_fn: Callable[[jax.Array], jax.Array],
    max_tree_depth: int = 10,
    divergence_threshold: float = 1000.0,
) -> Algorithm:
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
    kernel = nuts_kernel(logdensity_fn, max_tree_depth, divergence_threshold)

    def init(position: jax.Array) -> NUTSState:
        value, grad = jax.value_and_grad(logdensity_fn)(position)
        return NUTSState(position, value, grad)

    def step(key, state: NUTSState, step_size, inverse_mass_matrix):
        new, info = kernel(
            key,
            state.position,
            state.logdensity,
            state.logdensity_grad,
            step_size,
            inverse_mass_matrix,
        )
        return NUTSState(new.position, new.logdensity, new.logdensity_grad), NUTSInfo(
            lp=new.logdensity,
            diverging=info.diverging,
            acceptance_rate=info.acceptance_rate,
            energy=info.energy,
            n_steps=jnp.asarray(info.n_steps, jnp.int32),
            tree_depth=jnp.asarray(info.tree_depth, jnp.int32),
        )

    return Algorithm(init, step)
