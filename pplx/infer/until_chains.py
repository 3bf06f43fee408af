"""Advance all the chains of a run by one block, however they are run.

A run until converged checks every chain's draws together after each block, so the
chains cannot run to the end one by one (``chain_method="sequential"``) or on their own
device (``"parallel"``) as a fixed run does. Instead each block is split: the chains
advance through the block in sequence (``lax.map``), vectorised (``vmap``), or on the
devices of a mesh (one ``shard_map``), and the block's draws come back with every chain
side by side for the check. A chain's random stream depends only on its index
(:mod:`pplx.infer.chains`), so the draws are the same whichever way the chains run, up
to floating-point rounding.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.sharding import PartitionSpec

from pplx.infer.chains import RunCarry
from pplx.infer.devices import CHAIN_AXIS, chain_shards, device_mesh, local_chain_method

#: Ways of running the chains through one block.
BLOCK_METHODS = ("vectorized", "sequential", "parallel")


#: The fields of a carry with a leading chain axis.
_CHAIN_FIELDS = ("kernel_state", "adapt", "warmup_n_steps", "start", "start_ok", "start_tries")


def _chain_parts(carry: RunCarry) -> tuple:
    """The leaves of a carry with a leading chain axis."""
    return tuple(getattr(carry, name) for name in _CHAIN_FIELDS)


def _with_parts(carry: RunCarry, parts, divergences, iteration) -> RunCarry:
    fields = dict(zip(_CHAIN_FIELDS, parts, strict=True))
    return carry._replace(divergences=divergences, iteration=iteration, **fields)


def _sequential(block_fn: Callable, carry: RunCarry, chain_ids, reset):
    def one(inputs):
        parts, chain_id = inputs
        one_chain = jax.tree.map(lambda a: a[None], parts)
        zero = jnp.zeros_like(carry.divergences)
        new, out = block_fn(_with_parts(carry, one_chain, zero, carry.iteration), chain_id[None])
        parts = jax.tree.map(lambda a: a[0], _chain_parts(new))
        return parts, new.divergences, new.iteration, jax.tree.map(lambda a: a[:, 0], out)

    parts, divergences, iteration, out = jax.lax.map(one, (_chain_parts(carry), chain_ids))
    total = jnp.where(reset, 0, carry.divergences) + jnp.sum(divergences)
    new = _with_parts(carry, parts, total.astype(carry.divergences.dtype), iteration[0])
    return new, jax.tree.map(lambda a: jnp.swapaxes(a, 0, 1), out)


def _parallel(block_fn: Callable, carry: RunCarry, chain_ids, reset):
    num_chains = chain_ids.shape[0]
    mesh = device_mesh()
    local = local_chain_method(num_chains, chain_shards(mesh, num_chains))

    def on_device(parts, ids, iteration):
        zero = jnp.zeros_like(carry.divergences)
        start = _with_parts(carry, parts, zero, iteration)
        new, out = advance_block(block_fn, start, ids, local, reset)
        divergences = jax.lax.psum(new.divergences, CHAIN_AXIS)
        # every device gets the block's draws of all chains: the check runs replicated
        # (XLA's CPU FFT rejects the layout a chain-sharded buffer gets)
        gather = lambda a: jax.lax.all_gather(a, CHAIN_AXIS, axis=1, tiled=True)
        return _chain_parts(new), divergences, new.iteration, jax.tree.map(gather, out)

    chains, whole = PartitionSpec(CHAIN_AXIS), PartitionSpec()
    # each device runs its own chains; they meet only for the draws and the divergences
    mapped = jax.shard_map(
        on_device,
        mesh=mesh,
        in_specs=(chains, chains, whole),
        out_specs=(chains, whole, whole, whole),
        check_vma=False,
    )
    parts, divergences, iteration, out = mapped(_chain_parts(carry), chain_ids, carry.iteration)
    total = jnp.where(reset, 0, carry.divergences) + divergences
    return _with_parts(carry, parts, total.astype(carry.divergences.dtype), iteration), out


def advance_block(block_fn: Callable, carry: RunCarry, chain_ids, method: str, reset=False):
    """Run ``block_fn(carry, chain_ids) -> (carry, draws (block, chain, ...))`` over the
    chains of ``carry`` with ``method`` (one of :data:`BLOCK_METHODS`).

    ``reset`` (traced or not) says the block holds the last warmup transition, where the
    carry's divergence count restarts. Returns the carry and the draws with every chain,
    ``(block, chain, ...)``, as the vectorised call would.

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.infer.chains import RunCarry
        >>> carry = RunCarry(jnp.zeros((3, 2)), jnp.zeros(3), jnp.int32(0), jnp.zeros(3, int),
        ...                  jnp.int32(0), jnp.zeros((3, 2)), jnp.ones(3, bool), jnp.zeros(3, int))
        >>> def block(c, ids):
        ...     moved = c._replace(kernel_state=c.kernel_state + ids[:, None])
        ...     return moved._replace(iteration=c.iteration + 5), jnp.stack([ids] * 5)
        >>> new, out = advance_block(block, carry, jnp.arange(3), "sequential")
        >>> new.kernel_state[:, 0].tolist(), int(new.iteration), out.shape
        ([0.0, 1.0, 2.0], 5, (5, 3))
    """
    if method not in BLOCK_METHODS:
        raise ValueError(f"chain method must be one of {BLOCK_METHODS}, got {method!r}.")
    if method == "sequential":
        return _sequential(block_fn, carry, chain_ids, reset)
    if method == "parallel":
        return _parallel(block_fn, carry, chain_ids, reset)
    return block_fn(carry, chain_ids)
