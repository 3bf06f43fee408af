"""pplx: a JAX-native probabilistic programming library.

Example:
    >>> import pplx, pplx.distributions as dist
    >>> sorted(n for n in ("model", "sample", "plate", "nuts") if hasattr(pplx, n))
    ['model', 'nuts', 'plate', 'sample']
"""

from pplx.xla_options import apply_small_loop_option, xla_loop_status

apply_small_loop_option()  # before anything starts JAX's backends: XLA reads XLA_FLAGS once

from pplx import compound, distributions, handlers, infer, vi
from pplx.api import logcdf, logp, nuts_run, to_posterior
from pplx.cache import enable_compilation_cache
from pplx.checkpoint import load_state, save_state
from pplx.core.primitives import deterministic, factor, plate
from pplx.errors import ConvergenceWarning
from pplx.forward import posterior_predictive, prior_predictive
from pplx.jit import filter_jit
from pplx.model import Model, model
from pplx.model.transforms import condition, do
from pplx.results import Posterior
from pplx.sampling import hmc, mcmc, nuts, sample

__version__ = "0.1.0"

__all__ = [
    "ConvergenceWarning",
    "compound",
    "Model",
    "enable_compilation_cache",
    "filter_jit",
    "Posterior",
    "condition",
    "deterministic",
    "distributions",
    "do",
    "factor",
    "handlers",
    "infer",
    "vi",
    "xla_loop_status",
    "logcdf",
    "logp",
    "model",
    "nuts",
    "hmc",
    "mcmc",
    "nuts_run",
    "plate",
    "posterior_predictive",
    "prior_predictive",
    "sample",
    "save_state",
    "load_state",
    "to_posterior",
    "__version__",
]
