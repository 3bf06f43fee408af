"""Drivers: warmup and sampling as ``lax.scan`` over a static schedule, chains vectorised.

A run is a pure function of (log density, key, start, settings). Warmup and sampling
share one scan body (the kernel is traced and compiled once); the adaptation is frozen
after the last warmup step by selecting, not branching. The key of chain ``c`` at
transition ``t`` is ``fold_in(fold_in(key, t), c)``: it depends on neither the number of
chains, nor how they are run, nor how the run is cut into segments, so a resumed run
continues exactly where a longer run would have gone.

The same :func:`advance` serves a whole run in one call (:func:`run_chains`, the pure
entry) and a run cut into equal segments driven from the host (:func:`segment_plan`),
which is how the friendly driver shows progress without host callbacks in the compiled
program (such programs cannot be kept in JAX's persistent compilation cache).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.infer.adapters import Steps, adapter, schedule
from pplx.infer.chain_ops import (
    maybe_search_chains,
    over_chains,
    placeholder_state,
    select_chains,
)
from pplx.kernels import adaptation as stan_adapt
from pplx.kernels import adaptation_fisher as fisher_adapt
from pplx.kernels import adaptation_grad as grad_adapt
from pplx.kernels import adaptation_settle as settle_adapt
from pplx.kernels.initialize import MAX_TRIES
from pplx.kernels.nuts import NUTSInfo, NUTSState
from pplx.kernels.spec import DEFAULT_KERNEL
from pplx.runtime.xla_options import small_loops_active

CHAIN_METHODS = ("auto", "vectorized", "sequential", "parallel")
#: ``chain_method="auto"`` runs up to this many chains one after another on a CPU when
#: XLA compiles loops kernel by kernel (see :mod:`pplx.runtime.xla_options`).
AUTO_SEQUENTIAL_MAX_CHAINS = 8


def resolve_chain_method(chain_method: str, num_chains: int) -> str:
    """The chain method to run: ``"auto"`` becomes ``"sequential"`` on a CPU and
    ``"vectorized"`` on an accelerator; other methods are returned unchanged.

    On a CPU, vmapped chains advance in lockstep (each NUTS transition lasts as long as
    the longest trajectory of any chain) and a batched gradient is rarely cheaper than
    the same gradients one after another. When XLA compiles the sampler's loops into
    single kernels (the option ``import pplx`` sets), one chain costs less per leapfrog
    step than a batch of chains, so chains run in sequence whatever their number (eight
    schools, 64 chains: 56 800 against 19 300 draws per second; kidiq 3 300 against
    460). Without that option, the loop's per-kernel cost is shared by a batch, so only
    up to ``AUTO_SEQUENTIAL_MAX_CHAINS`` chains run in sequence.

    Example:
        >>> resolve_chain_method("parallel", 4)
        'parallel'
    """
    if chain_method != "auto":
        return chain_method
    if jax.default_backend() != "cpu":
        return "vectorized"
    few = num_chains <= AUTO_SEQUENTIAL_MAX_CHAINS
    return "sequential" if few or small_loops_active() else "vectorized"


class ChainState(NamedTuple):
    """Where each chain is (leading axis: chain), what it samples with, and how far it is.

    Pass it back as ``state=`` to continue the same chains (no new warmup).
    """

    kernel_state: NUTSState
    step_size: jax.Array
    inverse_mass_matrix: jax.Array
    iteration: jax.Array


class RunOutput(NamedTuple):
    """Flat draws ``(chain, draw, d)``, per-draw stats ``(chain, draw)``, final state,
    per-chain warmup figures (:func:`warmup_stats`), and each chain's starting point
    ``(chain, d)`` with whether its log density and gradient were finite."""

    positions: jax.Array
    info: NUTSInfo
    state: ChainState
    warmup_stats: dict
    start: jax.Array
    start_ok: jax.Array


class RunCarry(NamedTuple):
    """Everything a run carries from one transition to the next (chain axis first)."""

    kernel_state: NUTSState
    adapt: (
        stan_adapt.WindowState
        | grad_adapt.GradAdaptState
        | fisher_adapt.FisherAdaptState
        | settle_adapt.SettlingState
    )
    divergences: jax.Array  # so far in the current phase, all chains (progress display)
    warmup_n_steps: jax.Array  # (chain,)
    iteration: jax.Array  # index of the next transition
    start: jax.Array  # (chain, d): where each chain started
    start_ok: jax.Array  # (chain,): its log density and gradient were finite there
    start_tries: jax.Array  # (chain,): 0 started; 1 evaluate `start`; more: search the cube


def segment_plan(steps: Steps, num_segments: int) -> tuple[list[Steps], list[int], int]:
    """Cut a schedule into equal segments (the last padded with inactive steps).

    Returns the segments (slots made relative to each segment's buffer), the number of
    draws each keeps, and the segment length (also its buffer size).
    """
    total = len(steps.active)
    length = -(-total // num_segments)
    padded = Steps(
        *[np.concatenate([a, np.zeros(length * num_segments - total, a.dtype)]) for a in steps]
    )
    segments, kept = [], []
    for i in range(num_segments):
        part = Steps(*[a[i * length : (i + 1) * length] for a in padded])
        first = part.slot[part.keep].min() if part.keep.any() else 0
        segments.append(part._replace(slot=np.where(part.keep, part.slot - first, 0)))
        kept.append(int(part.keep.sum()))
    return segments, kept, length


def chain_keys(key, iteration, chain_ids):
    """Each chain's key for the transition at ``iteration``: ``key`` folded with the
    iteration, then with the chain id (the same for any chain method or grouping)."""
    step_key = jax.random.fold_in(key, iteration)
    return over_chains(lambda c: jax.random.fold_in(step_key, c))(chain_ids)


#: ``adaptation="fisher"`` jitters each transition's step size from this stream.
_JITTER_STREAM = 0x717E4


def _step_sizes(adaptation: str, keys, step_size):
    """The step size each chain's next transition uses: jittered for ``"fisher"``."""
    if adaptation != "fisher":
        return step_size
    jitter = lambda k, e: fisher_adapt.jittered(jax.random.fold_in(k, _JITTER_STREAM), e)
    return over_chains(jitter)(keys, step_size)


def init_carry(
    init_positions: jax.Array | None,
    state: ChainState | None,
    *,
    num_warmup: int,
    dense_mass: bool = False,
    kernel=DEFAULT_KERNEL,
    adaptation: str = "stan",
    search_start: bool = False,
) -> RunCarry:
    """The carry before the first transition: from ``state``, or from starting points
    ``init_positions`` ``(chain, d)`` (with ``search_start``, only their shape: the first
    transition searches each chain's start). A fresh chain's log density is first
    evaluated in its first transition (:func:`pplx.infer.chain_ops.search_chains`), not here."""
    adapt_init = over_chains(adapter(adaptation, dense_mass).init)
    if state is not None:
        if num_warmup:
            raise ValueError("a run that continues a state does no warmup: num_warmup=0.")
        adapt = adapt_init(state.kernel_state)._replace(
            step_size=state.step_size, inverse_mass_matrix=state.inverse_mass_matrix
        )
        states, iteration = state.kernel_state, jnp.asarray(state.iteration)[0]
        tries = 0
    else:
        states = placeholder_state(kernel, jnp.asarray(init_positions))
        adapt, iteration = adapt_init(states), 0
        if num_warmup == 0:
            adapt = adapt._replace(step_size=jnp.full_like(adapt.step_size, 0.1))
        tries = MAX_TRIES if search_start else 1
    num_chains = states.position.shape[0]
    return RunCarry(
        states,
        adapt,
        jnp.zeros((), jnp.int32),
        jnp.zeros(num_chains, jnp.int32),
        jnp.asarray(iteration, jnp.int32),
        states.position,
        jnp.full(num_chains, state is not None),
        jnp.full(num_chains, tries, jnp.int32),
    )


def advance(
    logdensity_fn: Callable,
    key: jax.Array,
    carry: RunCarry,
    steps: Steps,
    buffer_size: int,
    *,
    chain_ids: jax.Array | None = None,
    target_accept: float = 0.8,
    kernel=DEFAULT_KERNEL,
    adaptation: str = "stan",
    progress=None,
    progress_offset=0,
) -> tuple[RunCarry, tuple]:
    """Run the transitions of ``steps`` with ``kernel`` (a spec from
    :mod:`pplx.kernels.spec`) and the warmup scheme ``adaptation`` (the one the
    carry and the schedule were made for); return the new carry and the kept draws
    ``(positions (buffer_size, chain, d), info)``, written at ``steps.slot``."""
    algo = kernel.build(logdensity_fn)
    num_chains, num_dims = carry.kernel_state.position.shape
    chain_ids = jnp.arange(num_chains) if chain_ids is None else chain_ids
    dense = carry.adapt.inverse_mass_matrix.ndim == 3
    scheme = adapter(adaptation, dense)
    update = over_chains(scheme.update, in_axes=(0, None, 0, 0, None))
    finalize = over_chains(scheme.final)
    # one jitted step for the buffer's shapes and the loop: JAX traces it once (its trace
    # cache), not twice; nested in this program, it compiles inline
    step = jax.jit(over_chains(algo.step))

    info_shape = jax.eval_shape(
        step,
        chain_keys(key, carry.iteration, chain_ids),
        carry.kernel_state,
        carry.adapt.step_size,
        carry.adapt.inverse_mass_matrix,
    )[1]

    def transition(carry: RunCarry, x: Steps, keys):
        adapt = carry.adapt
        step_size = _step_sizes(adaptation, keys, adapt.step_size)
        states, info = step(keys, carry.kernel_state, step_size, adapt.inverse_mass_matrix)
        adapt = update(adapt, (x.is_slow, x.ends_window), states, info, target_accept)
        return states, adapt, info

    def skip(carry: RunCarry, x: Steps, keys):
        info = jax.tree.map(lambda s: jnp.zeros(s.shape, s.dtype), info_shape)
        return carry.kernel_state, carry.adapt, info

    def moved(carry: RunCarry, x: Steps, keys):
        """The transition, skipped for chains whose warmup has ended early (Settled)."""
        if scheme.done is None:
            return transition(carry, x, keys)
        moving = ~(x.is_warmup & over_chains(scheme.done)(carry.adapt))
        out = jax.lax.cond(jnp.any(moving), transition, skip, carry, x, keys)
        return select_chains(moving, out, skip(carry, x, keys))

    def body(inner, x: Steps):
        previous, buffer = inner
        keys = chain_keys(key, previous.iteration, chain_ids)
        # a fresh chain's start, then a reasonable step size (search_schedule): at the
        # first transition, and after the transition that ended a window
        carry, grads = maybe_search_chains(logdensity_fn, scheme, adaptation, previous, keys, x)
        states, adapt, info = moved(carry, x, keys)
        adapt = adapt._replace(
            step_size=jnp.where(x.is_last_warmup, finalize(adapt)[0], adapt.step_size)
        )
        adapt = jax.tree.map(lambda a, b: jnp.where(x.is_warmup, a, b), adapt, carry.adapt)
        divergences = carry.divergences + jnp.sum(info.diverging, dtype=jnp.int32)
        if progress is not None:
            progress.hook(carry.iteration + progress_offset, divergences, jnp.mean(adapt.step_size))
        new = carry._replace(
            kernel_state=states,
            adapt=adapt,
            divergences=jnp.where(x.is_last_warmup, 0, divergences),  # warmup, then sampling
            warmup_n_steps=carry.warmup_n_steps + jnp.where(x.is_warmup, info.n_steps + grads, 0),
            iteration=carry.iteration + 1,
        )
        new = jax.tree.map(lambda a, b: jnp.where(x.active, a, b), new, previous)
        write = x.keep & x.active
        buffer = jax.tree.map(
            lambda b, v: b.at[x.slot].set(jnp.where(write, v, b[x.slot])),
            buffer,
            (states.position, info),
        )
        return (new, buffer), None

    buffer = (
        jnp.zeros((buffer_size, num_chains, num_dims), carry.kernel_state.position.dtype),
        jax.tree.map(lambda s: jnp.zeros((buffer_size,) + s.shape, s.dtype), info_shape),
    )
    steps = Steps(*[jnp.asarray(a) for a in steps])
    (carry, buffer), _ = jax.lax.scan(body, (carry, buffer), steps)
    return carry, buffer


def final_state(carry: RunCarry) -> ChainState:
    """The chain state to hand back to a later run."""
    num_chains = carry.kernel_state.position.shape[0]
    return ChainState(
        carry.kernel_state,
        carry.adapt.step_size,
        carry.adapt.inverse_mass_matrix,
        jnp.full((num_chains,), carry.iteration),
    )


def warmup_stats(carry: RunCarry) -> dict[str, jax.Array]:
    """Per chain: ``n_steps``, the integration steps (gradient evaluations) spent in
    warmup, and with :class:`pplx.Settled` ``draws``, the warmup transitions it ran."""
    stats = {"n_steps": carry.warmup_n_steps}
    if isinstance(carry.adapt, settle_adapt.SettlingState):
        stats["draws"] = carry.adapt.warmup_draws
    return stats


def as_output(carry: RunCarry, buffer) -> RunOutput:
    """Draws with the chain axis first, and the final state."""
    positions, info = buffer
    swap = lambda a: jnp.swapaxes(a, 0, 1)
    return RunOutput(
        swap(positions),
        jax.tree.map(swap, info),
        final_state(carry),
        warmup_stats(carry),
        carry.start,
        carry.start_ok,
    )


def run_chains(
    logdensity_fn: Callable,
    key: jax.Array,
    init_positions: jax.Array | None = None,
    *,
    state: ChainState | None = None,
    num_warmup: int,
    num_samples: int,
    thinning: int = 1,
    target_accept: float = 0.8,
    kernel=DEFAULT_KERNEL,
    dense_mass: bool = False,
    adaptation: str = "stan",
    chain_ids: jax.Array | None = None,
    progress=None,
    progress_offset=0,
    search_start: bool = False,
) -> RunOutput:
    """``kernel`` (NUTS by default, or HMC: see :mod:`pplx.kernels.spec`) with warmup
    adaptation, all chains vectorised, in one scan.

    ``adaptation`` is ``"stan"`` (Stan's windows: Welford estimates of the draw
    (co)variance), ``"grad"`` (diagonal ``sqrt(var(x) / var(grad))`` over short, growing
    windows: :mod:`pplx.kernels.adaptation_grad`) or ``"fisher"`` (the same estimate on
    nutpie's schedule, with a jittered step size: :mod:`pplx.kernels.adaptation_fisher`);
    the last two are diagonal only.

    Starts from ``init_positions`` ``(chains, d)`` (with warmup; with ``search_start``,
    from points its first transition searches, ``init_positions`` giving only the shape:
    :mod:`pplx.kernels.initialize`) or continues ``state`` (warmup already done:
    ``num_warmup`` must be 0). Keeps every ``thinning``-th draw.
    Returns draws ``(chain, draw, d)``. ``chain_ids`` (default ``0..chains-1``) pick the
    chains' random streams. Pure; ``progress`` is None or an object with
    ``hook(iteration, divergences, step_size)`` called inside the loop.
    """
    carry = init_carry(
        init_positions,
        state,
        num_warmup=num_warmup,
        dense_mass=dense_mass,
        kernel=kernel,
        adaptation=adaptation,
        search_start=search_start,
    )
    carry, buffer = advance(
        logdensity_fn,
        key,
        carry,
        schedule(num_warmup, num_samples, thinning, adaptation),
        num_samples,
        chain_ids=chain_ids,
        target_accept=target_accept,
        kernel=kernel,
        adaptation=adaptation,
        progress=progress,
        progress_offset=progress_offset - carry.iteration,
    )
    return as_output(carry, buffer)


def run_sequentially(run_chains: Callable, per_chain_inputs):
    """Call ``run_chains`` (which takes inputs with a leading chain axis) one chain at a
    time with ``lax.map`` (less memory than vectorised chains) and stack the results."""
    out = jax.lax.map(lambda x: run_chains(jax.tree.map(lambda a: a[None], x)), per_chain_inputs)
    return jax.tree.map(lambda a: a.reshape((-1,) + a.shape[2:]), out)
