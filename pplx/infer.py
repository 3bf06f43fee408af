"""The pure inference entries (jit- and vmap-able), for use inside JAX programs."""

from pplx.api import NUTSResult, hmc_run, mcmc_run, nuts_run
from pplx.kernels.spec import HMCSpec, NUTSSpec

__all__ = ["NUTSResult", "nuts_run", "hmc_run", "mcmc_run", "NUTSSpec", "HMCSpec"]
