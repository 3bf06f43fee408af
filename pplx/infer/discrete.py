"""Discrete latents at the driver level: marginalised NUTS, ``pplx.infer_discrete``
(the summed-out sites drawn back), and the step assignment of ``pplx.sample``.

``pplx.sample(model, key)`` picks the steps as PyMC's ``pm.sample`` does, and says
which: NUTS when every latent is continuous; with ``marginalize="auto"``, the discrete
sites with finitely many values summed out (then NUTS on what is left, or the compound
step when unbounded integer sites remain); otherwise the compound step (NUTS for the
continuous block, Gibbs or Metropolis for the discrete sites). The choice is printed
once (with the progress bar on) and kept in ``attrs["step_methods"]``.
"""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np

from pplx.model import Model
from pplx.model.checks import require_bound_model
from pplx.model.enumerate import (
    Marginalized,
    marginalize,
    plan_enumeration,
    reported_with,
    sample_marginalized,
)
from pplx.results import Posterior
from pplx.results.arviz_compat import group_dataset, update_attrs, with_group
from pplx.runtime.keys import as_key

MARGINALIZED_ATTR = "marginalized"


def apply_marginalize(model: Model, sites) -> tuple[Model, list[str]]:
    """``(model with sites summed out, their names)``; ``sites=None`` changes nothing."""
    if sites is None or sites is False:
        return model, []
    require_bound_model(model, "marginalize")
    sites = "auto" if sites is True else sites
    out = marginalize(model, sites)
    names = list(out.fn.plan.names) if isinstance(out.fn, Marginalized) else []
    return out, names


def note(result, attrs: dict):
    """Add ``attrs`` to an InferenceData's groups or a Posterior's attrs; return it."""
    if not attrs:
        return result
    if isinstance(result, Posterior):
        result.attrs.update(attrs)
    else:
        update_attrs(result, attrs)
    return result


def _enumerable(model: Model) -> list[str]:
    """The discrete latent sites of ``model`` that can be summed out, one by one."""
    out = []
    for site in model.discrete_vars:
        try:
            plan_enumeration(model, [site.name])
        except (TypeError, ValueError):
            continue
        out.append(site.name)
    return out


def choose_steps(model: Model, marginalize=None) -> tuple[dict[str, str], list[str]]:
    """The step of every latent site for :func:`pplx.sample`, and the sites to sum out.

    Returns ``({site: "nuts" | "marginalized" | "gibbs" | "metropolis"}, summed)``.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("mu", dist.Normal(0.0, 1.0))
        ...     pplx.sample("k", dist.Bernoulli(probs=0.5))
        ...     pplx.sample("n", dist.Poisson(3.0))
        >>> choose_steps(m(), marginalize="auto")
        ({'mu': 'nuts', 'k': 'marginalized', 'n': 'metropolis'}, ['k'])
    """
    require_bound_model(model, "pplx.sample")
    steps = {s.name: "nuts" for s in model.free_vars if not s.is_discrete}
    discrete = [s.name for s in model.discrete_vars]
    summed: list[str] = []
    if marginalize in ("auto", True):
        summed = _enumerable(model)
    elif marginalize not in (None, False):
        summed = [marginalize] if isinstance(marginalize, str) else list(marginalize)
    rest = [n for n in discrete if n not in summed]
    if rest:
        from pplx.infer.compound import assign_methods
        from pplx.model.discrete import discrete_layout

        assigned = assign_methods(model, discrete_layout(model), None)
        steps.update({n: assigned[n] for n in rest})
    steps.update({n: "marginalized" for n in summed})
    return {s.name: steps[s.name] for s in model.free_vars}, summed


_NUTS_ONLY = ("adaptation", "thinning", "init", "state", "log_likelihood")


