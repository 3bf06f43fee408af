"""The pure inference entries: model + kernels -> arrays (jit- and vmap-able).

``nuts_run`` is the pure core (jit- and vmap-able, no Python side effects);
``nuts`` is the friendly driver around it: checks before compiling, a progress bar,
convergence warnings and ArviZ output.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.infer.adapters import check_adaptation
from pplx.infer.chains import (
    CHAIN_METHODS,
    ChainState,
    resolve_chain_method,
    run_chains,
    run_sequentially,
)
from pplx.infer.devices import chains_over_devices, resolve_sharding, sharded_logdensity
from pplx.kernels.spec import (
    DEFAULT_KERNEL,
    HMCSpec,
    NUTSSpec,
    check_run_lengths,
    check_spec,
)
from pplx.model import Model
from pplx.model.checks import require_continuous_latents
from pplx.model.data_dims import constant_data_dims
from pplx.results.posterior import Posterior
from pplx.runtime.jit import filter_jit
from pplx.runtime.keys import as_key


class NUTSResult(NamedTuple):
    """What ``nuts_run`` returns (all arrays, chain axis first).

    ``draws`` by site (constrained), ``stats`` per draw (ArviZ names), the final chain
    ``state`` (to continue), the starting points and whether each was finite, the
    pointwise ``log_likelihood`` (when asked) and per-chain ``warmup_stats``.

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("mu", dist.Normal(0.0, 1.0))
        >>> res = pplx.nuts_run(m(), jax.random.key(0), num_warmup=50, num_samples=20,
        ...                     num_chains=2)
        >>> res.draws["mu"].shape, res.stats["diverging"].shape, sorted(res.warmup_stats)
        ((2, 20), (2, 20), ['n_steps'])
        >>> bool(res.init_ok.all()), res.state.step_size.shape
        (True, (2,))
    """

    draws: dict[str, jax.Array]
    stats: dict[str, jax.Array]
    state: ChainState
    init_positions: jax.Array
    init_ok: jax.Array
    log_likelihood: dict[str, jax.Array]
    warmup_stats: dict[str, jax.Array]


def _check_settings(num_warmup, num_samples, num_chains, target_accept, kernel):
    check_spec(kernel)
    check_run_lengths(num_warmup, num_samples, num_chains)
    if not 0.0 < float(target_accept) < 1.0:
        raise ValueError(f"target_accept must lie in (0, 1), got {target_accept!r}.")


def mcmc_run(
    model: Model,
    key: jax.Array,
    *,
    kernel: NUTSSpec | HMCSpec = DEFAULT_KERNEL,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    num_chains: int = 4,
    target_accept: float = 0.8,
    dense_mass: bool = False,
    adaptation: str = "stan",
    thinning: int = 1,
    chain_method: str = "auto",
    init_positions: jax.Array | None = None,
    state: ChainState | None = None,
    log_likelihood: bool = False,
    data_sharding: Any = None,
    progress: Any = None,
) -> NUTSResult:
    """A gradient-based kernel with window adaptation on a bound model: the pure entry.

    :func:`nuts_run` and :func:`hmc_run` call it with their kernel; see
    :func:`nuts_run` for the arguments. ``kernel`` is a spec from
    :mod:`pplx.kernels.spec` (``NUTSSpec(max_tree_depth)`` or
    ``HMCSpec(num_integration_steps, jitter)``).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> from pplx.kernels.spec import HMCSpec
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)
        >>> res = pplx.infer.mcmc_run(mean_model(jnp.ones(5)), jax.random.key(0),
        ...                           kernel=HMCSpec(8), num_warmup=100, num_samples=50)
        >>> res.draws["mu"].shape, int(res.stats["n_steps"][0, 0])
        ((4, 50), 8)
    """
    key = as_key(key)
    _check_settings(num_warmup, num_samples, num_chains, target_accept, kernel)
    require_continuous_latents(model, kernel.name)
    _check_run_options(thinning, chain_method, state, num_warmup)
    check_adaptation(adaptation, dense_mass)
    chain_method = resolve_chain_method(chain_method, num_chains)
    # one plate's rows split over devices; with chain_method="parallel" too, a 2-D mesh
    # of chains x data (checked here, before anything is traced)
    sharding = resolve_sharding(data_sharding, chain_method, num_chains)
    logdensity = model.logdensity if sharding is None else sharded_logdensity(model, sharding)
    mesh = None if sharding is None else sharding.mesh
    _, run_key = jax.random.split(key)
    ids = jnp.arange(num_chains)
    init_positions, search = start_positions(model, num_chains, init_positions, state)
    per_pass = num_warmup + num_samples * thinning

    def run_group(inputs):
        positions, chain_state, chain_ids = inputs
        hook = progress
        if progress is not None and chain_method == "sequential":
            hook = _OffsetHook(progress, chain_ids[0] * per_pass)
        return run_chains(
            logdensity,
            run_key,
            positions,
            state=chain_state,
            num_warmup=num_warmup,
            num_samples=num_samples,
            thinning=thinning,
            target_accept=target_accept,
            kernel=kernel,
            dense_mass=dense_mass,
            adaptation=adaptation,
            chain_ids=chain_ids,
            progress=hook,
            search_start=search,
        )

    inputs = (init_positions, state, ids)
    if chain_method == "sequential":
        out = run_sequentially(run_group, inputs)
    elif chain_method == "parallel":
        out = chains_over_devices(run_group, inputs, num_chains, mesh)
    else:
        out = run_group(inputs)
    return finish(model, out, log_likelihood)


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
    adaptation: str = "stan",
    thinning: int = 1,
    chain_method: str = "auto",
    init_positions: jax.Array | None = None,
    state: ChainState | None = None,
    log_likelihood: bool = False,
    data_sharding: Any = None,
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
        adaptation: the warmup scheme for the mass matrix: ``"stan"`` (Stan's windows,
            Welford estimates of the draw (co)variance), ``"fisher"`` (nutpie's: diagonal
            ``sqrt(var(draws) / var(gradients))`` re-estimated every transition, a
            jittered step size; made for short warmups such as ``num_warmup=400``: see
            :mod:`pplx.kernels.adaptation_fisher`) or ``"grad"`` (the same estimate over
            doubling windows: :mod:`pplx.kernels.adaptation_grad`); the last two not with
            ``dense_mass=True``. Or :class:`pplx.Settled`: Stan's windows, each chain's
            warmup ending once its mass matrix has settled (its remaining warmup
            transitions skipped; ``warmup_stats["draws"]`` holds each chain's count).
        thinning: keep every ``thinning``-th draw (``num_samples`` draws are kept).
        chain_method: ``"auto"`` (default: ``"sequential"`` on a CPU, ``"vectorized"``
            on an accelerator; see :func:`pplx.infer.chains.resolve_chain_method`),
            ``"vectorized"`` (chains batched with vmap), ``"sequential"`` (one after
            another with ``lax.map``: less memory, no lockstep) or ``"parallel"`` (chains
            split over the devices with ``jax.sharding``).
        init_positions: optional ``(num_chains, d)`` unconstrained starting points;
            by default uniform in (-2, 2), retried until the density is finite.
        state: the ``state`` of an earlier result: continue those chains with their
            adapted step sizes and mass matrices (set ``num_warmup=0``). With the same
            key, the draws equal those of one longer run (up to floating-point rounding:
            the two programs may fuse, and so round, differently).
        log_likelihood: also return each observed site's elementwise log-likelihood at
            every draw, ``(chain, draw, *batch_shape)``, for LOO and WAIC.
        data_sharding: a plate's name, or :func:`pplx.infer.devices.data_sharding`:
            split that plate's data over the devices, each evaluating its rows' share
            of the log density and gradient (``docs/devices.md``). With
            ``chain_method="parallel"`` the chains and the data share a 2-D mesh
            (axes ``"chain"`` and ``"data"``; a plate's name gets
            ``gcd(num_chains, devices)`` chain groups,
            :func:`pplx.infer.devices.resolve_sharding`).
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
    key = as_key(key)
    options = _options(locals(), "max_tree_depth")
    return mcmc_run(model, key, kernel=NUTSSpec(max_tree_depth), **options)


def hmc_run(
    model: Model,
    key: jax.Array,
    *,
    num_integration_steps: int = 32,
    jitter: float = 0.0,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    num_chains: int = 4,
    target_accept: float = 0.8,
    dense_mass: bool = False,
    adaptation: str = "stan",
    thinning: int = 1,
    chain_method: str = "auto",
    init_positions: jax.Array | None = None,
    state: ChainState | None = None,
    log_likelihood: bool = False,
    data_sharding: Any = None,
    progress: Any = None,
) -> NUTSResult:
    """HMC with a fixed (``jitter=0``) or jittered path length: the pure entry.

    Each transition takes ``num_integration_steps`` leapfrog steps (with ``jitter > 0``,
    a number drawn uniformly from ``[(1 - jitter) L, (1 + jitter) L]``); the step size and
    mass matrix are adapted as for NUTS. Other arguments as in :func:`nuts_run`.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)
        >>> res = pplx.infer.hmc_run(mean_model(jnp.ones(5)), jax.random.key(0),
        ...                          num_integration_steps=10, jitter=0.5,
        ...                          num_warmup=100, num_samples=50, num_chains=2)
        >>> res.draws["mu"].shape
        (2, 50)
    """
    key = as_key(key)
    options = _options(locals(), "num_integration_steps", "jitter")
    return mcmc_run(model, key, kernel=HMCSpec(num_integration_steps, jitter), **options)


def _options(arguments: dict, *kernel_settings: str) -> dict:
    """A wrapper's keyword arguments, less the model, the key and its kernel settings."""
    skip = ("model", "key") + kernel_settings
    return {k: v for k, v in arguments.items() if k not in skip}


