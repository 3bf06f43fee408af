"""Compound (Metropolis-within-Gibbs) steps: several kernels, each updating one block of
a joint state ``(z: f[d], ints: i[n])``, applied in a fixed order inside one step.

A block is a static set of indices into ``z`` (continuous) or ``ints`` (discrete) and a
:class:`BlockKernel`. Each block sees the log density of its own coordinates with every
other coordinate held at its current value: the joint log density, or, when the block
carries ``conditional_fns`` (one per site of a Gibbs block: the log-density terms that
mention the site), those functions, so that a discrete update costs what the site's
Markov blanket costs and not the whole model. Kernel states are rebuilt at each visit (the
cached log density of a block goes stale when another block moves), which costs one
density (and, for NUTS, gradient) evaluation per block per step.

Adaptation lives beside each block (``params``) and is advanced only in warmup
transitions; the stage of a transition comes from :class:`Stage` (static schedule fed
to ``lax.scan``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.kernels import adaptation
from pplx.kernels.gibbs import SiteSpec, binary_gibbs, categorical_gibbs, sitewise_gibbs
from pplx.kernels.nuts import nuts
from pplx.kernels.rwmh import (
    discrete_metropolis,
    rwmh,
    scale_adapt_init,
    scale_adapt_update,
)
from pplx.kernels.slice import (
    slice_sampler,
    width_adapt_init,
    width_adapt_update,
    width_from_adapt,
)


class Stage(NamedTuple):
    """Where a transition sits in the run (booleans, one per transition)."""

    is_warmup: jax.Array
    is_slow: jax.Array
    ends_window: jax.Array
    is_last_warmup: jax.Array


class BlockKernel(NamedTuple):
    """How one block is updated.

    ``init_params(x) -> params``; ``step(key, x, logdensity_fn, params) -> (x, info)``;
    ``adapt(params, old_x, new_x, info, stage) -> params`` (called in warmup only).
    """

    name: str
    init_params: Callable
    step: Callable
    adapt: Callable


class Block(NamedTuple):
    """A kernel and the static indices it owns in ``z`` (``is_discrete=False``) or
    ``ints`` (``is_discrete=True``).

    ``conditional_fns``: None (the kernel sees the joint log density of the block's
    coordinates), or a tuple of functions ``(z, ints) -> array``; the kernel then gets
    the tuple of their restrictions to the block's coordinates in place of one
    ``logdensity_fn`` (see :func:`sitewise_gibbs_block`).
    """

    kernel: BlockKernel
    index: tuple[int, ...]
    is_discrete: bool
    conditional_fns: tuple | None = None


class CompoundState(NamedTuple):
    z: jax.Array
    ints: jax.Array
    params: tuple
    logdensity: jax.Array


def _no_adapt(params, old, new, info, stage):
    return params


def nuts_block(
    max_tree_depth: int = 10, target_accept: float = 0.8, dense_mass: bool = False
) -> BlockKernel:
    """NUTS with Stan's window adaptation (step size and mass matrix)."""

    def init_params(x):
        return adaptation.window_init(x, dense_mass)

    def step(key, x, logdensity_fn, params):
        algo = nuts(logdensity_fn, max_tree_depth=max_tree_depth)
        state, info = algo.step(key, algo.init(x), params.step_size, params.inverse_mass_matrix)
        return state.position, info

    def adapt(params, old, new, info, stage):
        params = adaptation.window_update(
            params, (stage.is_slow, stage.ends_window), new, info.acceptance_rate, target_accept
        )
        final = adaptation.window_final(params)[0]
        return params._replace(step_size=jnp.where(stage.is_last_warmup, final, params.step_size))

    return BlockKernel("nuts", init_params, step, adapt)


def rwmh_block(scale: float | None = None, target_accept: float = 0.3) -> BlockKernel:
    """Gaussian random-walk Metropolis; the scale starts at ``2.38 / sqrt(d)`` (or
    ``scale``) and is tuned towards ``target_accept`` in warmup."""

    def init_params(x):
        start = 2.38 / np.sqrt(max(x.shape[0], 1)) if scale is None else scale
        return scale_adapt_init(jnp.asarray(start, x.dtype))

    def step(key, x, logdensity_fn, params):
        algo = rwmh(logdensity_fn)
        state, info = algo.step(key, algo.init(x), jnp.exp(params.log_scale))
        return state.position, info

    def adapt(params, old, new, info, stage):
        return scale_adapt_update(params, info.acceptance_rate, target_accept)

    return BlockKernel("metropolis", init_params, step, adapt)


def slice_block(width: float = 1.0, max_steps_out: int = 20) -> BlockKernel:
    """Coordinate-wise slice sampling; the width follows twice the mean move in warmup."""

    def init_params(x):
        return width_adapt_init(width, x.shape[0])

    def step(key, x, logdensity_fn, params):
        algo = slice_sampler(logdensity_fn, max_steps_out=max_steps_out)
        state, info = algo.step(key, algo.init(x), width_from_adapt(params))
        return state.position, info

    def adapt(params, old, new, info, stage):
        return width_adapt_update(params, old, new)

    return BlockKernel("slice", init_params, step, adapt)


