"""Save and load a run's chain state (plain ``.npz``), to continue chains later."""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import numpy as np

from pplx.infer.chains import ChainState
from pplx.kernels.nuts import NUTSState


def _names(state: ChainState) -> list[str]:
    return [
        jax.tree_util.keystr(path) for path, _ in jax.tree_util.tree_flatten_with_path(state)[0]
    ]


def save_state(path: str | os.PathLike, state: ChainState) -> None:
    """Write ``state`` (from ``nuts_run(...).state`` or ``Posterior.state``) to ``path``.

    Example:
        >>> import os, tempfile, jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> @pplx.model
        ... def m():
        ...     pplx.sample("x", dist.Normal(0.0, 1.0))
        >>> res = pplx.nuts_run(m(), jax.random.key(0), num_warmup=50, num_samples=10,
        ...                     num_chains=2)
        >>> path = os.path.join(tempfile.mkdtemp(), "state.npz")
        >>> pplx.save_state(path, res.state)
        >>> more = pplx.nuts_run(m(), jax.random.key(0), num_warmup=0, num_samples=10,
        ...                      num_chains=2, state=pplx.load_state(path))
        >>> more.draws["x"].shape
        (2, 10)
    """
    if not isinstance(state, ChainState):
        raise TypeError(f"save_state expects a pplx ChainState, got {type(state).__name__}.")
    leaves = jax.tree.leaves(state)
    np.savez(path, **{name: np.asarray(x) for name, x in zip(_names(state), leaves, strict=True)})


def load_state(path: str | os.PathLike) -> ChainState:
    """Read a state written by :func:`save_state` (its example is the round trip).

    Example:
        >>> import os, tempfile, numpy as np, pplx
        >>> path = os.path.join(tempfile.mkdtemp(), "other.npz")
        >>> np.savez(path, x=np.zeros(2))
        >>> pplx.load_state(path)
        Traceback (most recent call last):
        ...
        ValueError: ...other.npz is not a pplx chain state: it lacks [...].
    """
    template = ChainState(NUTSState(0, 0, 0), 0, 0, 0)
    treedef = jax.tree.structure(template)
    with np.load(path) as data:
        names = _names(template)
        missing = [n for n in names if n not in data.files]
        if missing:
            raise ValueError(f"{os.fspath(path)} is not a pplx chain state: it lacks {missing}.")
        return jax.tree.unflatten(treedef, [jnp.asarray(data[n]) for n in names])
