"""Static facts about a model's sites, found by running the model once."""

from __future__ import annotations

from typing import NamedTuple


class SiteInfo(NamedTuple):
    """What pplx knows about one site before any inference runs (all static).

    Attributes:
        name: the site name.
        kind: ``"latent"``, ``"observed"``, ``"deterministic"`` or ``"factor"``.
        shape: shape of the site's (constrained) value.
        batch_shape: the distribution's batch shape (sample sites).
        event_shape: the distribution's event shape (sample sites).
        unconstrained_shape: shape of the value in unconstrained space (latents).
        is_discrete: True for integer-valued sample sites.
        support: the name of the support (e.g. ``"positive"``).
        dims: one name per dimension of ``shape`` (plates name their dimension).
        distribution: the distribution's class name.
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    batch_shape: tuple[int, ...] = ()
    event_shape: tuple[int, ...] = ()
    unconstrained_shape: tuple[int, ...] = ()
    is_discrete: bool = False
    support: str = ""
    dims: tuple[str, ...] = ()
    distribution: str = ""

    @property
    def size(self) -> int:
        """Number of scalars in the unconstrained value."""
        n = 1
        for s in self.unconstrained_shape:
            n *= s
        return n


def dim_names(
    name: str, shape: tuple[int, ...], batch_ndim: int, plates, user_dims: tuple[str, ...] | None
) -> tuple[str, ...]:
    """Name each dimension of a site: user dims, else the plate at that dim, else generic."""
    if user_dims is not None:
        if len(user_dims) != len(shape):
            raise ValueError(
                f"site '{name}': dims {tuple(user_dims)} name {len(user_dims)} dimensions "
                f"but the value has shape {shape}. Give one name per dimension."
            )
        return tuple(user_dims)
    by_dim = {p.dim: p.name for p in plates}
    names = []
    for axis in range(len(shape)):
        batch_pos = axis - batch_ndim  # negative inside the batch part
        if batch_pos < 0 and batch_pos in by_dim:
            names.append(by_dim[batch_pos])
        else:
            names.append(f"{name}_dim_{axis}")
    return tuple(names)
