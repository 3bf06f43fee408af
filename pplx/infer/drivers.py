"""The friendly MCMC drivers: ``pplx.nuts``, ``pplx.hmc`` and the general ``pplx.mcmc``.

Each checks the model and settings before compiling, finds finite starting points (or
explains why none exist), compiles warmup and sampling once per model shape and settings,
shows a progress bar, warns about divergences, R-hat and ESS, and returns ArviZ
``InferenceData`` (or a :class:`pplx.Posterior`). The pure entries they wrap live in
:mod:`pplx.infer.entry` (``pplx.infer.nuts_run``, ``hmc_run``, ``mcmc_run``).
"""

from __future__ import annotations

import warnings

import jax
import jax.numpy as jnp
import numpy as np

from pplx.core import primitives
from pplx.diagnostics.warning import ConvergenceWarning
from pplx.infer.adapters import check_adaptation
from pplx.infer.chains import ChainState, resolve_chain_method
from pplx.infer.entry import (
    NUTSResult,
    _check_run_options,
    _check_settings,
    _mcmc_compiled,
    _options,
    to_posterior,
)
from pplx.infer.nan_probe import nan_divergence_warning, not_finite_message
from pplx.kernels.spec import HMCSpec, NUTSSpec
from pplx.model import Model
from pplx.model.checks import require_continuous_latents, require_point_in_support
from pplx.results.prefetch import prefetch_arviz
from pplx.runtime import progress as progress_lib
from pplx.runtime.cache import compilation_cache_on
from pplx.runtime.keys import as_key
from pplx.runtime.timing import Timer

