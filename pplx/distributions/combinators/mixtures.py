"""Finite mixtures: ``Mixture`` of any components and the named ``NormalMixture``."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    check_positive,
    log_normalizer_gaussian,
    promote,
)
from pplx.distributions.discrete.finite import Categorical
from pplx.distributions.param_checks import check_simplex


class Mixture(Distribution):
    """Finite mixture ``sum_k w_k p_k(x)``.

    Args:
        mixing: a ``Categorical`` over the K components (or an array of weights, which
            must sum to one).
        components: a list of K distributions with equal shapes, or one distribution
            whose rightmost batch dim has size K (same-family mixture).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import Mixture, Normal
        >>> d = Mixture(jnp.array([0.5, 0.5]), Normal(jnp.array([-1.0, 1.0]), 1.0))
        >>> round(float(d.log_prob(0.0)), 4)
        -1.4189
    """

    mixing: Categorical
    components: object

    def __init__(self, mixing, components):
        if not isinstance(mixing, Categorical):
            mixing = as_float(mixing)
            check_simplex("Mixture", "mixing", mixing)
            mixing = Categorical(probs=mixing)
        if isinstance(components, (list, tuple)):
            components = tuple(components)
            shapes = {(tuple(c.batch_shape), tuple(c.event_shape)) for c in components}
            if len(shapes) != 1:
                raise ValueError(f"Mixture: components differ in shape: {sorted(shapes)}")
            num = len(components)
        else:
            if not components.batch_shape:
                raise ValueError("Mixture: a single component distribution needs a batch dim")
            num = components.batch_shape[-1]
        if mixing.num_categories != num:
            raise ValueError(
                f"Mixture: {mixing.num_categories} mixing weights for {num} components"
            )
        self.mixing = mixing
        self.components = components

    @property
    def _is_list(self):
        return isinstance(self.components, tuple)

    @property
    def _first(self):
        return self.components[0] if self._is_list else self.components

    @property
    def is_discrete(self):
        return self._first.is_discrete

    @property
    def batch_shape(self):
        comp = tuple(self._first.batch_shape)
        comp = comp if self._is_list else comp[:-1]
        return jnp.broadcast_shapes(comp, tuple(self.mixing.batch_shape))

    @property
    def event_shape(self):
        return tuple(self._first.event_shape)

    @property
    def support(self):
        return self._first.support

    def _component_values(self, fn, event_ndim=0):
        """Stack ``fn(component)`` with the component axis just before the event dims."""
        if self._is_list:
            values = jnp.broadcast_arrays(*(fn(c) for c in self.components))
            return jnp.stack(values, values[0].ndim - event_ndim)
        return fn(self.components)

    def log_prob(self, value):
        value = jnp.asarray(value)
        event_ndim = len(self.event_shape)
        if self._is_list:
            lps = self._component_values(lambda c: c.log_prob(value))
        else:
            # Insert the component axis just before the event dims.
            lps = self.components.log_prob(jnp.expand_dims(value, value.ndim - event_ndim))
        lps, logits = bcast(lps, self.mixing.logits)
        return jax.nn.logsumexp(lps + logits, axis=-1)

    def sample(self, key, sample_shape=()):
        k1, k2 = jax.random.split(key)
        shape = tuple(sample_shape) + self.batch_shape
        index = self.mixing.expand(self.batch_shape).sample(k1, sample_shape)
        if self._is_list:
            keys = jax.random.split(k2, len(self.components))
            draws = [
                jnp.broadcast_to(c.sample(k, sample_shape), shape + self.event_shape)
                for c, k in zip(self.components, keys, strict=True)
            ]
            draws = jnp.stack(draws, len(shape))
        else:
            draws = self.components.sample(k2, sample_shape)
            num = self.mixing.num_categories
            draws = jnp.broadcast_to(draws, shape + (num,) + self.event_shape)
        idx = index.reshape(shape + (1,) * (1 + len(self.event_shape)))
        idx = jnp.broadcast_to(idx, shape + (1,) + self.event_shape)
        picked = jnp.take_along_axis(draws, idx, axis=len(shape))
        return picked.reshape(shape + self.event_shape)

    def _weights(self):
        probs = self.mixing.probs
        return probs.reshape(probs.shape + (1,) * len(self.event_shape))

    @property
    def mean(self):
        event_ndim = len(self.event_shape)
        means = self._component_values(lambda c: c.mean, event_ndim)
        means, w = bcast(means, self._weights())
        return jnp.sum(w * means, axis=-1 - event_ndim)

    @property
    def variance(self):
        event_ndim = len(self.event_shape)
        axis = -1 - event_ndim
        means = self._component_values(lambda c: c.mean, event_ndim)
        var = self._component_values(lambda c: c.variance, event_ndim)
        means, var, w = bcast(means, var, self._weights())
        mean = jnp.sum(w * means, axis=axis, keepdims=True)
        return jnp.sum(w * (var + (means - mean) ** 2), axis=axis)


class NormalMixture(Distribution):
    """Mixture of normals ``sum_k w_k Normal(x | mu_k, sigma_k)``, components last.

    ``w``, ``mu`` and ``sigma`` broadcast to a common ``(..., K)`` shape; the batch
    shape is its ``...`` part. The weights must sum to one along the last axis (an
    error otherwise, when they are concrete: nothing is renormalised quietly).

    Args:
        w: nonnegative mixture weights, ``(..., K)``.
        mu: component means, ``(..., K)``.
        sigma: component standard deviations, ``(..., K)`` (or give ``tau``).
        tau: component precisions, ``1 / sigma**2``, instead of ``sigma``.

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> from pplx.distributions.combinators.mixtures import NormalMixture
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
        check_simplex("NormalMixture", "w", w)
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
