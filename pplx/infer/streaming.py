"""An MCMC run cut into blocks driven from the host: progress bars and long runs.

Each block is the same compiled program (the schedule slice is an argument), so a run
compiles a few small programs (start, block, a block's draws) once per model shape, none
with host callbacks: JAX's persistent compilation cache can keep them, and a second
process skips compilation. After each block the host moves the progress bar, and the
block's draws are constrained on the device and moved to the host, so device memory
holds one block of draws at a time (``stream_block=`` of the drivers; see
``docs/devices.md``). The draws equal those of :func:`pplx.infer.nuts_run` with the
same key and chain method (to rounding).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from pplx.infer.adapters import schedule
from pplx.infer.chains import (
    RunCarry,
    advance,
    final_state,
    init_carry,
    segment_plan,
    warmup_stats,
)
from pplx.infer.devices import map_chains, resolve_sharding, sharded_logdensity
from pplx.infer.entry import NUTSResult, start_positions
from pplx.model import Model
from pplx.runtime import progress as progress_lib
from pplx.runtime.jit import filter_jit


def _logdensity(model: Model, sharding):
    return model.logdensity if sharding is None else sharded_logdensity(model, sharding)


@filter_jit
def _start(model: Model, init_positions, state, *, num_chains, **settings):
    """The carry before the first block (the first block searches the starts)."""
    positions, search = start_positions(model, num_chains, init_positions, state)
    return init_carry(positions, state, search_start=search, **settings)


@filter_jit
def _block(model: Model, key, carry: RunCarry, steps, *, chain_method, sharding, **settings):
    """One block of transitions; the carry after it and the block's draws
    ``(buffer_size, chain, d)`` (and stats)."""
    _, run_key = jax.random.split(key)
    logdensity = _logdensity(model, sharding)
    if chain_method == "vectorized":
        return advance(logdensity, run_key, carry, steps, **settings)
    # one call per group of chains: every leaf of the carry gets a chain axis first
    num_chains = carry.warmup_n_steps.shape[0]
    per_chain = carry._replace(
        divergences=jnp.zeros(num_chains, jnp.int32),
        iteration=jnp.full(num_chains, carry.iteration),
    )

    def run_group(inputs):
        group, chain_ids = inputs
        group = group._replace(divergences=group.divergences[0], iteration=group.iteration[0])
        new, buffer = advance(logdensity, run_key, group, steps, chain_ids=chain_ids, **settings)
        size = chain_ids.shape[0]
        new = new._replace(  # the group's count on its first chain: the sum is the total
            divergences=jnp.zeros(size, jnp.int32).at[0].set(new.divergences),
            iteration=jnp.full(size, new.iteration),
        )
        return new, jax.tree.map(lambda a: jnp.swapaxes(a, 0, 1), buffer)

    mesh = None if sharding is None else sharding.mesh
    new, buffer = map_chains(run_group, (per_chain, jnp.arange(num_chains)), chain_method, mesh)
    # divergences count from the start of the phase: a block holding the last warmup
    # transition restarts the count
    restart = jnp.any(jnp.asarray(steps.is_last_warmup) & jnp.asarray(steps.active))
    divergences = jnp.where(restart, 0, carry.divergences) + jnp.sum(new.divergences)
    new = new._replace(divergences=divergences, iteration=new.iteration[0])
    return new, jax.tree.map(lambda a: jnp.swapaxes(a, 0, 1), buffer)


@filter_jit
def _block_draws(model: Model, positions, log_likelihood: bool):
    """A block's constrained draws (and pointwise log-likelihood), on the device."""
    draws = jax.vmap(jax.vmap(model.constrain))(positions)
    loglik = jax.vmap(jax.vmap(model.pointwise_loglik))(positions) if log_likelihood else {}
    return draws, loglik


