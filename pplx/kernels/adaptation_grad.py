"""Gradient-based diagonal mass-matrix adaptation, in the spirit of nutpie.

For a Gaussian target with diagonal covariance ``diag(s)``, the gradient of the log
density ``g = -(x - m) / s`` has variance ``1 / s``, so ``sqrt(var(x) / var(g)) = s``: the
ratio recovers the draw variance, but uses the information in the gradients too. For any
target, ``sqrt(var(x) / var(g))`` is the diagonal preconditioner minimising the Fisher
divergence between the target and a Gaussian (Seyboldt et al., nutpie), and it is a good
estimate from tens of draws where the plain draw variance needs hundreds.

The schedule (static, computed in Python; see :func:`grad_schedule`):

- the inverse mass matrix starts as ``1 / |grad|`` at the initial point (clipped);
- two running estimators of ``var(x)`` and ``var(g)``, a *foreground* and a *background*,
  both fed every finite draw of the slow phase; at the end of each
  window the foreground is replaced by the background and the background starts afresh,
  so the foreground always holds the most recent one to two windows of draws. Windows
  are short at first (10 draws) and double, so the mass matrix follows the chain while
  it settles and then averages over more and more draws;
- the mass matrix is updated after every slow transition from the foreground (once it
  holds 3 draws), and frozen for the last 15% of warmup, which tunes only the step size.

The step size is tuned by dual averaging throughout. It is restarted twice: when the
first estimate replaces the gradient-based start (the largest change of the mass matrix,
often orders of magnitude), and when the mass matrix is frozen, so that the final step
size (the dual-averaging average) is an average over iterates that all used the final
mass matrix. In between, the mass matrix changes a little at each step and dual averaging
follows it (its iterate moves by ``~20 / sqrt(t)`` times the acceptance error per step);
restarting it at every window would keep it in its exploratory phase for most of warmup.

Draws of divergent transitions are used (unlike nutpie, which skips them): they are
draws of the chain like any other, and skipping them hides the regions where the
integrator struggles from the estimate. On gp_pois_regr (``bench/adaptation_study.py``,
three seeds) skipping them left a chain of one run stuck (R-hat 1.19) and 330 divergences
in all; using them, R-hat at most 1.003 and 136 divergences (Stan's windows: 27).

All functions are pure and work on one chain; the drivers vmap them over chains.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.kernels.adaptation import (
    DualAveragingState,
    WelfordState,
    dual_averaging_init,
    dual_averaging_update,
    welford_init,
    welford_update,
)

#: Bounds of the inverse mass matrix diagonal (as nutpie, but tighter at the start, where
#: one gradient is a rough guess and a zero gradient would give an infinite variance).
INIT_CLIP = (1e-8, 1e8)
CLIP = (1e-20, 1e20)
#: Draws the foreground needs before its estimate replaces the current mass matrix.
MIN_COUNT = 3


class DrawGradVariance(NamedTuple):
    """Running (Welford) mean and variance of the draws and of their gradients."""

    draws: WelfordState
    grads: WelfordState


class GradAdaptState(NamedTuple):
    """Adaptation state of one chain; ``step_size``/``inverse_mass_matrix`` are current.

    ``phase`` is 0 while the mass matrix is the gradient-based start, 1 once estimated
    from draws, 2 once frozen (final step-size window).
    """

    dual_averaging: DualAveragingState
    foreground: DrawGradVariance
    background: DrawGradVariance
    step_size: jax.Array
    inverse_mass_matrix: jax.Array
    phase: jax.Array


def _empty(num_dims: int, dtype) -> DrawGradVariance:
    return DrawGradVariance(
        welford_init(num_dims, False, dtype), welford_init(num_dims, False, dtype)
    )


def grad_init(position: jax.Array, logdensity_grad: jax.Array, step_size=1.0) -> GradAdaptState:
    """The state before warmup: inverse mass diagonal ``1 / |grad|`` at the start, clipped.

    Example:
        >>> import jax.numpy as jnp
        >>> s = grad_init(jnp.zeros(3), jnp.array([-100.0, 1.0, 0.0]))
        >>> [float(v) for v in s.inverse_mass_matrix]
        [0.01, 1.0, 100000000.0]
    """
    dtype = position.dtype
    grad = jnp.where(jnp.isfinite(logdensity_grad), logdensity_grad, 0.0)
    imm = jnp.clip(1.0 / jnp.abs(grad), *INIT_CLIP).astype(dtype)
    step_size = jnp.asarray(step_size, dtype)
    empty = _empty(position.shape[-1], dtype)
    phase = jnp.zeros((), jnp.int32)
    return GradAdaptState(dual_averaging_init(step_size), empty, empty, step_size, imm, phase)


def draw_grad_inverse_mass(stats: DrawGradVariance, current: jax.Array) -> jax.Array:
    """``sqrt(var(x) / var(g))`` per component; ``current`` where either variance is 0.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> from pplx.kernels.adaptation import welford_init, welford_update
        >>> x = 3.0 * jax.random.normal(jax.random.key(0), (4000, 2))  # variance 9
        >>> stats = DrawGradVariance(welford_init(2, False, x.dtype),
        ...                          welford_init(2, False, x.dtype))
        >>> for row in x[:200]:  # a Gaussian's gradient is -x / 9
        ...     stats = DrawGradVariance(welford_update(stats.draws, row),
        ...                              welford_update(stats.grads, -row / 9.0))
        >>> [round(float(v), 3) for v in draw_grad_inverse_mass(stats, jnp.ones(2))]
        [9.0, 9.0]
    """
    # the Welford normalisations are equal (same count) and cancel in the ratio
    ratio = jnp.sqrt(stats.draws.m2 / stats.grads.m2)
    ok = jnp.isfinite(ratio) & (stats.draws.m2 > 0) & (stats.grads.m2 > 0)
    return jnp.where(ok, jnp.clip(ratio, *CLIP), current)


def _observe(state: GradAdaptState, good, position, logdensity_grad, switch) -> GradAdaptState:
    """Feed a draw to both estimators (if ``good``), then switch them (if ``switch``)."""

    def add(stats: DrawGradVariance) -> DrawGradVariance:
        new = DrawGradVariance(
            welford_update(stats.draws, position), welford_update(stats.grads, logdensity_grad)
        )
        return jax.tree.map(lambda a, b: jnp.where(good, a, b), new, stats)

    fg, bg = add(state.foreground), add(state.background)
    fresh = _empty(position.shape[-1], position.dtype)
    fg = jax.tree.map(lambda a, b: jnp.where(switch, a, b), bg, fg)
    bg = jax.tree.map(lambda a, b: jnp.where(switch, a, b), fresh, bg)
    return state._replace(foreground=fg, background=bg)


def grad_update(
    state: GradAdaptState,
    stage,
    position: jax.Array,
    logdensity_grad: jax.Array,
    acceptance_rate,
    target: float,
) -> GradAdaptState:
    """Advance the adaptation by one warmup transition.

    ``stage`` is ``(is_slow, ends_window)`` from :func:`grad_schedule`: slow steps feed
    the estimators and update the mass matrix; ``ends_window`` switches the estimators.

    Example:
        >>> import jax.numpy as jnp
        >>> s = grad_init(jnp.ones(2), -jnp.ones(2))
        >>> for x in (0.5, -1.0, 2.0):
        ...     z = jnp.array([x, 10.0 * x])  # variances 1 and 100: gradients -x, -x / 100
        ...     s = grad_update(s, (True, False), z, -z / jnp.array([1.0, 100.0]), 0.8, 0.8)
        >>> [round(float(v), 6) for v in s.inverse_mass_matrix], int(s.phase)
        ([1.0, 100.0], 1)
    """
    is_slow, ends_window = stage
    da = dual_averaging_update(state.dual_averaging, acceptance_rate, target)
    finite = jnp.all(jnp.isfinite(position)) & jnp.all(jnp.isfinite(logdensity_grad))
    good = is_slow & finite
    state = _observe(state, good, position, logdensity_grad, is_slow & ends_window)
    use = is_slow & (state.foreground.draws.count >= MIN_COUNT)
    estimate = draw_grad_inverse_mass(state.foreground, state.inverse_mass_matrix)
    imm = jnp.where(use, estimate, state.inverse_mass_matrix)
    phase = jnp.where(is_slow, jnp.where(use, 1, state.phase), 2).astype(jnp.int32)
    step_size = jnp.exp(da.log_step_size)
    # restart dual averaging at the first estimate and when the mass matrix freezes
    restart = (phase != state.phase) & (phase > 0)
    da = jax.tree.map(lambda a, b: jnp.where(restart, a, b), dual_averaging_init(step_size), da)
    return state._replace(
        dual_averaging=da, step_size=step_size, inverse_mass_matrix=imm, phase=phase
    )


def grad_final(state: GradAdaptState) -> tuple[jax.Array, jax.Array]:
    """The step size (dual-averaging average) and inverse mass matrix to sample with.

    Right after a restart (no averaged iterate yet) the current step size is returned.
    """
    da = state.dual_averaging
    step_size = jnp.where(da.step > 0, jnp.exp(da.log_step_size_avg), state.step_size)
    return step_size, state.inverse_mass_matrix


def grad_schedule(
    num_warmup: int,
    first_window: int = 10,
    growth: float = 2.0,
    final_fraction: float = 0.15,
) -> tuple[np.ndarray, np.ndarray]:
    """The warmup schedule as two boolean arrays: ``is_slow`` and ``ends_window``.

    Slow (mass-matrix) steps are all but the last ``final_fraction`` of warmup; windows
    start at ``first_window`` draws and grow by ``growth``; the last one is stretched to
    the end of the slow phase rather than left shorter than the one before.

    Example:
        >>> slow, ends = grad_schedule(1000)
        >>> int(slow.sum()), [int(i) for i in np.flatnonzero(ends)]
        (850, [9, 29, 69, 149, 309, 849])
    """
    is_slow = np.zeros(num_warmup, bool)
    ends = np.zeros(num_warmup, bool)
    end_slow = num_warmup - int(final_fraction * num_warmup)
    if num_warmup < 20:
        return is_slow, ends
    is_slow[:end_slow] = True
    start, size = 0, float(first_window)
    while start < end_slow:
        stop = start + int(size)
        if stop + int(size * growth) > end_slow:  # the next window would not fit
            stop = end_slow
        ends[stop - 1] = True
        start, size = stop, size * growth
    return is_slow, ends