KERNELS = ("nuts", "hmc", "compound", "auto")


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
    adaptation: str = "stan",
    thinning: int = 1,
    chain_method: str = "auto",
    init: dict | str | None = None,
    state: ChainState | None = None,
    log_likelihood: bool = False,
    data_sharding=None,
    stream_block: int | None = None,
    coords: dict | None = None,
    progress_bar: bool = True,
    return_inferencedata: bool = True,
    marginalize: str | list | None = None,
    until=None,
):
    """Sample a model with NUTS and return ArviZ ``InferenceData``: the friendly entry.

    Args:
        model: a bound model.
        key: a JAX PRNG key.
        num_warmup: warmup iterations per chain. It and ``num_samples``, ``num_chains``,
            ``target_accept``, ``max_tree_depth``, ``dense_mass``, ``adaptation``,
            ``thinning``, ``chain_method``, ``state`` are as in :func:`pplx.infer.nuts_run`
            (``state`` is the ``.state`` of a ``Posterior`` returned with
            ``return_inferencedata=False``; ``adaptation="fisher"`` is nutpie's warmup:
            a diagonal mass matrix from draws and gradients, re-estimated every
            transition; ``"grad"`` the same estimate on doubling windows;
            :class:`pplx.Settled` Stan's windows ending per chain once the mass matrix
            has settled, ``attrs["warmup_draws"]`` each chain's warmup length).
        init: optional dict of constrained starting values by site name (all chains), or
            ``"advi"`` / ``"pathfinder"`` to start from draws of a variational fit.
        log_likelihood: add the ``log_likelihood`` group (for ``az.loo`` / ``az.waic``).
        data_sharding: split a plate's data over the devices (as in
            :func:`pplx.infer.nuts_run`; ``docs/devices.md``).
        stream_block: run in blocks of at most this many transitions (warmup
            included) and move each block's draws to the host when it ends, so the
            device holds one block of draws, not the whole run (any ``chain_method``
            and ``data_sharding``; the same draws as one program, to rounding;
            ``docs/devices.md``). None: the whole run in device memory.
        coords: coordinate values by dimension name, e.g. ``{"school": names}``.
        progress_bar: show a progress bar on stderr.
        return_inferencedata: False returns a :class:`pplx.results.Posterior` (with the
            final chain ``state``, to continue the run later).
        marginalize: ``"auto"`` or a list of discrete latent sites with finitely many
            values to sum out first (:func:`pplx.marginalize`); ``attrs["marginalized"]``
            names them and :func:`pplx.infer_discrete` draws them back.
        until: a :class:`pplx.Converged`: sample (after warmup) until R-hat and ESS
            targets hold, in one compiled loop, instead of ``num_samples`` draws
            (:mod:`pplx.infer.until`; ``attrs["until_reason"]`` says why it stopped).

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
    options = _options(locals(), "max_tree_depth", "marginalize", "until")
    kernel = NUTSSpec(max_tree_depth)
    if marginalize is not None:  # discrete sites summed out (pplx/infer/discrete.py)
        from pplx.infer import discrete

        model, summed = discrete.apply_marginalize(model, marginalize)
        result = _drive_or_until(model, key, kernel, until, options)
        return discrete.note(result, {"marginalized": ",".join(summed)} if summed else {})
    return _drive_or_until(model, key, kernel, until, options)


def _drive_or_until(model, key, kernel, until, options):
    """A fixed run, or with ``until`` a run until converged (pplx/infer/until_driver.py)."""
    if until is None:
        return _drive(model, key, kernel, **options)
    from pplx.infer.until_driver import drive_until

    return drive_until(model, key, until, kernel, **options)


def hmc(
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
    init: dict | str | None = None,
    state: ChainState | None = None,
    log_likelihood: bool = False,
    data_sharding=None,
    stream_block: int | None = None,
    coords: dict | None = None,
    progress_bar: bool = True,
    return_inferencedata: bool = True,
    until=None,
):
    """Sample a model with HMC (static or jittered path length): the friendly entry.

    ``num_integration_steps`` leapfrog steps per transition; with ``jitter > 0`` the
    number is drawn each transition from ``[(1 - jitter) L, (1 + jitter) L]``, which
    avoids the periodic orbits a fixed length can fall into. Step size and mass matrix
    are adapted as for NUTS (Stan's windows). HMC needs its path length tuned by hand:
    too short and it random-walks, too long and it wastes gradients; prefer
    :func:`nuts` unless you know a good length. Other arguments as in :func:`nuts`
    (``until=pplx.Converged(...)`` included).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> idata = pplx.hmc(mean_model(jnp.ones(5)), jax.random.key(0),
        ...                  num_integration_steps=8, jitter=0.5, num_warmup=200,
        ...                  num_samples=200, num_chains=2, progress_bar=False)
        >>> idata.posterior["mu"].shape
        (2, 200)
    """
    options = _options(locals(), "num_integration_steps", "jitter", "until")
    return _drive_or_until(model, key, HMCSpec(num_integration_steps, jitter), until, options)


def mcmc(model: Model, key: jax.Array, *, kernel="nuts", **options):
    """Sample a model with the kernel named by ``kernel``: the general friendly entry.

    Args:
        model: a bound model.
        key: a JAX PRNG key.
        kernel: ``"nuts"`` (:func:`nuts`), ``"hmc"`` (:func:`hmc`), ``"compound"``
            (:func:`pplx.compound.sample`: NUTS, Gibbs and Metropolis blocks for models
            with discrete latents), ``"auto"`` (what :func:`sample` does: NUTS, the
            discrete sites summed out with ``marginalize="auto"``, or the compound step:
            :func:`pplx.infer.discrete.auto_sample`), or a spec from
            :mod:`pplx.kernels.spec`.
        **options: the chosen driver's keyword arguments.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> post = pplx.mcmc(mean_model(jnp.ones(5)), jax.random.key(0), kernel="hmc",
        ...                  num_integration_steps=8, num_warmup=100, num_samples=100,
        ...                  progress_bar=False, return_inferencedata=False)
        >>> post.draws["mu"].shape
        (4, 100)
    """
    if isinstance(kernel, NUTSSpec):
        return nuts(model, key, max_tree_depth=kernel.max_tree_depth, **options)
    if isinstance(kernel, HMCSpec):
        steps, jitter = kernel.num_integration_steps, kernel.jitter
        return hmc(model, key, num_integration_steps=steps, jitter=jitter, **options)
    if kernel == "nuts":
        return nuts(model, key, **options)
    if kernel == "hmc":
        return hmc(model, key, **options)
    if kernel == "compound":
        from pplx.infer import compound

        return compound.sample(model, key, **options)
    if kernel == "auto":  # steps chosen per site (pplx/infer/discrete.py)
        from pplx.infer import discrete

        return discrete.auto_sample(model, key, **options)
    raise ValueError(f"kernel must be one of {KERNELS} or a kernel spec, got {kernel!r}.")


def sample(name_or_model, *args, **kwargs):
    """Declare a random variable in a model, or sample a bound model with MCMC.

    ``pplx.sample("x", dist.Normal(0, 1))`` inside a model function is the model
    primitive (:func:`pplx.core.primitives.sample`: ``name, fn, obs=None, *, dims=None,
    infer=None``). ``pplx.sample(model, key, ...)`` with a bound model first runs
    :func:`mcmc`, choosing the steps itself as PyMC's ``pm.sample()`` does (``kernel="auto"``:
    NUTS when every latent is continuous; with ``marginalize="auto"`` the finite discrete
    sites summed out; otherwise the compound step), says which (on stderr, and in
    ``attrs["step_methods"]``) and returns InferenceData. The first argument decides: a
    site name is a string, a bound model is a :class:`pplx.Model`.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
        ...     pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)
        >>> post = pplx.sample(mean_model(jnp.ones(5)), jax.random.key(0), num_warmup=200,
        ...                    num_samples=500, progress_bar=False, return_inferencedata=False)
        >>> post.draws["mu"].shape
        (4, 500)
    """
    if isinstance(name_or_model, Model):
        kwargs.setdefault("kernel", "auto")  # NUTS, marginalised NUTS or compound
        return mcmc(name_or_model, *args, **kwargs)
    fn = args[0] if args else kwargs.get("fn")
    if isinstance(fn, type):
        raise TypeError(
            f"site {name_or_model!r}: pplx.sample got the class {fn.__name__}, not a "
            f"distribution: give its parameters, e.g. pplx.sample({name_or_model!r}, "
            f"dist.{fn.__name__}(...))."
        )
    if not (hasattr(fn, "log_prob") and hasattr(fn, "support")):
        raise TypeError(
            f"site {name_or_model!r}: pplx.sample expects a distribution, got "
            f"{type(fn).__name__} ({fn!r:.60}). Write pplx.sample({name_or_model!r}, "
            "dist.Normal(0.0, 1.0)); a fixed value is pplx.deterministic, a data value obs=."
        )
    return primitives.sample(name_or_model, *args, **kwargs)


def _drive(
    model: Model,
    key,
    kernel,
    *,
    num_warmup,
    num_samples,
    num_chains,
    target_accept,
    dense_mass,
    adaptation,
    thinning,
    chain_method,
    init,
    state,
    log_likelihood,
    data_sharding,
    stream_block,
    coords,
    progress_bar,
    return_inferencedata,
):
    """Check, compile (once per shape and settings), run with progress, then report."""
    key = as_key(key)
    _check_settings(num_warmup, num_samples, num_chains, target_accept, kernel)
    require_continuous_latents(model, kernel.name)
    _check_run_options(thinning, chain_method, state, num_warmup)
    check_adaptation(adaptation, dense_mass)
    chain_method = resolve_chain_method(chain_method, num_chains)
    coords = model.check_coords(coords)
    if return_inferencedata:
        prefetch_arviz()  # imports while XLA compiles (see pplx.results.prefetch)
    settings = dict(
        kernel=kernel,
        num_warmup=num_warmup,
        num_samples=num_samples,
        num_chains=num_chains,
        target_accept=target_accept,
        dense_mass=dense_mass,
        adaptation=adaptation,
        thinning=thinning,
        init_positions=_user_init(model, init, key, num_chains),
        state=state,
        log_likelihood=log_likelihood,
        data_sharding=data_sharding,
    )
    if stream_block is not None or (
        progress_bar and _bar_between_blocks(chain_method, data_sharding)
    ):
        # host-driven blocks: draws streamed to the host, and a progress bar without
        # host callbacks in the program (pplx/infer/streaming.py)
        from pplx.infer.streaming import block_plan, mcmc_segmented

        block_plan(1, stream_block, 1)  # a bad stream_block fails before compiling
        with Timer() as timer:
            result = mcmc_segmented(
                model,
                key,
                chain_method=chain_method,
                stream_block=stream_block,
                progress_bar=progress_bar,
                **settings,
            )
            result = jax.block_until_ready(result)
        return _report(model, result, timer, kernel, return_inferencedata, coords)
    hook = None
    if progress_bar:
        passes = num_chains if chain_method == "sequential" else 1
        hook = progress_lib.ProgressHook(
            num_warmup, num_samples * thinning, num_chains, passes=passes
        )
        progress_lib.start(hook)
    try:
        with Timer() as timer:
            result = _mcmc_compiled(
                model, key, chain_method=chain_method, progress=hook, **settings
            )
            result = jax.block_until_ready(result)
    finally:
        if progress_bar:
            progress_lib.finish()
    return _report(model, result, timer, kernel, return_inferencedata, coords)


def _bar_between_blocks(chain_method: str, data_sharding) -> bool:
    """Whether the progress bar moves between host-driven blocks instead of from host
    callbacks inside one program: for vectorised chains (one block costs what the loop
    costs), and whenever the persistent compilation cache is on (JAX does not cache a
    program holding a callback). Sequential chains on a CPU otherwise keep one program:
    its first call compiles less."""
    if data_sharding is not None:
        return False
    return chain_method == "vectorized" or compilation_cache_on()


def _check_init_sites(model: Model, init: dict) -> None:
    names = [s.name for s in model.free_vars]
    unknown = [k for k in init if k not in names]
    if unknown:
        raise ValueError(
            f"init names {unknown}, not latent sites of model {model.fn.__name__}; its "
            f"latent sites are {names}."
        )
    missing = [k for k in names if k not in init]
    if missing:
        raise ValueError(
            f"init has no value for the latent site(s) {missing} of model "
            f"{model.fn.__name__}: give a value for every one of {names}."
        )


def _user_init(model: Model, init, key, num_chains: int) -> jax.Array | None:
    if init is None:
        return None
    if isinstance(init, str):
        from pplx.infer import vi

        if init not in ("advi", "pathfinder"):
            raise ValueError(
                f"init must be a dict of values, 'advi' or 'pathfinder'; got {init!r}."
            )
        return vi.nuts_init(model, jax.random.fold_in(key, 7), method=init, num_chains=num_chains)
    if not isinstance(init, dict):
        raise TypeError(
            f"init must be a dict of values by site, 'advi' or 'pathfinder'; got {init!r:.60}."
        )
    _check_init_sites(model, init)
    require_point_in_support(model, init, "init")
    z = model.flatten(init)
    if not bool(jnp.isfinite(model.logdensity(z))):
        _raise_not_finite(model, z, "the given init values")
    return z


def _raise_not_finite(model: Model, z: jax.Array, where: str):
    bad = {name: float(v) for name, v in model.point_logps(z).items() if not np.isfinite(float(v))}
    raise ValueError(not_finite_message(model, bad, where))


def _report(model: Model, result: NUTSResult, timer, kernel, return_inferencedata, coords):
    """Explain a failed start, or warn about convergence and convert the result."""
    if not np.all(np.asarray(result.init_ok)):
        chain = int(np.argmin(np.asarray(result.init_ok)))
        _raise_not_finite(
            model,
            result.init_positions[chain],
            "100 random points in (-2, 2) of unconstrained space",
        )
    posterior = to_posterior(model, result, coords)
    posterior.attrs.update(timer.as_attrs())
    posterior.attrs["sampler"] = kernel.name
    if "draws" in result.warmup_stats:  # pplx.Settled: each chain's warmup length
        posterior.attrs["warmup_draws"] = np.asarray(result.warmup_stats["draws"]).tolist()
    _warn_convergence(posterior, getattr(kernel, "max_tree_depth", None))
    _warn_nan_divergences(model, result, posterior)
    return posterior.to_arviz() if return_inferencedata else posterior


def _warn_nan_divergences(model: Model, result: NUTSResult, posterior) -> None:
    """Divergences may be NaN log densities inside the support: probe near the chains."""
    diverging = posterior.stats.get("diverging")
    if diverging is None or not np.any(diverging) or result.state is None:
        return
    positions = result.state.kernel_state.position
    message = nan_divergence_warning(model, positions, jax.random.key(0))
    if message:
        warnings.warn(message, ConvergenceWarning, stacklevel=4)


def _warn_convergence(posterior, max_tree_depth: int | None) -> None:
    from pplx import diagnostics
    from pplx.infer.stuck_chains import stuck_chain_warnings

    for message in diagnostics.convergence_warnings(
        posterior.draws, posterior.stats, max_tree_depth=max_tree_depth
    ):
        warnings.warn(message, ConvergenceWarning, stacklevel=5)
    step_size = None if posterior.state is None else np.asarray(posterior.state.step_size)
    if step_size is not None:
        for message in stuck_chain_warnings(posterior.draws, posterior.stats, step_size):
            warnings.warn(message, ConvergenceWarning, stacklevel=5)