def block_plan(total: int, stream_block: int | None, num_segments: int) -> int:
    """How many blocks a run of ``total`` transitions is cut into: blocks of at most
    ``stream_block`` transitions, or ``num_segments`` blocks when it is None.

    Example:
        >>> block_plan(1000, 300, 20), block_plan(1000, None, 20), block_plan(5, None, 20)
        (4, 20, 5)
    """
    if stream_block is None:
        return min(num_segments, total)
    if not isinstance(stream_block, int) or isinstance(stream_block, bool) or stream_block < 1:
        raise ValueError(
            f"stream_block must be a positive int (transitions per block), got {stream_block!r}."
        )
    return -(-total // stream_block)


def mcmc_segmented(
    model: Model,
    key,
    *,
    num_warmup: int,
    num_samples: int,
    num_chains: int,
    target_accept: float,
    kernel,
    dense_mass: bool,
    thinning: int,
    init_positions,
    state,
    log_likelihood: bool,
    adaptation: str = "stan",
    chain_method: str = "vectorized",
    data_sharding=None,
    stream_block: int | None = None,
    num_segments: int = 20,
    progress_bar: bool = True,
) -> NUTSResult:
    """Chains of ``kernel`` (a spec from :mod:`pplx.kernels.spec`), warmed up with
    ``adaptation``, run in blocks from the host (see the module doc): blocks of at most
    ``stream_block`` transitions, or ``num_segments`` blocks. ``chain_method`` and
    ``data_sharding`` as in :func:`pplx.infer.nuts_run`. The result's arrays are on the
    host (NumPy), except the final ``state``."""
    sharding = resolve_sharding(data_sharding, chain_method, num_chains)
    total = num_warmup + num_samples * thinning
    segments, kept, length = segment_plan(
        schedule(num_warmup, num_samples, thinning, adaptation),
        block_plan(total, stream_block, num_segments),
    )
    carry = _start(
        model,
        init_positions,
        state,
        num_chains=num_chains,
        num_warmup=num_warmup,
        dense_mass=dense_mass,
        kernel=kernel,
        adaptation=adaptation,
    )
    hook = progress_lib.ProgressHook(num_warmup, num_samples * thinning, num_chains)
    settings = dict(
        chain_method=chain_method,
        sharding=sharding,
        buffer_size=length,
        target_accept=target_accept,
        kernel=kernel,
        adaptation=adaptation,
    )
    if progress_bar:
        progress_lib.start(hook)
    blocks, done = [], 0
    try:
        for steps, count in zip(segments, kept, strict=True):
            carry, (pos, info) = _block(model, key, carry, steps, **settings)
            if not np.asarray(carry.start_ok).all():  # no finite start: the caller explains
                return NUTSResult({}, {}, None, carry.start, carry.start_ok, {}, {})
            if count:  # to the host: the device keeps one block of draws at a time
                blocks.append(_to_host(model, pos, info, count, log_likelihood))
            done = min(done + length, hook.total)
            if progress_bar:
                # NumPy on the host: no small programs to compile for the bar
                step_size = float(np.asarray(carry.adapt.step_size).mean())
                progress_lib.report(done - 1, int(carry.divergences), step_size)
    finally:
        if progress_bar:
            progress_lib.finish()
    return _result(blocks, final_state(carry), warmup_stats(carry), carry.start, carry.start_ok)


def _to_host(model: Model, pos, info, count: int, log_likelihood: bool):
    draws, loglik = _block_draws(model, pos, log_likelihood)
    host = lambda a: np.asarray(a)[:count]
    return jax.tree.map(host, (draws, info._asdict(), loglik))


def _result(blocks, state, warmup, positions, ok) -> NUTSResult:
    """Host arrays ``(chain, draw, ...)`` from the blocks' ``(draw, chain, ...)``."""
    joined = jax.tree.map(lambda *parts: np.swapaxes(np.concatenate(parts), 0, 1), *blocks)
    draws, stats, loglik = joined
    step_size = np.asarray(state.step_size)
    stats["step_size"] = np.broadcast_to(step_size[:, None], stats["lp"].shape)
    return NUTSResult(draws, stats, state, positions, ok, loglik, warmup)
