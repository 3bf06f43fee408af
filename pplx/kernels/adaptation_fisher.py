"""Nutpie's warmup: a diagonal mass matrix minimising the Fisher divergence, re-estimated
after every transition from a foreground/background pair of running estimators.

The estimate is ``sqrt(var(x) / var(g))`` per coordinate, from the draws ``x`` and their
log-density gradients ``g`` (exact for a Gaussian, and the diagonal preconditioner that
minimises the Fisher divergence between the target and a Gaussian in general: Seyboldt
et al., nutpie). It is computed by :func:`~pplx.kernels.adaptation_grad.draw_grad_inverse_mass`.
What this scheme adds over :mod:`pplx.kernels.adaptation_grad` is nutpie's schedule and
bookkeeping, meant for a short warmup (nutpie's default is 400 transitions):

- the inverse mass diagonal starts at ``1 / |grad|`` of the initial point, and both
  estimators are seeded with that point;
- every warmup transition before the final step-size window feeds its draw to both
  estimators, if the chain moved (a transition that stayed put says nothing new about the
  spread) and the draw and gradient are finite;
- the estimators switch (the background replaces the foreground, a fresh background
  starts) once the background holds ``switch`` draws: 10 in the first 30% of warmup,
  80 after, and never when the next switch would not fit before the final window; so the
  foreground forgets draws older than two windows and the early, still-moving start is
  soon dropped;
- the mass matrix is the foreground's estimate after every transition (once it holds 3
  draws), and frozen for the last 15% of warmup, which tunes only the step size;
- the step size: dual averaging on every transition, restarted from a fresh
  reasonable-step-size search when the first estimate replaces the gradient-based start
  (the drivers run the search at :data:`FIRST_ESTIMATE`), and the averaged iterate at the
  end. During warmup and sampling each transition uses the step size times a uniform
  jitter in ``[1 - JITTER, 1 + JITTER]`` (:func:`jittered`), as nutpie does: a path
  length that varies a little cannot resonate with a period of the target.

All functions are pure and work on one chain; the drivers vmap them over chains.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.kernels.adaptation import (
    DualAveragingState,
    dual_averaging_init,
    dual_averaging_update,
    welford_init,
    welford_update,
)
from pplx.kernels.adaptation_grad import (
    INIT_CLIP,
    MIN_COUNT,
    DrawGradVariance,
    draw_grad_inverse_mass,
)

#: The transition after which the foreground first holds ``MIN_COUNT`` draws (the seed
#: point and two draws) and its estimate first replaces the gradient-based start; the
#: drivers search a reasonable step size right after it.
FIRST_ESTIMATE = MIN_COUNT - 2
#: Relative half-width of the step-size jitter.
JITTER = 0.1
#: Where the step size starts (the search before the first transition starts from it).
INITIAL_STEP_SIZE = 0.1


class FisherAdaptState(NamedTuple):
    """Adaptation state of one chain; ``step_size``/``inverse_mass_matrix`` are current.

    ``last_position`` is the previous draw (to tell whether the chain moved).
    """

    dual_averaging: DualAveragingState
    foreground: DrawGradVariance
    background: DrawGradVariance
    step_size: jax.Array
    inverse_mass_matrix: jax.Array
    last_position: jax.Array


def _empty(num_dims: int, dtype) -> DrawGradVariance:
    return DrawGradVariance(
        welford_init(num_dims, False, dtype), welford_init(num_dims, False, dtype)
    )


def _add(stats: DrawGradVariance, good, position, grad) -> DrawGradVariance:
    new = DrawGradVariance(welford_update(stats.draws, position), welford_update(stats.grads, grad))
    return jax.tree.map(lambda a, b: jnp.where(good, a, b), new, stats)


def fisher_init(
    position: jax.Array, logdensity_grad: jax.Array, step_size=INITIAL_STEP_SIZE
) -> FisherAdaptState:
    """The state before warmup: inverse mass ``1 / |grad|`` (clipped), estimators seeded.

    Example:
        >>> import jax.numpy as jnp
        >>> s = fisher_init(jnp.zeros(3), jnp.array([-100.0, 1.0, 0.0]))
        >>> [round(float(v), 6) for v in s.inverse_mass_matrix], int(s.foreground.draws.count)
        ([0.01, 1.0, 100000000.0], 1)
    """
    dtype = position.dtype
    grad = jnp.where(jnp.isfinite(logdensity_grad), logdensity_grad, 0.0)
    imm = jnp.clip(1.0 / jnp.abs(grad), *INIT_CLIP).astype(dtype)
    ok = jnp.all(jnp.isfinite(position)) & jnp.all(jnp.isfinite(logdensity_grad))
    seeded = _add(_empty(position.shape[-1], dtype), ok, position, logdensity_grad)
    step_size = jnp.asarray(step_size, dtype)
    return FisherAdaptState(
        dual_averaging_init(step_size), seeded, seeded, step_size, imm, position
    )


def fisher_update(
    state: FisherAdaptState,
    stage,
    position: jax.Array,
    logdensity_grad: jax.Array,
    acceptance_rate,
    target: float,
) -> FisherAdaptState:
    """Advance the adaptation by one warmup transition.

    ``stage`` is ``(is_slow, switch_at)`` from :func:`fisher_schedule`: slow transitions
    feed the estimators and set the mass matrix; the estimators switch when the
    background holds ``switch_at`` draws (``0``: no switch allowed here).

    Example:
        >>> import jax.numpy as jnp
        >>> s = fisher_init(jnp.ones(2), -jnp.ones(2) / jnp.array([1.0, 100.0]))
        >>> for x in (0.5, -1.0):
        ...     z = jnp.array([x, 10.0 * x])  # variances 1 and 100: gradients -x, -x / 100
        ...     s = fisher_update(s, (True, 0), z, -z / jnp.array([1.0, 100.0]), 0.8, 0.8)
        >>> [round(float(v), 6) for v in s.inverse_mass_matrix]
        [1.0, 100.0]
    """
    is_slow, switch_at = stage
    da = dual_averaging_update(state.dual_averaging, acceptance_rate, target)
    finite = jnp.all(jnp.isfinite(position)) & jnp.all(jnp.isfinite(logdensity_grad))
    moved = jnp.any(position != state.last_position)
    good = is_slow & finite & moved
    fg = _add(state.foreground, good, position, logdensity_grad)
    bg = _add(state.background, good, position, logdensity_grad)
    switch = is_slow & (switch_at > 0) & (bg.draws.count >= switch_at)
    fresh = _empty(position.shape[-1], position.dtype)
    fg = jax.tree.map(lambda a, b: jnp.where(switch, a, b), bg, fg)
    bg = jax.tree.map(lambda a, b: jnp.where(switch, a, b), fresh, bg)
    use = is_slow & (fg.draws.count >= MIN_COUNT)
    estimate = draw_grad_inverse_mass(fg, state.inverse_mass_matrix)
    imm = jnp.where(use, estimate, state.inverse_mass_matrix)
    return FisherAdaptState(da, fg, bg, jnp.exp(da.log_step_size), imm, position)


def fisher_final(state: FisherAdaptState) -> tuple[jax.Array, jax.Array]:
    """The step size (dual-averaging average) and inverse mass matrix to sample with."""
    da = state.dual_averaging
    step_size = jnp.where(da.step > 0, jnp.exp(da.log_step_size_avg), state.step_size)
    return step_size, state.inverse_mass_matrix


def fisher_schedule(
    num_warmup: int,
    early_fraction: float = 0.3,
    final_fraction: float = 0.15,
    early_switch: int = 10,
    switch: int = 80,
) -> tuple[np.ndarray, np.ndarray]:
    """The warmup schedule: ``is_slow`` (bool) and ``switch_at`` (int) per transition.

    The mass matrix adapts on all but the last ``final_fraction`` of warmup; the
    estimators may switch every ``early_switch`` draws in the first ``early_fraction``,
    every ``switch`` draws after, and not at all where the switch window would end in
    the final step-size window (``switch_at`` 0).

    Example:
        >>> slow, at = fisher_schedule(400)
        >>> int(slow.sum()), int(at[0]), int(at[119]), int(at[120]), int(at[260]), int(at[261])
        (340, 10, 10, 80, 80, 0)
    """
    t = np.arange(num_warmup)
    end_slow = num_warmup - int(final_fraction * num_warmup)
    is_slow = t < end_slow
    freq = np.where(t < int(early_fraction * num_warmup), early_switch, switch)
    switch_at = np.where(is_slow & (t + freq <= end_slow), freq, 0).astype(np.int32)
    return is_slow, switch_at


def jittered(key: jax.Array, step_size: jax.Array, jitter: float = JITTER) -> jax.Array:
    """``step_size`` times a uniform draw from ``[1 - jitter, 1 + jitter]``.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> e = jittered(jax.random.key(0), jnp.asarray(0.5))
        >>> 0.45 <= float(e) <= 0.55
        True
    """
    u = jax.random.uniform(key, (), step_size.dtype, 1.0 - jitter, 1.0 + jitter)
    return step_size * u
