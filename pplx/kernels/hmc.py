"""Hamiltonian Monte Carlo with a fixed or jittered number of leapfrog steps.

Same shape as NUTS: ``step(key, state, step_size, inverse_mass_matrix)``, with the
inverse mass matrix ``f[d]`` (diagonal) or ``f[d, d]`` (dense).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from pplx.kernels.base import Algorithm
from pplx.kernels.integrators import IntegratorState, velocity_verlet
from pplx.kernels.metrics import gaussian_euclidean


class HMCState(NamedTuple):
    """Position ``f[d]``, its log density and gradient."""

    position: jax.Array
    logdensity: jax.Array
    logdensity_grad: jax.Array


class HMCInfo(NamedTuple):
    """Per-transition statistics, named as ArviZ's ``sample_stats`` group."""

    lp: jax.Array
    diverging: jax.Array
    acceptance_rate: jax.Array
    energy: jax.Array
    n_steps: jax.Array


def _init(logdensity_fn: Callable) -> Callable:
    def init(position: jax.Array) -> HMCState:
        value, grad = jax.value_and_grad(logdensity_fn)(position)
        return HMCState(position, value, grad)

    return init


def _transition(logdensity_fn: Callable, divergence_threshold: float) -> Callable:
    """``transition(key, state, step_size, inverse_mass_matrix, num_steps)``."""

    def transition(key, state: HMCState, step_size, inverse_mass_matrix, num_steps):
        metric = gaussian_euclidean(inverse_mass_matrix)
        leapfrog = velocity_verlet(logdensity_fn, metric.velocity)
        key_momentum, key_accept = jax.random.split(key)
        momentum = metric.sample_momentum(key_momentum, state.position)
        start = IntegratorState(state.position, momentum, state.logdensity, state.logdensity_grad)
        step_size = jnp.asarray(step_size, state.position.dtype)
        end = jax.lax.fori_loop(0, num_steps, lambda _, s: leapfrog(s, step_size), start)
        energy0 = -start.logdensity + metric.kinetic_energy(start.momentum)
        energy1 = -end.logdensity + metric.kinetic_energy(end.momentum)
        energy1 = jnp.where(jnp.isnan(energy1), jnp.inf, energy1)
        delta = energy1 - energy0
        log_uniform = jnp.log(jax.random.uniform(key_accept, (), energy0.dtype))
        accept = log_uniform < -delta
        new = HMCState(
            *(
                jnp.where(accept, a, b)
                for a, b in zip(
                    (end.position, end.logdensity, end.logdensity_grad), state, strict=True
                )
            )
        )
        return new, HMCInfo(
            lp=new.logdensity,
            diverging=delta > divergence_threshold,
            acceptance_rate=jnp.exp(jnp.minimum(-delta, 0.0)),
            energy=jnp.where(accept, energy1, energy0),
            n_steps=jnp.asarray(num_steps, jnp.int32),
        )

    return transition


def hmc(
    logdensity_fn: Callable[[jax.Array], jax.Array],
    num_integration_steps: int,
    divergence_threshold: float = 1000.0,
) -> Algorithm:
    """HMC with a static path: ``num_integration_steps`` leapfrog steps per transition.

    Args:
        logdensity_fn: ``f[d] -> f[]``, the log density to sample.
        num_integration_steps: leapfrog steps (gradient evaluations) per transition.
        divergence_threshold: energy error that marks a transition divergent.

    Returns:
        ``Algorithm(init, step)`` with ``step(key, state, step_size, inverse_mass_matrix)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> algo = hmc(lambda z: -0.5 * jnp.sum(z**2), num_integration_steps=5)
        >>> state = algo.init(jnp.zeros(2))
        >>> state, info = algo.step(jax.random.key(0), state, 0.3, jnp.ones(2))
        >>> int(info.n_steps), bool(info.diverging)
        (5, False)
    """
    transition = _transition(logdensity_fn, divergence_threshold)

    def step(key, state: HMCState, step_size, inverse_mass_matrix):
        return transition(key, state, step_size, inverse_mass_matrix, num_integration_steps)

    return Algorithm(_init(logdensity_fn), step)


def jittered_hmc(
    logdensity_fn: Callable[[jax.Array], jax.Array],
    num_integration_steps: int,
    jitter: float = 0.5,
    divergence_threshold: float = 1000.0,
) -> Algorithm:
    """HMC whose path length is drawn afresh each transition.

    The number of leapfrog steps is uniform on the integers of
    ``[(1 - jitter) L, (1 + jitter) L]`` (at least 1) with ``L = num_integration_steps``,
    which breaks the resonances a fixed path length can have with periodic targets.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> algo = jittered_hmc(lambda z: -0.5 * jnp.sum(z**2), num_integration_steps=10)
        >>> _, info = algo.step(jax.random.key(0), algo.init(jnp.zeros(2)), 0.3, jnp.ones(2))
        >>> 5 <= int(info.n_steps) <= 15
        True
    """
    low = max(1, round((1.0 - jitter) * num_integration_steps))
    high = max(low, round((1.0 + jitter) * num_integration_steps))
    transition = _transition(logdensity_fn, divergence_threshold)

    def step(key, state: HMCState, step_size, inverse_mass_matrix):
        key_length, key_step = jax.random.split(key)
        num_steps = jax.random.randint(key_length, (), low, high + 1)
        return transition(key_step, state, step_size, inverse_mass_matrix, num_steps)

    return Algorithm(_init(logdensity_fn), step)
