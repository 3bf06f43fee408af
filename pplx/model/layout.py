"""The bijection between a dict of site values and one flat vector ``f[d]``."""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np


class Block(NamedTuple):
    """One site's place in the flat vector."""

    name: str
    shape: tuple[int, ...]
    offset: int
    size: int


class Layout(NamedTuple):
    """Static slices of the flat vector, one per site, in model order.

    Example:
        >>> import jax.numpy as jnp
        >>> layout = Layout.from_shapes([("a", ()), ("b", (2,))])
        >>> layout.ravel({"a": jnp.array(1.0), "b": jnp.array([2.0, 3.0])}).tolist()
        [1.0, 2.0, 3.0]
        >>> layout.unravel(jnp.array([1.0, 2.0, 3.0]))["b"].tolist()
        [2.0, 3.0]
    """

    blocks: tuple[Block, ...]

    @classmethod
    def from_shapes(cls, named_shapes) -> Layout:
        blocks, offset = [], 0
        for name, shape in named_shapes:
            size = math.prod(shape)
            blocks.append(Block(name, tuple(shape), offset, size))
            offset += size
        return cls(tuple(blocks))

    @property
    def num_dims(self) -> int:
        """Length of the flat vector."""
        return sum(b.size for b in self.blocks)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(b.name for b in self.blocks)

    def ravel(self, values: dict) -> jax.Array:
        """Concatenate the values of every block, each flattened in C order."""
        parts = [jnp.reshape(jnp.asarray(values[b.name]), (b.size,)) for b in self.blocks]
        if not parts:
            return jnp.zeros((0,))
        return jnp.concatenate(parts)

    def unravel(self, flat: jax.Array) -> dict[str, jax.Array]:
        """Split a flat vector (trailing axis) back into named arrays."""
        lead = flat.shape[:-1]
        return {
            b.name: jnp.reshape(flat[..., b.offset : b.offset + b.size], lead + b.shape)
            for b in self.blocks
        }

    def element_names(self) -> list[str]:
        """One readable name per scalar: ``theta[3]``, ``L[1,0]``."""
        out = []
        for b in self.blocks:
            if not b.shape:
                out.append(b.name)
                continue
            for idx in np.ndindex(*b.shape):
                out.append(f"{b.name}[{','.join(map(str, idx))}]")
        return out
