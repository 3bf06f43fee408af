"""User entry points. The only module that joins the model layer to the kernels.

``nuts_run`` is the pure core (jit- and vmap-able, no Python side effects);
``nuts`` is the friendly driver around it: checks before compiling, a progress bar,
convergence warnings and ArviZ output.
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx import progress as progress_lib
from pplx.errors import ConvergenceWarning
from pplx.jit import filter_jit
from pplx.model import Model
from pplx.model.checks import require_continuous_latents
from pplx.model.initialize import find_initial_position
from pplx.results import Posterior
from pplx.run import CHAIN_METHODS, ChainState, run_nuts, run_sequentially, shard_chains
from pplx.timing import Timer


class NUTSResult(NamedTuple):
    """What ``nuts_run`` returns (all arrays, chain axis first)."""

    draws: dict[str, jax.Array]
    stats: dict[str, jax.Array]
    state: ChainState
    init_positions: jax.Array
    init_ok: jax.Array
    log_likelihood: dict[str, jax.Array]
    warmup_stats: dict[str, jax.Array]


def _check_settings(num_warmup, num_samples, num_chains, target_accept, max_tree_depth):
    for name, value, low in (
        ("num_warmup", num_warmup, 0),
        ("num_samples", num_samples, 1),
        ("num_chains", num_chains, 1),
        ("max_tree_depth", max_tree_depth, 1),
    ):
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be a Python int >= {low}, got {value!r}.")
    if not 0.0 < float(target_accept) < 1.0:
        raise ValueError(f"target_accept must lie in (0, 1), got {target_accept!r}.")


def nuts_run(
    model: Model,
    key: jax.Array,
    *,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    num_chains: int = 4,
    target_accept: float = 0.8,
    max_tree_depth: int = 10,
    dense_mass: bool = False,
    thinning: int = 1,
    chain_method: str = "vectorized",
    init_positions: jax.Array | None = None,
    state: ChainState | None = None,
    log_likelihood: bool = False,
    progress: Any = None,
) -> NUTSResult:
    """NUTS with window adaptation on a bound model: the pure entry.

    Usable inside ``jax.jit`` and ``jax.vmap`` (e.g. over datasets or keys).

    Args:
        model: a bound model (``my_model(data)``).
        key: a JAX PRNG key.
        num_warmup, num_samples, num_chains: run lengths (Python ints).
        target_accept: dual-averaging target for the acceptance rate.
        max_tree_depth: most trajectory doublings per transition.
        dense_mass: adapt a dense inverse mass matrix instead of a diagonal one.
        thinning: keep every ``thinning``-th draw (``num_samples`` draws are kept).
        chain_method: ``"vectorized"`` (chains batched with vmap), ``"sequential"``
            (one after another with ``lax.map``: less memory) or ``"parallel"`` (chains
            split over the devices with ``jax.sharding``).
        init_positions: optional ``(num_chains, d)`` unconstrained starting points;
            by default uniform in (-2, 2), retried until the density is finite.
        state: the ``state`` of an earlier result: continue those chains with their
            adapted step sizes and mass matrices (set ``num_warmup=0``). With the same
            key, the draws equal those of one longer run.
        log_likelihood: also return each observed site's elementwise log-likelihood at
            every draw, ``(chain, draw, *batch_shape)``, for LOO and WAIC.
        progress: optional progress hook (used by :func:`nuts`).

    Returns:
        :class:`NUTSResult` with ``draws`` (site -> ``(chain, draw, *shape)``, constrained,
        deterministics included), ``stats`` (ArviZ names, ``(chain, draw)``) and the final
        chain ``state`` (positions, adapted step sizes and mass matrices);
        ``warmup_stats["n_steps"]``: gradient evaluations per chain during warmup.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> res = pplx.infer.nuts_run(mean_model(jnp.ones(5)), jax.random.key(0),
        ...                           num_warmup=100, num_samples=100, num_chains=2)
        >>> res.draws["mu"].shape
        (2, 100)
    """
    require_continuous_latents(model, "nuts")
    _check_settings(num_warmup, num_samples, num_chains, target_accept, max_tree_depth)
    _check_run_options(thinning, chain_method, state, num_warmup)
    init_key, run_key = jax.random.split(key)
    ids = jnp.arange(num_chains)
    init_positions, init_ok = initial_positions(model, init_key, num_chains, init_positions, state)
    per_pass = num_warmup + num_samples * thinning

    def run_chains(inputs):
        positions, chain_state, chain_ids = inputs
        hook = progress
        if progress is not None and chain_method == "sequential":
            hook = _OffsetHook(progress, chain_ids[0] * per_pass)
        return run_nuts(
            model.logdensity,
            run_key,
            positions,
            state=chain_state,
            num_warmup=num_warmup,
            num_samples=num_samples,
            thinning=thinning,
            target_accept=target_accept,
            max_tree_depth=max_tree_depth,
            dense_mass=dense_mass,
            chain_ids=chain_ids,
            progress=hook,
        )

    inputs = (init_positions, state, ids)
    if chain_method == "sequential":
        out = run_sequentially(run_chains, inputs)
    else:
        if chain_method == "parallel":
            inputs = shard_chains(inputs, num_chains)
        out = run_chains(inputs)
    return finish(model, out, init_positions, init_ok, log_likelihood)


def initial_positions(model: Model, init_key, num_chains: int, init_positions, state):
    """Starting points ``(num_chains, d)`` and whether each has a finite log density."""
    if state is not None:
        return state.kernel_state.position, jnp.ones(num_chains, bool)
    if init_positions is None:
        return jax.vmap(
            lambda c: find_initial_position(
                model.logdensity, jax.random.fold_in(init_key, c), model.num_dims
            )
        )(jnp.arange(num_chains))
    init_positions = jnp.broadcast_to(init_positions, (num_chains, model.num_dims))
    return init_positions, jax.vmap(lambda z: jnp.isfinite(model.logdensity(z)))(init_positions)


def finish(model: Model, out, init_positions, init_ok, log_likelihood: bool) -> NUTSResult:
    """Constrained draws, ArviZ-named stats and the result of a run's flat output."""
    draws = jax.vmap(jax.vmap(model.constrain))(out.positions)
    stats = dict(out.info._asdict())
    stats["step_size"] = jnp.broadcast_to(out.state.step_size[:, None], stats["lp"].shape)
    loglik = {}
    if log_likelihood:
        loglik = jax.vmap(jax.vmap(model.pointwise_loglik))(out.positions)
    warmup = {"n_steps": out.warmup_n_steps}
    return NUTSResult(draws, stats, out.state, init_positions, init_ok, loglik, warmup)


