"""A reasonable first step size: double or halve until one leapfrog step's acceptance
crosses a threshold (Hoffman & Gelman's heuristic, as Stan and NumPyro run it).

Dual averaging shrinks towards ``log(10 * step_size0)`` and takes tens of transitions to
move far from it, so its starting point matters most when a chain starts where the log
density is steep: from step size 1.0 a chain whose first gradients are ~1e6 spends its
first transitions diverging. The search costs one gradient evaluation per doubling or
halving (typically 2-10 from 1.0) and runs at the start of warmup and after each new
mass matrix. Pure and jit/vmap-able; works on one chain. The samplers run it as phase 2
of :func:`pplx.kernels.initialize.search_start`, beside the search for a starting point.
"""

from __future__ import annotations

from collections.abc import Callable

import jax

from pplx.kernels.initialize import MAX_SEARCH_STEPS, search_start, start_seeds


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

    One momentum is drawn from ``N(0, M)`` (from ``key``); the acceptance of a step of size ``e`` is
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
    res = search_start(
        logdensity_fn,
        start_seeds(key),
        position,
        logdensity,
        logdensity_grad,
        inverse_mass_matrix,
        step_size,
        start_tries=0,
        search_step_size=True,
        target_accept=target_accept,
        max_steps=max_steps,
    )
    return res.step_size, res.num_grads
