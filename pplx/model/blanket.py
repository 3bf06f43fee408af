"""Markov blankets of discrete latent sites, and the conditional log densities a Gibbs
update needs.

The joint log density is a sum of terms, one per site (a sample site's elementwise
``log_prob`` plus its log|J|, a factor's value). The *blanket* of a discrete site is
the set of terms that mention its value: its own prior term and the terms of the sites
whose distributions are computed from it. It is read once from the jaxpr of one model
run (which output terms are computed from which input values), so a Gibbs update of the
site evaluates only those terms: the rest are constant in the site and drop out of its
conditional (XLA removes the code that computes them).

When a site lies in plates and every term of its blanket lies in those plates too, its
elements are conditionally independent given everything else (what a plate declares).
Its conditional is then *elementwise*: setting every element to the same value ``v``
and reducing each blanket term to the site's shape (summing the dims the site is not
replicated over) gives, at element ``i``, the log weight of ``x_i = v``. So ``K``
evaluations of the blanket update all ``N`` elements at once, in ``O(K N)``, instead
of ``N`` evaluations of a density that itself costs ``O(N)``.

Example:
    >>> import jax.numpy as jnp, pplx
    >>> import pplx.distributions as dist
    >>> @pplx.model
    ... def mix(y):
    ...     mu = pplx.sample("mu", dist.Normal(jnp.array([-1.0, 1.0]), 1.0).to_event(1))
    ...     with pplx.plate("obs", y.shape[0]):
    ...         z = pplx.sample("z", dist.Bernoulli(probs=0.3))
    ...         pplx.sample("y", dist.Normal(mu[z], 1.0), obs=y)
    >>> m = mix(jnp.array([0.5, -1.2, 2.0]))
    >>> [(s.name, s.terms, s.is_elementwise) for s in gibbs_sites(m, discrete_layout(m))]
    [('z', ('y', 'z'), True)]
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
from jax.extend.core import ClosedJaxpr, Jaxpr, Literal

from pplx.core.stack import Message
from pplx.model.discrete import DiscreteLayout, _trace, discrete_layout
from pplx.model.execute import constrain, run_traced, site_log_prob
from pplx.model.model import Model

__all__ = ["GibbsSite", "blankets", "conditional_fn", "gibbs_sites", "site_terms"]

# calls whose inner jaxpr maps inputs to outputs one to one (no loop carry): followed
# inside, so a jitted helper (jnp.where, jnp.clip, ...) does not merge dependencies
_CALLS = ("jit", "pjit", "closed_call", "core_call", "custom_jvp_call", "custom_vjp_call")
_CALLS += ("remat", "checkpoint", "custom_vjp_call_jaxpr")


class GibbsSite(NamedTuple):
    """What a Gibbs update of one discrete site needs (static, hashable).

    Attributes:
        name: the site.
        start, size: its components in the integer vector (``ints[start:start+size]``).
        terms: its blanket: names of the terms that depend on it (itself included).
        plate_dims: batch dims along which its elements are conditionally independent.
        is_elementwise: True when every blanket term lies in the site's plates, so all
            elements can be updated at once from the elementwise conditional.
        shape: the site's value shape.
    """

    name: str
    start: int
    size: int
    terms: tuple[str, ...]
    plate_dims: tuple[int, ...]
    is_elementwise: bool
    shape: tuple[int, ...]


def _term(msg: Message) -> jax.Array | None:
    """One site's elementwise contribution to the joint log density (None: none)."""
    if msg.type == "factor":
        return msg.value if msg.scale is None else msg.value * msg.scale
    if msg.type != "sample" or msg.infer.get("intervened", False):
        return None
    lp = jnp.asarray(site_log_prob(msg))
    if "log_det" in msg.infer:
        log_det = jnp.asarray(msg.infer["log_det"])
        extra = tuple(range(lp.ndim, log_det.ndim))  # event dims of the value
        lp = lp + (jnp.sum(log_det, axis=extra) if extra else log_det)
    return lp


def site_terms(model: Model, z: jax.Array, ints: jax.Array, layout: DiscreteLayout) -> dict:
    """Every site's elementwise log-density term at ``(z, ints)``, by site name."""
    return _terms(model, z, layout.unravel(ints))


def _terms(model: Model, z: jax.Array, discrete: dict) -> dict:
    sites = _trace(model, z, discrete)
    terms = {name: _term(msg) for name, msg in sites.items()}
    return {name: t for name, t in terms.items() if t is not None}


def _dependence(jaxpr: Jaxpr, inputs: list[frozenset]) -> list[frozenset]:
    """For each output of ``jaxpr``, the set of input labels it is computed from."""
    env: dict = dict(zip(jaxpr.invars, inputs, strict=True))
    read = lambda v: frozenset() if isinstance(v, Literal) else env.get(v, frozenset())
    for eqn in jaxpr.eqns:
        deps = [read(v) for v in eqn.invars]
        inner = _inner(eqn)
        if inner is not None:
            outs = _dependence(inner, deps)
        else:  # any other primitive (loops included): every output from every input
            outs = [frozenset().union(*deps)] * len(eqn.outvars)
        env.update(zip(eqn.outvars, outs, strict=True))
    return [read(v) for v in jaxpr.outvars]


