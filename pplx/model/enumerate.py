"""Sum finite discrete latent sites out of a model: ``pplx.marginalize``.

``pplx.marginalize(model, ["z"])`` returns a bound model without the site ``z``: each
run gives ``z`` all its values at once, along its own *enumeration axis* to the left of
every plate dim (parallel enumeration, as Pyro does, without funsor), records the log
density terms that depend on it, and adds their sum over ``z``'s values as one factor
(variable elimination, :mod:`pplx.model.contract`). A site inside a plate costs ``K``
per element; a :func:`pplx.markov` chain costs ``O(T K^2)`` (forward algorithm). The
result is an ordinary model with continuous latents only: NUTS, ADVI and the rest run
on it unchanged. :func:`sample_marginalized` draws the summed-out sites back from their
conditional posterior (``pplx.infer_discrete``).

Model code must broadcast: an enumerated value has extra dims on the left, so write
``mu[z]``, ``jnp.where(t < tau, a, b)``, not Python control flow on the value.
Deterministic sites whose value depends on a summed-out site are not reported by the
marginalised model (their shape changes); ``pplx.infer_discrete`` recomputes them.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from pplx.core import primitives
from pplx.core.handlers import substitute
from pplx.core.stack import Handler, Message
from pplx.distributions.base import family_name
from pplx.model.contract import EnumVar, contract, sample_eliminated
from pplx.model.discrete import _bounds
from pplx.model.execute import constrain, is_latent, run_traced, site_log_prob
from pplx.model.markov import MarkovChain
from pplx.model.model import Model

MARGINAL_SITE = "marginalized"


class EnumSite(NamedTuple):
    """A summed-out site: values ``lower + arange(size)`` along ``axis``; ``shape`` is
    its value's shape in the model; ``plates`` the batch dims it is replicated over."""

    name: str
    size: int
    lower: int
    axis: int
    plates: frozenset
    shape: tuple
    is_chain: bool


class EnumPlan(NamedTuple):
    """Everything static about summing some sites out of one model (hashable)."""

    sites: tuple[EnumSite, ...]
    num_batch: int
    value_shapes: tuple
    max_support: int

    @property
    def rank(self) -> int:
        return self.num_batch + len(self.sites)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sites)


class _enumerate(Handler):
    """Give the planned sites all their values; collect the terms that depend on them."""

    def __init__(self, plan: EnumPlan):
        super().__init__()
        self.plan = plan
        self.by_name = {s.name: s for s in plan.sites}
        self.shapes = dict(plan.value_shapes)
        self.factors: list[jax.Array] = []
        self.chains: dict[str, tuple] = {}

    def _pad(self, name: str, t) -> jax.Array:
        t = jnp.asarray(t)
        rank = self.plan.rank
        if t.ndim > rank:
            raise ValueError(
                f"site '{name}': its log density has shape {t.shape}, more dims than the "
                f"{self.plan.num_batch} batch dims and {len(self.plan.sites)} enumerated "
                "sites allow. Keep the enumerated values' extra dims on the left (broadcast; "
                "do not reshape or sum them)."
            )
        return jnp.reshape(t, (1,) * (rank - t.ndim) + t.shape)

    def _depends(self, t) -> bool:
        t = jnp.shape(t)
        return any(len(t) >= -s.axis and t[s.axis] > 1 for s in self.plan.sites)

    def process(self, msg: Message) -> None:
        site = self.by_name.get(msg.name)
        if msg.type == "sample" and msg.is_observed:
            msg.infer["enumerated"] = True  # its shape was checked when it was planned
        if msg.type == "sample" and site is not None and not msg.is_observed:
            values = site.lower + jnp.arange(site.size, dtype=jnp.result_type(int))
            msg.value = jnp.reshape(values, (site.size,) + (1,) * (-site.axis - 1))
            msg.stop = True  # summed out here: outer handlers never see the site
        elif msg.type == "deterministic" and tuple(jnp.shape(msg.value)) != self.shapes.get(
            msg.name, tuple(jnp.shape(msg.value))
        ):
            msg.stop = True  # depends on an enumerated site: not a reported value
        elif msg.type == "factor" and tuple(jnp.shape(msg.value)) != self.shapes.get(
            msg.name, tuple(jnp.shape(msg.value))
        ):
            total = msg.value if msg.scale is None else msg.value * msg.scale
            self.factors.append(self._pad(msg.name, total))
            msg.stop = True

    def postprocess(self, msg: Message) -> None:
        if msg.type != "sample" or msg.infer.get("intervened", False):
            return
        site = self.by_name.get(msg.name)
        if site is not None and site.is_chain:
            self.chains[msg.name] = (msg.fn.log_init, msg.fn.log_trans)
            return
        lp = site_log_prob(msg)
        if site is not None or self._depends(lp):
            self.factors.append(self._pad(msg.name, lp))
            if site is None:
                msg.mask = False  # counted in the summed factor, not by the outer trace