class _OffsetHook(NamedTuple):
    """A progress hook for one chain of a sequential run: iterations shifted by the
    work of the chains before it."""

    inner: Any
    offset: jax.Array

    def hook(self, iteration, divergences, step_size) -> None:
        self.inner.hook(iteration + self.offset, divergences, step_size)


def _check_run_options(thinning, chain_method, state, num_warmup) -> None:
    if not isinstance(thinning, int) or thinning < 1:
        raise ValueError(f"thinning must be a positive int, got {thinning!r}.")
    if chain_method not in CHAIN_METHODS:
        raise ValueError(f"chain_method must be one of {CHAIN_METHODS}, got {chain_method!r}.")
    if state is not None and num_warmup != 0:
        raise ValueError("continuing a state needs num_warmup=0: its chains are already adapted.")


_nuts_compiled = filter_jit(nuts_run)


def _user_init(model: Model, init, key, num_chains: int) -> jax.Array | None:
    if init is None:
        return None
    if isinstance(init, str):
        from pplx import vi

        if init not in ("advi", "pathfinder"):
            raise ValueError(
                f"init must be a dict of values, 'advi' or 'pathfinder'; got {init!r}."
            )
        return vi.nuts_init(model, jax.random.fold_in(key, 7), method=init, num_chains=num_chains)
    z = model.flatten(init)
    if not bool(jnp.isfinite(model.logdensity(z))):
        _raise_not_finite(model, z, "the given init values")
    return z


def _raise_not_finite(model: Model, z: jax.Array, where: str):
    bad = {name: float(v) for name, v in model.point_logps(z).items() if not np.isfinite(float(v))}
    listing = ", ".join(f"{k}: {v}" for k, v in bad.items()) or "(gradient is not finite)"
    raise ValueError(
        f"model {model.fn.__name__}: the log density is not finite at {where}. Sites with a "
        f"non-finite log density: {listing}. Check the data against each site's support, "
        "or pass init={site: value} with values inside the support."
    )


