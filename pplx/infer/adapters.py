"""Warmup schemes as one interface (:class:`Adapter`), and the static schedule of a run.

``adaptation`` is a name (``"stan"``, ``"grad"``, ``"fisher"``) or
:class:`pplx.Settled` (Stan's windows with a per-chain early end:
:mod:`pplx.kernels.adaptation_settle`). The drivers call :func:`adapter` and never look
at which scheme they got, except through the optional ``done``/``searches`` functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import numpy as np

from pplx.kernels import adaptation as stan_adapt
from pplx.kernels import adaptation_fisher as fisher_adapt
from pplx.kernels import adaptation_grad as grad_adapt
from pplx.kernels import adaptation_settle as settle_adapt
from pplx.kernels.adaptation_settle import Settled

ADAPTATIONS = ("stan", "grad", "fisher")


class Steps(NamedTuple):
    """The schedule of a stretch of transitions (one entry per transition)."""

    is_slow: jax.Array
    ends_window: jax.Array  # for "fisher": the estimators' switch threshold (0: none)
    is_warmup: jax.Array
    is_last_warmup: jax.Array
    keep: jax.Array
    slot: jax.Array  # where a kept draw goes in the output buffer
    active: jax.Array  # False for padding at the end of the last segment
    searches: jax.Array  # a step-size search before this transition


class Adapter(NamedTuple):
    """One warmup adaptation scheme, as functions of one chain's kernel state and info.

    ``init(kernel_state)``, ``update(adapt, stage, kernel_state, info, target)``,
    ``final(adapt) -> (step_size, inverse_mass_matrix)`` and the static
    ``window_schedule(num_warmup) -> (is_slow, ends_window)``.
    """

    init: Callable
    update: Callable
    final: Callable
    window_schedule: Callable
    #: per chain: warmup over, skip its remaining warmup transitions (None: never)
    done: Callable | None = None
    #: per chain: a scheduled step-size search applies to it (None: always)
    searches: Callable | None = None


def scheme_name(adaptation) -> str:
    """The schedule a scheme follows: its name, ``"stan"`` for :class:`pplx.Settled`.

    Example:
        >>> scheme_name(Settled()), scheme_name("fisher")
        ('stan', 'fisher')
    """
    return "stan" if isinstance(adaptation, Settled) else adaptation


def check_adaptation(adaptation, dense_mass: bool) -> None:
    """Raise ``ValueError`` for an unknown scheme or one that cannot adapt a dense matrix."""
    if isinstance(adaptation, Settled):
        adaptation.check()
        return
    if adaptation is Settled:
        raise TypeError(
            "adaptation=pplx.Settled is the class: call it, adaptation=pplx.Settled() "
            "(or pplx.Settled(tolerance=0.05) for a closer agreement)."
        )
    if not isinstance(adaptation, str) or adaptation not in ADAPTATIONS:
        raise ValueError(
            f"adaptation must be one of {ADAPTATIONS} or pplx.Settled(...) (Stan's windows "
            f"that end per chain once the mass matrix settled), got {adaptation!r}."
        )
    if adaptation in ("grad", "fisher") and dense_mass:
        raise ValueError(
            f"adaptation={adaptation!r} adapts a diagonal mass matrix only: use "
            "dense_mass=False, or adaptation='stan' for a dense one."
        )


def adapter(adaptation="stan", dense_mass: bool = False) -> Adapter:
    """The :class:`Adapter` for ``"stan"`` (windowed Welford, diagonal or dense),
    ``"grad"`` (``sqrt(var(x) / var(grad))`` over doubling windows, diagonal; see
    :mod:`pplx.kernels.adaptation_grad`), ``"fisher"`` (the same estimate on nutpie's
    schedule: :mod:`pplx.kernels.adaptation_fisher`) or :class:`pplx.Settled` (Stan's,
    ending per chain: :mod:`pplx.kernels.adaptation_settle`).

    Example:
        >>> adapter("stan").done is None, adapter(Settled()).done is not None
        (True, True)
    """
    check_adaptation(adaptation, dense_mass)
    if isinstance(adaptation, Settled):
        return _settling(adaptation, dense_mass)
    if adaptation == "fisher":
        return Adapter(
            lambda s: fisher_adapt.fisher_init(s.position, s.logdensity_grad),
            lambda a, stage, s, info, target: fisher_adapt.fisher_update(
                a, stage, s.position, s.logdensity_grad, info.acceptance_rate, target
            ),
            fisher_adapt.fisher_final,
            fisher_adapt.fisher_schedule,
        )
    if adaptation == "grad":
        return Adapter(
            lambda s: grad_adapt.grad_init(s.position, s.logdensity_grad),
            lambda a, stage, s, info, target: grad_adapt.grad_update(
                a,
                stage,
                s.position,
                s.logdensity_grad,
                info.acceptance_rate,
                target,
            ),
            grad_adapt.grad_final,
            grad_adapt.grad_schedule,
        )
    return Adapter(
        lambda s: stan_adapt.window_init(s.position, dense_mass),
        lambda a, stage, s, info, target: stan_adapt.window_update(
            a, stage, s.position, info.acceptance_rate, target
        ),
        stan_adapt.window_final,
        stan_adapt.window_schedule,
    )


def _settling(settled: Settled, dense_mass: bool) -> Adapter:
    return Adapter(
        lambda s: settle_adapt.settle_init(s.position, dense_mass),
        lambda a, stage, s, info, target: settle_adapt.settle_update(
            a, stage, s.position, info.acceptance_rate, target, settled
        ),
        stan_adapt.window_final,
        stan_adapt.window_schedule,
        settle_adapt.settle_done,
        lambda a: settle_adapt.settle_searches(a, settled),
    )


def schedule(num_warmup: int, num_samples: int, thinning: int = 1, adaptation="stan") -> Steps:
    """The whole run's schedule as NumPy arrays (static, computed in Python)."""
    total = num_warmup + num_samples * thinning
    is_slow, ends = adapter(adaptation).window_schedule(num_warmup)
    pad = np.zeros(total - num_warmup, bool)
    after = np.arange(total) - num_warmup
    return Steps(
        np.concatenate([is_slow, pad]),
        np.concatenate([ends, pad]),
        after < 0,
        after == -1,
        (after >= 0) & (after % thinning == thinning - 1),
        np.maximum(after, 0) // thinning,
        np.ones(total, bool),
        search_schedule(num_warmup, total, adaptation, is_slow, ends),
    )


