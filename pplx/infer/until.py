"""Run until converged: sampling in blocks inside one ``lax.while_loop``.

After warmup, the chains advance ``check_every`` draws at a time (the same
:func:`pplx.infer.chains.advance` a fixed run uses, so the draws are those of a fixed run
of the same length with the same key); after each block the rank-normalised split R-hat
and the bulk and tail ESS of every unconstrained coordinate are computed in JAX
(:mod:`pplx.kernels.convergence`, equal to ArviZ's values) on the draws so far,
and the loop stops when every coordinate meets the targets or ``max_draws`` draws per
chain are made. The buffer is preallocated to ``max_draws``: one compiled program, no
host round-trip. Rank R-hat and bulk/tail ESS are invariant to monotone transforms, so
checking the unconstrained coordinates checks the constrained scalars too (up to the
folded R-hat, which is close).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.kernels.convergence import all_diagnostics


class Converged(NamedTuple):
    """Targets for a run that samples until it has converged (``pplx.nuts(until=...)``).

    Attributes:
        rhat: largest rank-normalised split R-hat allowed on every scalar (None: no check).
        ess_bulk: smallest bulk ESS required on every scalar (None: no check).
        ess_tail: smallest tail ESS required on every scalar (None: no check).
        max_draws: most draws per chain; the buffer holds this many.
        check_every: draws per chain between checks; ``max_draws`` is a multiple of it.

    Example:
        >>> import pplx
        >>> pplx.Converged(max_draws=2000, check_every=100).check(num_chains=4).max_draws
        2000
    """

    rhat: float | None = 1.01
    ess_bulk: float | None = 400.0
    ess_tail: float | None = 400.0
    max_draws: int = 20000
    check_every: int = 200

    def check(self, num_chains: int) -> Converged:
        """Raise ``ValueError`` (or ``TypeError``) for settings that cannot work, before
        anything is traced; return self."""
        _check_lengths(self.check_every, self.max_draws)
        targets = {name: getattr(self, name) for name in ("rhat", "ess_bulk", "ess_tail")}
        for name, value in targets.items():
            _check_number(name, value)
        if all(value is None for value in targets.values()):
            raise ValueError(
                "until has no target (rhat, ess_bulk and ess_tail are all None): set one, "
                "or run a fixed number of draws with num_samples= instead of until=."
            )
        if self.rhat is not None and not self.rhat > 1.0:
            raise ValueError(
                f"until.rhat={self.rhat!r} cannot be reached: R-hat is about 1 at best, so "
                "the target must exceed 1.0 (1.01 is the usual choice)."
            )
        if self.rhat is not None and num_chains < 2:
            raise ValueError(
                "until.rhat needs num_chains >= 2 (R-hat compares chains), or rhat=None."
            )
        size = num_chains * self.max_draws
        # the estimators floor the autocorrelation time at 1 / log10(size)
        cap = size * math.log10(size) if size > 1 else 1.0
        for name in ("ess_bulk", "ess_tail"):
            value = targets[name]
            if value is not None and not 0 < value <= cap:
                raise ValueError(
                    f"until.{name}={value!r} cannot be reached: the ESS of {num_chains} chains x "
                    f"{self.max_draws} draws (max_draws) is at most {cap:.0f}. Raise max_draws "
                    "or lower the target."
                )
        return self


def _check_lengths(every, most) -> None:
    for name, value in (("check_every", every), ("max_draws", most)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"until.{name} must be an int, got {value!r}.")
    if every < 4:
        raise ValueError(f"until.check_every must be an int >= 4, got {every!r}.")
    if most < every:
        raise ValueError(
            f"until.max_draws={most!r} is below check_every={every}: no check would run. "
            "Raise max_draws or lower check_every."
        )
    if most % every:
        raise ValueError(
            f"until.max_draws={most} must be a multiple of check_every={every} "
            f"(e.g. {most - most % every})."
        )


def _check_number(name: str, value) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise TypeError(f"until.{name} must be a number or None, got {value!r}.")
    if not math.isfinite(float(value)):
        raise ValueError(f"until.{name} must be finite (or None: not checked), got {value!r}.")


class UntilInfo(NamedTuple):
    """Why a run stopped: draws made per chain, whether the targets held, the last checks.

    ``rhat``, ``ess_bulk`` and ``ess_tail`` hold one value per unconstrained coordinate,
    from the last check (NaN before the first one).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("mu", dist.Normal(0.0, 1.0))
        ...     pplx.sample("s", dist.HalfNormal(1.0).expand((2,)).to_event(1))
        >>> until = pplx.Converged(ess_bulk=20, ess_tail=20, max_draws=100, check_every=50)
        >>> _, info = pplx.infer.nuts_until(m(), jax.random.key(0), until, num_warmup=50,
        ...                                 num_chains=2)
        >>> info.rhat.shape, info.ess_bulk.shape, int(info.num_draws) in (50, 100)
        ((3,), (3,), True)
    """

    num_draws: jax.Array
    converged: jax.Array
    rhat: jax.Array  # (d,) at the last check
    ess_bulk: jax.Array
    ess_tail: jax.Array


def _met(until: Converged, rhat, bulk, tail) -> jax.Array:
    ok = jnp.asarray(True)
    if until.rhat is not None:
        ok &= jnp.all(rhat <= until.rhat)
    if until.ess_bulk is not None:
        ok &= jnp.all(bulk >= until.ess_bulk)
    if until.ess_tail is not None:
        ok &= jnp.all(tail >= until.ess_tail)
    return ok


class LoopState(NamedTuple):
    """What the until loop carries: the chains' carry, the draw buffers
    ``(max_draws, chain, ...)``, the index of the next block, and the last check."""

    carry: Any
    buffer: Any
    block: jax.Array
    info: UntilInfo


def loop_start(carry, until: Converged, block_shapes) -> LoopState:
    """The loop state before the first block; ``block_shapes`` are the shapes of one
    block's draws ``(positions (k, chain, d), info)`` (``jax.ShapeDtypeStruct`` leaves)."""
    most = until.max_draws
    buf = jax.tree.map(lambda s: jnp.zeros((most,) + s.shape[1:], s.dtype), block_shapes)
    nan = jnp.full((block_shapes[0].shape[2],), jnp.nan, block_shapes[0].dtype)
    info = UntilInfo(jnp.int32(0), jnp.asarray(False), nan, nan, nan)
    return LoopState(carry, buf, jnp.int32(0), info)


