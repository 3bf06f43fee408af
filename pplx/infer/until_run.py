"""Warmup and sampling in blocks until converged: the pure entries.

Warmup and sampling are blocks of ``check_every`` transitions of one loop
(:func:`pplx.infer.until.until_loop`): block ``i`` runs the slice ``i`` of one static
schedule (the warmup padded with idle steps to a whole number of blocks, then
``max_draws`` sampling steps), so the program holds the kernel once, as a fixed run's
single scan does, and the convergence check once. The chains advance through each block
vectorised, in sequence or over devices (:mod:`pplx.infer.until_chains`). The keys of
each transition are those of a fixed run, so the draws equal a fixed run of the same
length with the same key, up to floating-point rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.infer.adapters import Steps, check_adaptation, schedule
from pplx.infer.chains import advance, as_output, chain_keys, init_carry
from pplx.infer.devices import checked_chain_method
from pplx.infer.until import Converged, LoopState, loop_body, loop_continues, loop_start
from pplx.infer.until_chains import advance_block
from pplx.kernels.spec import DEFAULT_KERNEL, NUTSSpec


def block_schedule(num_warmup: int, until: Converged, adaptation: str = "stan"):
    """The run's schedule cut into blocks of ``check_every`` steps: warmup padded with
    idle steps to whole blocks, then ``max_draws`` sampling steps whose slots count from
    each block's start. Returns ``(Steps of NumPy arrays, number of warmup blocks)``.

    Example:
        >>> steps, warm = block_schedule(150, Converged(max_draws=200, check_every=100))
        >>> len(steps.active), warm, int(steps.active.sum()), int(steps.slot[-1])
        (400, 2, 350, 99)
    """
    every = until.check_every
    full = schedule(num_warmup, until.max_draws, 1, adaptation)
    warm = -(-num_warmup // every)
    pad = warm * every - num_warmup
    parts = []
    for name, a in zip(Steps._fields, full, strict=True):
        tail = a[num_warmup:]
        if name == "slot":
            tail = np.arange(until.max_draws) % every
        parts.append(np.concatenate([a[:num_warmup], np.zeros(pad, a.dtype), tail]))
    return Steps(*parts), warm


class BlockSettings(NamedTuple):
    """The static settings of one block of transitions."""

    check_every: int
    chain_method: str
    target_accept: float
    kernel: object
    adaptation: str


def make_block_fn(logdensity_fn: Callable, key, steps: Steps, settings: BlockSettings):
    """``block_fn(carry, block_index) -> (carry, draws)``: the block ``block_index`` of
    ``steps`` for every chain (:func:`pplx.infer.until_chains.advance_block`)."""
    every = settings.check_every
    steps = Steps(*[jnp.asarray(a) for a in steps])

    def block_fn(carry, index):
        part = Steps(*[jax.lax.dynamic_slice_in_dim(a, index * every, every) for a in steps])
        reset = jnp.any(part.is_last_warmup & part.active)

        def run(c, ids):
            return advance(
                logdensity_fn,
                key,
                c,
                part,
                every,
                chain_ids=ids,
                target_accept=settings.target_accept,
                kernel=settings.kernel,
                adaptation=settings.adaptation,
            )

        ids = jnp.arange(carry.kernel_state.position.shape[0])
        return advance_block(run, carry, ids, settings.chain_method, reset)

    return block_fn


def block_shapes(logdensity_fn: Callable, key, carry, settings: BlockSettings):
    """The shapes of one block's draws ``(positions (k, chain, d), info)``, from one
    kernel step (cheaper to trace than a whole block)."""
    num_chains, num_dims = carry.kernel_state.position.shape
    algo = settings.kernel.build(logdensity_fn)
    keys = chain_keys(key, carry.iteration, jnp.arange(num_chains))
    info = jax.eval_shape(
        jax.vmap(algo.step),
        keys,
        carry.kernel_state,
        carry.adapt.step_size,
        carry.adapt.inverse_mass_matrix,
    )[1]
    every = settings.check_every
    pos = jax.ShapeDtypeStruct((every, num_chains, num_dims), carry.kernel_state.position.dtype)
    return pos, jax.tree.map(lambda s: jax.ShapeDtypeStruct((every,) + s.shape, s.dtype), info)


def until_body(
    logdensity_fn: Callable, key, until: Converged, num_warmup: int, settings: BlockSettings
) -> Callable:
    """The loop body ``state -> state`` of a run with ``num_warmup`` warmup steps."""
    steps, warm = block_schedule(num_warmup, until, settings.adaptation)
    return loop_body(make_block_fn(logdensity_fn, key, steps, settings), until, warm)


def until_start(
    logdensity_fn: Callable,
    key,
    init_positions,
    *,
    until: Converged,
    state=None,
    num_warmup: int,
    settings: BlockSettings,
    dense_mass: bool = False,
    search_start: bool = False,
) -> LoopState:
    """The loop state before the first block: from starting points, or from ``state``."""
    carry = init_carry(
        init_positions,
        state,
        num_warmup=num_warmup,
        dense_mass=dense_mass,
        kernel=settings.kernel,
        adaptation=settings.adaptation,
        search_start=search_start,
    )
    return loop_start(carry, until, block_shapes(logdensity_fn, key, carry, settings))


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
    chain_method: str = "vectorized",
    search_start: bool = False,
):
    """Warmup, then sampling in blocks until ``until`` holds: the flat-array core.

    ``init_positions`` with ``search_start`` give only the shape: the first transition
    searches each chain's start (:mod:`pplx.kernels.initialize`). Returns
    ``(RunOutput, UntilInfo)``; the output's draws are ``(chain, max_draws, d)``, valid
    up to ``UntilInfo.num_draws``.
    """
    settings = BlockSettings(until.check_every, chain_method, target_accept, kernel, adaptation)
    start = until_start(
        logdensity_fn,
        key,
        init_positions,
        until=until,
        state=state,
        num_warmup=num_warmup,
        settings=settings,
        dense_mass=dense_mass,
        search_start=search_start,
    )
    body = until_body(logdensity_fn, key, until, num_warmup, settings)
    final = jax.lax.while_loop(lambda s: loop_continues(s, until), body, start)
    return as_output(final.carry, final.buffer), final.info


def check_until_settings(until, num_chains: int, num_warmup: int, state, chain_method: str):
    """Check ``until`` and the run settings it needs (before tracing); return the chain
    method the blocks run with."""
    if until is Converged:
        raise TypeError("until=pplx.Converged is the class: call it, until=pplx.Converged().")
    if not isinstance(until, Converged):
        raise TypeError(f"until must be a pplx.Converged, got {type(until).__name__}.")
    until.check(num_chains)
    if state is not None and num_warmup:
        raise ValueError("continuing a state needs num_warmup=0: its chains are already adapted.")
    return checked_chain_method(chain_method, num_chains)


def mcmc_until(
    model,
    key: jax.Array,
    until: Converged | None = None,
    *,
    kernel=DEFAULT_KERNEL,
    num_warmup: int = 1000,
    num_chains: int = 4,
    target_accept: float = 0.8,
    dense_mass: bool = False,
    adaptation: str = "stan",
    chain_method: str = "auto",
    init_positions: jax.Array | None = None,
    state=None,
    log_likelihood: bool = False,
):
    """A gradient kernel (``NUTSSpec`` or ``HMCSpec``) until converged on a bound model:
    the pure entry behind :func:`nuts_until` and ``pplx.hmc(until=...)``. Arguments as
    in :func:`nuts_until`.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> from pplx.kernels.spec import HMCSpec
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)
        >>> until = pplx.Converged(ess_bulk=100, ess_tail=100, max_draws=1000, check_every=100)
        >>> res, info = pplx.infer.mcmc_until(mean_model(jnp.ones(5)), jax.random.key(0),
        ...                                   until, kernel=HMCSpec(4, 0.5), num_warmup=200)
        >>> bool(info.converged), int(info.num_draws) % 100, res.draws["mu"].shape
        (True, 0, (4, 1000))
    """
    from pplx.infer.entry import _check_settings, finish, start_positions
    from pplx.model.checks import require_continuous_latents

    _check_settings(num_warmup, 1, num_chains, target_accept, kernel)
    require_continuous_latents(model, kernel.name)
    check_adaptation(adaptation, dense_mass)
    until = Converged() if until is None else until
    method = check_until_settings(until, num_chains, num_warmup, state, chain_method)
    _, run_key = jax.random.split(key)
    positions, search = start_positions(model, num_chains, init_positions, state)
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
        chain_method=method,
        search_start=search,
    )
    return finish(model, out, log_likelihood), info


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
    chain_method: str = "auto",
    init_positions: jax.Array | None = None,
    state=None,
    log_likelihood: bool = False,
):
    """NUTS until converged on a bound model: the pure entry (jit- and vmap-able).

    Arguments as in :func:`pplx.infer.nuts_run`; ``until`` is a :class:`Converged`.
    ``chain_method`` says how the chains run through each block (``"auto"``,
    ``"vectorized"``, ``"sequential"``, ``"parallel"``: over the devices). With the
    same key, the draws are those of ``nuts_run`` with ``num_samples`` equal to the
    draws made.

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
    return mcmc_until(
        model,
        key,
        until,
        kernel=NUTSSpec(max_tree_depth),
        num_warmup=num_warmup,
        num_chains=num_chains,
        target_accept=target_accept,
        dense_mass=dense_mass,
        adaptation=adaptation,
        chain_method=chain_method,
        init_positions=init_positions,
        state=state,
        log_likelihood=log_likelihood,
    )
