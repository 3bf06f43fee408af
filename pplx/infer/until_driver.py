"""``pplx.nuts(..., until=pplx.Converged(...))`` and ``pplx.hmc(..., until=...)``: the
friendly side of a run until converged.

Without a progress bar the whole run is one compiled program
(:func:`pplx.infer.until_run.mcmc_until`). With one, the host drives the same loop one
block at a time (three compiled programs: start, block, finish; the block is the
compiled loop's body, so the draws are the same) and the bar shows, after each check,
the worst R-hat and the smallest bulk and tail ESS so far; no host callback enters a
program, so JAX's persistent compilation cache can keep them. Either way only the draws
made are kept, and the result's attributes say why the run stopped (``until_reason``:
``"converged"`` or ``"max_draws"``; ``until_num_draws``; the worst R-hat and ESS at the
last check).
"""

from __future__ import annotations

import warnings

import jax
import numpy as np

from pplx.diagnostics.warning import ConvergenceWarning
from pplx.infer.chains import as_output
from pplx.infer.until import Converged, loop_continues
from pplx.infer.until_run import (
    BlockSettings,
    check_until_settings,
    mcmc_until,
    until_body,
    until_start,
)
from pplx.runtime import progress as progress_lib
from pplx.runtime.jit import filter_jit
from pplx.runtime.keys import as_key

_compiled = filter_jit(mcmc_until)


@filter_jit
def _start(model, key, init_positions, state, *, until, num_chains, num_warmup, settings, dense):
    from pplx.infer.entry import start_positions

    _, run_key = jax.random.split(key)
    positions, search = start_positions(model, num_chains, init_positions, state)
    return until_start(
        model.logdensity,
        run_key,
        positions,
        until=until,
        state=state,
        num_warmup=num_warmup,
        settings=settings,
        dense_mass=dense,
        search_start=search,
    )


@filter_jit
def _block(model, key, loop, *, until, num_warmup, settings):
    _, run_key = jax.random.split(key)
    return until_body(model.logdensity, run_key, until, num_warmup, settings)(loop)


@filter_jit
def _finish(model, loop, log_likelihood):
    from pplx.infer.entry import finish

    return finish(model, as_output(loop.carry, loop.buffer), log_likelihood)


def _worst(values, largest: bool) -> float:
    """The largest (or smallest) non-NaN value; NaN when there is none (one chain's
    R-hat)."""
    a = np.asarray(values, float)
    a = a[~np.isnan(a)]
    if not a.size:
        return float("nan")
    return float(a.max() if largest else a.min())


def _figures(info) -> dict:
    """The bar's figures after a check: worst R-hat, smallest bulk and tail ESS."""
    return dict(
        rhat=f"{_worst(info.rhat, True):.4g}",
        ess_bulk=f"{_worst(info.ess_bulk, False):.4g}",
        ess_tail=f"{_worst(info.ess_tail, False):.4g}",
    )


