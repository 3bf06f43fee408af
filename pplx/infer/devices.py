"""Runs over many devices: chains split over a device mesh, one compiled program.

``chain_method="parallel"`` runs the chains of one MCMC run over the devices of a
:class:`jax.sharding.Mesh` with :func:`jax.shard_map`: each device runs its share of the
chains (one after another or vectorised, as ``chain_method="auto"`` would choose for
that many chains on one device), all inside one XLA program. A chain's random stream
depends only on its index (:mod:`pplx.infer.chains`), so the draws equal those of the
same chains run on one device, up to floating-point rounding.

The mesh holds every device JAX sees (``jax.devices()``: with ``jax.distributed``,
the devices of every process), on one axis named ``"chain"``; pass ``mesh=`` to
:func:`chains_over_devices` for another layout. See ``docs/devices.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.sharding import Mesh, PartitionSpec

from pplx.core.primitives import split_plate
from pplx.infer.chains import CHAIN_METHODS, resolve_chain_method, run_sequentially
from pplx.model.execute import constrain, joint_log_density, run_traced

#: The mesh axis that chains are split over.
CHAIN_AXIS = "chain"


def device_mesh(devices: Sequence | None = None) -> Mesh:
    """A one-axis mesh (axis ``"chain"``) of ``devices`` (default: ``jax.devices()``,
    every device of every process).

    Example:
        >>> mesh = device_mesh()
        >>> mesh.axis_names, mesh.shape["chain"] == len(jax.devices())
        (('chain',), True)
    """
    devices = list(jax.devices() if devices is None else devices)
    if not devices:
        raise ValueError("device_mesh needs at least one device.")
    return Mesh(np.array(devices), (CHAIN_AXIS,))


def chain_shards(mesh: Mesh, num_chains: int, what: str = "num_chains") -> int:
    """How many devices the chains are split over (the mesh's ``"chain"`` axis); raises
    ``ValueError`` for a mesh without that axis or a chain count it does not divide.

    Example:
        >>> chain_shards(device_mesh(jax.devices()[:1]), 3)
        1
    """
    if not isinstance(mesh, Mesh):
        raise TypeError(f"mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}.")
    if CHAIN_AXIS not in mesh.axis_names:
        raise ValueError(
            f"chain_method='parallel' splits chains over a mesh axis named "
            f"'{CHAIN_AXIS}'; this mesh has axes {tuple(mesh.axis_names)}. Build it with "
            f"pplx.infer.devices.device_mesh() or name one axis '{CHAIN_AXIS}'."
        )
    size = int(mesh.shape[CHAIN_AXIS])
    if num_chains % size:
        raise ValueError(
            f"chain_method='parallel' splits chains over {size} devices: "
            f"{what}={num_chains} must be a multiple of it (e.g. "
            f"{-(-num_chains // size) * size}), or run on fewer devices."
        )
    return size


def local_chain_method(num_chains: int, num_shards: int) -> str:
    """What each device does with its ``num_chains // num_shards`` chains: the choice of
    ``chain_method="auto"`` for that many chains on one device.

    Example:
        >>> local_chain_method(8, 4) in ("sequential", "vectorized")
        True
    """
    return resolve_chain_method("auto", num_chains // num_shards)


def chains_over_devices(run_group: Callable, inputs, num_chains: int, mesh: Mesh | None = None):
    """Run ``run_group`` (inputs with a leading chain axis -> outputs with a leading
    chain axis) with the chains split over ``mesh``'s ``"chain"`` axis, one
    :func:`jax.shard_map` in one program.

    Every leaf of ``inputs`` and of the output has the chain axis first. Each device
    runs its chains in sequence or vectorised (:func:`local_chain_method`).

    Example:
        >>> import jax.numpy as jnp
        >>> out = chains_over_devices(lambda x: x * 2.0, jnp.arange(4.0), 4)
        >>> out.tolist()
        [0.0, 2.0, 4.0, 6.0]
    """
    mesh = device_mesh() if mesh is None else mesh
    shards = chain_shards(mesh, num_chains)
    method = local_chain_method(num_chains, shards)

    def body(local_inputs):
        if method == "sequential":
            return run_sequentially(run_group, local_inputs)
        return run_group(local_inputs)

    spec = PartitionSpec(CHAIN_AXIS)
    # no collectives across chains: the replication check has nothing to prove. Only the
    # chain axis is manual: a data axis of the same mesh stays for the log density's own
    # shard_map (sharded_logdensity), which runs nested inside this one.
    mapped = jax.shard_map(
        body,
        mesh=mesh,
        in_specs=(spec,),
        out_specs=spec,
        axis_names=frozenset({CHAIN_AXIS}),
        check_vma=False,
    )
    # under jit even when called eagerly: JAX's eager shard_map cannot leave an axis auto
    return jax.jit(mapped)(inputs)


def check_chain_method_name(chain_method: str) -> None:
    """Raise ``ValueError`` for a chain method that is not one of :data:`CHAIN_METHODS`.

    Example:
        >>> check_chain_method_name("parallel")
    """
    if chain_method not in CHAIN_METHODS:
        raise ValueError(f"chain_method must be one of {CHAIN_METHODS}, got {chain_method!r}.")


def checked_chain_method(chain_method: str, num_chains: int, what: str = "num_chains") -> str:
    """The resolved chain method; an unknown one, or chains that the devices do not
    divide (``"parallel"``; the error names the count as ``what``), are refused before
    tracing.

    Example:
        >>> checked_chain_method("vectorized", 4)
        'vectorized'
    """
    check_chain_method_name(chain_method)
    method = resolve_chain_method(chain_method, num_chains)
    if method == "parallel":
        chain_shards(device_mesh(), num_chains, what=what)
    return method


def map_chains(run_group: Callable, inputs, chain_method: str, mesh: Mesh | None = None):
    """Run ``run_group`` (inputs with a leading chain axis -> outputs with a leading
    chain axis) over every chain of ``inputs`` the way ``chain_method`` says:
    ``"vectorized"`` (one call, chains batched), ``"sequential"`` (one chain at a time,
    ``lax.map``), ``"parallel"`` (split over ``mesh``'s ``"chain"`` axis,
    :func:`chains_over_devices`) or ``"auto"`` (:func:`resolve_chain_method`).

    The compound step and ADVI restarts share this with NUTS: a chain's result depends
    on its inputs only, so every method gives the same results to rounding.

    Example:
        >>> import jax.numpy as jnp
        >>> double = lambda x: x * 2.0
        >>> [map_chains(double, jnp.arange(4.0), m).tolist() for m in ("sequential", "parallel")]
        [[0.0, 2.0, 4.0, 6.0], [0.0, 2.0, 4.0, 6.0]]
    """
    num_chains = jax.tree.leaves(inputs)[0].shape[0]
    chain_method = resolve_chain_method(chain_method, num_chains)
    if chain_method == "sequential":
        return run_sequentially(run_group, inputs)
    if chain_method == "parallel":
        return chains_over_devices(run_group, inputs, num_chains, mesh)
    return run_group(inputs)


#: The mesh axis that a plate's data are split over, unless a sharding names another.
DATA_AXIS = "data"


class DataSharding(NamedTuple):
    """Split the plate ``plate``'s data over the mesh axis ``axis`` (see
    :func:`data_sharding`)."""

    plate: str
    mesh: Mesh
    axis: str = DATA_AXIS


def data_sharding(
    plate: str, mesh: Mesh | tuple[int, ...] | None = None, axis: str = DATA_AXIS
) -> DataSharding:
    """Ask for the plate ``plate``'s data to be split over the devices of ``mesh``'s
    axis ``axis`` (default: every device, on one axis ``"data"``).

    Pass it as ``data_sharding=`` to :func:`pplx.infer.nuts_run` / :func:`pplx.nuts`
    (or use :func:`sharded_logdensity`): every array argument of the model whose leading
    axis has the plate's size is padded to a multiple of the devices and split; each
    device evaluates its rows' log-likelihood and gradient, and a ``psum`` joins them.

    ``mesh`` may be a shape instead of a mesh: ``(n,)`` is the first ``n`` devices on
    the axis ``axis``; ``(c, n)`` is a 2-D mesh of ``c x n`` devices with axes
    ``("chain", axis)``, for ``chain_method="parallel"``: ``c`` groups of chains, each
    group's data split over ``n`` devices (:func:`chains_data_mesh`).

    Example:
        >>> spec = data_sharding("obs")
        >>> spec.axis, spec.mesh.shape["data"] == len(jax.devices())
        ('data', True)
        >>> dict(data_sharding("obs", mesh=(1, 1)).mesh.shape)
        {'chain': 1, 'data': 1}
    """
    if not isinstance(plate, str) or not plate:
        raise TypeError(f"data_sharding: plate must be a plate's name, got {plate!r}.")
    if mesh is None:
        mesh = Mesh(np.array(jax.devices()), (axis,))
    elif isinstance(mesh, tuple | list):
        mesh = _mesh_of_shape(tuple(mesh), axis)
    if not isinstance(mesh, Mesh):
        raise TypeError(f"data_sharding: mesh must be a jax.sharding.Mesh, got {mesh!r}.")
    if axis not in mesh.axis_names:
        raise ValueError(
            f"data_sharding: the mesh has axes {tuple(mesh.axis_names)}, no axis named "
            f"{axis!r}. Pass axis= one of them, or build the mesh with that axis name."
        )
    return DataSharding(plate, mesh, axis)


def chains_data_mesh(
    num_chain_shards: int, num_data_shards: int, devices: Sequence | None = None
) -> Mesh:
    """A 2-D mesh, axes ``("chain", "data")``, of ``num_chain_shards x num_data_shards``
    devices (the first ones of ``devices``, default ``jax.devices()``): chains split over
    the first axis, each chain's data over the second.

    Example:
        >>> dict(chains_data_mesh(1, 1).shape)
        {'chain': 1, 'data': 1}
    """
    return _mesh_of_shape((num_chain_shards, num_data_shards), DATA_AXIS, devices)


def _mesh_of_shape(shape: tuple, axis: str, devices: Sequence | None = None) -> Mesh:
    devices = list(jax.devices() if devices is None else devices)
    if len(shape) not in (1, 2) or not all(isinstance(n, int) and n >= 1 for n in shape):
        raise ValueError(
            f"a mesh shape is (data_devices,) or (chain_devices, data_devices) of positive "
            f"ints, got {shape!r}."
        )
    size = int(np.prod(shape))
    if size > len(devices):
        raise ValueError(
            f"a mesh of shape {shape} needs {size} devices; JAX sees {len(devices)}. "
            "Ask for fewer, or start more devices (docs/devices.md)."
        )
    names = (axis,) if len(shape) == 1 else (CHAIN_AXIS, axis)
    return Mesh(np.array(devices[:size]).reshape(shape), names)


def resolve_sharding(data_sharding_arg, chain_method: str, num_chains: int):
    """The :class:`DataSharding` of a run's ``data_sharding=`` argument (None stays None),
    checked against ``chain_method`` before anything is traced.

    A plate's name with ``chain_method="parallel"`` gets a 2-D mesh of every device:
    ``gcd(num_chains, devices)`` devices for the chains (chains need no communication),
    the rest for each chain's data. A given mesh must then have a ``"chain"`` axis that
    divides ``num_chains`` and a data axis of another name.

    Example:
        >>> dict(resolve_sharding("obs", "parallel", 4).mesh.shape)["chain"] >= 1
        True
    """
    if data_sharding_arg is None:
        return None
    parallel = chain_method == "parallel"
    if isinstance(data_sharding_arg, str):
        if not parallel:
            return data_sharding(data_sharding_arg)
        num = len(jax.devices())
        chains = int(np.gcd(num_chains, num))
        return data_sharding(data_sharding_arg, mesh=(chains, num // chains))
    if not isinstance(data_sharding_arg, DataSharding):
        raise TypeError(
            "data_sharding must be a plate's name or pplx.infer.devices.data_sharding(...), "
            f"got {type(data_sharding_arg).__name__}."
        )
    if parallel:
        names = tuple(data_sharding_arg.mesh.axis_names)
        if CHAIN_AXIS not in names or data_sharding_arg.axis == CHAIN_AXIS:
            raise ValueError(
                f"chain_method='parallel' with data_sharding needs one mesh with an axis "
                f"'{CHAIN_AXIS}' for the chains and another for the data; this mesh has axes "
                f"{names} and the data axis is '{data_sharding_arg.axis}'. Build it with "
                "pplx.infer.devices.data_sharding(plate, mesh=(chain_devices, data_devices))."
            )
        chain_shards(data_sharding_arg.mesh, num_chains)
    return data_sharding_arg


class _SplitPlan(NamedTuple):
    size: int  # the plate's rows
    local_size: int  # rows per device, padding included
    split: tuple[bool, ...]  # which data leaves of the model are split


def split_plan(model, sharding: DataSharding) -> _SplitPlan:
    """Check that ``sharding``'s plate can be split (before any tracing) and say how.

    Raises ``ValueError`` for an unknown plate, a plate with latent sites, a plate
    that is not the leading axis of its sites, missing data, or no data to split.
    """
    if isinstance(sharding, str):
        sharding = data_sharding(sharding)
    inside = [s for s in model.sites if sharding.plate in s.dims]
    if not inside:
        plates = sorted({d for s in model.sites for d in s.dims if "_dim_" not in d})
        raise ValueError(
            f"data_sharding names plate '{sharding.plate}', which no site of "
            f"{model.fn.__name__} lies in; its plates are {plates}."
        )
    for s in inside:
        if s.kind == "latent":
            raise ValueError(
                f"site '{s.name}' is latent inside plate '{sharding.plate}': only observed "
                "sites can be split over devices. Shard another plate, or none."
            )
        if s.dims[0] != sharding.plate:
            raise ValueError(
                f"site '{s.name}' has dims {s.dims}: a plate split over devices must be "
                "the leading axis of its sites (the outermost plate)."
            )
    if model.missing:
        raise ValueError("data_sharding: a model with missing (NaN) data cannot be split.")
    size = inside[0].shape[0]
    split = tuple(d is not None and d.ndim >= 1 and d.shape[0] == size for d in model.data)
    if not any(split):
        raise ValueError(
            f"data_sharding: no array argument of {model.fn.__name__} has {size} rows "
            f"(plate '{sharding.plate}'); nothing to split."
        )
    shards = int(sharding.mesh.shape[sharding.axis])
    return _SplitPlan(size, -(-size // shards), split)


def sharded_logdensity(model, sharding: DataSharding | str) -> Callable:
    """The model's log density ``z -> f[]`` with one plate's rows split over devices.

    Equal to ``model.logdensity`` up to rounding: each device sums its rows (padding
    masked) in a :func:`jax.shard_map`, a ``psum`` adds the parts, and the sites outside
    the plate are counted once. Its gradient is the ``psum`` of the devices' gradients.

    Example:
        >>> import jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m(y):
        ...     mu = pplx.sample("mu", dist.Normal(0.0, 1.0))
        ...     with pplx.plate("obs", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
        >>> model = m(jnp.arange(5.0))
        >>> f = sharded_logdensity(model, "obs")
        >>> bool(jnp.allclose(f(jnp.ones(1)), model.logdensity(jnp.ones(1))))
        True
    """
    if isinstance(sharding, str):
        sharding = data_sharding(sharding)
    plan = split_plan(model, sharding)
    mesh, axis = sharding.mesh, sharding.axis
    padded = tuple(
        _pad_rows(d, plan.local_size * mesh.shape[axis]) if s else d
        for d, s in zip(model.data, plan.split, strict=True)
    )
    arrays = tuple(d for d in padded if d is not None)
    specs = tuple(
        PartitionSpec(axis) if s else PartitionSpec()
        for d, s in zip(padded, plan.split, strict=True)
        if d is not None
    )

    def local(z, local_arrays):
        it = iter(local_arrays)
        data = [next(it) if d is not None else None for d in padded]
        leaves = [d if d is not None else s for d, s in zip(data, model.static, strict=True)]
        args, kwargs = jax.tree.unflatten(model.treedef, leaves)
        offset = jax.lax.axis_index(axis) * plan.local_size
        sites = run_traced(
            model.fn,
            args,
            kwargs,
            constrain(values=model.layout.unravel(z)),
            split_plate(sharding.plate, plan.size, plan.local_size, offset),
        )
        split = [m for m in sites.values() if m.infer.get("split_plate")]
        whole = [m for m in sites.values() if not m.infer.get("split_plate")]
        rows = jax.lax.psum(joint_log_density(dict(enumerate(split))), axis)
        return rows + joint_log_density(dict(enumerate(whole))) if whole else rows

    def logdensity(z):
        # inside chains_over_devices (a 2-D mesh) the chain axis is already manual: the
        # data's shard_map then runs on that context's mesh, over the data axis
        context = jax.sharding.get_abstract_mesh()
        nested = not context.empty and CHAIN_AXIS in context.manual_axes
        mapped = jax.shard_map(
            local,
            mesh=context if nested else mesh,
            in_specs=(PartitionSpec(), specs),
            out_specs=PartitionSpec(),
            axis_names=frozenset({axis}),
        )
        return mapped(z, arrays)

    return logdensity


def _pad_rows(a: jax.Array, rows: int) -> jax.Array:
    """``a`` with its last row repeated up to ``rows`` rows (real values: a finite log
    density, so the masked rows add nothing to the gradient, not NaN)."""
    extra = rows - a.shape[0]
    if extra == 0:
        return a
    return jnp.concatenate([a, jnp.repeat(a[-1:], extra, axis=0)])
