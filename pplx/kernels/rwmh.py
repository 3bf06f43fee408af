"""Random-walk Metropolis on ``f[d]`` and discrete Metropolis on integer vectors.

Both are gradient-free: they need only ``logdensity_fn``. The Gaussian random walk has a
``scale`` argument (a scalar or ``f[d]``) that :func:`scale_adapt_update` tunes during
warmup towards an acceptance rate between the high-dimensional optimum (0.234) and the
one-dimensional one (0.44). The discrete kernel sweeps the components in a fixed order,
proposing ``x_i +- j`` with ``j`` uniform in ``1..max_jump`` (a symmetric proposal).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp

from pplx.kernels.base import Algorithm


class RWMHState(NamedTuple):
    """Position and its log density."""

    position: jax.Array
    logdensity: jax.Array


class RWMHInfo(NamedTuple):
    """``acceptance_rate`` is the Metropolis probability ``min(1, p(x') / p(x))`` (mean over
    components for the discrete sweep); ``lp`` the log density after the step."""

    acceptance_rate: jax.Array
    is_accepted: jax.Array
    lp: jax.Array


class ScaleAdaptState(NamedTuple):
    """Robbins-Monro state of the log proposal scale."""

    log_scale: jax.Array
    count: jax.Array


def _safe(logdensity):
    return jnp.where(jnp.isnan(logdensity), -jnp.inf, logdensity)


def _accept_prob(new_lp, old_lp):
    return jnp.exp(jnp.minimum(_safe(new_lp) - old_lp, 0.0))


def rwmh(logdensity_fn: Callable[[jax.Array], jax.Array]) -> Algorithm:
    """Random-walk Metropolis with a Gaussian proposal ``x + scale * N(0, I)``.

    Returns:
        ``Algorithm(init, step)`` with ``step(key, state, scale)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> algo = rwmh(lambda x: -0.5 * jnp.sum(x**2))
        >>> state, info = algo.step(jax.random.key(0), algo.init(jnp.zeros(2)), 0.5)
        >>> state.position.shape, 0.0 <= float(info.acceptance_rate) <= 1.0
        ((2,), True)
    """

    def init(position: jax.Array) -> RWMHState:
        return RWMHState(position, _safe(logdensity_fn(position)))

    def step(key, state: RWMHState, scale):
        k_prop, k_acc = jax.random.split(key)
        noise = jax.random.normal(k_prop, state.position.shape, state.position.dtype)
        proposal = state.position + scale * noise
        new_lp = _safe(logdensity_fn(proposal))
        prob = _accept_prob(new_lp, state.logdensity)
        accept = jax.random.uniform(k_acc, dtype=prob.dtype) < prob
        position = jnp.where(accept, proposal, state.position)
        lp = jnp.where(accept, new_lp, state.logdensity)
        return RWMHState(position, lp), RWMHInfo(acceptance_rate=prob, is_accepted=accept, lp=lp)

    return Algorithm(init, step)


def discrete_metropolis(
    logdensity_fn: Callable[[jax.Array], jax.Array], max_jump: int = 1
) -> Algorithm:
    """Metropolis for an integer vector, one component at a time in a fixed order.

    Each component proposes ``x_i + s * j`` with a random sign ``s`` and ``j`` uniform in
    ``1..max_jump``; the proposal is symmetric, so the acceptance ratio is the density
    ratio. Values outside the support must have log density ``-inf`` (or NaN).

    Returns:
        ``Algorithm(init, step)`` with ``step(key, state)``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> algo = discrete_metropolis(lambda x: -0.5 * jnp.sum(x**2.0))
        >>> state, info = algo.step(jax.random.key(0), algo.init(jnp.array([3, -2])))
        >>> state.position.dtype == jnp.array([3]).dtype
        True
    """
    if int(max_jump) < 1:
        raise ValueError(f"max_jump must be a positive int, got {max_jump!r}.")

    def init(position: jax.Array) -> RWMHState:
        return RWMHState(position, _safe(logdensity_fn(position)))

    def step(key, state: RWMHState):
        n = state.position.shape[0]

        def update(i, carry):
            x, lp, total_prob, accepted = carry
            k_jump, k_sign, k_acc = jax.random.split(jax.random.fold_in(key, i), 3)
            jump = jax.random.randint(k_jump, (), 1, int(max_jump) + 1)
            sign = jnp.where(jax.random.bernoulli(k_sign), 1, -1)
            proposal = x.at[i].add((sign * jump).astype(x.dtype))
            new_lp = _safe(logdensity_fn(proposal))
            prob = _accept_prob(new_lp, lp)
            accept = jax.random.uniform(k_acc, dtype=prob.dtype) < prob
            x = jnp.where(accept, proposal, x)
            lp = jnp.where(accept, new_lp, lp)
            return x, lp, total_prob + prob, accepted + accept

        zero = jnp.zeros((), state.logdensity.dtype)
        x, lp, total, accepted = jax.lax.fori_loop(
            0, n, update, (state.position, state.logdensity, zero, jnp.zeros((), jnp.int32))
        )
        info = RWMHInfo(acceptance_rate=total / max(n, 1), is_accepted=accepted > 0, lp=lp)
        return RWMHState(x, lp), info

    return Algorithm(init, step)


def scale_adapt_init(scale) -> ScaleAdaptState:
    """Start the adaptation at ``scale``."""
    scale = jnp.asarray(scale, dtype=jnp.result_type(float))
    return ScaleAdaptState(jnp.log(scale), jnp.zeros((), scale.dtype))


def scale_adapt_update(
    state: ScaleAdaptState, acceptance_rate, target: float = 0.3, decay: float = 0.6
) -> ScaleAdaptState:
    """One Robbins-Monro step: ``log scale += (accept - target) / (t + 1) ** decay``.

    Example:
        >>> s = scale_adapt_update(scale_adapt_init(1.0), acceptance_rate=1.0)
        >>> bool(jnp.exp(s.log_scale) > 1.0)
        True
    """
    rate = jnp.where(jnp.isfinite(acceptance_rate), acceptance_rate, 0.0)
    count = state.count + 1.0
    return ScaleAdaptState(state.log_scale + (rate - target) / count**decay, count)
