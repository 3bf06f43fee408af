"""The primitives a model calls: ``sample``, ``deterministic``, ``factor``, ``plate``."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from pplx.core.stack import Handler, Message, PlateFrame, apply_stack, stack_is_empty


def sample(
    name: str,
    fn: Any,
    obs: Any = None,
    *,
    dims: tuple[str, ...] | None = None,
    infer: dict | None = None,
):
    """Declare a random variable ``name`` with distribution ``fn``.

    Args:
        name: unique site name.
        fn: a ``pplx.distributions`` distribution.
        obs: observed value; when given the site is data and its value is returned.
        dims: optional names of the site's dimensions (for ArviZ output).
        infer: options for inference algorithms (e.g. a step method).

    Returns:
        The site's value: ``obs`` when observed, otherwise the value a handler chose.

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> def f():
        ...     return pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> float(pplx.handlers.seed(f, jax.random.key(0))()) != 0.0
        True
    """
    _check_name(name)
    if obs is not None:
        obs = _as_observed(name, obs)
    if stack_is_empty():
        if obs is not None:
            return obs
        raise RuntimeError(
            f"pplx.sample('{name}') was called outside inference. Call the model through "
            "pplx.nuts / pplx.prior_predictive, or wrap it in pplx.handlers.seed(fn, key)."
        )
    msg = Message(
        type="sample",
        name=name,
        fn=fn,
        value=obs,
        is_observed=obs is not None,
        dims=tuple(dims) if dims is not None else None,
        infer=dict(infer or {}),
    )
    apply_stack(msg)
    if msg.is_observed and not msg.infer.get("enumerated", False):
        _check_obs_shape(msg)  # (under pplx.marginalize the batch shape grows on the left)
    return msg.value


def _as_observed(name: str, obs: Any) -> jax.Array:
    """``obs`` as an array; a ``TypeError`` naming the site for what cannot be data."""
    if isinstance(obs, dict | str | bytes):
        raise TypeError(
            f"site '{name}': obs must be an array (or numbers), got {type(obs).__name__} "
            f"({obs!r:.60}). Pass the array itself, e.g. obs=data['y'] for a dict of columns."
        )
    try:
        return jnp.asarray(obs)
    except (TypeError, ValueError) as err:
        raise TypeError(
            f"site '{name}': obs of type {type(obs).__name__} is not an array of numbers "
            f"({err}). Convert it, e.g. obs=jnp.asarray(values, dtype=float)."
        ) from err


def deterministic(name: str, value: Any, *, dims: tuple[str, ...] | None = None):
    """Record ``value`` under ``name`` so it is reported with the posterior draws.

    Example:
        >>> import pplx
        >>> float(pplx.deterministic("two", 2.0))
        2.0
    """
    _check_name(name)
    value = jnp.asarray(value)
    if stack_is_empty():
        return value
    msg = Message(
        type="deterministic", name=name, value=value, dims=tuple(dims) if dims is not None else None
    )
    return apply_stack(msg).value


def factor(name: str, log_factor: Any) -> None:
    """Add ``log_factor`` (summed) to the model's log density: a potential term.

    Example:
        >>> import pplx
        >>> pplx.factor("penalty", -1.0)  # outside inference it does nothing
    """
    _check_name(name)
    if stack_is_empty():
        return
    apply_stack(Message(type="factor", name=name, value=jnp.asarray(log_factor)))


class plate(Handler):
    """Conditionally independent replication along one batch dimension.

    Inside ``with plate("obs", n):`` every sample site's distribution is broadcast so
    its batch shape has size ``n`` at dimension ``dim`` (counted from the right of the
    batch shape; by default the next free one: -1 for the outermost plate, -2 for a
    plate nested inside it, ...).

    With ``subsample_size=B`` the plate stands for a minibatch: entering it returns ``B``
    indices drawn without replacement (with the key of the enclosing ``seed`` handler, so a
    new minibatch each step of stochastic VI), sites inside get batch size ``B`` and their
    log density is scaled by ``size / B``, an unbiased estimate of the full sum. Without a
    ``seed`` handler (e.g. under NUTS) the plate uses all ``size`` indices, unscaled.

    Args:
        name: the plate's name, also the ArviZ dimension name of the sites inside.
        size: number of replicates (a Python int).
        subsample_size: minibatch size, or None for all of them.
        dim: negative batch dimension, or None to allocate one.

    Example:
        >>> import jax, pplx
        >>> import pplx.distributions as dist
        >>> def f():
        ...     with pplx.plate("n", 3):
        ...         return pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> pplx.handlers.seed(f, jax.random.key(0))().shape
        (3,)
    """

    def __init__(
        self, name: str, size: int, subsample_size: int | None = None, dim: int | None = None
    ):
        super().__init__()
        _check_name(name)
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise ValueError(
                f"plate '{name}': size must be a positive Python int, got {size!r}. "
                "Use data.shape[0], not a traced value."
            )
        if subsample_size is not None and (
            not isinstance(subsample_size, int) or not 1 <= subsample_size <= size
        ):
            raise ValueError(
                f"plate '{name}': subsample_size must be an int in [1, {size}], "
                f"got {subsample_size!r}."
            )
        if dim is not None and (not isinstance(dim, int) or dim >= 0):
            raise ValueError(f"plate '{name}': dim must be a negative int, got {dim!r}.")
        self.name, self.size, self.dim = name, size, dim
        self.subsample_size = subsample_size
        self._batch_size = size
        self._valid = None  # under split_plate: which of this device's rows are real

    def __enter__(self):
        active = [h for h in _active_plates() if h is not self]
        if self.dim is None:
            self.dim = min([p.dim for p in active], default=0) - 1
        for p in active:
            if p.name == self.name:
                raise ValueError(
                    f"plate '{self.name}' (size {self.size}) is nested inside a plate of the "
                    f"same name (size {p.size}): a plate's name is its dimension's name, so "
                    "nested plates need different names."
                )
            if p.dim == self.dim:
                raise ValueError(
                    f"plate '{self.name}' uses dim {self.dim}, already used by enclosing "
                    f"plate '{p.name}'. Give nested plates different dims."
                )
        key = _enclosing_seed_key(self.name)
        split = _enclosing_split(self)
        super().__enter__()
        if split is not None:  # this device's rows only (pplx.infer.devices)
            self._batch_size, self._valid = split.local_size, split.valid()
            return jnp.arange(split.local_size)
        if self.subsample_size is None or self.subsample_size == self.size or key is None:
            self._batch_size = self.size
            return jnp.arange(self.size)
        self._batch_size = self.subsample_size
        return jax.random.choice(key, self.size, (self.subsample_size,), replace=False)

    def process(self, msg: Message) -> None:
        if self._valid is not None:
            _mark_split(msg, self.name, self._valid, self.dim)
        if msg.type not in ("sample", "deterministic"):
            return
        msg.plates.insert(0, PlateFrame(self.name, self._batch_size, self.dim))
        if msg.type == "sample":
            msg.fn = _broadcast_to_plate(msg.fn, msg.name, self.name, self._batch_size, self.dim)
            if self._batch_size != self.size and self._valid is None:
                factor = self.size / self._batch_size
                msg.scale = factor if msg.scale is None else msg.scale * factor


class split_plate(Handler):
    """Run the plate ``name`` on one device's share of its ``size`` rows.

    Used inside :func:`jax.shard_map` by :mod:`pplx.infer.devices`: the plate's data
    were padded to ``num_shards * local_size`` rows and split; this device holds rows
    ``offset .. offset + local_size``. The plate gets size ``local_size``, its sample
    sites are masked where a row is padding and marked ``infer["split_plate"]`` (their
    log density is summed over the devices).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> def f():
        ...     with pplx.plate("obs", 5):
        ...         pplx.sample("y", dist.Normal(0.0, 1.0), obs=jnp.zeros(3))
        >>> tr = pplx.handlers.trace()
        >>> with tr, split_plate("obs", 5, 3, 3):
        ...     f()
        >>> tr.sites["y"].mask.tolist(), tr.sites["y"].infer["split_plate"]
        ([True, True, False], 'obs')
    """

    def __init__(self, name: str, size: int, local_size: int, offset):
        super().__init__()
        self.name, self.size, self.local_size, self.offset = name, size, local_size, offset

    def valid(self) -> jax.Array:
        return self.offset + jnp.arange(self.local_size) < self.size


def _enclosing_split(p: plate):
    """The ``split_plate`` handler on the stack for the plate ``p``, checked, or None."""
    from pplx.core.stack import _STACK

    found = [h for h in _STACK if isinstance(h, split_plate) and h.name == p.name]
    if not found:
        return None
    split = found[-1]
    if p.size not in (split.size, split.local_size):
        raise ValueError(
            f"plate '{p.name}' has size {p.size}, but its data have {split.size} rows "
            f"({split.local_size} on this device). Size the plate from the data."
        )
    if p.subsample_size not in (None, p.size):
        raise ValueError(f"plate '{p.name}' is split over devices: it cannot subsample.")
    return split


def _mark_split(msg: Message, name: str, valid: jax.Array, dim: int) -> None:
    if msg.type == "factor":
        raise ValueError(
            f"factor '{msg.name}' lies inside plate '{name}', which is split over devices: "
            "pplx cannot mask a factor's padded rows. Move it out of the plate."
        )
    if msg.type != "sample":
        return
    if not msg.is_observed:
        raise ValueError(
            f"latent site '{msg.name}' lies inside plate '{name}', which is split over "
            "devices: only observed sites can be split. Do not shard this plate."
        )
    mask = jnp.reshape(valid, valid.shape + (1,) * (-dim - 1))
    msg.mask = mask if msg.mask is None else jnp.logical_and(msg.mask, mask)
    msg.infer["split_plate"] = name


def _enclosing_seed_key(name: str):
    """The key a ``seed`` handler on the stack gives the plate ``name``, or None."""
    from pplx.core.handlers import seed, site_key
    from pplx.core.stack import _STACK

    for handler in reversed(_STACK):
        if isinstance(handler, seed):
            return site_key(handler.key, f"{name}/subsample")
    return None


def _active_plates() -> list[plate]:
    from pplx.core.stack import _STACK

    return [h for h in _STACK if isinstance(h, plate)]


def _broadcast_to_plate(fn, site: str, plate_name: str, size: int, dim: int):
    batch_shape = tuple(fn.batch_shape)
    ndim = max(len(batch_shape), -dim)
    target = [1] * (ndim - len(batch_shape)) + list(batch_shape)
    if target[dim] not in (1, size):
        raise ValueError(
            f"site '{site}': plate '{plate_name}' has size {size} but the distribution's "
            f"batch shape {batch_shape} has size {target[dim]} at dim {dim}. Make the "
            "plate size match the data, or move the site out of the plate."
        )
    target[dim] = size
    target = tuple(target)
    return fn if target == batch_shape else fn.expand(target)


def _check_name(name: Any) -> None:
    if not isinstance(name, str) or not name:
        raise TypeError(f"site names must be non-empty strings, got {name!r}.")


def _check_obs_shape(msg: Message) -> None:
    obs_shape = tuple(jnp.shape(msg.value))
    dist_shape = tuple(msg.fn.batch_shape) + tuple(msg.fn.event_shape)
    try:
        joint = jnp.broadcast_shapes(obs_shape, dist_shape)
    except ValueError:
        joint = None
    if joint != obs_shape:
        raise ValueError(
            f"site '{msg.name}': observed data has shape {obs_shape} but the distribution "
            f"has shape {dist_shape} (batch {tuple(msg.fn.batch_shape)} + event "
            f"{tuple(msg.fn.event_shape)}); broadcasting them would give {joint}. Reshape "
            "the data or the distribution's parameters so they agree (a common cause is "
            "an (N, 1) column against (N,) data)."
        )
