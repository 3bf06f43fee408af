"""Simulation-based calibration in one compiled program.

``pplx.sbc`` draws ``num_simulations`` parameter sets and datasets from the prior
predictive, fits every simulated dataset (NUTS by default) with the machinery of
``pplx.nuts_many`` (one ``jax.vmap`` over datasets, each fit with its own adaptation),
keeps ``L`` draws per fit and counts, for every scalar of every latent site, the draws
below the simulated true value: the rank. Ranks come back to the host as small integer
arrays; the uniformity tests (:mod:`pplx.diagnostics.calibration`) run in NumPy.

The simulated data enter each fit through :func:`pplx.condition` on the observed sites,
so any model whose observed sites take ``obs=`` works; other array arguments (covariates,
sizes) are shared by all simulations.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np

from pplx.diagnostics.sbc_result import SBCResult, summarize_ranks
from pplx.infer.entry import nuts_run
from pplx.infer.many import fit_each_dataset
from pplx.infer.vi.advi import advi
from pplx.kernels.convergence import ess_bulk
from pplx.model import Model
from pplx.model.checks import require_continuous_latents
from pplx.model.predictive import predictive_draws
from pplx.model.transforms import condition
from pplx.runtime.jit import filter_jit

FITS = ("nuts", "advi")


def _check_settings(model, num_simulations, num_ranks, fit, num_samples, num_chains) -> None:
    require_continuous_latents(model, "sbc")
    if not model.observed_vars:
        raise ValueError(
            f"model {model.fn.__name__} has no observed sites, so SBC has nothing to "
            "simulate: bind the model with data (any values of the right shape) for the "
            "sites given obs=."
        )
    if model.missing:
        raise ValueError(
            f"model {model.fn.__name__} has missing values in observed site(s) "
            f"{[name for name, _ in model.missing]}; SBC simulates complete data: bind it "
            "with data without NaN or masked entries."
        )
    if isinstance(num_simulations, bool) or not isinstance(num_simulations, int):
        raise TypeError(f"num_simulations must be an int, got {num_simulations!r}.")
    if num_simulations < 1:
        raise ValueError(f"num_simulations must be at least 1, got {num_simulations}.")
    if isinstance(num_ranks, bool) or not isinstance(num_ranks, int) or num_ranks < 1:
        raise ValueError(f"num_ranks (L, draws kept per fit) must be an int >= 1: {num_ranks!r}.")
    if not (callable(fit) or fit in FITS):
        raise ValueError(f"fit must be one of {FITS} or a function (model, key) -> draws.")
    if fit == "nuts":
        per_chain = -(-num_ranks // num_chains)
        if num_samples // per_chain < 1:
            raise ValueError(
                f"thinning impossible: {num_chains} chain(s) x num_samples={num_samples} "
                f"draws cannot give num_ranks={num_ranks} kept draws ({per_chain} per "
                f"chain). Raise num_samples to at least {per_chain} (better 5-10x that, "
                "so the kept draws are near-independent) or lower num_ranks."
            )


def _scalar_names(model: Model) -> list[str]:
    names = []
    for site in model.free_vars:
        if site.shape == ():
            names.append(site.name)
        else:
            names += [f"{site.name}[{','.join(map(str, i))}]" for i in np.ndindex(site.shape)]
    return names


def _observed_leaves(cond: Model, observed: list[str]) -> dict[str, int]:
    """Index in ``cond.data`` of each observed site's conditioned value."""
    paths = jax.tree_util.tree_flatten_with_path(cond._args_kwargs())[0]
    where = {}
    for i, (path, _) in enumerate(paths):
        keys = [getattr(k, "key", None) for k in path]
        if len(keys) == 3 and keys[1] == "_pplx_condition" and keys[2] in observed:
            where[keys[2]] = i
    return where


