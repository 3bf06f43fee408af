"""Stan's window adaptation: dual averaging of the step size and Welford estimates of the
(diagonal or dense) inverse mass matrix over doubling slow windows.

All functions are pure; the schedule is computed in Python (it is static) and fed to
``lax.scan`` as arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class DualAveragingState(NamedTuple):
    log_step_size: jax.Array
    log_step_size_avg: jax.Array
    step: jax.Array
    avg_error: jax.Array
    mu: jax.Array


class WelfordState(NamedTuple):
    mean: jax.Array
    m2: jax.Array
    count: jax.Array


class WindowState(NamedTuple):
    """Adaptation state of one chain; ``step_size``/``inverse_mass_matrix`` are current."""

    dual_averaging: DualAveragingState
    welford: WelfordState
    step_size: jax.Array
    inverse_mass_matrix: jax.Array


def dual_averaging_init(step_size) -> DualAveragingState:
    log_step = jnp.log(step_size)
    zero = jnp.zeros_like(log_step)
    return DualAveragingState(log_step, zero, zero, zero, jnp.log(10.0) + log_step)


def dual_averaging_update(
    state: DualAveragingState,
    acceptance_rate,
    target: float,
    gamma: float = 0.05,
    t0: float = 10.0,
    kappa: float = 0.75,
) -> DualAveragingState:
    """One Nesterov dual-averaging step towards ``target`` acceptance (Hoffman & Gelman)."""
    t = state.step + 1.0
    acceptance_rate = jnp.where(jnp.isfinite(acceptance_rate), acceptance_rate, 0.0)
    weight = 1.0 / (t + t0)
    avg_error = (1.0 - weight) * state.avg_error + weight * (target - acceptance_rate)
    log_step = state.mu - jnp.sqrt(t) / gamma * avg_error
    eta = t ** (-kappa)
    log_avg = eta * log_step + (1.0 - eta) * state.log_step_size_avg
    return DualAveragingState(log_step, log_avg, t, avg_error, state.mu)


def welford_init(num_dims: int, dense: bool, dtype) -> WelfordState:
    m2 = jnp.zeros((num_dims, num_dims) if dense else (num_dims,), dtype)
    return WelfordState(jnp.zeros((num_dims,), dtype), m2, jnp.zeros((), dtype))


def welford_update(state: WelfordState, x: jax.Array) -> WelfordState:
    count = state.count + 1.0
    delta = x - state.mean
    mean = state.mean + delta / count
    if state.m2.ndim == 2:
        m2 = state.m2 + jnp.outer(x - mean, delta)
    else:
        m2 = state.m2 + (x - mean) * delta
    return WelfordState(mean, m2, count)


def welford_inverse_mass(state: WelfordState) -> jax.Array:
    """Stan's regularised covariance: shrink towards 1e-3 with weight 5 / (n + 5)."""
    n = state.count
    cov = state.m2 / jnp.maximum(n - 1.0, 1.0)
    shrink = 5.0 / (n + 5.0)
    if cov.ndim == 2:
        eye = jnp.eye(cov.shape[0], dtype=cov.dtype)
        return (1.0 - shrink) * cov + shrink * 1e-3 * eye
    return (1.0 - shrink) * cov + shrink * 1e-3


def window_init(position: jax.Array, dense: bool, step_size=1.0) -> WindowState:
    d = position.shape[-1]
    dtype = position.dtype
    imm = jnp.eye(d, dtype=dtype) if dense else jnp.ones((d,), dtype)
    step_size = jnp.asarray(step_size, dtype)
    return WindowState(
        dual_averaging_init(step_size), welford_init(d, dense, dtype), step_size, imm
    )


def window_update(
    state: WindowState, stage, position, acceptance_rate, target: float
) -> WindowState:
    """Advance the adaptation by one transition.

    ``stage`` is ``(is_slow, ends_window)``: slow steps feed Welford; at the end of a slow
    window the mass matrix is replaced by the estimate and dual averaging restarts.
    """
    is_slow, ends_window = stage
    da = dual_averaging_update(state.dual_averaging, acceptance_rate, target)
    welford = jax.lax.cond(is_slow, welford_update, lambda s, _: s, state.welford, position)
    state = WindowState(da, welford, jnp.exp(da.log_step_size), state.inverse_mass_matrix)
    return jax.lax.cond(ends_window, _end_slow_window, lambda s: s, state)


def _end_slow_window(state: WindowState) -> WindowState:
    imm = welford_inverse_mass(state.welford)
    d = imm.shape[0]
    welford = welford_init(d, imm.ndim == 2, imm.dtype)
    # restart from the averaged step size, not the last (noisy) iterate
    step_size = jnp.exp(state.dual_averaging.log_step_size_avg)
    return WindowState(dual_averaging_init(step_size), welford, step_size, imm)


def window_final(state: WindowState) -> tuple[jax.Array, jax.Array]:
    """The step size (dual-averaging average) and inverse mass matrix to sample with."""
    return jnp.exp(state.dual_averaging.log_step_size_avg), state.inverse_mass_matrix


def window_schedule(
    num_warmup: int, init_buffer: int = 75, term_buffer: int = 50, base_window: int = 25
) -> tuple[np.ndarray, np.ndarray]:
    """Stan's warmup schedule as two boolean arrays: ``is_slow`` and ``ends_window``.

    Example:
        >>> slow, ends = window_schedule(1000)
        >>> int(slow.sum()), [int(i) for i in np.flatnonzero(ends)]
        (875, [99, 149, 249, 449, 949])
    """
    is_slow = np.zeros(num_warmup, bool)
    ends = np.zeros(num_warmup, bool)
    if num_warmup < 20:
        return is_slow, ends
    if init_buffer + base_window + term_buffer > num_warmup:
        init_buffer = int(0.15 * num_warmup)
        term_buffer = int(0.1 * num_warmup)
        base_window = num_warmup - init_buffer - term_buffer
    end_slow = num_warmup - term_buffer
    start, size = init_buffer, base_window
    while start < end_slow:
        stop = start + size
        if stop + 2 * size > end_slow:  # the next window would not fit: stretch this one
            stop = end_slow
        is_slow[start:stop] = True
        ends[stop - 1] = True
        start, size = stop, 2 * size
    return is_slow, ends
