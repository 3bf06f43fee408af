"""Inference: where a bound model meets the kernels.

The pure entries (jit- and vmap-able, for use inside JAX programs) are exported here:
:func:`nuts_run`, :func:`hmc_run`, :func:`mcmc_run`. The friendly drivers
(``pplx.nuts``, ``pplx.sample``, ...) live in :mod:`pplx.infer.drivers`; the chain loops in
:mod:`pplx.infer.chains`; compound (Gibbs) runs in :mod:`pplx.infer.compound`; predictive
draws in :mod:`pplx.infer.predictive`; variational inference and modes in
:mod:`pplx.infer.vi`.

Example:
    >>> import jax, jax.numpy as jnp, pplx
    >>> import pplx.distributions as dist
    >>> @pplx.model
    ... def m(y):
    ...     mu = pplx.sample("mu", dist.Normal(0.0, 10.0))
    ...     with pplx.plate("obs", y.shape[0]):
    ...         pplx.sample("y", dist.Normal(mu, 1.0), obs=y)
    >>> res = pplx.infer.nuts_run(m(jnp.ones(4)), jax.random.key(0), num_warmup=50,
    ...                           num_samples=50, num_chains=2)
    >>> res.draws["mu"].shape, sorted(pplx.infer.NUTSSpec()._asdict())
    ((2, 50), ['max_tree_depth'])
"""

from pplx.infer.entry import NUTSResult, hmc_run, mcmc_run, nuts_run
from pplx.infer.many import nuts_many_run
from pplx.infer.until import Converged, UntilInfo
from pplx.infer.until_run import mcmc_until, nuts_until
from pplx.kernels.spec import HMCSpec, NUTSSpec

__all__ = [
    "NUTSResult",
    "nuts_run",
    "hmc_run",
    "mcmc_run",
    "NUTSSpec",
    "HMCSpec",
    "Converged",
    "UntilInfo",
    "nuts_until",
    "mcmc_until",
    "nuts_many_run",
]