@dataclass(frozen=True)
class _NUTSFit:
    """NUTS keeping ``ceil(L / num_chains)`` draws per chain, every ``thinning``-th."""

    num_ranks: int
    num_warmup: int
    num_samples: int
    num_chains: int
    options: tuple

    def __call__(self, model, key):
        per_chain = -(-self.num_ranks // self.num_chains)
        res = nuts_run(
            model,
            key,
            num_warmup=self.num_warmup,
            num_samples=per_chain,
            thinning=self.num_samples // per_chain,
            num_chains=self.num_chains,
            **dict(self.options),
        )
        draws = {k: v.reshape((-1,) + v.shape[2:]) for k, v in res.draws.items()}
        extra = {"num_divergent": jnp.sum(res.stats["diverging"])}
        return draws, extra, (self.num_chains, per_chain)


@dataclass(frozen=True)
class _ADVIFit:
    """ADVI, then ``L`` independent draws from the fitted Gaussian."""

    num_ranks: int
    options: tuple

    def __call__(self, model, key):
        fit_key, draw_key = jax.random.split(key)
        approx = advi(model, fit_key, **dict(self.options))
        extra = {"converged": approx.converged, "num_steps": approx.num_steps}
        return approx.sample(draw_key, self.num_ranks), extra, None


@dataclass(frozen=True)
class _UserFit:
    """A user's ``fit(model, key) -> {site: (num_draws, *shape)}``."""

    fit_fn: Callable

    def __call__(self, model, key):
        return self.fit_fn(model, key), {}, None


def _ranks_of(draws: dict, truth: dict, names: list[str], num_ranks: int, key, chains):
    """Ranks of every scalar of ``truth`` among ``L`` evenly spaced draws; ties broken
    at random (a rank is uniform over the tied positions)."""
    ranks, ess = [], []
    for i, name in enumerate(names):
        x = draws[name]
        if x.shape[0] < num_ranks:
            raise ValueError(
                f"thinning impossible: the fit returned {x.shape[0]} draws of '{name}', "
                f"fewer than num_ranks={num_ranks}; return more draws or lower num_ranks."
            )
        ess.append(_fit_ess(x, chains))
        x = x[:: x.shape[0] // num_ranks][:num_ranks].reshape(num_ranks, -1)
        t = jnp.reshape(truth[name], (1, -1))
        below = jnp.sum(x < t, axis=0)
        ties = jnp.sum(x == t, axis=0)
        extra = jax.random.randint(jax.random.fold_in(key, i), below.shape, 0, ties + 1)
        ranks.append(below + extra)
    return jnp.concatenate(ranks), jnp.concatenate(ess)


def _fit_ess(x: jax.Array, chains) -> jax.Array:
    """Bulk ESS of each scalar of a NUTS fit's kept draws ``(chains * per_chain, ...)``
    (NaN for other fits, whose draws have no chain structure to read)."""
    if chains is None or chains[1] < 4:
        return jnp.full(int(np.prod(x.shape[1:], dtype=int)), jnp.nan)
    return jax.vmap(ess_bulk, in_axes=-1)(x.reshape(chains[0], chains[1], -1))


@filter_jit
def _program(model, cond, key, *, num_simulations, num_ranks, fit, where, latents, batch_size):
    """Prior predictive draws -> one vmapped fit per simulated dataset -> ranks, ESS and
    the fit's per-simulation extras (one program)."""
    sim_key, fit_key, tie_key = jax.random.split(key, 3)
    sites = list(where) + latents
    sims = predictive_draws(
        model, sim_key, num_simulations, sites=sites, batch_size=num_simulations
    )
    data, axes = list(cond.data), [None] * len(cond.data)
    for name, i in where.items():
        data[i], axes[i] = sims[name], 0

    def fit_and_rank(m, packed):
        key, truth, tie_key = packed
        draws, extra, chains = fit(m, key)
        ranks, ess = _ranks_of(draws, truth, latents, num_ranks, tie_key, chains)
        return ranks, ess, extra

    packed = (
        jax.random.split(fit_key, num_simulations),
        {k: sims[k] for k in latents},
        jax.random.split(tie_key, num_simulations),
    )
    return fit_each_dataset(
        fit_and_rank, cond, tuple(data), packed, tuple(axes), batch_size=batch_size
    )


def _fit_spec(fit, num_ranks, num_warmup, num_samples, num_chains, fit_options):
    options = tuple(sorted(dict(fit_options or {}).items()))
    if fit == "nuts":
        return _NUTSFit(num_ranks, num_warmup, num_samples, num_chains, options)
    if fit == "advi":
        return _ADVIFit(num_ranks, options)
    if fit_options:
        raise ValueError("fit_options go with fit='nuts' or 'advi'; a fit function takes none.")
    return _UserFit(fit)


def sbc(
    model: Model,
    key: jax.Array,
    num_simulations: int = 1000,
    *,
    fit: str | Callable = "nuts",
    num_ranks: int = 99,
    num_warmup: int = 500,
    num_samples: int = 1000,
    num_chains: int = 1,
    fit_options: dict | None = None,
    alpha: float = 0.05,
    num_bins: int | None = None,
    band_method: str = "optimize",
    batch_size: int | None = None,
) -> SBCResult:
    """Simulation-based calibration (Talts et al. 2018) of an inference on ``model``.

    Every simulation draws the latents and the observed sites from the prior
    predictive, fits the simulated data and ranks each true scalar among ``num_ranks``
    (``L``) posterior draws. Simulation, all fits and the ranks are one compiled
    program: a ``jax.vmap`` over simulated datasets (as :func:`pplx.nuts_many`), each fit
    with its own warmup. Under a correct inference every scalar's rank is uniform on
    ``{0, ..., L}``; the result tests that with a chi-square test and the simultaneous
    ECDF band of Säilynoja, Bürkner & Vehtari (2022), each at ``alpha / (2 P)`` for
    ``P`` scalars (Bonferroni), so a correct inference fails with probability at most
    ``alpha``.

    Args:
        model: a bound model with observed sites (their data only give shapes: every
            simulation replaces them); its other array arguments are shared.
        key: PRNG key.
        num_simulations: simulated datasets (``N``).
        fit: ``"nuts"`` (default), ``"advi"`` (:func:`pplx.vi.advi`, then ``L``
            independent draws of the approximation), or a function
            ``fit(model, key) -> {site: (num_draws, *shape)}`` (traceable, at least ``L``
            draws; evenly spaced ones are kept).
        num_ranks: ``L``, posterior draws kept per fit (``L + 1`` rank values).
        num_warmup, num_samples, num_chains: NUTS settings per fit; ``num_samples``
            draws per chain are thinned to ``ceil(L / num_chains)`` (every
            ``num_samples // ceil(L / num_chains)``-th), so the kept draws are
            near-independent when ``num_samples`` is several times ``L`` (the result's
            ``ess`` says how near).
        fit_options: other keyword arguments of :func:`pplx.infer.nuts_run` or of
            :func:`pplx.vi.advi`.
        alpha: the family-wise level of the verdict.
        num_bins: chi-square bins (must divide ``L + 1``; default up to 20, at least 5
            expected ranks per bin).
        band_method: ``"optimize"`` (exact coverage) or ``"simulate"``.
        batch_size: fit this many simulations at once (vmapped), the batches one after
            another in the same program; default all at once. Vmapped NUTS advances in
            lockstep (each transition costs the batch's longest trajectory), so on a CPU
            a model whose simulated posteriors differ much in shape (a heavy-tailed
            prior on a scale) runs faster in batches of a few dozen.

    Returns:
        :class:`pplx.diagnostics.sbc_result.SBCResult`: ranks, tests, verdict
        (``all_passed``, ``failed``), ``plot()``; ``info`` holds the wall time
        (compile included) and the fits' per-simulation extras (``num_divergent``).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def normal_mean(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> res = pplx.sbc(normal_mean(jnp.zeros(5)), jax.random.key(0), 50,
        ...                num_ranks=19, num_warmup=100, num_samples=76)
        >>> res.ranks.shape, res.names
        ((50, 1), ['mu'])
        >>> res.all_passed
        True
    """
    _check_settings(model, num_simulations, num_ranks, fit, num_samples, num_chains)
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1
    ):
        raise ValueError(f"batch_size must be a positive int or None, got {batch_size!r}.")
    spec = _fit_spec(fit, num_ranks, num_warmup, num_samples, num_chains, fit_options)
    observed = [s.name for s in model.observed_vars]
    cond = condition(model, {k: v for k, v in model.observed_data().items() if k in observed})
    where = _observed_leaves(cond, observed)
    if set(where) != set(observed):  # every simulated dataset must reach the fit
        raise RuntimeError(f"sbc could not place simulated data for {set(observed) - set(where)}.")
    start = time.perf_counter()
    ranks, ess, extra = jax.block_until_ready(
        _program(
            model,
            cond,
            key,
            num_simulations=num_simulations,
            num_ranks=num_ranks,
            fit=spec,
            where=where,
            latents=[s.name for s in model.free_vars],
            batch_size=None if batch_size is None else min(batch_size, num_simulations),
        )
    )
    info = {k: np.asarray(v) for k, v in extra.items()}
    info.update(wall_time=time.perf_counter() - start, fit=fit if isinstance(fit, str) else "user")
    return summarize_ranks(
        _scalar_names(model),
        np.asarray(ranks),
        num_ranks,
        alpha=alpha,
        num_bins=num_bins,
        band_method=band_method,
        ess=np.asarray(ess),
        info=info,
    )
