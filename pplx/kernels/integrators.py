"""Symplectic integration of Hamiltonian dynamics on a flat position vector.

The integrator state carries the log density and its gradient at the position, so a
step reuses the gradient it starts from and costs exactly one gradient evaluation.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax


class IntegratorState(NamedTuple):
    """A point in phase space: position and momentum ``f[d]``, log density and gradient."""

    position: jax.Array
    momentum: jax.Array
    logdensity: jax.Array
    logdensity_grad: jax.Array


def velocity_verlet(
    logdensity_fn: Callable[[jax.Array], jax.Array], velocity_fn: Callable[[jax.Array], jax.Array]
) -> Callable:
    """Build the velocity Verlet (leapfrog) step for ``logdensity_fn``.

    Args:
        logdensity_fn: ``f[d] -> f[]``; the potential energy is its negative.
        velocity_fn: momentum to velocity, ``M^{-1} p`` for the Euclidean metric.

    Returns:
        ``step(state, step_size) -> state``; a negative step size integrates backwards
        in time (the momentum keeps its forward-time sign, as NUTS needs).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> logdensity = lambda z: -0.5 * jnp.sum(z**2)
        >>> step = velocity_verlet(logdensity, lambda p: p)
        >>> z = jnp.ones(2)
        >>> s = IntegratorState(z, jnp.zeros(2), logdensity(z), jax.grad(logdensity)(z))
        >>> back = step(step(s, 0.1), -0.1)
        >>> bool(jnp.allclose(back.position, z))
        True
    """
    value_and_grad = jax.value_and_grad(logdensity_fn)

    def step(state: IntegratorState, step_size) -> IntegratorState:
        half = 0.5 * step_size
        momentum = state.momentum + half * state.logdensity_grad
        position = state.position + step_size * velocity_fn(momentum)
        logdensity, grad = value_and_grad(position)
        momentum = momentum + half * grad
        return IntegratorState(position, momentum, logdensity, grad)

    return step