def loop_continues(state: LoopState, until: Converged) -> jax.Array:
    """True while the targets do not hold and fewer than ``max_draws`` draws are made."""
    return ~state.info.converged & (state.info.num_draws < until.max_draws)


def loop_body(block_fn: Callable, until: Converged, num_warmup_blocks: int = 0) -> Callable:
    """One iteration of the until loop: ``state -> state``.

    ``block_fn(carry, block_index) -> (carry, (positions (k, chain, d), info))`` runs one
    block; the first ``num_warmup_blocks`` blocks are warmup (nothing recorded, no check);
    after each later block its draws are written into the buffer and the targets are
    checked on the draws so far (:func:`pplx.kernels.convergence.all_diagnostics`).
    """

    def record(args):
        buf, out, n = args
        buf = jax.tree.map(lambda b, v: jax.lax.dynamic_update_slice_in_dim(b, v, n, 0), buf, out)
        n = n + until.check_every
        diag = all_diagnostics(jnp.swapaxes(buf[0], 0, 1), n)
        return buf, UntilInfo(n, _met(until, *diag), *diag)

    def body(state: LoopState) -> LoopState:
        carry, out = block_fn(state.carry, state.block)
        args = (state.buffer, out, state.info.num_draws)
        if num_warmup_blocks:  # warmup blocks record nothing (one branch runs)
            sampling = state.block >= num_warmup_blocks
            buf, info = jax.lax.cond(sampling, record, lambda a: (a[0], state.info), args)
        else:
            buf, info = record(args)
        return LoopState(carry, buf, state.block + 1, info)

    return body


def until_loop(
    block_fn: Callable, carry, until: Converged, block_shapes, num_warmup_blocks: int = 0
) -> tuple:
    """Call ``block_fn(carry, block_index) -> (carry, (positions (k, chain, d), info))``
    until the targets of ``until`` hold on the draws so far or ``max_draws`` are made
    (after ``num_warmup_blocks`` warmup blocks, which record nothing).

    ``block_shapes`` is the shape of ``block_fn``'s draws. Returns the final carry, the
    buffers ``(max_draws, chain, ...)`` (zeros past the draws made) and an
    :class:`UntilInfo`. Pure: usable inside ``jit`` and ``vmap``.
    """
    body = loop_body(block_fn, until, num_warmup_blocks)
    state = jax.lax.while_loop(
        lambda s: loop_continues(s, until), body, loop_start(carry, until, block_shapes)
    )
    return state.carry, state.buffer, state.info
