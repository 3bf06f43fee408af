"""Find a model's sites (names, shapes, supports, dims) by running it once.

Latent sites are placed at the centre of their unconstrained space, so no sampling is
needed and improper priors are fine. When the data are concrete (not traced), observed
values are checked here, before any compilation: NaN and values outside the support get
an error that names the site.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np

from pplx.core.stack import Message
from pplx.distributions import biject_to
from pplx.model.execute import constrain, is_latent, run_traced
from pplx.model.sites import SiteInfo, dim_names


def inspect_sites(fn: Callable, args: tuple, kwargs: dict):
    """Run ``fn`` once; describe every site, in execution order, and the missing data.

    Returns:
        ``(sites, missing)``: a tuple of :class:`SiteInfo` (an imputed ``<site>_missing``
        latent placed just before its observed site) and a tuple of
        ``(site, missing flat indices)``.
    """
    handler = constrain(fill_missing=True)
    sites = run_traced(fn, args, kwargs, handler)
    infos = []
    for msg in sites.values():
        if msg.type == "sample" and msg.is_observed:
            check_observed(msg)
            if "missing" in msg.infer:
                infos.append(_missing_info(msg))
        infos.append(_site_info(msg))
    missing = tuple((k, tuple(int(i) for i in v)) for k, v in handler.missing.items())
    return tuple(infos), missing


def _missing_info(msg: Message) -> SiteInfo:
    name, x, u = msg.infer["missing"]
    shape = tuple(jnp.shape(x))
    dims = tuple(f"{name}_dim_{i}" for i in range(len(shape)))
    return SiteInfo(
        name=name,
        kind="latent",
        shape=shape,
        batch_shape=shape[:1],
        event_shape=shape[1:],
        unconstrained_shape=tuple(jnp.shape(u)),
        support=str(getattr(msg.fn.support, "name", "")),
        dims=dims,
        distribution=_family(msg.fn),
    )


def _site_info(msg: Message) -> SiteInfo:
    shape = tuple(jnp.shape(msg.value))
    if msg.type != "sample":
        kind = msg.type
        dims = dim_names(msg.name, shape, len(shape), msg.plates, msg.dims)
        return SiteInfo(msg.name, kind, shape, dims=dims)
    fn = msg.fn
    batch, event = tuple(fn.batch_shape), tuple(fn.event_shape)
    kind = "latent" if is_latent(msg) else "observed"
    if msg.infer.get("intervened", False):
        kind = "intervened"
    unconstrained = shape
    if kind == "latent" and not fn.is_discrete:
        unconstrained = tuple(biject_to(fn.support).inverse_shape(batch + event))
    dims = dim_names(msg.name, shape, len(shape) - len(event), msg.plates, msg.dims)
    return SiteInfo(
        name=msg.name,
        kind=kind,
        shape=shape,
        batch_shape=batch,
        event_shape=event,
        unconstrained_shape=unconstrained,
        is_discrete=bool(fn.is_discrete),
        support=str(getattr(fn.support, "name", type(fn.support).__name__)),
        dims=dims,
        distribution=_family(fn),
    )


def _family(fn) -> str:
    """The distribution's name, seen through batch-shape wrappers (Expanded, Independent)."""
    while type(fn).__name__ in ("Expanded", "Independent") and hasattr(fn, "base"):
        fn = fn.base
    return type(fn).__name__


def check_observed(msg: Message) -> None:
    """Reject NaN and out-of-support data at an observed site (only for concrete data)."""
    value = msg.value
    if isinstance(value, jax.core.Tracer):
        return
    array = np.asarray(value)
    if array.dtype.kind == "f" and np.isnan(array).any():
        count = int(np.isnan(array).sum())
        raise ValueError(
            f"observed site '{msg.name}' contains {count} NaN value(s). Remove those rows, "
            "or mark them missing so pplx imputes them as latent values."
        )
    support = msg.fn.support
    if any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree.leaves(support)):
        return
    ok = np.asarray(support.check(value))
    if not ok.all():
        bad = np.argwhere(~np.broadcast_to(ok, ok.shape))
        first = tuple(int(i) for i in bad[0]) if bad.size else ()
        raise ValueError(
            f"observed site '{msg.name}': {int((~ok).sum())} value(s) lie outside the "
            f"support '{getattr(support, 'name', type(support).__name__)}' of "
            f"{type(msg.fn).__name__} (first at index {first}: "
            f"{array[first] if array.ndim else array}). Fix the data or choose a "
            "distribution whose support contains it."
        )
