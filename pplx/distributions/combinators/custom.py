"""``CustomDist``: a distribution from a user-written log density (and sampler)."""

from __future__ import annotations

from collections.abc import Callable

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from pplx.distributions import constraints
from pplx.distributions.base import Distribution, _broadcast_batch, support_with_event_dim


def _as_leaf(x):
    # Numbers become arrays so that they are traced leaves, not static values that
    # would make eqx.filter_jit recompile for every new parameter value.
    if isinstance(x, (bool, int, float, complex, np.ndarray, np.generic)):
        return jnp.asarray(x)
    return x


def _shape(name, shape):
    try:
        return tuple(int(s) for s in shape)
    except TypeError:
        raise TypeError(f"CustomDist: {name} must be a tuple of ints, got {shape!r}") from None


def _resolve_support(support, is_discrete, event_ndim):
    if support is None:
        support = constraints.nonnegative_integer if is_discrete else constraints.real
    if not isinstance(support, constraints.Constraint):
        raise TypeError(f"CustomDist: support must be a Constraint, got {support!r}")
    if support.is_discrete != is_discrete:
        raise ValueError(
            f"CustomDist: support {support.name!r} is "
            f"{'discrete' if support.is_discrete else 'continuous'} but is_discrete="
            f"{is_discrete}; make them agree"
        )
    return support_with_event_dim("CustomDist", support, event_ndim)


class CustomDist(Distribution):
    """A distribution given by ``logp_fn`` and, optionally, ``sample_fn``.

    Args:
        logp_fn: ``logp_fn(value, *params)`` returns the log density of ``value``
            (shape ``sample + batch + event``), reduced over the event dims: its shape
            must be ``broadcast(value batch shape, batch_shape)``. It is only called at
            points inside ``support`` (others get ``-inf``), so it need not guard them.
        sample_fn: ``sample_fn(key, sample_shape, *params)`` returns draws of shape
            ``sample_shape + batch_shape + event_shape``. Without it the distribution
            can still be a latent site (it is sampled in unconstrained space) or an
            observed one, but ``sample`` (prior/posterior predictive) raises.
        params: a tuple of pytrees passed to both callables after ``value``/``key``;
            they are leaves of this module, so they may be traced (e.g. other sites).
            A single non-tuple value is wrapped as ``(params,)``.
        batch_shape: the batch shape (static).
        event_shape: the event shape (static).
        support: the constraint of the values (default ``real``, or
            ``nonnegative_integer`` when ``is_discrete``); a latent site is mapped onto
            it with ``biject_to(support)``.
        is_discrete: whether the values are integers.

    The callables are static fields: define them once (not as a fresh ``lambda`` per
    call) so that jit-compiled code is reused; numbers go in ``params``, not closures.

    Example:
        >>> import jax
        >>> import jax.numpy as jnp
        >>> from pplx.distributions import constraints
        >>> from pplx.distributions.combinators.custom import CustomDist
        >>> def logp(x, rate):
        ...     return jnp.log(rate) - rate * x
        >>> def draw(key, shape, rate):
        ...     rate = jnp.broadcast_to(rate, shape + rate.shape)
        ...     return jax.random.exponential(key, rate.shape) / rate
        >>> d = CustomDist(logp, draw, params=(jnp.array([1.0, 2.0]),),
        ...                batch_shape=(2,), support=constraints.positive)
        >>> [round(float(v), 4) for v in d.log_prob(1.0)]
        [-1.0, -1.3069]
        >>> d.sample(jax.random.key(0), (5,)).shape
        (5, 2)
        >>> float(d.log_prob(-1.0)[0])
        -inf
    """

    params: tuple
    custom_support: constraints.Constraint
    logp_fn: Callable = eqx.field(static=True)
    sample_fn: Callable | None = eqx.field(static=True)
    custom_batch_shape: tuple = eqx.field(static=True)
    custom_event_shape: tuple = eqx.field(static=True)
    discrete: bool = eqx.field(static=True)

    def __init__(
        self,
        logp_fn,
        sample_fn=None,
        *,
        params=(),
        batch_shape=(),
        event_shape=(),
        support=None,
        is_discrete=False,
    ):
        if not callable(logp_fn):
            raise TypeError(f"CustomDist: logp_fn must be callable, got {logp_fn!r}")
        if sample_fn is not None and not callable(sample_fn):
            raise TypeError(f"CustomDist: sample_fn must be callable or None, got {sample_fn!r}")
        if not isinstance(params, (tuple, list)):
            params = (params,)
        self.params = tuple(jax.tree.map(_as_leaf, p) for p in params)
        self.logp_fn = logp_fn
        self.sample_fn = sample_fn
        self.custom_batch_shape = _shape("batch_shape", batch_shape)
        self.custom_event_shape = _shape("event_shape", event_shape)
        self.discrete = bool(is_discrete)
        self.custom_support = _resolve_support(support, self.discrete, len(self.custom_event_shape))

    @property
    def is_discrete(self):
        return self.discrete

    @property
    def batch_shape(self):
        return self.custom_batch_shape

    @property
    def event_shape(self):
        return self.custom_event_shape

    @property
    def support(self):
        return self.custom_support

    def _log_prob(self, value):
        lp = jnp.asarray(self.logp_fn(value, *self.params))
        expected = tuple(_broadcast_batch(value, len(self.event_shape), self.batch_shape))
        if lp.shape != expected:
            raise ValueError(
                f"CustomDist: logp_fn returned shape {lp.shape} for a value of shape "
                f"{tuple(jnp.shape(value))}; expected {expected} (the value's batch shape "
                f"broadcast with batch_shape {self.batch_shape}, event dims summed)"
            )
        return lp

    def sample(self, key, sample_shape=()):
        if self.sample_fn is None:
            raise NotImplementedError(
                "CustomDist: no sample_fn was given, so it cannot draw samples; pass "
                "sample_fn=lambda key, sample_shape, *params: ... returning an array of "
                "shape sample_shape + batch_shape + event_shape"
            )
        sample_shape = tuple(sample_shape)
        draws = jnp.asarray(self.sample_fn(key, sample_shape, *self.params))
        if draws.shape != self.shape(sample_shape):
            raise ValueError(
                f"CustomDist: sample_fn returned shape {draws.shape}; expected "
                f"{self.shape(sample_shape)} (sample_shape + batch_shape + event_shape)"
            )
        return draws
