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
from typing import NamedTuple

import jax
import jax.numpy as jnp

from pplx.infer.chains import advance, as_output, init_carry, schedule
from pplx.kernels.convergence import all_diagnostics
from pplx.kernels.spec import DEFAULT_KERNEL


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
        """Raise ``ValueError`` for settings that cannot work; return self."""
        every, most = self.check_every, self.max_draws
        if not isinstance(every, int) or every < 4:
            raise ValueError(f"until.check_every must be an int >= 4, got {every!r}.")
        if not isinstance(most, int) or most < every:
            raise ValueError(
                f"until.max_draws={most!r} is below check_every={every}: no check would run. "
                "Raise max_draws or lower check_every."
            )
        if most % every:
            raise ValueError(
                f"until.max_draws={most} must be a multiple of check_every={every} "
                f"(e.g. {most - most % every or every})."
            )
        if self.rhat is not None and not float(self.rhat) > 1.0:
            raise ValueError(
                f"until.rhat must exceed 1.0 (R-hat is about 1 at best), got {self.rhat!r}."
            )
        if self.rhat is not None and num_chains < 2:
            raise ValueError(
                "until.rhat needs num_chains >= 2 (R-hat compares chains), or rhat=None."
            )
        size = num_chains * most
        # the estimators floor the autocorrelation time at 1 / log10(size)
        cap = size * math.log10(size)
        for name in ("ess_bulk", "ess_tail"):
            value = getattr(self, name)
            if value is not None and not 0 < float(value) <= cap:
                raise ValueError(
                    f"until.{name}={value!r} cannot be reached: the ESS of {num_chains} chains x "
                    f"{most} draws is at most {cap:.0f}. Raise max_draws or lower the target."
                )
        return self


class UntilInfo(NamedTuple):
    """Why a run stopped: draws made per chain, whether the targets held, the last checks."""

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


def until_loop(block_fn: Callable, carry, until: Converged, block_shapes) -> tuple:
    """Call ``block_fn(carry) -> (carry, (positions (k, chain, d), info))`` until the
    targets of ``until`` hold on the draws so far or ``max_draws`` are made.

    ``block_shapes`` is the ``jax.eval_shape`` of ``block_fn``'s draws. Returns the final
    carry, the buffers ``(max_draws, chain, ...)`` (zeros past the draws made) and an
    :class:`UntilInfo`. Pure: usable inside ``jit`` and ``vmap``.
    """
    most = until.max_draws
    buf = jax.tree.map(lambda s: jnp.zeros((most,) + s.shape[1:], s.dtype), block_shapes)
    d = block_shapes[0].shape[2]
    nan = jnp.full((d,), jnp.nan, block_shapes[0].dtype)

    def body(state):
        carry, buf, n, _ = state
        carry, out = block_fn(carry)
        buf = jax.tree.map(lambda b, v: jax.lax.dynamic_update_slice_in_dim(b, v, n, 0), buf, out)
        n = n + until.check_every
        diag = all_diagnostics(jnp.swapaxes(buf[0], 0, 1), n)
        return carry, buf, n, UntilInfo(n, _met(until, *diag), *diag)

    def cond(state):
        return ~state[3].converged & (state[2] < most)

    start = UntilInfo(jnp.int32(0), jnp.asarray(False), nan, nan, nan)
    carry, buf, _, info = jax.lax.while_loop(cond, body, (carry, buf, jnp.int32(0), start))
    return carry, buf, info


def run_chains_until(
    logdensity_fn: Callable,
    key: jax.Array,
    init_positions: jax.Array | None,
    *,
    until: Converged,
    state=None,
    num_warmup: int = 1000,
    target_accept: float = 0.8,
    kernel=DEFAULT_KERNEL,
    dense_mass: bool = False,
    adaptation: str = "stan",
):
    """Warmup, then sampling in blocks until ``until`` holds: the flat-array core.

    Chains advance together (vectorised). Returns ``(RunOutput, UntilInfo)``; the
    output's draws are ``(chain, max_draws, d)``, valid up to ``UntilInfo.num_draws``.
    """
    options = dict(kernel=kernel, adaptation=adaptation)
    carry = init_carry(
        logdensity_fn,
        init_positions,
        state,
        num_warmup=num_warmup,
        dense_mass=dense_mass,
        **options,
    )
    step = dict(target_accept=target_accept, **options)
    if num_warmup:
        warm = schedule(num_warmup, 0, 1, adaptation)
        carry, _ = advance(logdensity_fn, key, carry, warm, 1, **step)
    block = schedule(0, until.check_every, 1, adaptation)
    block_fn = lambda c: advance(logdensity_fn, key, c, block, until.check_every, **step)
    shapes = jax.eval_shape(block_fn, carry)[1]
    carry, buf, info = until_loop(block_fn, carry, until, shapes)
    return as_output(carry, buf), info


def nuts_until(
    model,
    key: jax.Array,
    until: Converged | None = None,
    *,
    num_warmup: int = 1000,
    num_chains: int = 4,
    target_accept: float = 0.8,
    max_tree_depth: int = 10,
    dense_mass: bool = False,
    adaptation: str = "stan",
    init_positions: jax.Array | None = None,
    state=None,
    log_likelihood: bool = False,
):
    """NUTS until converged on a bound model: the pure entry (jit- and vmap-able).

    Arguments as in :func:`pplx.infer.nuts_run`; ``until`` is a :class:`Converged`.
    With the same key, the draws are those of ``nuts_run`` with ``num_samples`` equal to
    the draws made (chains advance together, vectorised).

    Returns:
        ``(NUTSResult, UntilInfo)``: draws and stats ``(chain, max_draws, ...)``, valid
        up to ``UntilInfo.num_draws`` (``pplx.nuts(until=...)`` keeps only those).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)
        >>> until = pplx.Converged(ess_bulk=100, ess_tail=100, max_draws=400, check_every=50)
        >>> res, info = pplx.infer.nuts_until(mean_model(jnp.ones(5)), jax.random.key(0),
        ...                                   until, num_warmup=200, num_chains=2)
        >>> res.draws["mu"].shape, bool(info.converged), int(info.num_draws) <= 400
        ((2, 400), True, True)
    """
    from pplx.infer.entry import _check_settings, finish, initial_positions
    from pplx.kernels.spec import NUTSSpec
    from pplx.model.checks import require_continuous_latents

    kernel = NUTSSpec(max_tree_depth)
    _check_settings(num_warmup, 1, num_chains, target_accept, kernel)
    require_continuous_latents(model, kernel.name)
    until = (Converged() if until is None else until).check(num_chains)
    if state is not None and num_warmup:
        raise ValueError("continuing a state needs num_warmup=0: its chains are already adapted.")
    init_key, run_key = jax.random.split(key)
    positions, ok = initial_positions(model, init_key, num_chains, init_positions, state)
    out, info = run_chains_until(
        model.logdensity,
        run_key,
        positions,
        until=until,
        state=state,
        num_warmup=num_warmup,
        target_accept=target_accept,
        kernel=kernel,
        dense_mass=dense_mass,
        adaptation=adaptation,
    )
    return finish(model, out, positions, ok, log_likelihood), info
