"""Named mixtures: ``NormalMixture``, PyMC's mixture of normals.

Example:
    >>> import jax.numpy as jnp
    >>> from pplx.distributions.mixtures import NormalMixture
    >>> d = NormalMixture(jnp.array([0.5, 0.5]), jnp.array([-1.0, 1.0]), 1.0)
    >>> round(float(d.log_prob(0.0)), 4), float(d.mean), float(d.variance)
    (-1.4189, 0.0, 2.0)
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    bcast,
    check_param,
    check_positive,
    log_normalizer_gaussian,
    promote,
)

__all__ = ["NormalMixture"]


class NormalMixture(Distribution):
    """Mixture of normals ``sum_k w_k Normal(x | mu_k, sigma_k)``, components last.

    ``w``, ``mu`` and ``sigma`` broadcast to a common ``(..., K)`` shape; the batch
    shape is its ``...`` part. The weights are normalised along the last axis.

    Args:
        w: nonnegative mixture weights, ``(..., K)``.
        mu: component means, ``(..., K)``.
        sigma: component standard deviations, ``(..., K)`` (or give ``tau``).
        tau: component precisions, ``1 / sigma**2``, instead of ``sigma``.

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> from pplx.distributions.mixtures import NormalMixture
        >>> d = NormalMixture(jnp.array([0.3, 0.7]), jnp.array([[0.0, 5.0]]), 1.0)
        >>> d.batch_shape, d.sample(jax.random.key(0), (4,)).shape
        ((1,), (4, 1))
    """

    logits: jax.Array
    mu: jax.Array
    sigma: jax.Array

    def __init__(self, w, mu, sigma=None, *, tau=None):
        if (sigma is None) == (tau is None):
            raise ValueError("NormalMixture: give exactly one of sigma or tau")
        w, mu, spread = promote(w, mu, sigma if tau is None else tau)
        if w.ndim == 0:
            raise ValueError("NormalMixture: w, mu and sigma need a component (last) axis")
        check_param("NormalMixture", "w", w, lambda v: v >= 0, "must be nonnegative")
        check_positive("NormalMixture", **{"sigma" if tau is None else "tau": spread})
        self.logits = jax.nn.log_softmax(jnp.log(w), axis=-1)
        self.mu = mu
        self.sigma = spread if tau is None else jax.lax.rsqrt(spread)

    @property
    def w(self):
        """The normalised weights."""
        return jnp.exp(self.logits)

    @property
    def num_components(self):
        return self.mu.shape[-1]

    @property
    def batch_shape(self):
        return self.mu.shape[:-1]

    @property
    def support(self):
        return constraints.real

    def _log_prob(self, value):
        x, mu, sigma, logits = bcast(jnp.expand_dims(value, -1), self.mu, self.sigma, self.logits)
        z = (x - mu) / sigma
        comps = -0.5 * z**2 - jnp.log(sigma) - log_normalizer_gaussian(z.dtype)
        return jax.nn.logsumexp(logits + comps, axis=-1)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        k1, k2 = jax.random.split(key)
        index = jax.random.categorical(k1, self.logits, -1, shape)[..., None]
        full = shape + (self.num_components,)
        mu = jnp.take_along_axis(jnp.broadcast_to(self.mu, full), index, -1)[..., 0]
        sigma = jnp.take_along_axis(jnp.broadcast_to(self.sigma, full), index, -1)[..., 0]
        return mu + sigma * jax.random.normal(k2, shape, mu.dtype)

    @property
    def mean(self):
        return jnp.sum(self.w * self.mu, axis=-1)

    @property
    def variance(self):
        second = jnp.sum(self.w * (self.sigma**2 + self.mu**2), axis=-1)
        return second - self.mean**2