def _enum_vars(plan: EnumPlan, chains: dict) -> list[EnumVar]:
    return [
        EnumVar(s.name, s.axis, s.plates, s.size, chains.get(s.name) if s.is_chain else None)
        for s in plan.sites
    ]


class Marginalized:
    """A model function with some discrete sites summed out (hashable by value, so a
    re-marginalised model reuses its compiled programs)."""

    def __init__(self, fn, plan: EnumPlan):
        self.fn, self.plan = fn, plan
        functools.update_wrapper(self, fn)

    def run(self, args, kwargs) -> _enumerate:
        handler = _enumerate(self.plan)
        with handler:
            self.fn(*args, **kwargs)
        return handler

    def __call__(self, *args, **kwargs):
        handler = self.run(args, kwargs)
        total = contract(
            handler.factors,
            _enum_vars(self.plan, handler.chains),
            self.plan.num_batch,
            self.plan.max_support,
        )
        primitives.factor(MARGINAL_SITE, total)

    def __eq__(self, other):
        return isinstance(other, Marginalized) and (self.fn, self.plan) == (other.fn, other.plan)

    def __hash__(self):
        return hash((Marginalized, self.fn, self.plan))


def _site_size(msg: Message) -> tuple[int, int]:
    """(number of values, lowest value) of a site to enumerate; errors for the others."""
    family = family_name(msg.fn)
    if isinstance(msg.fn, MarkovChain):
        return msg.fn.num_states, 0
    if getattr(msg.fn.support, "event_dim", 0):
        inner = "MarkovChain" in repr(type(getattr(msg.fn, "base", None)))
        raise TypeError(
            f"site '{msg.name}' ({family}) "
            + (
                "is a pplx.markov chain inside a plate; declare it outside plates."
                if inner
                else f"has event shape {tuple(msg.fn.event_shape)}: its components would "
                "be enumerated jointly. Declare them in a plate (elementwise) instead."
            )
        )
    count, low, support = _bounds(msg)
    if count.size == 0:
        return 1, 0
    if not np.all(count > 0):
        raise ValueError(
            f"site '{msg.name}' ({family}, support '{support}') takes unboundedly many "
            "values and cannot be summed out. Sample it with pplx.compound (Metropolis), "
            "or give it a bounded support (e.g. a truncated or Binomial prior)."
        )
    lower = int(low.min())
    return int((low + count).max()) - lower, lower


def _check_site_support(msg: Message, size: int, max_support: int) -> None:
    """A single site with more values than ``max_support``: refused before any run (the
    joint support of dependent sites is checked when they are summed, :mod:`contract`)."""
    if size > max_support:
        raise ValueError(
            f"site '{msg.name}' takes {size} values, above max_support={max_support}: "
            "summing it out enumerates every one of them. Sample it with pplx.compound "
            "(Gibbs), or raise max_support."
        )


def plan_enumeration(model: Model, sites="auto", max_support: int = 10_000) -> EnumPlan:
    """Check which discrete sites of ``model`` to sum out and where their axes go."""
    args, kwargs = model._args_kwargs()
    msgs = run_traced(model.fn, args, kwargs, constrain(fill_missing=True))
    discrete = [m for m in msgs.values() if is_latent(m) and m.fn.is_discrete]
    names = [m.name for m in discrete]
    if sites == "auto":
        chosen = names
    else:
        chosen = [sites] if isinstance(sites, str) else list(sites)
        for name in chosen:
            if name not in names:
                raise ValueError(
                    f"marginalize: '{name}' is not a discrete latent site of "
                    f"{model.fn.__name__}; its discrete latent sites are {names}."
                )
    samples = [m for m in msgs.values() if m.type == "sample"]
    num_batch = max([len(m.fn.batch_shape) for m in samples], default=0)
    if any(isinstance(msgs[n].fn, MarkovChain) for n in chosen):
        num_batch = max(num_batch, 1)
    out = []
    for i, name in enumerate(n for n in names if n in chosen):
        msg = msgs[name]
        size, lower = _site_size(msg)
        _check_site_support(msg, size, max_support)
        batch = tuple(msg.fn.batch_shape)
        plates = frozenset(-j for j in range(1, len(batch) + 1) if batch[-j] > 1)
        is_chain = isinstance(msg.fn, MarkovChain)
        if is_chain:
            plates = frozenset({-1})
        shape = tuple(jnp.shape(msg.value))
        out.append(EnumSite(name, size, lower, -(num_batch + 1 + i), plates, shape, is_chain))
    shapes = tuple(
        (m.name, tuple(jnp.shape(m.value)))
        for m in msgs.values()
        if m.type in ("deterministic", "factor")
    )
    return EnumPlan(tuple(out), num_batch, shapes, int(max_support))


