"""User entries for forward sampling: prior and posterior predictive distributions."""

from __future__ import annotations

import jax
import numpy as np

from pplx.model import Model
from pplx.model.checks import require_bound_model
from pplx.model.data_dims import constant_data_dims
from pplx.model.predictive import predictive_draws
from pplx.results.arviz_compat import from_groups, group_dataset
from pplx.results.prefetch import prefetch_arviz
from pplx.runtime.jit import filter_jit
from pplx.runtime.keys import as_key

_draws_compiled = filter_jit(predictive_draws)


def prior_predictive(
    model: Model,
    key: jax.Array,
    num_samples: int = 500,
    *,
    batch_size: int | None = None,
    coords: dict | None = None,
    return_inferencedata: bool = True,
):
    """Draws of every latent, deterministic and observed site from the prior.

    Returns ``arviz.InferenceData`` with groups ``prior`` (latents, deterministics),
    ``prior_predictive`` (observed sites, shaped ``(1, num_samples, *shape)``) and
    ``observed_data``; or, with ``return_inferencedata=False``, a dict of arrays shaped
    ``(num_samples, *shape)``.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> draws = pplx.prior_predictive(m(jnp.zeros(3)), jax.random.key(0), 100,
        ...                               return_inferencedata=False)
        >>> draws["mu"].shape, draws["y"].shape
        ((100,), (100, 3))
    """
    key = as_key(key)
    require_bound_model(model, "predictive")
    if not isinstance(num_samples, int) or num_samples < 1:
        raise ValueError(f"num_samples must be a positive int, got {num_samples!r}.")
    if return_inferencedata:
        prefetch_arviz()  # imports while XLA compiles (see pplx.results.prefetch)
    draws = _draws_compiled(model, key, num_samples, batch_size=batch_size)
    draws = {k: np.asarray(v) for k, v in draws.items()}
    if not return_inferencedata:
        return draws
    observed = {s.name for s in model.observed_vars}
    groups = {
        "prior": {k: v[None] for k, v in draws.items() if k not in observed},
        "prior_predictive": {k: v[None] for k, v in draws.items() if k in observed},
    }
    return _to_arviz(model, groups, coords)


def posterior_predictive(
    model: Model,
    posterior,
    key: jax.Array,
    *,
    batch_size: int | None = None,
    coords: dict | None = None,
    return_inferencedata: bool = True,
):
    """Draws of the observed sites given posterior draws of the latents.

    Args:
        model: a bound model; call the model function with new data (and ``obs=None``
            sites) to predict out of sample.
        posterior: ``arviz.InferenceData`` (its ``posterior`` group) or a dict of arrays
            shaped ``(chain, draw, *shape)``.
        key: PRNG key.
        batch_size: draws computed at once, to bound memory for many draws x big data.
        return_inferencedata: False returns a dict of arrays ``(chain, draw, *shape)``.

    Returns:
        ``arviz.InferenceData`` with ``posterior_predictive`` and ``observed_data``, or
        the dict. Sites returned: observed sites and latents absent from ``posterior``
        (e.g. an observed site bound with ``obs=None`` for prediction), and deterministics.

    Example:
        >>> import jax, jax.numpy as jnp, numpy as np, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> draws = {"mu": np.full((2, 10), 3.0)}  # (chain, draw); or a run's InferenceData
        >>> ppc = pplx.posterior_predictive(m(jnp.zeros(4)), draws, jax.random.key(0))
        >>> ppc.posterior_predictive["y"].dims
        ('chain', 'draw', 'obs')
        >>> bool(abs(ppc.posterior_predictive["y"].mean() - 3.0) < 0.5)  # y ~ N(3, 1)
        True
    """
    key = as_key(key)
    require_bound_model(model, "predictive")
    samples = _posterior_dict(posterior)
    latent_names = {s.name for s in model.free_vars}
    missing = sorted(latent_names - set(samples) - {s.name for s in model.observed_vars})
    fixed = {k: v for k, v in samples.items() if k in latent_names}
    if not fixed:
        raise ValueError(
            "posterior holds none of the model's latent sites "
            f"{sorted(latent_names)}; pass the posterior of this model."
        )
    chains, draws_per_chain = next(iter(fixed.values())).shape[:2]
    flat = {k: np.reshape(v, (chains * draws_per_chain,) + v.shape[2:]) for k, v in fixed.items()}
    draws = _draws_compiled(
        model, key, chains * draws_per_chain, values=flat, batch_size=batch_size
    )
    keep = [s.name for s in model.observed_vars] + missing + [s.name for s in model.deterministics]
    out = {
        k: np.reshape(np.asarray(draws[k]), (chains, draws_per_chain) + draws[k].shape[1:])
        for k in keep
    }
    if not return_inferencedata:
        return out
    return _to_arviz(model, {"posterior_predictive": out}, coords)


def _posterior_dict(posterior) -> dict[str, np.ndarray]:
    if isinstance(posterior, dict):
        return {k: np.asarray(v) for k, v in posterior.items()}
    if getattr(posterior, "posterior", None) is None:
        raise TypeError("posterior must be InferenceData with a posterior group, or a dict.")
    group = group_dataset(posterior, "posterior")
    return {k: np.asarray(group[k].values) for k in group.data_vars}


def _to_arviz(model: Model, groups: dict, coords: dict | None = None):
    sites = model.named_vars
    observed = {k: np.asarray(v) for k, v in model.observed_data().items()}
    names = set(observed).union(*[set(g) for g in groups.values()])
    dims = {k: list(sites[k].dims) for k in names if k in sites}
    constant = {k: np.asarray(v) for k, v in model.constant_data().items()}
    dims = {**{k: list(v) for k, v in constant_data_dims(model).items()}, **dims}
    groups = {**groups, "observed_data": observed, "constant_data": constant}
    return from_groups(groups, dims=dims, coords=model.check_coords(coords))
