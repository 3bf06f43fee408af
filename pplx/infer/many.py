"""Many datasets in one program: ``jax.vmap`` of the pure NUTS entry over datasets.

Each dataset gets its own chains, warmup, step size and mass matrix: the batch shares
no state (a vmap of independent runs), only the compiled program. The model is bound
once (to the first dataset) and the other datasets replace its data leaves, so binding
traces the model once whatever the number of datasets.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pplx.infer.entry import NUTSResult, nuts_run
from pplx.results.arviz_compat import from_groups
from pplx.results.prefetch import prefetch_arviz
from pplx.runtime.keys import as_key


def _stack_datasets(model_fn: Callable, datasets: Sequence):
    if isinstance(datasets, (str, bytes)) or not isinstance(datasets, Sequence) or not datasets:
        raise ValueError("datasets must be a non-empty list of argument tuples (one per dataset).")
    args = [d if isinstance(d, tuple) else (d,) for d in datasets]
    first_leaves, treedef = jax.tree.flatten(args[0])
    shapes = [np.shape(x) for x in first_leaves]
    for i, a in enumerate(args[1:], start=1):
        leaves, tdef = jax.tree.flatten(a)
        if tdef != treedef:
            raise ValueError(f"dataset {i} has arguments {tdef}, dataset 0 has {treedef}.")
        for j, (x, shape) in enumerate(zip(leaves, shapes, strict=True)):
            if np.shape(x) != shape:
                raise ValueError(
                    f"datasets are ragged: argument {j} of dataset {i} has shape "
                    f"{np.shape(x)}, dataset 0's has {shape}. nuts_many needs equal shapes; "
                    "pad the data and mask the padding (pplx.handlers.mask), or call "
                    "pplx.nuts per dataset."
                )
    model = model_fn(*args[0])
    stacked = [jnp.stack([jax.tree.leaves(a)[j] for a in args]) for j in range(len(shapes))]
    data = tuple(None if d is None else s for d, s in zip(model.data, stacked, strict=True))
    return model, data, len(args)


def nuts_many_run(model_fn: Callable, datasets: Sequence, key: jax.Array, **options) -> NUTSResult:
    """NUTS on every dataset in one vmapped program: arrays out, dataset axis first.

    Args:
        model_fn: a ``@pplx.model`` function.
        datasets: a list with one tuple of positional arguments per dataset (or one
            array per dataset for a one-argument model); every dataset has the same shapes.
        key: PRNG key; dataset ``i`` runs with ``jax.random.split(key, n)[i]``, so its
            draws equal ``pplx.infer.nuts_run(model_fn(*datasets[i]), that key)``'s.
        **options: keyword arguments of :func:`pplx.infer.nuts_run`.

    Returns:
        :class:`NUTSResult` whose arrays have a leading dataset axis (the ``state`` holds
        each dataset's adapted step sizes and mass matrices).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 100.0))
        ...     pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)
        >>> data = [jnp.ones(5) * c for c in (1.0, 2.0, 3.0)]
        >>> res = pplx.infer.nuts_many_run(mean_model, data, jax.random.key(0),
        ...                                num_warmup=100, num_samples=100, num_chains=2)
        >>> res.draws["mu"].shape
        (3, 2, 100)
    """
    key = as_key(key)
    model, data, n = _stack_datasets(model_fn, datasets)
    keys = jax.random.split(key, n)
    fit = lambda m, k: nuts_run(m, k, **options)
    return jax.jit(lambda d, k: fit_each_dataset(fit, model, d, k))(data, keys)


def with_data(model, data: tuple):
    """``model`` with its data leaves replaced by ``data`` (same structure as
    ``model.data``, ``None`` where an argument is static)."""
    return eqx.tree_at(lambda m: m.data, model, data, is_leaf=lambda x: x is None)


def fit_each_dataset(
    fit_fn: Callable, model, data: tuple, keys, in_axes=0, batch_size: int | None = None
):
    """``fit_fn(model_i, key_i)`` for every dataset ``i`` in one ``jax.vmap``: the
    machinery of :func:`nuts_many_run`, shared with :func:`pplx.sbc`.

    ``data`` has the structure of ``model.data`` with a leading dataset axis on each
    leaf (``in_axes``: 0, or a tuple with 0 or ``None`` per leaf, ``None`` for a leaf
    shared by all datasets); ``keys`` one key (or a pytree of per-dataset values) per
    dataset. ``batch_size``: fit that many datasets at once (``jax.lax.map`` over
    vmapped chunks), not all: vmapped NUTS advances in lockstep, every transition
    costing the longest trajectory of the batch, so smaller batches waste less on
    heterogeneous posteriors (on a CPU) at the price of less vectorisation. Traceable.
    """
    one = lambda d, k: fit_fn(with_data(model, d), k)
    if batch_size is None:
        return jax.vmap(one, in_axes=(in_axes, 0))(data, keys)
    axes = in_axes if isinstance(in_axes, tuple) else (in_axes,) * len(data)
    mapped = tuple(d if a == 0 else None for d, a in zip(data, axes, strict=True))
    shared = tuple(None if a == 0 else d for d, a in zip(data, axes, strict=True))
    merge = lambda m: tuple(s if x is None else x for x, s in zip(m, shared, strict=True))
    return jax.lax.map(lambda xs: one(merge(xs[0]), xs[1]), (mapped, keys), batch_size=batch_size)


def nuts_many(model_fn: Callable, datasets: Sequence, key: jax.Array, **options):
    """NUTS on many datasets in one program, each with its own adaptation: InferenceData
    with a ``dataset`` dimension (after ``chain`` and ``draw``).

    Args and keys as in :func:`nuts_many_run`; ``options`` as in
    :func:`pplx.infer.nuts_run`. ``sample_stats.step_size`` holds each dataset's own
    adapted step size.

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def mean_model(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 100.0))
        ...     pplx.sample("y", dist.Normal(mu, 1.0).expand(y.shape).to_event(1), obs=y)
        >>> data = [jnp.ones(5) * c for c in (1.0, 2.0)]
        >>> idata = pplx.nuts_many(mean_model, data, jax.random.key(0), num_warmup=100,
        ...                        num_samples=100, num_chains=2)
        >>> dict(idata.posterior["mu"].sizes)
        {'chain': 2, 'draw': 100, 'dataset': 2}
    """
    key = as_key(key)
    prefetch_arviz()  # imports while XLA compiles (see pplx.results.prefetch)
    res = nuts_many_run(model_fn, datasets, key, **options)
    model = model_fn(*(datasets[0] if isinstance(datasets[0], tuple) else (datasets[0],)))
    sites = model.named_vars
    move = lambda a: np.moveaxis(np.asarray(a), 0, 2)  # (dataset, chain, draw) -> after draw
    posterior = {k: move(v) for k, v in res.draws.items()}
    dims = {k: ["dataset", *sites[k].dims] for k in res.draws}
    stats = {k: move(v) for k, v in res.stats.items()}
    stats_dims = {k: ["dataset"] for k in stats}
    groups = {"posterior": posterior, "sample_stats": stats}
    return from_groups(groups, dims={**dims, **stats_dims})
