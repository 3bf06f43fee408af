"""What every chain of a run does the same way, beside the loop of :mod:`pplx.infer.chains`:
map a per-chain function over the chain axis (:func:`over_chains`), pick chains
(:func:`select_chains`), and start a chain inside its first transition: a kernel state
whose density is not yet evaluated (:func:`placeholder_state`), then one search for its
start and step size (:func:`maybe_search_chains`, :mod:`pplx.kernels.initialize`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

from pplx.kernels import adaptation as stan_adapt
from pplx.kernels.initialize import search_start
from pplx.kernels.nuts import NUTSState
from pplx.kernels.random_words import seeds_from_key

if TYPE_CHECKING:
    from pplx.infer.adapters import Steps
    from pplx.infer.chains import RunCarry


def over_chains(fn: Callable, in_axes=0) -> Callable:
    """``jax.vmap(fn, in_axes)`` over the leading chain axis, except that a single chain
    (an axis of size 1, as ``chain_method="sequential"`` runs them) calls ``fn`` unbatched.

    A vmapped ``while_loop`` whose condition depends on the batch runs while any member
    continues and selects every carried value at every iteration; with one chain that
    selection is pure cost (NUTS on a 10-dimensional model: ~450 against ~250 ns per
    leapfrog step on CPU). The size is static, so the choice costs nothing at run time.

    Example:
        >>> import jax.numpy as jnp
        >>> over_chains(jnp.sum)(jnp.ones((1, 3))).tolist()
        [3.0]
        >>> over_chains(jnp.sum)(jnp.ones((2, 3))).tolist()
        [3.0, 3.0]
    """
    batched = jax.vmap(fn, in_axes=in_axes)

    def call(*args):
        axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(args)
        pairs = list(zip(args, axes, strict=True))
        mapped = [jax.tree.leaves(a) for a, axis in pairs if axis is not None]
        if not all(leaf.shape[0] == 1 for leaves in mapped for leaf in leaves):
            return batched(*args)
        squeeze = lambda a, axis: a if axis is None else jax.tree.map(lambda x: x[0], a)
        out = fn(*(squeeze(a, axis) for a, axis in pairs))
        return jax.tree.map(lambda x: x[None], out)

    return call


#: A chain's start and step-size searches hash their seeds from the transition's key and
#: this stream number (:func:`pplx.kernels.random_words.seeds_from_key`).
SEARCH_STREAM = 0x5EA4C4


def select_chains(mask, a, b):
    """Per chain (leading axis): ``a`` where ``mask``, else ``b``."""
    pick = lambda u, v: jnp.where(mask.reshape(mask.shape + (1,) * (u.ndim - 1)), u, v)
    return jax.tree.map(pick, a, b)


def search_chains(logdensity_fn: Callable, scheme, adaptation, carry: RunCarry, keys, searches):
    """Each chain's start (where ``start_tries > 0``: :mod:`pplx.kernels.initialize`)
    and, where ``searches``, a reasonable step size at its point and mass matrix,
    searched from its current step size (dual averaging restarts there): one loop, one
    gradient in the program. Returns the new carry and the step-size search's gradient
    evaluations per chain."""
    mass_at_start = None
    if adaptation in ("fisher", "grad"):  # their mass matrix starts from the gradient

        def mass_at_start(z, grad):
            placeholder = jnp.zeros((), z.dtype)
            return scheme.init(NUTSState(z, placeholder, grad)).inverse_mass_matrix

    def one(key, state, adapt, tries, applies):
        found = search_start(
            logdensity_fn,
            seeds_from_key(key, SEARCH_STREAM, 2),
            state.position,
            state.logdensity,
            state.logdensity_grad,
            adapt.inverse_mass_matrix,
            adapt.step_size,
            start_tries=tries,
            search_step_size=applies,
            mass_at_start=mass_at_start,
        )
        state = state._replace(
            position=found.position,
            logdensity=found.logdensity,
            logdensity_grad=found.logdensity_grad,
        )
        if mass_at_start is not None:  # the others' first state does not depend on it
            fresh = scheme.init(state)._replace(step_size=adapt.step_size)
            adapt = jax.tree.map(lambda a, b: jnp.where(tries > 0, a, b), fresh, adapt)
        searched = adapt._replace(
            dual_averaging=stan_adapt.dual_averaging_init(found.step_size),
            step_size=found.step_size,
        )
        adapt = jax.tree.map(lambda a, b: jnp.where(applies, a, b), searched, adapt)
        return state, adapt, found.position, found.ok, jnp.where(applies, found.num_grads, 0)

    applies = jnp.broadcast_to(searches, carry.start_tries.shape)
    if scheme.searches is not None:  # a chain that has settled keeps its step size
        applies = applies & over_chains(scheme.searches)(carry.adapt)
    state, adapt, start, ok, grads = over_chains(one)(
        keys, carry.kernel_state, carry.adapt, carry.start_tries, applies
    )
    starting = carry.start_tries > 0
    new = carry._replace(
        kernel_state=state,
        adapt=adapt,
        start=select_chains(starting, start, carry.start),
        start_ok=jnp.where(starting, ok, carry.start_ok),
        start_tries=jnp.zeros_like(carry.start_tries),
    )
    return new, grads.astype(jnp.int32)


def maybe_search_chains(logdensity_fn, scheme, adaptation, carry: RunCarry, keys, x: Steps):
    """:func:`search_chains` when a chain starts or a step-size search is due (one flag for
    all chains: a real branch)."""
    num_chains = carry.start_tries.shape[0]
    when = x.active & (x.searches | jnp.any(carry.start_tries > 0))
    return jax.lax.cond(
        when,
        lambda c: search_chains(logdensity_fn, scheme, adaptation, c, keys, x.searches),
        lambda c: (c, jnp.zeros(num_chains, jnp.int32)),
        carry,
    )


def placeholder_state(kernel, positions: jax.Array):
    """A kernel state at ``positions`` whose density is not yet evaluated (the first
    transition's search evaluates it); its structure comes from the kernel built on a
    stand-in density, so the model is not traced for it."""
    stand_in = kernel.build(lambda z: jnp.sum(z))
    shapes = jax.eval_shape(jax.vmap(stand_in.init), positions)
    zeros = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), shapes)
    return zeros._replace(position=positions)
