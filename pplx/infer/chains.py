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

from pplx.kernels import adaptation as stan_adapt
from pplx.kernels import adaptation_fisher as fisher_adapt
from pplx.kernels import adaptation_grad as grad_adapt
from pplx.kernels.nuts import NUTSInfo, NUTSState
from pplx.kernels.spec import DEFAULT_KERNEL
from pplx.kernels.step_size import find_reasonable_step_size
from pplx.runtime.xla_options import small_loops_active

CHAIN_METHODS = ("auto", "vectorized", "sequential", "parallel")
ADAPTATIONS = ("stan", "grad", "fisher")
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
    """Flat draws ``(chain, draw, d)``, per-draw stats ``(chain, draw)``, final state, and
    the number of integration steps (gradient evaluations) each chain spent in warmup."""

    positions: jax.Array
    info: NUTSInfo
    state: ChainState
    warmup_n_steps: jax.Array


class RunCarry(NamedTuple):
    """Everything a run carries from one transition to the next (chain axis first)."""

    kernel_state: NUTSState
    adapt: stan_adapt.WindowState | grad_adapt.GradAdaptState | fisher_adapt.FisherAdaptState
    divergences: jax.Array  # so far in the current phase, all chains (progress display)
    warmup_n_steps: jax.Array  # (chain,)
    iteration: jax.Array  # index of the next transition


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


def check_adaptation(adaptation: str, dense_mass: bool) -> None:
    """Raise ``ValueError`` for an unknown scheme or one that cannot adapt a dense matrix."""
    if adaptation not in ADAPTATIONS:
        raise ValueError(f"adaptation must be one of {ADAPTATIONS}, got {adaptation!r}.")
    if adaptation in ("grad", "fisher") and dense_mass:
        raise ValueError(
            f"adaptation={adaptation!r} adapts a diagonal mass matrix only: use "
            "dense_mass=False, or adaptation='stan' for a dense one."
        )


def adapter(adaptation: str = "stan", dense_mass: bool = False) -> Adapter:
    """The :class:`Adapter` for ``"stan"`` (windowed Welford, diagonal or dense),
    ``"grad"`` (``sqrt(var(x) / var(grad))`` over doubling windows, diagonal; see
    :mod:`pplx.kernels.adaptation_grad`) or ``"fisher"`` (the same estimate on nutpie's
    schedule: :mod:`pplx.kernels.adaptation_fisher`)."""
    check_adaptation(adaptation, dense_mass)
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


def schedule(
    num_warmup: int, num_samples: int, thinning: int = 1, adaptation: str = "stan"
) -> Steps:
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


def search_schedule(num_warmup: int, total: int, adaptation: str, is_slow, ends) -> np.ndarray:
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
    if adaptation == "stan":
        after = np.asarray(ends, bool)
    elif adaptation == "fisher" and fisher_adapt.FIRST_ESTIMATE < num_warmup:
        after[fisher_adapt.FIRST_ESTIMATE] = bool(is_slow[fisher_adapt.FIRST_ESTIMATE])
    searches[1:num_warmup] |= after[: num_warmup - 1]
    return searches


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


def _chain_keys(key, iteration, chain_ids):
    step_key = jax.random.fold_in(key, iteration)
    return over_chains(lambda c: jax.random.fold_in(step_key, c))(chain_ids)


#: The step-size search draws its momentum from ``fold_in(transition key, this)``.
_SEARCH_STREAM = 0x5EA4C4
#: ``adaptation="fisher"`` jitters each transition's step size from this stream.
_JITTER_STREAM = 0x717E4


def _step_sizes(adaptation: str, keys, step_size):
    """The step size each chain's next transition uses: jittered for ``"fisher"``."""
    if adaptation != "fisher":
        return step_size
    jitter = lambda k, e: fisher_adapt.jittered(jax.random.fold_in(k, _JITTER_STREAM), e)
    return over_chains(jitter)(keys, step_size)


def _search_step_sizes(logdensity_fn: Callable, keys, kernel_state, adapt):
    """Each chain's reasonable step size (:mod:`pplx.kernels.step_size`) at its current
    point and mass matrix, searched from its current step size; dual averaging restarts
    there. Returns the new adaptation state and the gradient evaluations per chain."""

    def one(key, state, a):
        eps, num_grads = find_reasonable_step_size(
            logdensity_fn,
            jax.random.fold_in(key, _SEARCH_STREAM),
            state.position,
            state.logdensity,
            state.logdensity_grad,
            a.inverse_mass_matrix,
            a.step_size,
        )
        return a._replace(dual_averaging=stan_adapt.dual_averaging_init(eps), step_size=eps), (
            num_grads.astype(jnp.int32)
        )

    return over_chains(one)(keys, kernel_state, adapt)


def _maybe_search(logdensity_fn, when, keys, kernel_state, adapt):
    """:func:`_search_step_sizes` where ``when`` (one flag for all chains: a real branch)."""
    num_chains = kernel_state.position.shape[0]
    return jax.lax.cond(
        when,
        lambda a: _search_step_sizes(logdensity_fn, keys, kernel_state, a),
        lambda a: (a, jnp.zeros(num_chains, jnp.int32)),
        adapt,
    )


