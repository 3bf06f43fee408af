"""An MCMC run cut into equal segments driven from the host: the friendly driver's way.

Each segment is the same compiled program (the schedule slice is an argument), so a run
compiles three small programs (start, segment, finish) once per model shape, none with
host callbacks: JAX's persistent compilation cache can keep them, and a second process
skips compilation. Between segments the host moves the progress bar and takes the new
draws off the device, so device memory holds one segment of draws at a time. The draws
are identical to those of :func:`pplx.infer.nuts_run` with the same key.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from pplx.infer.chains import RunOutput, advance, final_state, init_carry, schedule, segment_plan
from pplx.infer.entry import NUTSResult, finish, initial_positions
from pplx.model import Model
from pplx.runtime import progress as progress_lib
from pplx.runtime.jit import filter_jit


@filter_jit
def _start(
    model: Model,
    key,
    init_positions,
    state,
    *,
    num_chains,
    num_warmup,
    dense_mass,
    kernel,
    adaptation,
):
    init_key, _ = jax.random.split(key)
    positions, ok = initial_positions(model, init_key, num_chains, init_positions, state)
    carry = init_carry(
        model.logdensity,
        positions,
        state,
        num_warmup=num_warmup,
        dense_mass=dense_mass,
        kernel=kernel,
        adaptation=adaptation,
    )
    return carry, positions, ok


@filter_jit
def _segment(model: Model, key, carry, steps, *, buffer_size, target_accept, kernel, adaptation):
    _, run_key = jax.random.split(key)
    return advance(
        model.logdensity,
        run_key,
        carry,
        steps,
        buffer_size,
        target_accept=target_accept,
        kernel=kernel,
        adaptation=adaptation,
    )


@filter_jit
def _finish(model: Model, out: RunOutput, init_positions, init_ok, log_likelihood):
    return finish(model, out, init_positions, init_ok, log_likelihood)


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
    num_segments: int = 20,
    progress_bar: bool = True,
) -> NUTSResult:
    """Vectorised chains of ``kernel`` (a spec from :mod:`pplx.kernels.spec`), warmed up
    with ``adaptation`` (``"stan"`` or ``"grad"``), in ``num_segments`` host-driven
    segments (see the module doc)."""
    carry, positions, ok = _start(
        model,
        key,
        init_positions,
        state,
        num_chains=num_chains,
        num_warmup=num_warmup,
        dense_mass=dense_mass,
        kernel=kernel,
        adaptation=adaptation,
    )
    if not bool(jnp.all(ok)):  # fail before sampling; the caller explains which sites
        return NUTSResult({}, {}, None, positions, ok, {}, {})
    segments, kept, length = segment_plan(
        schedule(num_warmup, num_samples, thinning, adaptation),
        min(num_segments, num_warmup + num_samples),
    )
    hook = progress_lib.ProgressHook(num_warmup, num_samples * thinning, num_chains)
    if progress_bar:
        progress_lib.start(hook)
    drawn, done = [], 0
    try:
        for steps, count in zip(segments, kept, strict=True):
            carry, (pos, info) = _segment(
                model,
                key,
                carry,
                steps,
                buffer_size=length,
                target_accept=target_accept,
                kernel=kernel,
                adaptation=adaptation,
            )
            if count:
                drawn.append(jax.tree.map(lambda a, n=count: np.asarray(a[:n]), (pos, info)))
            done = min(done + length, hook.total)
            if progress_bar:
                progress_lib.report(
                    done - 1, int(carry.divergences), float(jnp.mean(carry.adapt.step_size))
                )
    finally:
        if progress_bar:
            progress_lib.finish()
    pos, info = jax.tree.map(lambda *parts: np.concatenate(parts), *drawn)
    swap = lambda a: jnp.swapaxes(jnp.asarray(a), 0, 1)
    out = RunOutput(swap(pos), jax.tree.map(swap, info), final_state(carry), carry.warmup_n_steps)
    return _finish(model, out, positions, ok, log_likelihood)
