"""Compound sampling (Metropolis-within-Gibbs) for models with discrete latent sites.

Each latent site is assigned a step method, as PyMC does: the continuous sites together
get NUTS (with Stan's window adaptation), binary and finite discrete sites get Gibbs by
exact enumeration, unbounded integer sites get component-wise discrete Metropolis. The
``step`` argument overrides the method per site. Every block is updated in a fixed order
(continuous blocks first) inside one transition; the whole run (warmup and sampling, all
chains vectorised, in sequence or split over devices: ``chain_method``) is one
``lax.scan`` in one compiled program.

Example:
    >>> import jax, jax.numpy as jnp, pplx
    >>> import pplx.distributions as dist
    >>> from pplx import compound
    >>> @pplx.model
    ... def coin_or_die(y):
    ...     k = pplx.sample("k", dist.Bernoulli(probs=0.5))
    ...     mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
    ...     with pplx.plate("obs", y.shape[0]):
    ...         pplx.sample("y", dist.Normal(mu + 2.0 * k, 1.0), obs=y)
    >>> idata = compound.sample(coin_or_die(jnp.array([1.0, 2.5])), jax.random.key(0),
    ...                         num_warmup=50, num_samples=20, num_chains=2)
    >>> idata.posterior["k"].shape, idata.posterior.attrs["step_methods"]
    ((2, 20), "{'k': 'gibbs', 'mu': 'nuts'}")
    >>> post = compound.sample(coin_or_die(jnp.array([1.0, 2.5])), jax.random.key(0),
    ...                        num_warmup=50, num_samples=20, num_chains=2,
    ...                        return_inferencedata=False)
    >>> post.draws["k"].shape, sorted(s for s in post.stats if s.startswith("gibbs"))
    ((2, 20), ['gibbs_acceptance_rate', 'gibbs_lp', 'gibbs_n_changed'])
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.infer.chains import over_chains
from pplx.infer.devices import checked_chain_method, map_chains
from pplx.kernels import adaptation
from pplx.kernels import compound as ck
from pplx.kernels.gibbs import SiteSpec
from pplx.kernels.initialize import find_initial_position, start_seeds, uniform_candidate
from pplx.kernels.spec import check_run_lengths
from pplx.model import Model
from pplx.model.blanket import conditional_fn, gibbs_sites
from pplx.model.checks import require_bound_model
from pplx.model.data_dims import constant_data_dims
from pplx.model.discrete import (
    DiscreteLayout,
    constrained_values,
    discrete_layout,
    joint_logdensity,
    sample_discrete,
)
from pplx.results.posterior import Posterior
from pplx.results.prefetch import prefetch_arviz
from pplx.runtime.jit import filter_jit
from pplx.runtime.keys import as_key

METHODS = ("nuts", "metropolis", "slice", "gibbs")
CONTINUOUS_METHODS = ("nuts", "slice", "metropolis")


class CompoundResult(NamedTuple):
    """What :func:`sample_run` returns (arrays, chain axis first).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def shifted(y):
        ...     k = pplx.sample("k", dist.Bernoulli(probs=0.5))
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu + 2.0 * k, 1.0), obs=y)
        >>> res = pplx.compound.sample_run(shifted(jnp.array([1.0, 2.5])), jax.random.key(0),
        ...                                num_warmup=50, num_samples=20, num_chains=2)
        >>> res._fields
        ('draws', 'stats', 'state', 'assignment')
        >>> res.draws["mu"].shape, res.stats["lp"].shape, res.assignment
        ((2, 20), (2, 20), {'k': 'gibbs', 'mu': 'nuts'})
    """

    draws: dict[str, jax.Array]
    stats: dict[str, jax.Array]
    state: ck.CompoundState
    assignment: dict[str, str]


def assign_methods(model: Model, layout: DiscreteLayout, step: dict | None) -> dict[str, str]:
    """The step method of every latent site: PyMC's defaults, then the ``step`` overrides.

    Raises ``ValueError`` for a name that is not a latent site or an unknown method, and
    ``TypeError`` for a method that cannot update the site's type.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> from pplx.model.discrete import discrete_layout
        >>> @pplx.model
        ... def mixed(y):
        ...     k = pplx.sample("k", dist.Bernoulli(probs=0.5))
        ...     n = pplx.sample("n", dist.Poisson(3.0))  # unbounded: Metropolis
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu + 2.0 * k + 0.1 * n, 1.0), obs=y)
        >>> m = mixed(jnp.array([1.0, 2.5]))
        >>> assign_methods(m, discrete_layout(m), None)
        {'mu': 'nuts', 'k': 'gibbs', 'n': 'metropolis'}
        >>> assign_methods(m, discrete_layout(m), {"mu": "slice", "k": "metropolis"})
        {'mu': 'slice', 'k': 'metropolis', 'n': 'metropolis'}
        >>> assign_methods(m, discrete_layout(m), {"n": "gibbs"})
        Traceback (most recent call last):
        ...
        TypeError: step['n'] = 'gibbs', but 'n' takes unboundedly many values ...
    """
    step = dict(step or {})
    latent = list(model.layout.names) + list(layout.names)
    out = {name: "nuts" for name in model.layout.names}
    for name in layout.names:
        out[name] = (
            "gibbs" if all(layout.num_values[i] for i in layout.indices(name)) else "metropolis"
        )
    for name, method in step.items():
        if name not in out:
            raise ValueError(
                f"step names '{name}', which is not a latent site of {model.fn.__name__}; "
                f"its latent sites are {latent}."
            )
        if method not in METHODS:
            raise ValueError(f"step['{name}'] = {method!r}: choose one of {METHODS}.")
        _check_method(name, method, layout)
        out[name] = method
    return out


def _check_method(name: str, method: str, layout: DiscreteLayout) -> None:
    if name in layout.names:
        if method in ("nuts", "slice"):
            raise TypeError(
                f"step['{name}'] = '{method}', but '{name}' is integer-valued and {method} "
                "needs a continuous site. Use 'gibbs' (finite values) or 'metropolis'."
            )
        if method == "gibbs" and not all(layout.num_values[i] for i in layout.indices(name)):
            raise TypeError(
                f"step['{name}'] = 'gibbs', but '{name}' takes unboundedly many values "
                "(Gibbs enumerates them). Use 'metropolis', or give it a bounded support."
            )
    elif method == "gibbs":
        raise TypeError(
            f"step['{name}'] = 'gibbs', but '{name}' is continuous: Gibbs by enumeration "
            "needs finitely many values. Use 'nuts', 'slice' or 'metropolis'."
        )


def build_blocks(
    model, layout, assignment, target_accept, max_tree_depth, dense_mass, gibbs_sites=None
):
    """Blocks in update order: continuous (nuts, slice, metropolis), then discrete
    (gibbs, metropolis); one block per method, holding all its sites' components.

    With ``gibbs_sites`` (:func:`pplx.model.blanket.gibbs_sites`) the Gibbs block updates
    each site from its Markov blanket (elementwise along its plates where it can);
    without, from the joint log density, component by component.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> from pplx.model.discrete import discrete_layout
        >>> @pplx.model
        ... def mixed(y):
        ...     k = pplx.sample("k", dist.Bernoulli(probs=0.5))
        ...     n = pplx.sample("n", dist.Poisson(3.0))  # unbounded: Metropolis
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu + 2.0 * k + 0.1 * n, 1.0), obs=y)
        >>> m = mixed(jnp.array([1.0, 2.5]))
        >>> layout = discrete_layout(m)
        >>> assignment = assign_methods(m, layout, None)
        >>> blocks = build_blocks(m, layout, assignment, 0.8, 10, False)
        >>> [(b.kernel.name, b.index, b.is_discrete) for b in blocks]  # index: into z or ints
        [('nuts', (0,), False), ('gibbs', (0,), True), ('discrete_metropolis', (1,), True)]
    """
    blocks = []
    z_index = {b.name: range(b.offset, b.offset + b.size) for b in model.layout.blocks}
    for method in CONTINUOUS_METHODS:
        idx = sorted(
            i for n, m in assignment.items() if m == method and n in z_index for i in z_index[n]
        )
        if idx:
            kernel = {
                "nuts": lambda: ck.nuts_block(max_tree_depth, target_accept, dense_mass),
                "slice": ck.slice_block,
                "metropolis": ck.rwmh_block,
            }[method]()
            blocks.append(ck.Block(kernel, tuple(idx), False))
    for method in ("gibbs", "metropolis"):
        idx = [i for n in layout.names if assignment[n] == method for i in layout.indices(n)]
        if not idx:
            continue
        if method == "gibbs" and gibbs_sites is not None:
            blocks.append(_blanket_gibbs_block(model, layout, assignment, gibbs_sites))
            continue
        if method == "gibbs":
            counts = [layout.num_values[i] for i in idx]
            lower = [layout.lower[i] for i in idx]
            kernel = ck.gibbs_block(counts, lower)
        else:
            kernel = ck.discrete_metropolis_block()
        blocks.append(ck.Block(kernel, tuple(idx), True))
    return blocks


def _blanket_gibbs_block(model, layout, assignment, gibbs_sites) -> ck.Block:
    """One Gibbs block over the Gibbs sites, each updated from its own blanket."""
    sites = [s for s in gibbs_sites if assignment[s.name] == "gibbs"]
    specs, fns, idx = [], [], []
    for site in sites:
        own = list(layout.indices(site.name))
        counts = tuple(layout.num_values[i] for i in own)
        lower = tuple(layout.lower[i] for i in own)
        specs.append(SiteSpec(len(idx), len(own), counts, lower, site.is_elementwise))
        fns.append(conditional_fn(model, layout, site))
        idx += own
    return ck.Block(ck.sitewise_gibbs_block(specs), tuple(idx), True, tuple(fns))


def _stages(num_warmup: int, num_samples: int) -> ck.Stage:
    is_slow, ends = adaptation.window_schedule(num_warmup)
    pad = np.zeros(num_samples, bool)
    after = np.arange(num_warmup + num_samples) - num_warmup
    return ck.Stage(
        jnp.asarray(after < 0),
        jnp.asarray(np.concatenate([is_slow, pad])),
        jnp.asarray(np.concatenate([ends, pad])),
        jnp.asarray(after == -1),
    )


def sample_run(
    model: Model,
    key: jax.Array,
    *,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    num_chains: int = 4,
    step: dict | None = None,
    target_accept: float = 0.8,
    max_tree_depth: int = 10,
    dense_mass: bool = False,
    chain_method: str = "vectorized",
) -> CompoundResult:
    """The pure compound run: arrays out, no host work after the checks.

    The checks and the step assignment run in Python on the concrete model (they read
    the supports of the discrete sites); the run itself is traceable. See :func:`sample`.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def shifted(y):
        ...     k = pplx.sample("k", dist.Bernoulli(probs=0.5))
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu + 2.0 * k, 1.0), obs=y)
        >>> res = pplx.compound.sample_run(shifted(jnp.array([1.0, 2.5])), jax.random.key(0),
        ...                                num_warmup=50, num_samples=20, num_chains=2,
        ...                                step={"mu": "slice"})
        >>> res.draws["k"].shape, res.assignment
        ((2, 20), {'k': 'gibbs', 'mu': 'slice'})
        >>> bool(jnp.isin(res.draws["k"], jnp.array([0, 1])).all())
        True
    """
    plan = _prepare(
        model,
        step,
        num_warmup,
        num_samples,
        num_chains,
        target_accept,
        max_tree_depth,
        dense_mass,
        chain_method=chain_method,
    )
    draws, stats, state = _run(model, key, plan)
    return CompoundResult(draws, stats, state, dict(plan.assignment))


def _prepare(
    model, step, num_warmup, num_samples, num_chains, *nuts_settings, chain_method
) -> _Plan:
    require_bound_model(model, "pplx.compound.sample")
    check_run_lengths(num_warmup, num_samples, num_chains)
    chain_method = checked_chain_method(chain_method, num_chains)
    layout = discrete_layout(model)
    assignment = assign_methods(model, layout, step)
    if not assignment:
        raise ValueError(f"model {model.fn.__name__} has no latent sites to sample.")
    # each Gibbs site's Markov blanket, read once from the model's jaxpr (static)
    sites = gibbs_sites(model, layout) if "gibbs" in assignment.values() else ()
    plan = _Plan(
        layout,
        tuple(sorted(assignment.items())),
        num_warmup,
        num_samples,
        num_chains,
        tuple(nuts_settings),
        chain_method,
    )
    return plan._replace(gibbs_sites=sites)


def _initial_state(model, layout, init, key):
    k_z, k_ints, k_find = jax.random.split(key, 3)
    start = uniform_candidate(start_seeds(k_z)[0], 0, model.num_dims)
    ints = sample_discrete(model, k_ints, start, layout)
    z, _ = find_initial_position(
        lambda z: joint_logdensity(model, z, ints, layout=layout), k_find, model.num_dims
    )
    return init(z, ints)


class _Plan(NamedTuple):
    """Everything static about a compound run (hashable: one compiled program per plan)."""

    layout: DiscreteLayout
    assignment: tuple[tuple[str, str], ...]
    num_warmup: int
    num_samples: int
    num_chains: int
    nuts_settings: tuple  # target_accept, max_tree_depth, dense_mass
    chain_method: str = "vectorized"
    gibbs_sites: tuple = ()  # pplx.model.blanket.GibbsSite of each site (Gibbs blocks)


def _run(model, key, plan: _Plan):
    layout = plan.layout
    blocks = build_blocks(
        model, layout, dict(plan.assignment), *plan.nuts_settings, plan.gibbs_sites or None
    )
    logdensity = lambda z, ints: joint_logdensity(model, z, ints, layout=layout)
    init, step = ck.compound(logdensity, blocks)
    init_key, run_key = jax.random.split(key)
    stages = _stages(plan.num_warmup, plan.num_samples)
    total = plan.num_warmup + plan.num_samples
    part = lambda lo, hi: (jnp.arange(lo, hi), jax.tree.map(lambda a: a[lo:hi], stages))

    def run_group(chains):
        # chain c's randomness depends only on c: any grouping of chains (on one device,
        # in sequence, over devices) gives the same draws
        states = over_chains(
            lambda c: _initial_state(model, layout, init, jax.random.fold_in(init_key, c))
        )(chains)

        def transition(carry, x):
            t, stage = x
            step_key = jax.random.fold_in(run_key, t)
            keys = over_chains(lambda c: jax.random.fold_in(step_key, c))(chains)
            return over_chains(step, in_axes=(0, 0, None))(keys, carry, stage)

        def keep(carry, x):
            states, infos = transition(carry, x)
            return states, (states.z, states.ints, states.logdensity, infos)

        # warmup draws are not kept: the warmup scan outputs nothing
        states, _ = jax.lax.scan(
            lambda c, x: (transition(c, x)[0], None), states, part(0, plan.num_warmup)
        )
        final, kept = jax.lax.scan(keep, states, part(plan.num_warmup, total))
        return final, jax.tree.map(lambda a: jnp.swapaxes(a, 0, 1), kept)  # (chain, draw, ...)

    final, (z, ints, lp, infos) = map_chains(
        run_group, jnp.arange(plan.num_chains), plan.chain_method
    )
    draws = jax.vmap(jax.vmap(lambda a, b: constrained_values(model, a, b, layout)))(z, ints)
    stats = {"lp": lp}
    for name, info in zip(ck.block_names(blocks), infos, strict=True):
        stats.update({f"{name}_{field}": v for field, v in info._asdict().items()})
        if name == "nuts":
            stats["diverging"] = info.diverging
    return draws, stats, final


_run_compiled = filter_jit(_run)


def sample(
    model: Model,
    key: jax.Array,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    num_chains: int = 4,
    step: dict | None = None,
    *,
    target_accept: float = 0.8,
    max_tree_depth: int = 10,
    dense_mass: bool = False,
    chain_method: str = "vectorized",
    coords: dict | None = None,
    progress_bar: bool = True,
    return_inferencedata: bool = True,
):
    """Sample a model with continuous and discrete latents by a compound step.

    Args:
        model: a bound model (``my_model(data)``).
        key: a JAX PRNG key; the same key gives the same draws.
        num_warmup, num_samples, num_chains: run lengths (Python ints).
        step: optional ``{site: method}`` with method ``"nuts"`` or ``"slice"``
            (continuous sites), ``"gibbs"`` (sites with finitely many values) or
            ``"metropolis"`` (either). Defaults: NUTS for continuous sites, Gibbs for
            binary, categorical and bounded integer sites, Metropolis for the others.
        target_accept, max_tree_depth, dense_mass: NUTS settings.
        chain_method: how the chains run, as for :func:`pplx.nuts`: ``"vectorized"``
            (default: batched with vmap), ``"sequential"``, ``"parallel"`` (split over
            the devices; ``num_chains`` a multiple of their number) or ``"auto"``.
            Chain ``c``'s draws depend only on ``key`` and ``c``, so every method gives
            the same draws (to rounding).
        coords: coordinate values by dimension name.
        progress_bar: accepted for the same call as :func:`pplx.nuts` (the compound
            run is one compiled program and shows no bar).
        return_inferencedata: False returns the :class:`pplx.Posterior` (with the
            final ``state``) instead of ArviZ ``InferenceData``.

    Returns:
        ArviZ ``InferenceData`` (as :func:`pplx.nuts`), or a :class:`pplx.Posterior`
        with ``return_inferencedata=False``: draws ``(chain, draw, *shape)`` of every
        latent site (continuous ones constrained) and deterministic; stats prefixed by
        block (``nuts_diverging``, ``gibbs_acceptance_rate``, ...), plus ``lp`` and, with
        a NUTS block, ``diverging``. ``attrs["step_methods"]`` records the assignment.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def shifted(y):
        ...     k = pplx.sample("k", dist.Bernoulli(probs=0.5))
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 3.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu + 2.0 * k, 1.0), obs=y)
        >>> post = pplx.compound.sample(shifted(jnp.array([1.0, 2.5])), jax.random.key(0),
        ...                             num_warmup=50, num_samples=20, num_chains=2,
        ...                             step={"k": "metropolis"}, return_inferencedata=False)
        >>> post.draws["k"].shape, post.attrs["step_methods"]
        ((2, 20), "{'k': 'metropolis', 'mu': 'nuts'}")
    """
    key = as_key(key)
    # checks, layout and assignment in Python on the concrete model, before compiling
    plan = _prepare(
        model,
        step,
        num_warmup,
        num_samples,
        num_chains,
        target_accept,
        max_tree_depth,
        dense_mass,
        chain_method=chain_method,
    )
    if return_inferencedata:
        prefetch_arviz()  # imports while XLA compiles (see pplx.results.prefetch)
    # compiled once per model structure and plan: new data of the same shape reuse it
    draws, stats, state = _run_compiled(model, key, plan)
    sites = model.named_vars
    observed = model.observed_data()
    posterior = Posterior(
        draws={k: np.asarray(v) for k, v in draws.items()},
        stats={k: np.asarray(v) for k, v in stats.items()},
        dims={k: sites[k].dims for k in draws if k in sites},
        observed={k: np.asarray(v) for k, v in observed.items()},
        observed_dims={k: sites[k].dims for k in observed},
        attrs={"step_methods": str(dict(plan.assignment)), "sampler": "compound"},
        state=state,
        constant_data={k: np.asarray(v) for k, v in model.constant_data().items()},
        constant_dims=constant_data_dims(model),
        coords=model.check_coords(coords),
    )
    return posterior.to_arviz() if return_inferencedata else posterior
