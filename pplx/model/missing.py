"""Missing-data imputation: NaN entries of observed data become a latent site.

An observed site ``y`` whose concrete data contain NaN (or a masked array) gets a latent
companion ``y_missing`` holding one value per missing entry (one row per missing row of a
multivariate site). The observed site's log density is evaluated on the data with the
imputed values filled in, so the joint density is exact; ``y_missing`` itself carries
only the Jacobian of its support's bijector.

The missing pattern is read once, when the model is bound with concrete data, and is
static afterwards.
"""

from __future__ import annotations

import os
import sys
import warnings

import jax
import jax.numpy as jnp
import numpy as np

from pplx.core.stack import Message
from pplx.distributions import biject_to


class ImputationWarning(UserWarning):
    """Observed data contain NaN (or masked) entries, which pplx imputes: each one becomes
    a value of the latent site ``<site>_missing``, sampled with the other latents.
    Silence it with ``warnings.filterwarnings("ignore", category=pplx.ImputationWarning)``
    when the imputation is meant.

    Example:
        >>> import warnings, numpy as np, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m(y):
        ...     with pplx.plate("i", y.shape[0]):
        ...         pplx.sample("y", dist.Normal(0.0, 1.0), obs=y)
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     bound = m(np.array([1.0, np.nan]))
        >>> str(caught[0].message)[:40], [s.name for s in bound.free_vars]
        ("observed site 'y' has 1 missing (NaN) va", ['y_missing'])
    """


def announce_imputation(site: str, data, index: np.ndarray, event_ndim: int) -> None:
    """Warn (:class:`ImputationWarning`) that ``site``'s data have missing entries that
    become the latent site ``<site>_missing``; the count is of NaN values (and rows, for
    a multivariate site)."""
    count = int(np.isnan(np.asarray(data)).sum())
    rows = f" in {len(index)} row(s)" if event_ndim else ""
    warnings.warn(
        f"observed site '{site}' has {count} missing (NaN) value(s){rows}: they are "
        f"imputed, sampled as the latent site '{missing_name(site)}' with the other "
        "latents. Drop those rows instead if the imputation is not meant.",
        ImputationWarning,
        stacklevel=_outside_pplx(),
    )


def _outside_pplx() -> int:
    """The ``stacklevel`` of the first caller outside pplx (and equinox, which builds the
    bound model): the user's line that bound the model."""
    inside = (os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep, "equinox")
    frame, level = sys._getframe(1), 1
    while frame is not None and any(p in frame.f_code.co_filename for p in inside):
        frame, level = frame.f_back, level + 1
    return level


def missing_name(site: str) -> str:
    """The name of the latent site holding the imputed values of ``site``."""
    return f"{site}_missing"


def find_missing(msg: Message) -> np.ndarray | None:
    """Flat batch indices of the missing entries (rows) of an observed site, or None.

    Raises a ``ValueError`` for NaN in discrete data or rows of a multivariate site that
    are only partly missing.
    """
    value = msg.value
    if isinstance(value, jax.core.Tracer):
        return None
    array = np.asarray(value)
    if array.dtype.kind != "f" or not np.isnan(array).any():
        return None
    if msg.fn.is_discrete:
        raise ValueError(
            f"observed site '{msg.name}' is discrete and its data contain "
            f"{int(np.isnan(array).sum())} NaN value(s); missing-data imputation applies to "
            "continuous sites only. Drop those rows or model them explicitly."
        )
    event_ndim = len(msg.fn.event_shape)
    batch_shape = array.shape[: array.ndim - event_ndim]
    nan = np.isnan(array).reshape(batch_shape + (-1,))
    whole, partial = nan.all(-1), nan.any(-1) & ~nan.all(-1)
    if partial.any():
        raise ValueError(
            f"observed site '{msg.name}': {int(partial.sum())} row(s) are only partly "
            "missing; imputation of a multivariate site needs whole rows missing. Split "
            "the site or drop the partial rows."
        )
    return np.flatnonzero(whole.reshape(-1))


def _support_at(support, batch_shape: tuple[int, ...], index: np.ndarray):
    """The support restricted to the missing entries (array bounds gathered)."""

    def gather(leaf):
        if not isinstance(leaf, jax.Array | np.ndarray) or jnp.ndim(leaf) == 0:
            return leaf
        return jnp.broadcast_to(leaf, batch_shape).reshape(-1)[index]

    return jax.tree.map(gather, support)


def _layout_of(msg: Message, index: np.ndarray):
    value = jnp.asarray(msg.value)
    event_shape = tuple(msg.fn.event_shape)
    batch_shape = value.shape[: value.ndim - len(event_shape)]
    bijector = biject_to(_support_at(msg.fn.support, batch_shape, index))
    return value, event_shape, bijector


def missing_unconstrained_shape(msg: Message, index: np.ndarray) -> tuple[int, ...]:
    """Shape of the unconstrained vector of the imputed values."""
    _, event_shape, bijector = _layout_of(msg, index)
    return tuple(bijector.inverse_shape((len(index),) + event_shape))


def fill_missing(msg: Message, index: np.ndarray, u: jax.Array | None) -> None:
    """Put ``forward(u)`` into the missing entries of ``msg.value`` (``u = 0`` if None)."""
    value, event_shape, bijector = _layout_of(msg, index)
    if u is None:
        u = jnp.zeros(missing_unconstrained_shape(msg, index), dtype=value.dtype)
    x, log_det = bijector.forward_and_log_det(u)
    flat = value.reshape((-1,) + event_shape)
    msg.infer.setdefault("data", value)
    msg.value = flat.at[index].set(x.astype(value.dtype)).reshape(value.shape)
    msg.infer["log_det"] = log_det
    msg.infer["missing"] = (missing_name(msg.name), x, u)


def unconstrain_missing(msg: Message, index: np.ndarray, x: jax.Array) -> None:
    """The inverse of :func:`fill_missing` for a point given in constrained values."""
    _, _, bijector = _layout_of(msg, index)
    u = bijector.inverse(jnp.asarray(x))
    fill_missing(msg, index, u)
