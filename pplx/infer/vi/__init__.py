"""Variational inference and optimisation on bound models: the user entry points.

- :func:`advi`: mean-field or full-rank Gaussian ADVI in unconstrained space, returning an
  :class:`Approximation` (an ``eqx.Module``); minibatches through
  ``pplx.plate(..., subsample_size=B)``; ``num_restarts=`` fits from several starts
  (:func:`advi_restarts`, batched, in sequence or over devices: ``chain_method``).
- :func:`init`, :func:`step`, :func:`elbo`, :func:`init_params`: the pure pieces, for a
  pplx ELBO inside a user's own jitted training step.
- :func:`find_map`, :func:`laplace`, :func:`pathfinder`, :func:`nuts_init`.

Everything here except the progress bar is pure: jit- and vmap-able (e.g. over seeds).

Example:
    >>> import jax, jax.numpy as jnp, optax, pplx
    >>> import pplx.distributions as dist
    >>> @pplx.model
    ... def m(y):
    ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
    ...     with pplx.plate("obs", y.shape[0]):
    ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
    >>> bound = m(jnp.array([1.0, 2.0, 3.0]))
    >>> round(float(pplx.vi.find_map(bound).values["mu"]), 2)  # about the data's mean
    1.99
    >>> opt = optax.adam(0.05)
    >>> state = pplx.vi.init(bound, opt)
    >>> train = jax.jit(lambda key, state: pplx.vi.step(bound, key, state, opt))
    >>> for key in jax.random.split(jax.random.key(0), 100):
    ...     state, info = train(key, state)
    >>> int(state.step), info.elbo.shape
    (100, ())
"""

from pplx.infer.vi.advi import (
    Approximation,
    advi,
    elbo,
    init,
    init_params,
    minibatch_logdensity,
    step,
)
from pplx.infer.vi.mode import MAPResult, find_map, laplace, nuts_init, pathfinder
from pplx.infer.vi.restarts import advi_restarts, best_restart
from pplx.kernels.advi import ADVIInfo, ADVIState

__all__ = [
    "ADVIInfo",
    "ADVIState",
    "Approximation",
    "MAPResult",
    "advi",
    "advi_restarts",
    "best_restart",
    "elbo",
    "find_map",
    "init",
    "init_params",
    "laplace",
    "minibatch_logdensity",
    "nuts_init",
    "pathfinder",
    "step",
]
