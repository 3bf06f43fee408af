"""The dependency graph of a model's sites, read from the jaxpr of one model run.

Site ``a`` is a parent of site ``b`` when ``b``'s distribution parameters (or a
deterministic's value) are computed from ``a``'s value.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.extend.core import Literal

from pplx.core.handlers import substitute
from pplx.model.execute import constrain, run_traced


def _site_outputs(model, values: dict) -> dict:
    args, kwargs = model._args_kwargs()
    sites = run_traced(
        model.fn,
        args,
        kwargs,
        constrain(fill_missing=True, missing=model.missing_index),
        substitute(data=values),
    )
    out = {}
    for name, msg in sites.items():
        if msg.type == "sample":
            out[name] = [jnp.asarray(x) for x in jax.tree.leaves(msg.fn)]
        elif msg.type in ("deterministic", "factor"):
            out[name] = [jnp.asarray(msg.value)]
    return out


def dependencies(model) -> dict[str, list[str]]:
    """Site name -> sorted names of the latent and deterministic sites it depends on.

    A site computed from a deterministic lists the deterministic, not what it is made of.
    """
    point = model.initial_point() if model.num_dims else {}
    kinds = ("latent",)
    direct = _dependencies(model, point, kinds)
    through = _dependencies(model, point, kinds + ("deterministic",))
    deterministic = {s.name for s in model.sites if s.kind == "deterministic"}
    return {k: direct[k] if k in deterministic else through[k] for k in direct}


def _dependencies(model, point: dict, kinds: tuple[str, ...]) -> dict[str, list[str]]:
    values = {s.name: point[s.name] for s in model.sites if s.kind in kinds and s.name in point}
    closed = jax.make_jaxpr(lambda v: _site_outputs(model, v))(values)
    jaxpr = closed.jaxpr
    sources = {var: {name} for var, name in zip(jaxpr.invars, sorted(values), strict=True)}
    for eqn in jaxpr.eqns:
        found = set().union(
            set(), *[sources.get(v, set()) for v in eqn.invars if not isinstance(v, Literal)]
        )
        for out in eqn.outvars:
            sources[out] = found
    shapes = jax.eval_shape(lambda v: _site_outputs(model, v), values)
    paths = [path for path, _ in jax.tree_util.tree_flatten_with_path(shapes)[0]]
    graph: dict[str, set] = {s.name: set() for s in model.sites}
    for path, var in zip(paths, jaxpr.outvars, strict=True):
        site = path[0].key
        if not isinstance(var, Literal):
            graph[site] |= sources.get(var, set()) - {site}
    return {k: sorted(v) for k, v in graph.items()}


def to_dot(model) -> str:
    """Graphviz DOT text of the model: latents as ellipses, observed sites filled,
    deterministics as boxes, plates as clusters are left to the reader (labels carry dims)."""
    deps = dependencies(model)
    style = {
        "latent": "shape=ellipse",
        "observed": "shape=ellipse, style=filled, fillcolor=lightgrey",
        "deterministic": "shape=box",
        "factor": "shape=diamond",
        "intervened": "shape=ellipse, style=dashed",
    }
    lines = [f'digraph "{model.fn.__name__}" {{']
    for s in model.sites:
        label = f"{s.name}\\n{s.distribution or s.kind}"
        if s.shape:
            label += f"\\n{' x '.join(f'{d}={n}' for d, n in zip(s.dims, s.shape, strict=True))}"
        lines.append(f'  "{s.name}" [label="{label}", {style.get(s.kind, "shape=ellipse")}];')
    for child, parents in deps.items():
        for parent in parents:
            lines.append(f'  "{parent}" -> "{child}";')
    lines.append("}")
    return "\n".join(lines)