def auto_sample(model: Model, key: jax.Array, *, marginalize=None, **options):
    """``pplx.sample(model, key, ...)``: choose the steps (:func:`choose_steps`), say
    which, and run them; InferenceData (or a Posterior) either way."""
    from pplx.infer import compound, drivers

    steps, summed = choose_steps(model, marginalize)
    if options.get("progress_bar", True):
        listing = ", ".join(f"{n}: {m}" for n, m in steps.items())
        print(f"pplx.sample: steps {{{listing}}}", file=sys.stderr)
    attrs = {"step_methods": str(steps)}
    if all(m in ("nuts", "marginalized") for m in steps.values()):
        result = drivers.nuts(model, key, marginalize=summed or None, **options)
        return note(result, attrs)
    bad = [k for k in _NUTS_ONLY if k in options]
    if bad:
        raise ValueError(
            f"pplx.sample chose the compound step for the discrete site(s) "
            f"{[n for n, m in steps.items() if m not in ('nuts', 'marginalized')]}, which "
            f"does not take {bad}; drop them, or marginalise those sites."
        )
    marginal, _ = apply_marginalize(model, summed or None)
    result = compound.sample(marginal, key, **options)
    return note(result, {**attrs, MARGINALIZED_ATTR: ",".join(summed)} if summed else attrs)


def _original(model: Model) -> Model:
    if isinstance(model.fn, Marginalized):
        args, kwargs = model._args_kwargs()
        return Model(model.fn.fn, args, kwargs, coords=model.coords)
    return model


def infer_discrete(model: Model, idata, key: jax.Array, *, sites=None):
    """Draw the summed-out discrete sites from their conditional posterior at each draw.

    For every posterior draw of the continuous latents, each marginalised site is drawn
    from ``p(site | continuous draw, data)`` (exactly: forward filtering, backward
    sampling over the enumerated values), and the deterministic sites that depend on
    them are recomputed.

    Args:
        model: the bound model (the original, or the one :func:`pplx.marginalize` gave).
        idata: the ``InferenceData`` of a run with the sites summed out.
        key: a JAX PRNG key.
        sites: the summed-out site names; by default those the run recorded
            (``attrs["marginalized"]``), else every discrete latent site.

    Returns:
        A new ``InferenceData`` whose posterior group also holds those sites
        ``(chain, draw, *shape)`` and the deterministics that depend on them.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mix(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         k = pplx.sample("k", dist.Bernoulli(probs=0.5))
        ...         pplx.sample("y", dist.Normal(mu + 2.0 * k, 1.0), obs=y)
        >>> m = mix(jnp.array([0.1, 2.3, 2.0]))
        >>> idata = pplx.nuts(m, jax.random.key(0), marginalize="auto", num_warmup=100,
        ...                   num_samples=50, num_chains=1, progress_bar=False)
        >>> pplx.infer_discrete(m, idata, jax.random.key(1)).posterior["k"].shape
        (1, 50, 3)
    """
    key = as_key(key)
    require_bound_model(model, "infer_discrete")
    if sites is None:
        recorded = idata.posterior.attrs.get(MARGINALIZED_ATTR)
        sites = recorded.split(",") if recorded else "auto"
    original = _original(model)
    marginal = marginalize(original, sites)
    if not isinstance(marginal.fn, Marginalized):
        raise ValueError(f"infer_discrete: model {model.fn.__name__} has no discrete sites.")
    names = [s.name for s in marginal.free_vars]
    missing = [n for n in names if n not in idata.posterior]
    if missing:
        raise ValueError(f"infer_discrete: the posterior has no draws of {missing}.")
    post = group_dataset(idata, "posterior")
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    flat = {
        n: jnp.asarray(post[n].values.reshape((chains * draws,) + post[n].shape[2:])) for n in names
    }
    drawn = _draw_all(marginal, original, key, flat)
    sites_info = original.named_vars
    new = {}
    for name, value in drawn.items():
        if name in post and name not in marginal.fn.plan.names:
            continue  # a deterministic the marginal run could report already
        value = np.asarray(value).reshape((chains, draws) + np.shape(value)[1:])
        dims = sites_info[name].dims if name in sites_info else ()
        new[name] = (("chain", "draw") + tuple(dims), value)
    return with_group(idata, "posterior", post.assign(new))


def _draw_all(marginal: Model, original: Model, key, flat: dict) -> dict:
    num = next(iter(flat.values())).shape[0]
    keys = jax.random.split(key, num)

    def one(k, values):
        discrete = sample_marginalized(marginal, k, values)
        latents = {**values, **discrete}
        return {**discrete, **reported_with(original, latents)}

    return jax.jit(jax.vmap(one))(keys, flat)
