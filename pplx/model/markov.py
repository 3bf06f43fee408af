"""A Markov chain of discrete states as one model site: ``pplx.markov``.

``x = pplx.markov("x", initial_probs, transition_matrix, num_steps=T)`` declares the
path ``x_0, ..., x_{T-1}`` with ``x_0 ~ Categorical(initial_probs)`` and ``x_t | x_{t-1}
~ Categorical(transition_matrix[x_{t-1}])`` (a ``(K, K)`` matrix, or ``(T-1, K, K)``
for a chain whose transitions change in time). Its value is an integer vector ``(T,)``.
Under :func:`pplx.marginalize` the path is summed out by the forward algorithm in
``O(T K^2)``; the emissions must then be elementwise in time (a plate of size ``T`` at
dim -1), e.g. ``with pplx.plate("t", T): pplx.sample("y", dist.Normal(mu[x], s), obs=y)``.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

import pplx.distributions as dist
from pplx.core import primitives
from pplx.distributions.param_checks import check_simplex


def _log_rows(name: str, probs) -> jax.Array:
    """Log probabilities of rows that must sum to one (checked when concrete; the
    division only absorbs rounding)."""
    probs = jnp.asarray(probs, dtype=jnp.result_type(float))
    check_simplex("MarkovChain", name, probs)
    return jnp.log(probs) - jnp.log(jnp.sum(probs, axis=-1, keepdims=True))


class MarkovChain(dist.Distribution):
    """The path of a discrete Markov chain: event shape ``(num_steps,)``, batch ``()``.

    Args:
        initial_probs: ``(K,)`` probabilities of the first state.
        transition_matrix: ``(K, K)`` (row = from, column = to) or ``(T-1, K, K)``.
        num_steps: the path length ``T`` (a Python int).

    Example:
        >>> import jax, jax.numpy as jnp
        >>> d = MarkovChain(jnp.array([1.0, 0.0]), jnp.array([[0.0, 1.0], [1.0, 0.0]]), 4)
        >>> d.sample(jax.random.key(0)).tolist(), float(d.log_prob(jnp.array([0, 1, 0, 1])))
        ([0, 1, 0, 1], 0.0)
    """

    log_init: jax.Array
    log_trans: jax.Array
    num_steps: int = eqx.field(static=True)

    is_discrete = True

    def __init__(self, initial_probs, transition_matrix, num_steps: int):
        if not isinstance(num_steps, int) or isinstance(num_steps, bool) or num_steps < 1:
            raise ValueError(f"MarkovChain: num_steps must be a positive int, got {num_steps!r}.")
        init = jnp.asarray(initial_probs)
        trans = jnp.asarray(transition_matrix)
        k = init.shape[-1] if init.ndim == 1 else None
        if k is None or trans.shape[-2:] != (k, k) or trans.ndim not in (2, 3):
            raise ValueError(
                "MarkovChain: initial_probs must be (K,) and transition_matrix (K, K) or "
                f"(num_steps - 1, K, K); got {init.shape} and {trans.shape}."
            )
        if trans.ndim == 3 and trans.shape[0] != num_steps - 1:
            raise ValueError(
                f"MarkovChain: a time-varying transition_matrix needs {num_steps - 1} "
                f"matrices for {num_steps} steps, got {trans.shape[0]}."
            )
        self.log_init = _log_rows("initial_probs", init)
        log_trans = _log_rows("transition_matrix", trans)
        self.log_trans = jnp.broadcast_to(log_trans, (num_steps - 1, k, k))
        self.num_steps = num_steps

    @property
    def num_states(self) -> int:
        return self.log_init.shape[-1]

    @property
    def batch_shape(self):
        return ()

    @property
    def event_shape(self):
        return (self.num_steps,)

    @property
    def support(self):
        return dist.constraints.independent(
            dist.constraints.integer_interval(0, self.num_states - 1), 1
        )

    def log_prob(self, value):
        x = jnp.asarray(value)
        ok = jnp.all((x >= 0) & (x < self.num_states), axis=-1)
        x = jnp.clip(x, 0, self.num_states - 1).astype(jnp.result_type(int))
        lp = self.log_init[x[..., 0]]
        steps = jnp.arange(self.num_steps - 1)
        lp = lp + jnp.sum(self.log_trans[steps, x[..., :-1], x[..., 1:]], axis=-1)
        return jnp.where(ok, lp, -jnp.inf)

    def sample(self, key, sample_shape=()):
        shape = tuple(sample_shape)
        k0, k1 = jax.random.split(key)
        first = jax.random.categorical(k0, self.log_init, shape=shape)

        def step(prev, inputs):
            k, trans = inputs
            nxt = jax.random.categorical(k, trans[prev], axis=-1)
            return nxt, nxt

        keys = jax.random.split(k1, self.num_steps - 1)
        _, rest = jax.lax.scan(step, first, (keys, self.log_trans))
        path = jnp.concatenate([first[None], rest], axis=0)
        return jnp.moveaxis(path, 0, -1).astype(jnp.result_type(int))


def markov(name: str, initial_probs, transition_matrix, *, num_steps: int, dims=None):
    """Declare a discrete Markov chain path ``name`` of ``num_steps`` states.

    Args:
        name: the site name.
        initial_probs: ``(K,)`` probabilities of the first state.
        transition_matrix: ``(K, K)`` rows of transition probabilities (from -> to), or
            ``(num_steps - 1, K, K)``.
        num_steps: the path length (a Python int).
        dims: optional name of the time dimension, e.g. ``("time",)``.

    Returns:
        The path: an integer array ``(num_steps,)`` (or, when the site is marginalised,
        the enumerated states, shaped to broadcast against the time plate).

    Example:
        >>> import jax, jax.numpy as jnp, pplx
        >>> import pplx.distributions as dist
        >>> def hmm():
        ...     x = pplx.markov("x", jnp.array([0.5, 0.5]),
        ...                     jnp.array([[0.9, 0.1], [0.1, 0.9]]), num_steps=5)
        ...     with pplx.plate("t", 5):
        ...         pplx.sample("y", dist.Normal(2.0 * x, 1.0))
        >>> tr = pplx.handlers.trace(pplx.handlers.seed(hmm, jax.random.key(0)))
        >>> tr.get_trace()["x"].value.shape
        (5,)
    """
    chain = MarkovChain(initial_probs, transition_matrix, num_steps)
    return primitives.sample(name, chain, dims=dims)