def init_carry(
    logdensity_fn: Callable,
    init_positions: jax.Array | None,
    state: ChainState | None,
    *,
    num_warmup: int,
    dense_mass: bool = False,
    kernel=DEFAULT_KERNEL,
    adaptation: str = "stan",
) -> RunCarry:
    """The carry before the first transition: from starting points, or from ``state``."""
    algo = kernel.build(logdensity_fn)
    adapt_init = over_chains(adapter(adaptation, dense_mass).init)
    if state is not None:
        if num_warmup:
            raise ValueError("a run that continues a state does no warmup: num_warmup=0.")
        adapt = adapt_init(state.kernel_state)._replace(
            step_size=state.step_size, inverse_mass_matrix=state.inverse_mass_matrix
        )
        states, start = state.kernel_state, jnp.asarray(state.iteration)[0]
    else:
        states = over_chains(algo.init)(init_positions)
        adapt, start = adapt_init(states), 0
        if num_warmup == 0:
            adapt = adapt._replace(step_size=jnp.full_like(adapt.step_size, 0.1))
    num_chains = states.position.shape[0]
    return RunCarry(
        states,
        adapt,
        jnp.zeros((), jnp.int32),
        jnp.zeros(num_chains, jnp.int32),
        jnp.asarray(start, jnp.int32),
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

    def body(inner, x: Steps):
        carry, buffer = inner
        keys = _chain_keys(key, carry.iteration, chain_ids)
        # a reasonable step size (search_schedule): at the first transition, or after
        # the transition that ended a window, with that transition's random stream
        search_keys = _chain_keys(key, jnp.maximum(carry.iteration - 1, 0), chain_ids)
        when = x.searches & x.active
        adapt, grads = _maybe_search(
            logdensity_fn, when, search_keys, carry.kernel_state, carry.adapt
        )
        step_size = _step_sizes(adaptation, keys, adapt.step_size)
        states, info = step(keys, carry.kernel_state, step_size, adapt.inverse_mass_matrix)
        adapt = update(adapt, (x.is_slow, x.ends_window), states, info, target_accept)
        adapt = adapt._replace(
            step_size=jnp.where(x.is_last_warmup, finalize(adapt)[0], adapt.step_size)
        )
        adapt = jax.tree.map(lambda a, b: jnp.where(x.is_warmup, a, b), adapt, carry.adapt)
        divergences = carry.divergences + jnp.sum(info.diverging, dtype=jnp.int32)
        if progress is not None:
            progress.hook(carry.iteration + progress_offset, divergences, jnp.mean(adapt.step_size))
        new = RunCarry(
            states,
            adapt,
            jnp.where(x.is_last_warmup, 0, divergences),  # warmup, then sampling
            carry.warmup_n_steps + jnp.where(x.is_warmup, info.n_steps + grads, 0),
            carry.iteration + 1,
        )
        new = jax.tree.map(lambda a, b: jnp.where(x.active, a, b), new, carry)
        write = x.keep & x.active
        buffer = jax.tree.map(
            lambda b, v: b.at[x.slot].set(jnp.where(write, v, b[x.slot])),
            buffer,
            (states.position, info),
        )
        return (new, buffer), None

    info_shape = jax.eval_shape(
        step,
        _chain_keys(key, carry.iteration, chain_ids),
        carry.kernel_state,
        carry.adapt.step_size,
        carry.adapt.inverse_mass_matrix,
    )[1]
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


def as_output(carry: RunCarry, buffer) -> RunOutput:
    """Draws with the chain axis first, and the final state."""
    positions, info = buffer
    swap = lambda a: jnp.swapaxes(a, 0, 1)
    return RunOutput(
        swap(positions), jax.tree.map(swap, info), final_state(carry), carry.warmup_n_steps
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
) -> RunOutput:
    """``kernel`` (NUTS by default, or HMC: see :mod:`pplx.kernels.spec`) with warmup
    adaptation, all chains vectorised, in one scan.

    ``adaptation`` is ``"stan"`` (Stan's windows: Welford estimates of the draw
    (co)variance), ``"grad"`` (diagonal ``sqrt(var(x) / var(grad))`` over short, growing
    windows: :mod:`pplx.kernels.adaptation_grad`) or ``"fisher"`` (the same estimate on
    nutpie's schedule, with a jittered step size: :mod:`pplx.kernels.adaptation_fisher`);
    the last two are diagonal only.

    Starts from ``init_positions`` ``(chains, d)`` (with warmup) or continues ``state``
    (warmup already done: ``num_warmup`` must be 0). Keeps every ``thinning``-th draw.
    Returns draws ``(chain, draw, d)``. ``chain_ids`` (default ``0..chains-1``) pick the
    chains' random streams. Pure; ``progress`` is None or an object with
    ``hook(iteration, divergences, step_size)`` called inside the loop.
    """
    carry = init_carry(
        logdensity_fn,
        init_positions,
        state,
        num_warmup=num_warmup,
        dense_mass=dense_mass,
        kernel=kernel,
        adaptation=adaptation,
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