def run_with_progress(model, key, until: Converged, *, kernel, init_positions, **options):
    """The loop of :func:`mcmc_until` driven from the host one block at a time, with a
    progress bar; returns what :func:`mcmc_until` returns (``(NUTSResult, UntilInfo)``)."""
    from pplx.infer.entry import NUTSResult

    num_warmup, num_chains = options["num_warmup"], options["num_chains"]
    every = until.check_every
    settings = BlockSettings(
        every, options["chain_method"], options["target_accept"], kernel, options["adaptation"]
    )
    static = dict(until=until, num_warmup=num_warmup, settings=settings)
    loop = _start(
        model,
        key,
        init_positions,
        options["state"],
        num_chains=num_chains,
        dense=options["dense_mass"],
        **static,
    )
    warm_blocks = -(-num_warmup // every)
    progress_lib.start(progress_lib.ProgressHook(num_warmup, until.max_draws, num_chains))
    try:
        while bool(loop_continues(loop, until)):
            loop = _block(model, key, loop, **static)
            if not bool(np.all(np.asarray(loop.carry.start_ok))):  # the caller explains
                carry = loop.carry
                return NUTSResult({}, {}, None, carry.start, carry.start_ok, {}, {}), loop.info
            block = int(loop.block)
            done = min(block * every, num_warmup)
            figures = {}
            if block > warm_blocks:
                done = num_warmup + int(loop.info.num_draws)
                figures = _figures(loop.info)
            step_size = float(np.mean(np.asarray(loop.carry.adapt.step_size)))
            progress_lib.report(done - 1, int(loop.carry.divergences), step_size, **figures)
        progress_lib.end_at(num_warmup + int(loop.info.num_draws) - 1)
    finally:
        progress_lib.finish()
    return _finish(model, loop, options["log_likelihood"]), loop.info


def _warn(posterior, until: Converged, num_chains: int, max_tree_depth) -> None:
    """The drivers' convergence warnings, with the run's own R-hat and ESS targets as
    thresholds (a run that met ``ess_bulk=300`` is not told its ESS is below 400)."""
    from pplx import diagnostics
    from pplx.infer.stuck_chains import stuck_chain_warnings

    targets = [t for t in (until.ess_bulk, until.ess_tail) if t is not None]
    messages = diagnostics.convergence_warnings(
        posterior.draws,
        posterior.stats,
        max_tree_depth=max_tree_depth,
        rhat_threshold=1.01 if until.rhat is None else float(until.rhat),
        min_ess_per_chain=min(targets) / num_chains if targets else 100.0,
    )
    step_size = np.asarray(posterior.state.step_size)
    messages += stuck_chain_warnings(posterior.draws, posterior.stats, step_size)
    for message in messages:
        warnings.warn(message, ConvergenceWarning, stacklevel=5)


def drive_until(model, key, until: Converged, kernel, **options):
    """Run :func:`mcmc_until` with the options of :func:`pplx.nuts` (or
    :func:`pplx.hmc`) and ``kernel`` (a spec); see the module doc.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)
        >>> until = pplx.Converged(ess_bulk=100, ess_tail=100, max_draws=400, check_every=50)
        >>> idata = pplx.nuts(mean_model(jnp.ones(5)), jax.random.key(0), num_warmup=200,
        ...                   num_chains=2, until=until, progress_bar=False)
        >>> idata.posterior.attrs["until_reason"], idata.posterior["mu"].shape[1] <= 400
        ('converged', True)
    """
    from pplx.infer import drivers
    from pplx.infer.entry import _check_settings, to_posterior
    from pplx.model.checks import require_continuous_latents
    from pplx.results.prefetch import prefetch_arviz
    from pplx.runtime.timing import Timer

    key = as_key(key)
    if options.pop("thinning") != 1:
        raise ValueError("until= keeps every draw: use thinning=1.")
    if options.pop("data_sharding", None) is not None:
        raise ValueError("until= does not shard data yet: use data_sharding=None.")
    if options.pop("stream_block", None) is not None:
        raise ValueError("until= runs in blocks of check_every draws: use stream_block=None.")
    options.pop("num_samples")
    progress_bar = options.pop("progress_bar")
    coords = model.check_coords(options.pop("coords"))
    as_idata = options.pop("return_inferencedata")
    init = options.pop("init")
    num_chains, num_warmup = options["num_chains"], options["num_warmup"]
    _check_settings(num_warmup, 1, num_chains, options["target_accept"], kernel)
    require_continuous_latents(model, kernel.name)
    drivers.check_adaptation(options["adaptation"], options["dense_mass"])
    options["chain_method"] = check_until_settings(
        until, num_chains, num_warmup, options["state"], options["chain_method"]
    )
    init_positions = drivers._user_init(model, init, key, num_chains)
    if as_idata:
        prefetch_arviz()  # imports while XLA compiles (see pplx.results.prefetch)
    run = run_with_progress if progress_bar else _compiled
    with Timer() as timer:
        result, info = run(
            model, key, until, kernel=kernel, init_positions=init_positions, **options
        )
        result = jax.block_until_ready(result)
    if not bool(np.all(np.asarray(result.init_ok))):  # no finite start: _report explains
        return drivers._report(model, result, timer, kernel, as_idata, coords)
    n = int(info.num_draws)
    keep = lambda tree: {k: np.asarray(v)[:, :n] for k, v in tree.items()}
    result = result._replace(
        draws=keep(result.draws),
        stats=keep(result.stats),
        log_likelihood=keep(result.log_likelihood),
    )
    posterior = to_posterior(model, result, coords)
    posterior.attrs.update(timer.as_attrs(), sampler=kernel.name)
    _warn(posterior, until, num_chains, getattr(kernel, "max_tree_depth", None))
    posterior.attrs.update(
        until_reason="converged" if bool(info.converged) else "max_draws",
        until_num_draws=n,
        until_max_rhat=_worst(info.rhat, True),
        until_min_ess_bulk=_worst(info.ess_bulk, False),
        until_min_ess_tail=_worst(info.ess_tail, False),
    )
    return posterior.to_arviz() if as_idata else posterior