def start_positions(model: Model, num_chains: int, init_positions, state):
    """The starting points ``(num_chains, d)`` a run's carry begins from, and whether the
    run searches them (:func:`pplx.kernels.initialize.search_start`, in the first
    transition; the points are then only a shape).

    A continued ``state`` starts where it stopped; given ``init_positions`` are
    broadcast to every chain (their density is checked in the first transition).

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("mu", dist.Normal(0.0, 1.0))
        >>> points, search = start_positions(m(), 3, None, None)
        >>> points.shape, search
        ((3, 1), True)
        >>> start_positions(m(), 2, jnp.ones(1), None)[0].tolist()
        [[1.0], [1.0]]
    """
    if state is not None:
        return state.kernel_state.position, False
    if init_positions is None:
        return jnp.zeros((num_chains, model.num_dims), jnp.result_type(float)), True
    return jnp.broadcast_to(init_positions, (num_chains, model.num_dims)), False


def finish(model: Model, out, log_likelihood: bool) -> NUTSResult:
    """Constrained draws, ArviZ-named stats and the result of a run's flat output."""
    draws = jax.vmap(jax.vmap(model.constrain))(out.positions)
    stats = dict(out.info._asdict())
    stats["step_size"] = jnp.broadcast_to(out.state.step_size[:, None], stats["lp"].shape)
    loglik = {}
    if log_likelihood:
        loglik = jax.vmap(jax.vmap(model.pointwise_loglik))(out.positions)
    return NUTSResult(draws, stats, out.state, out.start, out.start_ok, loglik, out.warmup_stats)


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


_mcmc_compiled = filter_jit(mcmc_run)


def to_posterior(model: Model, result: NUTSResult, coords: dict | None = None) -> Posterior:
    """Move a :class:`NUTSResult` to the host with the model's dimension names.

    ``coords`` (by dimension name) are merged over those the model was bound with.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> model = m(jnp.zeros(2))
        >>> res = pplx.nuts_run(model, jax.random.key(0), num_warmup=50, num_samples=10,
        ...                     num_chains=2)
        >>> post = pplx.to_posterior(model, res, coords={"obs": ["a", "b"]})
        >>> post.num_chains, post.num_draws, post.observed_dims["y"], post.coords
        (2, 10, ('obs',), {'obs': ['a', 'b']})
    """
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
        constant_dims=constant_data_dims(model),
        coords=model.check_coords(coords),
    )
