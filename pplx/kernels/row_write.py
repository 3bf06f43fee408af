"""Writing one row of an array at a traced index, cheaply under ``vmap`` too.

NUTS stores a checkpoint at every even leaf, in a row that depends on the chain's own
leaf count. On one chain that is a ``dynamic_update_slice``. Vmapped over chains, JAX
turns it into a scatter with a per-chain index, which a CPU runs as a separate operation
with a fixed cost of about a microsecond: more than the rest of a leaf's bookkeeping at
small sizes (10 dimensions, 4 chains: 1.9 against 0.5 us per chain and leaf). A
``where`` against a one-hot row mask writes the same row with elementwise work over the
whole array instead, which is cheaper until the batch holds several thousand elements;
past that the scatter's fixed cost is shared by enough chains to win.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

#: batched writes touching at most this many elements (batch x array size) use the
#: one-hot ``where``; larger ones the scatter (measured on a 2-core CPU, 9 checkpoint rows:
#: the ``where`` wins at 4 chains up to 50 dimensions, the scatter at 4 chains x 100
#: dimensions and at 64 chains x 10 dimensions)
SELECT_MAX_ELEMENTS = 8192


@jax.custom_batching.custom_vmap
def set_row(array: jax.Array, index, values: jax.Array) -> jax.Array:
    """``array`` with row ``index`` replaced by ``values``; ``index`` is non-negative, and
    one at or past the last row writes nothing.

    Same result with and without ``jax.vmap``; only the batched operation differs (see
    the module docstring). Not reverse-differentiable (NUTS never differentiates it).

    Example:
        >>> import jax.numpy as jnp
        >>> set_row(jnp.zeros((3, 2)), 1, jnp.ones(2)).tolist()
        [[0.0, 0.0], [1.0, 1.0], [0.0, 0.0]]
        >>> set_row(jnp.zeros((2, 1)), 2, jnp.ones(1)).tolist()
        [[0.0], [0.0]]
    """
    return _scatter_row(array, index, values)


def _scatter_row(array, index, values):
    return array.at[index].set(values, mode="drop")


def _select_row(array, index, values):
    hit = jnp.arange(array.shape[0]) == index
    hit = hit.reshape(hit.shape + (1,) * (array.ndim - 1))
    return jnp.where(hit, values, array)


@set_row.def_vmap
def _set_row_batched(axis_size, in_batched, array, index, values):
    def batched(x, is_batched):
        x = jnp.asarray(x)
        return x if is_batched else jnp.broadcast_to(x, (axis_size,) + x.shape)

    array, index, values = map(batched, (array, index, values), in_batched)
    small = axis_size * array[0].size <= SELECT_MAX_ELEMENTS
    write = _select_row if small else _scatter_row
    return jax.vmap(write)(array, index, values), True
