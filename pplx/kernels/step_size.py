"""A reasonable first step size: double or halve until one leapfrog step's acceptance
crosses a threshold (Hoffman & Gelman's heuristic, as Stan and NumPyro run it).

Dual averaging shrinks towards ``log(10 * step_size0)`` and takes tens of transitions to
move far from it, so its starting point matters most when a chain starts where the log
density is steep: from step size 1.0 a chain whose first gradients are ~1e6 spends its
first transitions diverging. The search costs one gradient evaluation per doubling or
halving (typically 2-10 from 1.0) and runs at the start of warmup and after each new
mass matrix. Pure and jit/vmap-able; works on one chain.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from pplx.kernels.integrators import IntegratorState, velocity_verlet
from pplx.kernels.metrics import gaussian_euclidean

#: Most doublings or halvings per search: 2**-40 ~ 1e-12 of the starting step size.
MAX_SEARCH_STEPS = 40


def find_reasonable_step_size(
    logdensity_fn: Callable[[jax.Array], jax.Array],
    key: jax.Array,
    position: jax.Array,
    logdensity: jax.Array,
    logdensity_grad: jax.Array,
    inverse_mass_matrix: jax.Array,
    step_size=1.0,
    target_accept: float = 0.8,
    max_steps: int = MAX_SEARCH_STEPS,
) -> tuple[jax.Array, jax.Array]:
    """Double (or halve) ``step_size`` until one leapfrog step's acceptance crosses
    ``target_accept``.

    One momentum is drawn from ``N(0, M)``; the acceptance of a step of size ``e`` is
    ``min(1, exp(H(start) - H(after one step)))``, a NaN energy counting as 0. If the
    first step is accepted more often than ``target_accept`` the size doubles until it is
    not, else it halves until it is (Stan's rule: the returned size is the first one
    past the crossing), at most ``max_steps`` times.

    Args:
        logdensity_fn: ``f[d] -> f[]``.
        key: PRNG key for the momentum.
        position, logdensity, logdensity_grad: the chain's current point.
        inverse_mass_matrix: ``f[d]`` or ``f[d, d]``.
        step_size: where the search starts.
        target_accept: the acceptance threshold (0.8, as Stan and NumPyro).
        max_steps: most doublings or halvings.

    Returns:
        ``(step_size, num_grads)``: the step size and the gradient evaluations spent. A
        start with a non-finite log density returns ``step_size`` unchanged.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> steep = lambda z: -0.5 * jnp.sum((z / 1e-3) ** 2)  # sd 0.001
        >>> z = jnp.full(2, 1e-3)
        >>> eps, n = find_reasonable_step_size(steep, jax.random.key(0), z, steep(z),
        ...                                    jax.grad(steep)(z), jnp.ones(2))
        >>> 1e-4 < float(eps) < 1e-2, int(n) <= 12
        (True, True)
    """
    metric = gaussian_euclidean(inverse_mass_matrix)
    leapfrog = velocity_verlet(logdensity_fn, metric.velocity)
    momentum = metric.sample_momentum(key, position)
    start = IntegratorState(position, momentum, logdensity, logdensity_grad)
    energy0 = -logdensity + metric.kinetic_energy(momentum)
    log_target = math.log(target_accept)
    step_size = jnp.asarray(step_size, position.dtype)

    def accepted(eps):
        new = leapfrog(start, eps)
        delta = energy0 - (-new.logdensity + metric.kinetic_energy(new.momentum))
        return jnp.where(jnp.isnan(delta), -jnp.inf, delta) > log_target

    # one evaluation per loop iteration, the first at ``step_size`` itself: the log
    # density is traced once into the loop body, not a second time before it
    def cond(carry):
        i, _, _, crossed = carry
        return (i <= max_steps) & ~crossed

    def body(carry):
        i, eps, first, _ = carry
        factor = jnp.where(first, 2.0, 0.5).astype(position.dtype)
        eps = jnp.where(i == 0, eps, eps * factor)
        ok = accepted(eps)
        first = jnp.where(i == 0, ok, first)
        return i + 1, eps, first, (i > 0) & (ok != first)

    start_carry = (jnp.int32(0), step_size, jnp.bool_(False), ~jnp.isfinite(energy0))
    num_grads, eps, _, _ = jax.lax.while_loop(cond, body, start_carry)
    return eps, num_grads
