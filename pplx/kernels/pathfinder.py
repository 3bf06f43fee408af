"""Pathfinder (Zhang et al. 2022) on a flat log density, delegated to BlackJAX.

L-BFGS runs from a starting point; at every iterate the inverse-Hessian factors give a
Gaussian, and the one with the largest ELBO is kept. Its draws are good starting points
for NUTS: near the bulk of the posterior, with roughly the right spread. Single-path and
pure, so several paths are a ``jax.vmap`` over starting points and keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
from blackjax.vi import pathfinder as _bj_pathfinder


class PathfinderResult(NamedTuple):
    """Draws of the best Gaussian along the path and what it was judged by.

    Attributes:
        draws: ``(num_draws, d)`` draws of the chosen approximation.
        logq: the approximation's log density at each draw.
        position: the L-BFGS iterate the approximation is centred on.
        elbo: its estimated ELBO.
    """

    draws: jax.Array
    logq: jax.Array
    position: jax.Array
    elbo: jax.Array


def pathfinder(key: jax.Array, logdensity_fn: Callable, position: jax.Array, *,
               num_draws: int = 1, num_elbo_samples: int = 100,
               maxiter: int = 30) -> PathfinderResult:
    """Single-path Pathfinder from ``position``; ``num_draws`` draws of its best Gaussian.

    Args:
        key: PRNG key.
        logdensity_fn: ``f[d] -> f[]``.
        position: starting point ``f[d]``.
        num_draws: draws returned from the chosen approximation.
        num_elbo_samples: Monte Carlo draws per ELBO estimate along the path.
        maxiter: most L-BFGS iterations.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> res = pathfinder(jax.random.key(0), lambda z: -0.5 * jnp.sum((z - 1.0) ** 2),
        ...                  jnp.zeros(2), num_draws=4)
        >>> res.draws.shape, bool(jnp.allclose(res.position, 1.0, atol=1e-3))
        ((4, 2), True)
    """
    path_key, draw_key = jax.random.split(key)
    state, _ = _bj_pathfinder.approximate(path_key, logdensity_fn, jnp.asarray(position),
                                          num_samples=num_elbo_samples, maxiter=maxiter)
    draws, logq = _bj_pathfinder.sample(draw_key, state, num_draws)
    return PathfinderResult(draws=draws, logq=logq, position=state.position, elbo=state.elbo)