def marginalize(model: Model, sites="auto", *, max_support: int = 10_000) -> Model:
    """The model with discrete latent sites summed out of its log density.

    Args:
        model: a bound model.
        sites: ``"auto"`` (every discrete latent site) or a list of site names. Each
            needs finitely many values (Bernoulli, Categorical, DiscreteUniform,
            Binomial, ..., or a :func:`pplx.markov` chain).
        max_support: the largest joint support of sites that share a log density term
            (the sum over them is exact, so its cost is that product).

    Returns:
        A bound :class:`pplx.Model` without those sites (a ``marginalized`` factor holds
        their sum); a model without discrete latents is returned as it is.

    Raises:
        ValueError: a name that is not a discrete latent, an unbounded site (Poisson),
            or a joint support above ``max_support`` (when the model first runs).

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mix(y):
        ...     mu = pplx.sample("mu", dist.Normal(jnp.array([-1.0, 1.0]), 1.0).to_event(1))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         z = pplx.sample("z", dist.Categorical(probs=jnp.array([0.3, 0.7])))
        ...         pplx.sample("y", dist.Normal(mu[z], 1.0), obs=y)
        >>> m = pplx.marginalize(mix(jnp.array([0.5, -1.2, 2.0])))
        >>> [s.name for s in m.free_vars], m.num_dims
        (['mu'], 2)
    """
    if not isinstance(model, Model):
        raise TypeError(
            f"marginalize expects a bound pplx model, got {type(model).__name__}: "
            "pplx.marginalize(my_model(data), ...)."
        )
    if not isinstance(max_support, int) or max_support < 1:
        raise ValueError(f"max_support must be a positive int, got {max_support!r}.")
    plan = plan_enumeration(model, sites, max_support)
    if not plan.sites:
        return model
    args, kwargs = model._args_kwargs()
    return Model(Marginalized(model.fn, plan), args, kwargs, coords=model.coords)


def sample_marginalized(model: Model, key: jax.Array, values: dict) -> dict[str, jax.Array]:
    """Draw the summed-out sites of a marginalised ``model`` from their conditional
    posterior given constrained continuous ``values``; traceable (vmap over draws)."""
    wrapper = model.fn
    plan = wrapper.plan
    args, kwargs = model._args_kwargs()
    latent = {s.name: values[s.name] for s in model.free_vars if s.name in values}
    box = {}

    def run(*a, **k):
        box["handler"] = wrapper.run(a, k)

    run_traced(run, args, kwargs, substitute(data=latent))
    handler = box["handler"]
    _, done = contract(
        handler.factors,
        _enum_vars(plan, handler.chains),
        plan.num_batch,
        plan.max_support,
        record=True,
    )
    index = sample_eliminated(key, done, plan.rank)
    out = {}
    for site in plan.sites:
        idx = index[site.name]
        if not site.is_chain:
            batch = jnp.reshape(idx, idx.shape[plan.rank - plan.num_batch :])
            ndim = len(site.shape)
            batch = jnp.reshape(batch, batch.shape[len(batch.shape) - ndim :])
            idx = jnp.broadcast_to(batch, site.shape)
        out[site.name] = site.lower + idx
    return out


def reported_with(model: Model, values: dict) -> dict[str, jax.Array]:
    """The deterministic sites of the original model at the latent ``values``."""
    fn = model.fn.fn if isinstance(model.fn, Marginalized) else model.fn
    args, kwargs = model._args_kwargs()
    sites = run_traced(fn, args, kwargs, substitute(data=values))
    return {n: m.value for n, m in sites.items() if m.type == "deterministic"}