def search_schedule(num_warmup: int, total: int, adaptation, is_slow, ends) -> np.ndarray:
    """Which transitions start with a step-size search: the first warmup transition
    (Stan, NumPyro), and the one after each new mass matrix (Stan's windows) or after
    the first estimate replaces the gradient-based start (``"fisher"``, as nutpie).

    One search in the loop body, switched on by this schedule, instead of one before
    and one after the transition: the compiled program holds one copy of the search
    (~0.3 s less XLA compile on CPU for eight schools), with the same step sizes.

    Example:
        >>> from pplx.kernels.adaptation import window_schedule
        >>> slow, ends = window_schedule(1000)
        >>> [int(i) for i in np.flatnonzero(search_schedule(1000, 2000, "stan", slow, ends))]
        [0, 100, 150, 250, 450, 950]
    """
    searches = np.zeros(total, bool)
    if num_warmup == 0:
        return searches
    searches[0] = True
    after = np.zeros(num_warmup, bool)
    adaptation = scheme_name(adaptation)
    if adaptation == "stan":
        after = np.asarray(ends, bool)
    elif adaptation == "fisher" and fisher_adapt.FIRST_ESTIMATE < num_warmup:
        after[fisher_adapt.FIRST_ESTIMATE] = bool(is_slow[fisher_adapt.FIRST_ESTIMATE])
    searches[1:num_warmup] |= after[: num_warmup - 1]
    return searches
