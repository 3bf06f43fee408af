"""Stan's window adaptation with a per-chain early end: warmup stops once the mass matrix
has settled.

Stan's schedule doubles its slow windows (25, 50, 100, 200, 500 draws for 1000 warmup
transitions) whatever the target: a chain whose mass-matrix estimate stopped changing
after 150 draws still runs the remaining 700 slow transitions. Here each chain compares
every new estimate ``v`` with the one before, ``u`` (diagonals; of a dense matrix, its
diagonal), by the spread of the change in the scales they imply,

    change = std_i(log sqrt(v_i / u_i)),

and once ``change < tolerance`` the chain stops collecting slow draws, runs one last
fast window of ``final_window`` transitions that tunes only the step size (Stan's
terminal buffer), and is then done: the drivers skip its remaining warmup transitions,
so a chain that settles early spends no gradients on them. A common factor in the mass
matrix is absorbed by the step size, so only the change of its shape counts; the spread
is a standard deviation over the elements (not their range), so the test means the
same whatever the dimension. For an estimate from ``n`` independent draws the log
variance has a standard error of about ``sqrt(2 / n)``, so two estimates from 100 and
200 draws that agree up to noise give ``change`` near 0.09: the default tolerance 0.1
ends warmup after the 200-draw window (500 transitions of 1000) on a well-mixing
target, and waits while the chain is still moving (its estimates then differ by far
more than noise).

The first estimate is never compared (it replaces the unit start). Sampling begins for
all chains at the same transition (``num_warmup``), so the draws of every chain keep
their slots and everything that cuts a run into segments works unchanged.

All functions are pure and work on one chain; the drivers vmap them over chains.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from pplx.kernels import adaptation as stan


class Settled(NamedTuple):
    """Stan's window adaptation whose warmup ends per chain once the mass matrix settled.

    Pass it as ``adaptation=`` to :func:`pplx.nuts` (and the other NUTS/HMC drivers).
    ``num_warmup`` becomes the most warmup transitions a chain may use; each chain's
    count is in the InferenceData's ``posterior.attrs["warmup_draws"]`` (and
    :func:`pplx.infer.nuts_run`'s ``warmup_stats["draws"]``).

    Attributes:
        tolerance: a new mass-matrix estimate whose scales differ from the previous
            estimate's by less than this (standard deviation over the elements of the
            log ratio, a common factor removed; 0.1 is about 10%) ends the slow phase
            of that chain. Larger ends warmup sooner; must be > 0.
        final_window: transitions that tune only the step size after the mass matrix
            settled (Stan's terminal buffer is 50).

    Example:
        >>> import pplx
        >>> pplx.Settled(tolerance=0.05).check()
        Settled(tolerance=0.05, final_window=50)
    """

    tolerance: float = 0.1
    final_window: int = 50

    def check(self) -> Settled:
        """Raise ``ValueError`` (or ``TypeError``) for settings that cannot work; return self."""
        tol = self.tolerance
        if isinstance(tol, bool) or not isinstance(tol, int | float):
            raise TypeError(f"Settled(tolerance=...) must be a number > 0, got {tol!r}.")
        if not math.isfinite(tol) or tol <= 0.0:
            raise ValueError(
                f"Settled(tolerance={tol!r}) must be a finite number > 0 (0.1, the "
                "default, is about a 10% change of the scales; 0.05 waits for closer "
                "agreement)."
            )
        window = self.final_window
        if isinstance(window, bool) or not isinstance(window, int) or window < 1:
            raise ValueError(
                f"Settled(final_window={window!r}) must be an int >= 1 (50 is Stan's)."
            )
        return self


class SettlingState(NamedTuple):
    """Stan's window state of one chain and how far its early end has come.

    ``final_left`` is -1 while the chain follows the schedule, then the transitions left
    in its final window; 0 means done. ``warmup_draws`` counts its warmup transitions.
    """

    dual_averaging: stan.DualAveragingState
    welford: stan.WelfordState
    step_size: jax.Array
    inverse_mass_matrix: jax.Array
    windows: jax.Array
    final_left: jax.Array
    warmup_draws: jax.Array


def settle_init(position: jax.Array, dense: bool) -> SettlingState:
    """The state before the first transition (Stan's, nothing settled)."""
    window = stan.window_init(position, dense)
    zero = jnp.zeros((), jnp.int32)
    return SettlingState(*window, zero, zero - 1, zero)


def shape_change(new: jax.Array, old: jax.Array) -> jax.Array:
    """``std_i(log sqrt(v_i / u_i))`` over the diagonals of two inverse mass matrices.

    Example:
        >>> import jax.numpy as jnp
        >>> round(float(shape_change(jnp.array([2.0, 8.0]), jnp.array([1.0, 2.0]))), 4)
        0.1733
        >>> round(float(shape_change(jnp.array([3.0, 6.0]), jnp.array([1.0, 2.0]))), 12)
        0.0
    """
    if new.ndim == 2:
        new, old = jnp.diagonal(new), jnp.diagonal(old)
    return 0.5 * jnp.std(jnp.log(new) - jnp.log(old))


def settle_update(
    state: SettlingState, stage, position, acceptance_rate, target: float, settled: Settled
) -> SettlingState:
    """Advance one chain by one warmup transition (Stan's update, then the early end)."""
    is_slow, ends_window = stage
    following = state.final_left < 0
    window = stan.window_update(
        stan.WindowState(*state[:4]),
        (is_slow & following, ends_window & following),
        position,
        acceptance_rate,
        target,
    )
    compared = following & ends_window & (state.windows >= 1)
    change = shape_change(window.inverse_mass_matrix, state.inverse_mass_matrix)
    settles = compared & (change < settled.tolerance)
    final_left = jnp.where(following, state.final_left, state.final_left - 1)
    final_left = jnp.where(settles, settled.final_window, final_left)
    ends_final = ~following & (final_left == 0)
    step_size = jnp.where(ends_final, stan.window_final(window)[0], window.step_size)
    return SettlingState(
        window.dual_averaging,
        window.welford,
        step_size,
        window.inverse_mass_matrix,
        state.windows + (following & ends_window).astype(jnp.int32),
        final_left.astype(jnp.int32),
        state.warmup_draws + 1,
    )


def settle_done(state: SettlingState) -> jax.Array:
    """Whether the chain has ended its warmup (its final window is over)."""
    return state.final_left == 0


def settle_searches(state: SettlingState, settled: Settled) -> jax.Array:
    """Whether a step-size search the shared schedule makes applies to the chain: while
    it follows the schedule, and right after the window that settled it (its new mass
    matrix), not during the rest of its final window or after."""
    return (state.final_left < 0) | (state.final_left == settled.final_window)