def _inner(eqn) -> Jaxpr | None:
    if eqn.primitive.name not in _CALLS:
        return None
    for key in ("jaxpr", "call_jaxpr", "fun_jaxpr"):
        inner = eqn.params.get(key)
        inner = inner.jaxpr if isinstance(inner, ClosedJaxpr) else inner
        if (
            isinstance(inner, Jaxpr)
            and len(inner.invars) == len(eqn.invars)
            and len(inner.outvars) == len(eqn.outvars)
        ):
            return inner
    return None


def blankets(model: Model, layout: DiscreteLayout) -> dict[str, tuple[str, ...]]:
    """Discrete site name -> the sorted names of the terms computed from its value.

    Read from the jaxpr of one model run: nothing is evaluated.
    """
    z = jnp.zeros(model.num_dims, jnp.result_type(float))
    values = {name: jnp.zeros(shape, jnp.result_type(int)) for name, shape in _shapes(layout)}
    names = sorted(values)

    def terms(z, values):  # the sites' values enter apart: no concatenation merges them
        return _terms(model, z, values)

    closed = jax.make_jaxpr(terms)(z, values)
    inputs = [frozenset()] + [frozenset({n}) for n in names]  # z, then the sorted sites
    out = _dependence(closed.jaxpr, inputs)
    shapes = jax.eval_shape(terms, z, values)
    term_names = [path[0].key for path, _ in jax.tree_util.tree_flatten_with_path(shapes)[0]]
    found: dict[str, set] = {n: set() for n in names}
    for term, deps in zip(term_names, out, strict=True):
        for site in deps:
            found[site].add(term)
    return {n: tuple(sorted(found[n] | {n})) for n in layout.names}


def _shapes(layout: DiscreteLayout):
    return [(b.name, tuple(b.shape)) for b in layout.layout.blocks]


def gibbs_sites(model: Model, layout: DiscreteLayout | None = None) -> tuple[GibbsSite, ...]:
    """The Gibbs plan of each discrete latent site of ``model``: its blanket, and
    whether its elements can be updated at once (see the module docstring)."""
    layout = discrete_layout(model) if layout is None else layout
    found = blankets(model, layout)
    args, kwargs = model._args_kwargs()
    msgs = run_traced(model.fn, args, kwargs, constrain(fill_missing=True))
    out = []
    for name in layout.names:
        msg, start = msgs[name], layout.indices(name)[0]
        shape = tuple(jnp.shape(msg.value))
        plates = {(p.name, p.dim) for p in msg.plates if p.size > 1}
        dims = tuple(sorted(d for _, d in plates))
        covered = all(shape[d] == 1 or d in dims for d in range(-len(shape), 0))
        inside = all(
            plates <= {(p.name, p.dim) for p in msgs[t].plates} for t in found[name] if t != name
        )
        elementwise = covered and inside
        size = len(layout.indices(name))
        out.append(GibbsSite(name, start, size, found[name], dims, elementwise, shape))
    return tuple(out)


def _to_site_shape(term: jax.Array, site: GibbsSite) -> jax.Array:
    """Sum ``term`` over the dims the site is not replicated over; the site's shape."""
    term = jnp.asarray(term)
    axes = tuple(d for d in range(-term.ndim, 0) if d not in site.plate_dims)
    term = jnp.sum(term, axis=axes, keepdims=True)
    ndim = len(site.shape)
    term = jnp.reshape(term, term.shape[max(term.ndim - ndim, 0) :])
    return jnp.broadcast_to(term, site.shape)


def conditional_fn(model: Model, layout: DiscreteLayout, site: GibbsSite):
    """The log density terms of ``site``'s blanket as a function ``(z, ints) -> array``.

    Elementwise sites give ``f[size]`` (entry ``i``: the terms that mention element
    ``i``, in the integer vector's order); the others give their sum, ``f[]``. Up to
    terms that do not depend on the site, either is its conditional log density.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        ...     with pplx.plate("obs", 2):
        ...         z = pplx.sample("z", dist.Bernoulli(probs=0.5))
        ...         pplx.sample("y", dist.Normal(mu + z, 1.0), obs=y)
        >>> model = m(jnp.array([0.0, 1.0]))
        >>> lay = discrete_layout(model)
        >>> fn = conditional_fn(model, lay, gibbs_sites(model, lay)[0])
        >>> fn(jnp.zeros(1), jnp.array([0, 1])).shape
        (2,)
    """

    def fn(z, ints):
        terms = site_terms(model, z, ints, layout)
        picked = [terms[t] for t in site.terms if t in terms]
        if site.is_elementwise:
            total = sum(_to_site_shape(t, site) for t in picked)
            return jnp.reshape(total, (-1,))
        return sum(jnp.sum(t) for t in picked)

    return fn