def gibbs_block(num_categories, lower=None) -> BlockKernel:
    """Exact Gibbs by enumeration (one evaluation per component when all are binary)."""
    counts = np.asarray(num_categories, np.int64).reshape(-1)
    binary = bool(counts.size) and bool(np.all(counts == 2))

    def step(key, x, logdensity_fn, params):
        if binary:
            algo = binary_gibbs(logdensity_fn, lower)
        else:
            algo = categorical_gibbs(logdensity_fn, counts, lower)
        state, info = algo.step(key, algo.init(x))
        return state.position, info

    return BlockKernel("gibbs", lambda x: (), step, _no_adapt)


def sitewise_gibbs_block(sites: list[SiteSpec]) -> BlockKernel:
    """Exact Gibbs site by site, each site from its own conditional log density (a
    block with ``conditional_fns``, one per site; :func:`pplx.kernels.gibbs.sitewise_gibbs`)."""
    specs = tuple(sites)

    def step(key, x, conditional_fns, params):
        algo = sitewise_gibbs(conditional_fns, specs)
        state, info = algo.step(key, algo.init(x))
        return state.position, info

    return BlockKernel("gibbs", lambda x: (), step, _no_adapt)


def discrete_metropolis_block(max_jump: int = 1) -> BlockKernel:
    """Component-wise Metropolis with a symmetric ``+-1..max_jump`` proposal."""

    def step(key, x, logdensity_fn, params):
        algo = discrete_metropolis(logdensity_fn, max_jump)
        state, info = algo.step(key, algo.init(x))
        return state.position, info

    return BlockKernel("discrete_metropolis", lambda x: (), step, _no_adapt)


def compound(joint_logdensity_fn: Callable, blocks: list[Block]):
    """Compose block kernels into one step over ``(z, ints)``.

    Args:
        joint_logdensity_fn: ``(z: f[d], ints: i[n]) -> f[]``.
        blocks: the blocks in update order; their indices should cover ``z`` and
            ``ints`` once (coordinates no block owns never move).

    Returns:
        ``(init, step)``: ``init(z, ints) -> CompoundState``;
        ``step(key, state, stage) -> (state, infos)`` with one info per block.

    Example:
        >>> import jax, jax.numpy as jnp
        >>> ld = lambda z, k: -0.5 * jnp.sum((z - k) ** 2)
        >>> init, step = compound(ld, [Block(rwmh_block(), (0,), False),
        ...                            Block(gibbs_block([3]), (0,), True)])
        >>> stage = Stage(*(jnp.array(False),) * 4)
        >>> state, infos = step(jax.random.key(0), init(jnp.zeros(1), jnp.zeros(1, int)), stage)
        >>> [type(i).__name__ for i in infos]
        ['RWMHInfo', 'GibbsInfo']
    """
    index = [np.asarray(b.index, np.int64) for b in blocks]

    def block_fn(b: int, z, ints):
        idx, fns = index[b], blocks[b].conditional_fns
        if blocks[b].is_discrete:
            if fns is not None:
                return ints[idx], tuple(_restrict(f, z, ints, idx) for f in fns)
            return ints[idx], lambda x: joint_logdensity_fn(z, ints.at[idx].set(x))
        return z[idx], lambda x: joint_logdensity_fn(z.at[idx].set(x), ints)

    def init(z, ints) -> CompoundState:
        params = tuple(
            blk.kernel.init_params(block_fn(b, z, ints)[0]) for b, blk in enumerate(blocks)
        )
        return CompoundState(z, ints, params, joint_logdensity_fn(z, ints))

    def step(key, state: CompoundState, stage: Stage):
        z, ints, params, infos = state.z, state.ints, list(state.params), []
        for b, blk in enumerate(blocks):
            old, logdensity_fn = block_fn(b, z, ints)
            new, info = blk.kernel.step(jax.random.fold_in(key, b), old, logdensity_fn, params[b])
            adapted = blk.kernel.adapt(params[b], old, new, info, stage)
            params[b] = jax.tree.map(
                lambda a, p: jnp.where(stage.is_warmup, a, p), adapted, params[b]
            )
            if blk.is_discrete:
                ints = ints.at[index[b]].set(new)
            else:
                z = z.at[index[b]].set(new)
            infos.append(info)
        state = CompoundState(z, ints, tuple(params), joint_logdensity_fn(z, ints))
        return state, tuple(infos)

    return init, step


def _restrict(fn, z, ints, idx):
    return lambda x: fn(z, ints.at[idx].set(x))


def block_names(blocks: list[Block]) -> list[str]:
    """A unique stats prefix per block: the kernel name, numbered when repeated."""
    names: list[str] = []
    for blk in blocks:
        name, k = blk.kernel.name, 1
        while name in names:
            k += 1
            name = f"{blk.kernel.name}_{k}"
        names.append(name)
    return names
