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


def site_plates(model) -> dict[str, tuple[tuple[str, int], ...]]:
    """Site name -> its enclosing plates as ``(name, size)``, outermost first.

    Read from one abstract run of the model (``jax.eval_shape``: nothing is computed).
    """
    found: dict[str, tuple[tuple[str, int], ...]] = {}
    kinds = ("latent",)
    point = model.initial_point() if model.num_dims else {}
    values = {s.name: point[s.name] for s in model.sites if s.kind in kinds and s.name in point}

    def run(values):
        args, kwargs = model._args_kwargs()
        sites = run_traced(
            model.fn,
            args,
            kwargs,
            constrain(fill_missing=True, missing=model.missing_index),
            substitute(data=values),
        )
        for name, msg in sites.items():
            found[name] = tuple((p.name, int(p.size)) for p in msg.plates)
        return 0

    jax.eval_shape(run, values)
    return found


_NODE_STYLE = {
    "latent": {"shape": "ellipse"},
    "observed": {"shape": "ellipse", "style": "filled", "fillcolor": "lightgrey"},
    "deterministic": {"shape": "box"},
    "factor": {"shape": "diamond"},
    "intervened": {"shape": "ellipse", "style": "dashed"},
}


def model_graph(model):
    """The model as a ``graphviz.Digraph``: sites as nodes, dependencies as edges, plates
    as boxes (clusters) labelled with their name and size, as PyMC's
    ``pm.model_to_graphviz``.

    Latent sites are ellipses, observed sites filled ellipses, deterministics boxes,
    factors diamonds. Nested plates are nested boxes. Render with ``.render()``, show it
    in a notebook, or read the DOT text with ``.source``. Needs the ``graphviz`` Python
    package (``pip install graphviz``; the ``dot`` program only to render).

    Args:
        model: a bound model (the model function called with its data).

    Returns:
        A ``graphviz.Digraph``.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> g = pplx.model_graph(m(jnp.zeros(3)))
        >>> "cluster_obs" in g.source, "mu -> y" in g.source
        (True, True)
    """
    from pplx.model.model import Model

    if not isinstance(model, Model):
        raise TypeError(
            "model_graph takes a bound model: call the model function with its data first "
            f"(my_model(data)), got {type(model).__name__}."
        )
    try:
        import graphviz
    except ImportError as err:
        raise ImportError(
            "pplx.model_graph needs the graphviz package: pip install graphviz (or the "
            "pplx extra: pip install 'pplx[graph]'); model.to_dot() gives DOT text without it."
        ) from err
    plates = site_plates(model)
    graph = graphviz.Digraph(name=model.fn.__name__)
    clusters: dict[tuple, object] = {}
    for site in model.sites:
        label = f"{site.name}\n~\n{site.distribution}" if site.distribution else site.name
        if site.kind == "deterministic":
            label = f"{site.name}\n~\nDeterministic"
        _cluster(graph, clusters, plates.get(site.name, ())).node(
            site.name, label=label, **_NODE_STYLE.get(site.kind, {"shape": "ellipse"})
        )
    _close_clusters(graph, clusters)
    for child, parents in dependencies(model).items():
        for parent in parents:
            graph.edge(parent, child)
    return graph


def _cluster(graph, clusters: dict, path: tuple):
    """The (nested) cluster subgraph of a plate path, created on first use."""
    if not path:
        return graph
    if path not in clusters:
        name, size = path[-1]
        _cluster(graph, clusters, path[:-1])
        clusters[path] = graphviz_subgraph(f"cluster_{name}", f"{name} ({size})")
    return clusters[path]


def graphviz_subgraph(name: str, label: str):
    import graphviz

    sub = graphviz.Digraph(name=name)
    sub.attr(label=label, labeljust="r", labelloc="b", style="rounded")
    return sub


def _close_clusters(graph, clusters: dict) -> None:
    """Attach every cluster to its parent, innermost first (graphviz copies on attach)."""
    for path in sorted(clusters, key=len, reverse=True):
        parent = clusters[path[:-1]] if len(path) > 1 else graph
        parent.subgraph(clusters[path])