def nuts(
    model: Model,
    key: jax.Array,
    *,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    num_chains: int = 4,
    target_accept: float = 0.8,
    max_tree_depth: int = 10,
    dense_mass: bool = False,
    thinning: int = 1,
    chain_method: str = "vectorized",
    init: dict | None = None,
    state: ChainState | None = None,
    log_likelihood: bool = False,
    coords: dict | None = None,
    progress_bar: bool = True,
    return_inferencedata: bool = True,
):
    """Sample a model with NUTS and return ArviZ ``InferenceData``: the friendly entry.

    Checks the model and settings before compiling, finds finite starting points (or
    explains why none exist), compiles warmup and sampling as one program (once per model
    shape and settings), shows a progress bar, and warns about divergences, R-hat and ESS.

    Args:
        model: a bound model.
        key: a JAX PRNG key.
        num_warmup, num_samples, num_chains, target_accept, max_tree_depth, dense_mass,
        thinning, chain_method, state: as in :func:`nuts_run` (``state`` is the
            ``.state`` of a ``Posterior`` returned with ``return_inferencedata=False``).
        init: optional dict of constrained starting values by site name (all chains), or
            ``"advi"`` / ``"pathfinder"`` to start from draws of a variational fit.
        log_likelihood: add the ``log_likelihood`` group (for ``az.loo`` / ``az.waic``).
        coords: coordinate values by dimension name, e.g. ``{"school": names}``.
        progress_bar: show a progress bar on stderr.
        return_inferencedata: False returns a :class:`pplx.results.Posterior` (with the
            final chain ``state``, to continue the run later).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> idata = pplx.nuts(mean_model(jnp.ones(5)), jax.random.key(0), num_warmup=200,
        ...                   num_samples=200, num_chains=2, progress_bar=False)
        >>> idata.posterior["mu"].shape
        (2, 200)
    """
    require_continuous_latents(model, "nuts")
    _check_settings(num_warmup, num_samples, num_chains, target_accept, max_tree_depth)
    _check_run_options(thinning, chain_method, state, num_warmup)
    coords = model.check_coords(coords)
    settings = dict(
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        target_accept=target_accept,
        max_tree_depth=max_tree_depth,
        dense_mass=dense_mass,
        thinning=thinning,
        init_positions=_user_init(model, init, key, num_chains),
        state=state,
        log_likelihood=log_likelihood,
    )
    if progress_bar and chain_method == "vectorized":
        # host-driven segments: a progress bar without host callbacks in the program
        from pplx.streaming import nuts_segmented

        with Timer() as timer:
            result = jax.block_until_ready(nuts_segmented(model, key, **settings))
        return _report(model, result, timer, max_tree_depth, return_inferencedata, coords)
    hook = None
    if progress_bar:
        passes = num_chains if chain_method == "sequential" else 1
        hook = progress_lib.ProgressHook(
            num_warmup, num_samples * thinning, num_chains, passes=passes
        )
        progress_lib.start(hook)
    try:
        with Timer() as timer:
            result = _nuts_compiled(
                model, key, chain_method=chain_method, progress=hook, **settings
            )
            result = jax.block_until_ready(result)
    finally:
        if progress_bar:
            progress_lib.finish()
    return _report(model, result, timer, max_tree_depth, return_inferencedata, coords)


def _report(model: Model, result: NUTSResult, timer, max_tree_depth, return_inferencedata, coords):
    """Explain a failed start, or warn about convergence and convert the result."""
    if not bool(jnp.all(result.init_ok)):
        chain = int(np.argmin(np.asarray(result.init_ok)))
        _raise_not_finite(
            model,
            result.init_positions[chain],
            "100 random points in (-2, 2) of unconstrained space",
        )
    posterior = to_posterior(model, result, coords)
    posterior.attrs.update(timer.as_attrs())
    _warn_convergence(posterior, max_tree_depth)
    return posterior.to_arviz() if return_inferencedata else posterior


def to_posterior(model: Model, result: NUTSResult, coords: dict | None = None) -> Posterior:
    """Move a :class:`NUTSResult` to the host with the model's dimension names."""
    sites = model.named_vars
    observed = model.observed_data()
    return Posterior(
        draws={k: np.asarray(v) for k, v in result.draws.items()},
        stats={k: np.asarray(v) for k, v in result.stats.items()},
        dims={k: sites[k].dims for k in result.draws},
        observed={k: np.asarray(v) for k, v in observed.items()},
        observed_dims={k: sites[k].dims for k in observed},
        log_likelihood={k: np.asarray(v) for k, v in result.log_likelihood.items()},
        state=result.state,
        constant_data={k: np.asarray(v) for k, v in model.constant_data().items()},
        coords=model.check_coords(coords),
    )


def _warn_convergence(posterior: Posterior, max_tree_depth: int) -> None:
    from pplx import diagnostics

    for message in diagnostics.convergence_warnings(
        posterior.draws, posterior.stats, max_tree_depth=max_tree_depth
    ):
        warnings.warn(message, ConvergenceWarning, stacklevel=3)


def logp(dist, value) -> jax.Array:
    """Elementwise log density of a bare distribution at ``value``.

    Example:
        >>> import pplx, pplx.distributions as dist
        >>> round(float(pplx.logp(dist.Normal(0.0, 1.0), 0.0)), 4)
        -0.9189
    """
    return dist.log_prob(jnp.asarray(value))


def logcdf(dist, value) -> jax.Array:
    """Log of the cumulative distribution function of a bare distribution at ``value``.

    Available for the families that define ``cdf`` (see docs/distributions.md).

    Example:
        >>> import pplx, pplx.distributions as dist
        >>> round(float(pplx.logcdf(dist.Normal(0.0, 1.0), 0.0)), 4)
        -0.6931
    """
    return jnp.log(dist.cdf(jnp.asarray(value)))
