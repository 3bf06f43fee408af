"""Random words for NUTS without a Threefry call per use.

A transition draws two seeds from JAX's Threefry generator; every other random number
it needs (the momentum's normals, per-depth directions and acceptance uniforms, the
per-leaf uniforms of progressive sampling) is a hash of a Weyl sequence started at one
of those seeds. Threefry costs ~0.7 us for 128 words on a CPU; the hash costs a few
integer operations per word.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def uniform_from_words(words, dtype):
    """Uniforms in [0, 1) of ``dtype`` from pairs of random 32-bit words (last axis)."""
    if jnp.finfo(dtype).nmant > 23:  # float64: 27 + 26 bits, as a 53-bit integer
        high = (words[..., 0] >> 5).astype(dtype)
        low = (words[..., 1] >> 6).astype(dtype)
        return (high * 2.0**26 + low) * 2.0**-53
    return (words[..., 0] >> 8).astype(dtype) * 2.0**-24


def mix32(words):
    """A 32-bit integer hash with full avalanche (Wellons' two-multiply finaliser).

    A bijection of ``uint32``; applied to a Weyl sequence ``seed + n * golden`` it yields
    a stream of well-mixed words from one random seed, much cheaper than a Threefry call
    per leaf (this runs once per leapfrog step, in lockstep across vmapped chains).
    """
    words = words ^ (words >> 16)
    words = words * jnp.uint32(0x21F0AAAD)
    words = words ^ (words >> 15)
    words = words * jnp.uint32(0x735A2D97)
    return words ^ (words >> 15)


def leaf_words(seed, n):
    """Two random words for leaf ``n`` of a subtree whose seed is ``seed`` (two words)."""
    return mix32(seed + n.astype(jnp.uint32) * jnp.uint32(0x9E3779B9))


def word_stream(seed, count):
    """``count`` pairs of random words ``(count, 2)`` from a seed of two words."""
    return leaf_words(seed[None, :], jnp.arange(count)[:, None])


def normal_from_words(words, dtype):
    """Standard normals from pairs of random words, by the inverse CDF (as JAX does)."""
    half_ulp = 2.0**-54 if jnp.finfo(dtype).nmant > 23 else 2.0**-25
    centred = 2.0 * (uniform_from_words(words, dtype) + half_ulp) - 1.0  # in (-1, 1), symmetric
    return jnp.sqrt(jnp.asarray(2.0, dtype)) * jax.scipy.special.erfinv(centred)


def seeds_from_key(key, stream: int, count: int = 1):
    """``count`` seeds ``(count, 2)`` hashed from a JAX key's words and a ``stream``
    number, without a Threefry call (a key from ``fold_in`` or ``split`` is already
    random; the hash separates the streams drawn from it).

    Example:
        >>> import jax
        >>> a = seeds_from_key(jax.random.key(0), 1, 2)
        >>> a.shape, bool((a != seeds_from_key(jax.random.key(0), 2, 2)).all())
        ((2, 2), True)
    """
    data = jax.random.key_data(key).reshape(-1, 2).astype(jnp.uint32)
    folded = data[0]
    for row in range(1, data.shape[0]):
        folded = mix32(folded ^ data[row])
    base = mix32(folded ^ jnp.uint32(stream & 0xFFFFFFFF) * jnp.uint32(0x85EBCA6B))
    return word_stream(base, count)
