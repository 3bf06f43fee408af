"""Inference: where a bound model meets the kernels.

The pure entries (jit- and vmap-able, for use inside JAX programs) are exported here:
:func:`nuts_run`, :func:`hmc_run`, :func:`mcmc_run`. The friendly drivers
(``pplx.nuts``, ``pplx.sample``, ...) live in :mod:`pplx.infer.drivers`; the chain loops in
:mod:`pplx.infer.chains`; compound (Gibbs) runs in :mod:`pplx.infer.compound`; predictive
draws in :mod:`pplx.infer.predictive`; variational inference and modes in
:mod:`pplx.infer.vi`.
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
