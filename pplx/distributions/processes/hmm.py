"""Hidden Markov model with Normal emissions, marginalised over its hidden states."""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
from jax.scipy.special import logsumexp

from pplx.distributions import constraints
from pplx.distributions.base import (
    Distribution,
    as_float,
    bcast,
    check_positive,
)
from pplx.distributions.helpers import HALF_LOG_2PI
from pplx.distributions.param_checks import check_simplex
from pplx.distributions.processes.timeseries import _check_steps


def _check_stochastic(name, param, probs):
    """Raise when ``probs`` (once concrete) are not nonnegative rows summing to one."""
    check_simplex(name, param, probs)


class GaussianHMM(Distribution):
    """Hidden Markov model with ``K`` states and Normal emissions, states summed out.

    The event shape is ``(num_steps,)``: one observation per time step. The batch
    shape is the broadcast of the parameters' batch dims.

    Args:
        initial_probs: distribution of ``z_0``, ``batch + (K,)``, rows summing to 1.
        transition_matrix: ``batch + (K, K)``; row ``i`` is the distribution of
            ``z_t`` given ``z_{t-1} = i``.
        locs: emission means per state, ``batch + (K,)``.
        scales: emission standard deviations per state, positive, ``batch + (K,)`` (or one
            shared by every state; likewise ``locs``).
        num_steps: the sequence length ``T``, a positive Python int (static).

    Example:
        >>> import jax.numpy as jnp
        >>> from pplx.distributions.processes.hmm import GaussianHMM
        >>> d = GaussianHMM(
        ...     jnp.array([1.0, 0.0]),
        ...     jnp.array([[0.0, 1.0], [1.0, 0.0]]),
        ...     jnp.array([0.0, 5.0]),
        ...     jnp.array([1.0, 1.0]),
        ...     num_steps=3,
        ... )
        >>> d.mean.tolist()
        [0.0, 5.0, 0.0]
    """

    initial_probs: jax.Array
    transition_matrix: jax.Array
    locs: jax.Array
    scales: jax.Array
    num_steps: int = eqx.field(static=True)

    def __init__(self, initial_probs, transition_matrix, locs, scales, *, num_steps):
        name = "GaussianHMM"
        self.num_steps = _check_steps(name, num_steps, what="num_steps")
        arrays = [as_float(a) for a in (initial_probs, transition_matrix, locs, scales)]
        init, trans, locs, scales = arrays
        if trans.ndim < 2 or trans.shape[-1] != trans.shape[-2]:
            raise ValueError(f"{name}: transition_matrix must be square, got {trans.shape}")
        num_states = trans.shape[-1]
        # a scalar location or scale is shared by every state
        locs = locs[None] if locs.ndim == 0 else locs
        scales = scales[None] if scales.ndim == 0 else scales
        for pname, a in (("initial_probs", init), ("locs", locs), ("scales", scales)):
            shared = a.ndim >= 1 and pname != "initial_probs" and a.shape[-1] == 1
            if a.ndim < 1 or (a.shape[-1] != num_states and not shared):
                raise ValueError(
                    f"{name}: {pname} needs {num_states} states on its last axis (the size "
                    f"of transition_matrix), got shape {a.shape}"
                )
        batch = jnp.broadcast_shapes(
            init.shape[:-1], trans.shape[:-2], locs.shape[:-1], scales.shape[:-1]
        )
        dtype = jnp.result_type(*arrays)
        vec = batch + (num_states,)
        self.initial_probs = jnp.broadcast_to(init, vec).astype(dtype)
        self.transition_matrix = jnp.broadcast_to(trans, vec + (num_states,)).astype(dtype)
        self.locs = jnp.broadcast_to(locs, vec).astype(dtype)
        self.scales = jnp.broadcast_to(scales, vec).astype(dtype)
        _check_stochastic(name, "initial_probs", init)
        _check_stochastic(name, "transition_matrix", trans)
        check_positive(name, scales=scales)

    @property
    def num_states(self):
        """The number of hidden states ``K`` (static)."""
        return self.locs.shape[-1]

    @property
    def batch_shape(self):
        return self.locs.shape[:-1]

    @property
    def event_shape(self):
        return (self.num_steps,)

    @property
    def support(self):
        return constraints.real_vector

    # ------------------------------------------------------------------ inference

    def _emissions(self, value):
        """``log p(y_t | z_t = k)`` as ``(T,) + shape + (K,)``, with ``shape`` the value's
        batch broadcast against ``batch_shape``; also the log initial and transition
        probabilities at ``shape``."""
        value = jnp.asarray(value)
        shape = jnp.broadcast_shapes(value.shape[:-1], self.batch_shape)
        y, locs, scales = bcast(
            value[..., None], self.locs[..., None, :], self.scales[..., None, :]
        )
        z = (y - locs) / scales
        emission = -0.5 * z**2 - jnp.log(scales) - HALF_LOG_2PI
        emission = jnp.moveaxis(jnp.broadcast_to(emission, shape + emission.shape[-2:]), -2, 0)
        num_states = self.num_states
        log_init = jnp.broadcast_to(jnp.log(self.initial_probs), shape + (num_states,))
        log_trans = jnp.log(self.transition_matrix)
        log_trans = jnp.broadcast_to(log_trans, shape + (num_states, num_states))
        return emission, log_init, log_trans

    def _forward(self, value):
        """Forward messages ``log p(z_t, y_0..y_t)``, time on axis 0."""
        emission, log_init, log_trans = self._emissions(value)

        def step(alpha, e):
            alpha = logsumexp(alpha[..., :, None] + log_trans, axis=-2) + e
            return alpha, alpha

        alpha0 = log_init + emission[0]
        _, alphas = jax.lax.scan(step, alpha0, emission[1:])
        return jnp.concatenate([alpha0[None], alphas], axis=0), emission, log_trans

    def _log_prob(self, value):
        alphas, _, _ = self._forward(value)
        return logsumexp(alphas[-1], axis=-1)

    def filter(self, value):
        """Filtered state log-probabilities ``log p(z_t = k | y_0, ..., y_t)``.

        Args:
            value: observations, ``... + (num_steps,)``.

        Returns:
            An array ``batch + (num_steps, K)``, each row normalised in log space
            (``jnp.exp`` gives probabilities).
        """
        alphas, _, _ = self._forward(value)
        alphas = alphas - logsumexp(alphas, axis=-1, keepdims=True)
        return jnp.moveaxis(alphas, 0, -2)

    def posterior_marginals(self, value):
        """Smoothed state log-probabilities ``log p(z_t = k | y_0, ..., y_{T-1})``,
        by the forward-backward algorithm.

        Args:
            value: observations, ``... + (num_steps,)``.

        Returns:
            An array ``batch + (num_steps, K)`` of log-probabilities.
        """
        alphas, emission, log_trans = self._forward(value)

        def step(beta, e):
            # beta_t(i) = log sum_j A_ij p(y_{t+1} | j) exp(beta_{t+1}(j))
            beta = logsumexp(log_trans + (e + beta)[..., None, :], axis=-1)
            return beta, beta

        last = jnp.zeros_like(alphas[-1])
        _, betas = jax.lax.scan(step, last, emission[1:], reverse=True)
        betas = jnp.concatenate([betas, last[None]], axis=0)
        joint = alphas + betas
        joint = joint - logsumexp(joint, axis=-1, keepdims=True)
        return jnp.moveaxis(joint, 0, -2)

    # ------------------------------------------------------------------- sampling

    def sample_with_states(self, key, sample_shape=()):
        """Draw hidden paths and observations together by ancestral sampling.

        Returns:
            ``(states, values)``, both ``sample_shape + batch_shape + (num_steps,)``;
            ``states`` are integers in ``[0, K)``.
        """
        key_init, key_trans, key_obs = jax.random.split(key, 3)
        shape = tuple(sample_shape) + self.batch_shape
        num_states = self.num_states
        log_init = jnp.broadcast_to(jnp.log(self.initial_probs), shape + (num_states,))
        log_trans = jnp.log(self.transition_matrix)
        log_trans = jnp.broadcast_to(log_trans, shape + (num_states, num_states))

        def step(z, k):
            logits = jnp.take_along_axis(log_trans, z[..., None, None], axis=-2)[..., 0, :]
            z = jax.random.categorical(k, logits, axis=-1)
            return z, z

        z0 = jax.random.categorical(key_init, log_init, axis=-1)
        keys = jax.random.split(key_trans, self.num_steps - 1)
        _, zs = jax.lax.scan(step, z0, keys)
        states = jnp.moveaxis(jnp.concatenate([z0[None], zs], axis=0), 0, -1)
        locs, scales = (
            jnp.take_along_axis(jnp.broadcast_to(p, shape + (num_states,)), states, axis=-1)
            for p in (self.locs, self.scales)
        )
        eps = jax.random.normal(key_obs, states.shape, self.locs.dtype)
        return states, locs + scales * eps

    def sample(self, key, sample_shape=()):
        return self.sample_with_states(key, sample_shape)[1]

    # -------------------------------------------------------------------- moments

    def _state_marginals(self):
        """``p(z_t = k)`` as ``batch + (T, K)``: the initial row times powers of the
        transition matrix."""

        def step(probs, _):
            probs = jnp.sum(probs[..., :, None] * self.transition_matrix, axis=-2)
            return probs, probs

        p0 = self.initial_probs
        _, rest = jax.lax.scan(step, p0, None, length=self.num_steps - 1)
        return jnp.moveaxis(jnp.concatenate([p0[None], rest], axis=0), 0, -2)

    @property
    def mean(self):
        probs = self._state_marginals()
        return jnp.sum(probs * self.locs[..., None, :], axis=-1)

    @property
    def variance(self):
        probs = self._state_marginals()
        locs, scales = self.locs[..., None, :], self.scales[..., None, :]
        second = jnp.sum(probs * (scales**2 + locs**2), axis=-1)
        return second - self.mean**2
