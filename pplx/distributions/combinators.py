"""Distributions built from others: finite mixtures, truncation and censoring."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from pplx.distributions import constraints
from pplx.distributions.base import Distribution, as_float, bcast
from pplx.distributions.discrete import Categorical

__all__ = ["Mixture", "Truncated", "Censored"]


class Mixture(Distribution):
    """Finite mixture ``sum_k w_k p_k(x)``.

    Args:
        mixing: a ``Categorical`` over the K components (or an array of weights).
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
            mixing = Categorical(probs=as_float(mixing))
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


def _bounds(base, low, high):
    dtype = jnp.result_type(float)
    low = jnp.asarray(-jnp.inf if low is None else low, dtype)
    high = jnp.asarray(jnp.inf if high is None else high, dtype)
    shape = jnp.broadcast_shapes(low.shape, high.shape, tuple(base.batch_shape))
    return jnp.broadcast_to(low, shape), jnp.broadcast_to(high, shape)


def _cdf_below(base, x):
    """``P(X < x)`` for discrete bases and ``P(X <= x)`` for continuous ones, with
    ``0`` at ``-inf`` (cdfs are not asked to handle infinities)."""
    finite = jnp.isfinite(x)
    safe = jnp.where(finite, x, 0.0)
    point = safe - 1.0 if base.is_discrete else safe
    cdf = base.cdf(point)
    cdf, x = bcast(cdf, x)
    return jnp.where(finite, cdf, jnp.where(x > 0, 1.0, 0.0))


class _Bounded(Distribution):
    """Shared scaffolding of ``Truncated`` and ``Censored``: a univariate ``base`` and
    bounds ``[low, high]`` that set the batch shape and the support."""

    base: Distribution
    low: jax.Array
    high: jax.Array

    def __init__(self, base, low=None, high=None):
        if base.event_shape:
            raise ValueError(
                f"{type(self).__name__}: only univariate base distributions are supported"
            )
        self.base = base
        self.low, self.high = _bounds(base, low, high)

    @property
    def is_discrete(self):
        return self.base.is_discrete

    @property
    def batch_shape(self):
        return self.low.shape

    @property
    def support(self):
        if self.base.is_discrete:  # truncating or censoring counts keeps them integers
            return constraints.integer_interval(self.low, self.high)
        return constraints.interval(self.low, self.high)


class Truncated(_Bounded):
    """``base`` restricted to ``[low, high]`` and renormalised (needs ``base.cdf``;
    sampling needs ``base.icdf``).

    Example:
        >>> from pplx.distributions import Normal, Truncated
        >>> round(float(Truncated(Normal(0.0, 1.0), low=0.0).log_prob(0.0)), 4)
        -0.2258
    """

    def _log_mass(self):
        upper = self.base.cdf(jnp.where(jnp.isfinite(self.high), self.high, 0.0))
        upper = jnp.where(jnp.isfinite(self.high), upper, 1.0)
        return jnp.log(upper - _cdf_below(self.base, self.low))

    def log_prob(self, value):
        value = jnp.asarray(value)
        lp = self.base.log_prob(value)
        lp, low, high, log_mass = bcast(lp, self.low, self.high, self._log_mass())
        inside = (value >= low) & (value <= high)
        return jnp.where(inside, lp - log_mass, -jnp.inf)

    def sample(self, key, sample_shape=()):
        shape = self.shape(sample_shape)
        lo = jnp.broadcast_to(_cdf_below(self.base, self.low), shape)
        hi = jnp.broadcast_to(jnp.exp(self._log_mass()), shape) + lo
        u = jax.random.uniform(key, shape, lo.dtype)
        x = self.base.icdf(lo + u * (hi - lo))
        x, low, high = bcast(x, self.low, self.high)
        return jnp.clip(x, low, high)


class Censored(_Bounded):
    """``base`` clipped to ``[low, high]``: values at a bound carry the tail mass.

    Example:
        >>> from pplx.distributions import Censored, Normal
        >>> round(float(Censored(Normal(0.0, 1.0), low=0.0).log_prob(0.0)), 4)
        -0.6931
    """

    def log_prob(self, value):
        value = jnp.asarray(value)
        lp = self.base.log_prob(value)
        lp, value, low, high = bcast(lp, value, self.low, self.high)
        log_below = jnp.log(_cdf_below_inclusive(self.base, low))
        log_above = jnp.log1p(-_cdf_below(self.base, high))
        out = jnp.where(value <= low, log_below, lp)
        out = jnp.where(value >= high, log_above, out)
        return jnp.where((value < low) | (value > high), -jnp.inf, out)

    def sample(self, key, sample_shape=()):
        x = self.base.expand(self.batch_shape).sample(key, sample_shape)
        x, low, high = bcast(x, self.low, self.high)
        return jnp.clip(x, low, high)


def _cdf_below_inclusive(base, x):
    """``P(X <= x)`` with ``0`` at ``-inf``."""
    finite = jnp.isfinite(x)
    cdf = base.cdf(jnp.where(finite, x, 0.0))
    cdf, x = bcast(cdf, x)
    return jnp.where(finite, cdf, 0.0)
